"""Many rows into one table in one statement whose text does not depend on how many.

SQLAlchemy's executemany sends PostgreSQL one Bind/Execute per row (one executor start-up
each), and its multi-VALUES form for RETURNING writes new SQL text for every batch size, so
each burst is parsed and planned afresh. On PostgreSQL `insert_rows` sends one array per
column instead and lets ``unnest`` make the rows:

    INSERT INTO t (a, b) SELECT u.c0, u.c1::json
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(c0, c1, n) ORDER BY n

so one prepared statement serves every burst, and the per-row work left in Python is each
column's own bind processing (encryption, JSON, enums, UTC). Every other database, and any
table with a column this cannot carry (a SQL-expression default, an unmapped type), takes
SQLAlchemy's path, which writes the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

_PLANS: dict[tuple[Any, ...], _Statement | None] = {}


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    default: Any  # the row's key when present, else this (a value or a zero-argument callable)
    defaulted: bool
    callable_default: bool
    process: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    columns: tuple[_Column, ...]


async def insert_rows(
    session: AsyncSession, table: sa.Table, rows: Sequence[Mapping[str, Any]],
    *, returning_ids: bool = False, skip_conflicts_on: tuple[str, ...] = (),
) -> list[int]:
    """Insert ``rows`` (dicts keyed by column key, all with the first row's keys) into
    ``table``; with ``returning_ids`` the new ``id`` of each row, in the order given.

    ``skip_conflicts_on`` names the columns of a unique constraint: a row whose values there
    are already stored, or come earlier in ``rows``, is skipped instead of failing the
    statement (``ON CONFLICT (…) DO NOTHING``); the ids returned are then the inserted rows'.
    Column defaults written in Python (values, callables) are applied as the ORM would;
    the rows are one statement, inside the session's transaction."""
    if not rows:
        return []
    unknown = set(rows[0]).difference(table.c.keys())
    if unknown:  # SQLAlchemy's executemany would drop them without a word
        raise sa.exc.CompileError(
            f"Unconsumed column names: {', '.join(sorted(unknown))} (table {table.name})")
    connection = await session.connection()
    dialect = connection.dialect
    statement = _statement(table, tuple(rows[0]), dialect, returning_ids, skip_conflicts_on) \
        if dialect.name == "postgresql" else None
    if statement is None:
        insert: Any = sa.insert(table)
        if skip_conflicts_on:
            insert = _dialect_insert(dialect, table).on_conflict_do_nothing(
                index_elements=[table.c[k] for k in skip_conflicts_on])
            if returning_ids:
                # One row at a time: skipped rows return nothing, so there is no order to keep.
                ids = []
                for row in rows:
                    ids.extend(await session.scalars(insert.returning(table.c.id), row))
                return sorted(int(i) for i in ids)
        if returning_ids:
            return [int(i) for i in (await session.scalars(
                insert.returning(table.c.id, sort_by_parameter_order=True),
                list(rows))).all()]
        await session.execute(insert, list(rows))
        return []
    arrays = []
    for column in statement.columns:
        if not column.defaulted:
            key = column.key
            values = [row[key] for row in rows]
        elif column.callable_default:
            values = [column.default() for _ in rows]
        else:
            values = [column.default] * len(rows)
        process = column.process
        if process is not None:
            values = [process(v) for v in values]
        arrays.append(values)
    result = await connection.exec_driver_sql(statement.sql, tuple(arrays))
    if not returning_ids:
        return []
    # The identity values are drawn in the ORDER BY's order, so ascending ids are the rows'
    # order (RETURNING itself promises no order).
    return sorted(int(i) for (i,) in result.all())


# The array element type each column travels as, by the type's Python-side class; the
# insert's assignment cast then checks lengths and ranges as a plain INSERT would (an explicit
# cast to varchar(n) would truncate instead).
_CARRIERS: tuple[tuple[type[sa.types.TypeEngine[Any]], str], ...] = (
    (sa.JSON, "text"),
    (sa.String, "text"),
    (sa.Boolean, "bool"),
    (sa.Integer, "int8"),
    (sa.Float, "float8"),
    (sa.Numeric, "numeric"),
    (sa.Date, "date"),
    (sa.Uuid, "uuid"),
    (sa.LargeBinary, "bytea"),
)


def _carrier(type_: sa.types.TypeEngine[Any]) -> str | None:
    while isinstance(type_, sa.TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, sa.DateTime):
        return "timestamptz" if type_.timezone else "timestamp"
    if isinstance(type_, sa.Time):
        return None
    for kind, carrier in _CARRIERS:
        if isinstance(type_, kind):
            return carrier
    return None


def _dialect_insert(dialect: sa.Dialect, table: sa.Table) -> Any:
    """The dialect's own INSERT, which knows ON CONFLICT (PostgreSQL's and SQLite's)."""
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise NotImplementedError(f"skip_conflicts_on is not supported on {dialect.name}")
    return insert(table)


def _statement(table: sa.Table, keys: tuple[str, ...], dialect: sa.Dialect,
               returning_ids: bool, skip_conflicts_on: tuple[str, ...]) -> _Statement | None:
    cache_key = (table, keys, dialect, returning_ids, skip_conflicts_on)
    try:
        return _PLANS[cache_key]
    except KeyError:
        pass
    _PLANS[cache_key] = found = _build(table, keys, dialect, returning_ids, skip_conflicts_on)
    return found


def _build(table: sa.Table, keys: tuple[str, ...], dialect: sa.Dialect,
           returning_ids: bool, skip_conflicts_on: tuple[str, ...]) -> _Statement | None:
    given = set(keys)
    chosen: list[tuple[sa.Column[Any], bool]] = [(table.c[k], False) for k in keys]
    for column in table.c:
        if column.key in given or column.default is None:
            continue
        default = column.default
        if not (default.is_scalar or default.is_callable):
            return None  # a SQL expression or a sequence: SQLAlchemy renders it
        chosen.append((column, True))
    preparer = dialect.identifier_preparer
    columns, names, arrays, selects = [], [], [], []
    for i, (column, defaulted) in enumerate(chosen):
        carrier = _carrier(column.type)
        if carrier is None:
            return None
        default: Any = None
        callable_default = False
        if defaulted:
            assert column.default is not None
            if column.default.is_callable:
                wrapped = column.default.arg  # SQLAlchemy's wrapper takes an execution context
                default, callable_default = (lambda fn=wrapped: fn(None)), True
            else:
                default = column.default.arg
        columns.append(_Column(
            key=column.key, default=default, defaulted=defaulted,
            callable_default=callable_default,
            process=column.type.dialect_impl(dialect).bind_processor(dialect)))
        names.append(preparer.quote(column.name))
        arrays.append(f"${i + 1}::{carrier}[]")
        json_like = isinstance(_innermost(column.type), sa.JSON)
        selects.append(f"u.c{i}::{column.type.compile(dialect=dialect)}" if json_like
                       else f"u.c{i}")
    aliases = ", ".join(f"c{i}" for i in range(len(chosen)))
    sql = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(names)}) "
           f"SELECT {', '.join(selects)} FROM unnest({', '.join(arrays)}) "
           f"WITH ORDINALITY AS u({aliases}, n) ORDER BY n")
    if skip_conflicts_on:
        targets = ", ".join(preparer.quote(table.c[k].name) for k in skip_conflicts_on)
        sql += f" ON CONFLICT ({targets}) DO NOTHING"
    if returning_ids:
        sql += f" RETURNING {preparer.quote(table.c.id.name)}"
    return _Statement(sql=sql, columns=tuple(columns))


def _innermost(type_: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    while isinstance(type_, sa.TypeDecorator):
        type_ = type_.impl_instance
    return type_

