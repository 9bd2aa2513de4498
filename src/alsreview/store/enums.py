"""The screening vocabulary as string enums: stages and decisions.

`StrEnum` members are `str`s: they compare equal to the plain strings, go into JSON, the
database and templates as their value, and `Stage("full_text")` reads one back.  `parse`
turns untrusted text into a member or a `StoreError` that says what is allowed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from alsreview.errors import StoreError


class _Vocabulary(StrEnum):
    @classmethod
    def parse(cls, value: str, where: str = "") -> Self:
        """The member whose value is `value`; anything else is a `StoreError` (prefixed by
        `where`, e.g. "record 12: ") naming the allowed values."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise StoreError(
                f"{where}unknown {cls.__name__.lower()} {value!r} (one of {allowed})"
            ) from None


class Stage(_Vocabulary):
    """A screening stage."""

    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"


class Decision(_Vocabulary):
    """A reviewer's vote at a stage ('undecided' withdraws an earlier vote; 'not_retrieved'
    only at full text)."""

    INCLUDED = "included"
    EXCLUDED = "excluded"
    MAYBE = "maybe"
    NOT_RETRIEVED = "not_retrieved"
    UNDECIDED = "undecided"
