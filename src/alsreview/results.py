"""What every statistical result object of alsreview shares (a notebook user's view of it).

In: a frozen dataclass that mixes in :class:`Result` and defines ``summary()`` (plain text).
Out: ``repr(res)`` is that summary, ``res.summary_frame()`` a pandas DataFrame (by default
one row of the scalar fields; results with a table override it), ``res._repr_html_()`` the
frame as an HTML table for Jupyter, and ``res.to_dict()`` generated from the dataclass
fields (numpy arrays as lists, DataFrames as lists of row dicts, NaN kept, nested results and
dataclasses as dicts).  ``_dict_keys`` selects
and renames the exported fields, e.g. ``("zval", ("inf", "is_infl"))``.

Also the package's one confidence-level convention: ``level`` is a percentage (``95``), as in
metafor; :func:`check_level` refuses the other scale (``0.95``) instead of silently giving a
0.95% interval.  Declare result classes with ``@dataclass(frozen=True, repr=False)`` so the
summary, not the field dump, is their ``repr``.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import TYPE_CHECKING, Any, ClassVar

from alsreview.errors import ValidationError
from alsreview.typealiases import JSONDict, JSONValue

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result", "check_level", "plain"]


def check_level(level: float) -> float:
    """A confidence level in percent (0 < level < 100); refuses 0-1 proportions."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValidationError(
            f"level must be a number (a percentage such as 95); got {level!r}"
        ) from None
    if not math.isfinite(value) or not 0 < value < 100:
        raise ValidationError(f"level is a percentage strictly between 0 and 100; got {level!r}")
    if value <= 1:
        raise ValidationError(
            f"level is a percentage (level=95 for a 95% interval); got {level!r}, which would "
            f"give a {value:g}% interval - write level={100 * value:g}"
        )
    return value


def plain(obj: object) -> JSONValue:
    """JSON-ready Python objects: arrays to lists, numpy scalars to numbers, results to dicts."""
    if isinstance(obj, Result):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):  # a pandas DataFrame
        return plain(obj.to_dict("records"))
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str):  # numpy arrays and scalars
        return plain(obj.tolist())
    return obj


class Result:
    """Mixin for frozen result dataclasses: repr, DataFrame summary, HTML, to_dict."""

    _dict_keys: ClassVar[tuple[str | tuple[str, str], ...] | None] = None

    def summary(self) -> str:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.summary()

    def _items(self) -> list[tuple[str, Any]]:
        if self._dict_keys is not None:
            keys = [(k, k) if isinstance(k, str) else k for k in self._dict_keys]
            return [(key, getattr(self, attr)) for key, attr in keys]
        return [
            (f.name, getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.repr and f.metadata.get("dict", True)
        ]

    def to_dict(self) -> JSONDict:
        """The exported fields as plain Python objects."""
        return {key: plain(value) for key, value in self._items()}

    def summary_frame(self) -> pd.DataFrame:
        """A pandas DataFrame; by default one row of the scalar fields."""
        import pandas as pd

        row = {
            key: value
            for key, value in self.to_dict().items()
            if value is None or isinstance(value, int | float | str | bool)
        }
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        title = html.escape(self.summary().splitlines()[0])
        return f"<p><strong>{title}</strong></p>\n{self.summary_frame().to_html()}"
