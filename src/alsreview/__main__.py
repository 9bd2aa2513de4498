"""`python -m alsreview` is the `alsreview` command."""

from alsreview.cli import main

main()
