"""screening stage."""
