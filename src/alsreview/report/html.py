"""Jinja2 rendering with autoescaping: every value put into a page is escaped.

In: a template name under `report/templates/` and plain data.  Out: an HTML string.
Untrusted text (titles, abstracts, a user's evidence file) reaches pages only through
here, so escaping is not left to each caller.

Compiled templates are cached on disk like `.pyc` files (`template_cache_dir`, keyed by
the template's SHA-1, so an edited template is recompiled): compiling the report's templates
is ~0.1 s of every cold `alsreview report` (BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket


def template_cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/alsreview/jinja2` (default `~/.cache/...`), created private (0700);
    None when it cannot be created or is not a folder only this user can write (the cache
    holds code: never load it from a place someone else could have written)."""
    if os.environ.get("ALSREVIEW_NO_TEMPLATE_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "alsreview" / "jinja2"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.stat(path)
    except OSError:
        return None
    private = not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    if not stat.S_ISDIR(st.st_mode) or not mine or not private:
        return None
    return path


class _QuietCache(FileSystemBytecodeCache):
    """A bytecode cache whose failures (disk full, read-only home) only cost the compile."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@lru_cache(maxsize=1)
def environment() -> Environment:
    cache_dir = template_cache_dir()
    env = Environment(
        loader=PackageLoader("alsreview.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_QuietCache(str(cache_dir)) if cache_dir is not None else None,
    )
    return env


def render(template: str, **context: object) -> str:
    """Render a packaged template with autoescaping on."""
    return environment().get_template(template).render(**context)
