"""Named types for values whose shape is data, not code (issue 9 part 6: no bare ``Any`` on
public functions; `tests/test_typing.py` lists every public signature that still mentions
``Any`` and allows it only through the aliases here or its short, reasoned allow-list).

    JSONDict   a JSON object: what ``json.loads``/``tomllib`` give, what ``to_dict()``
               returns, what the web API sends and receives.  Its values are checked where
               they are read (pydantic models, the file checkers), so they stay open here.

Imported at run time (FastAPI and pydantic read annotations), so this module imports nothing
but ``typing``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["JSONDict"]

JSONDict: TypeAlias = dict[str, Any]
