"""`column IN (values)` for look-ups of many keys at once, one statement text for any count.

SQLAlchemy renders ``IN`` as one parameter per value, so a look-up of 31 keys and one of 32
are different statements: each is parsed, planned and prepared on its own (per connection),
and rendering the list costs Python time per value. On PostgreSQL ``column = ANY($1)`` takes
the values as one array: one prepared statement serves every count and the index is used
the same way. Other databases keep ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def one_of(session: AsyncSession, column: Any, values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column`` equals one of ``values``, in the form the session's database answers best."""
    values = list(values)
    bind = session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return column.in_(values)  # type: ignore[no-any-return]
    # Strings travel as text[]: a cast to varchar(n)[] would cut a longer value to n
    # characters, and a cut key could match another one.
    element = sa.Text() if isinstance(column.type, sa.String) else column.type
    array = sa.bindparam(None, values, type_=postgresql.ARRAY(element))
    return column == sa.any_(array)  # type: ignore[no-any-return]
