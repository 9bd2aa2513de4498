"""Named types for values whose shape is data, not code (issue 9 part 6: no bare ``Any`` on
public functions; `tests/test_typing.py` lists every public signature that still mentions
``Any`` and allows it only through the aliases here or its short, reasoned allow-list).

    JSONDict   a JSON object: what ``json.loads``/``tomllib`` give, what ``to_dict()``
               returns, what the web API sends and receives, the rows handed to Jinja
               templates.  Its values are checked where they are read (pydantic models, the
               file checkers), so they stay open here.
    JSONValue  one value of such a document (str, number, bool, None, list or object), e.g.
               an extracted field's value: open for the same reason (callers index into it
               after checking the field's kind).

Imported at run time (FastAPI and pydantic read annotations), so this module imports nothing
but ``typing``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["JSONDict", "JSONValue"]

JSONDict: TypeAlias = dict[str, Any]
JSONValue: TypeAlias = Any
