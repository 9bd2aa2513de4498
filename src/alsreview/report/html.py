"""Jinja2 rendering with autoescaping: every value put into a page is escaped.

In: a template name under `report/templates/` and plain data.  Out: an HTML string.
Untrusted text (titles, abstracts, a user's evidence file) reaches pages only through
here, so escaping is not left to each caller.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alsreview.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, **context: object) -> str:
    """Render a packaged template with autoescaping on."""
    return environment().get_template(template).render(**context)
