"""Cursor pagination (Relay connections) over keyset SQL, for root and nested lists alike.

Keyset rather than OFFSET: pages stay stable while rows are added and deep pages cost the same
as the first. Nested lists page every parent in one statement with ``row_number()`` windows, so
a list below the root costs one query per level, not one per parent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry

from imm_graph.errors import ValidationError

T = TypeVar("T")


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A node with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="One page of a list, with cursors to move forwards and backwards.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The nodes of this page, when cursors are not needed.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list holds, across all pages.")
    async def total_count(self) -> int:
        return await self.count_loader()


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def checked(self, default_size: int, max_size: int) -> PageArgs:
        if self.first is not None and self.last is not None:
            raise ValidationError.single(
                "first", "conflicting_arguments", "give first or last, not both"
            )
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= max_size:
                raise ValidationError.single(
                    name, "out_of_range", f"{name} must be between 0 and {max_size}, got {value}"
                )
        if self.first is None and self.last is None:
            return PageArgs(default_size, self.after, None, self.before)
        return self

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        return self.last if self.last is not None else self.first or 0


@dataclass(frozen=True)
class Order:
    """An ordering: columns with directions; the last column must be unique (the row's key).

    Cursors are opaque and carry only that key, never the values sorted by: a hub's cursor in
    a list ordered by code must not tell an anonymous caller the hub's code. Paging after a
    cursor looks the row's sort values up by its key, inside the same statement.
    """

    columns: tuple[tuple[sa.ColumnElement[Any], bool], ...]  # (column, descending)

    @property
    def key(self) -> sa.ColumnElement[Any]:
        return self.columns[-1][0]

    def clauses(self, reverse: bool = False) -> list[sa.ColumnElement[Any]]:
        return [
            (col.desc() if desc != reverse else col.asc()) for col, desc in self.columns
        ]

    def cursor(self, row: Any) -> str:
        return encode_cursor(row._mapping[self.key.key])

    def decode(self, cursor: str, field: str) -> Any:
        """The key a cursor holds, checked against the key column's type."""
        try:
            raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != 1:
                raise ValueError
            return _key_value(values[0], self.key)
        except (ValueError, UnicodeError, RecursionError):
            raise ValidationError.single(
                field, "invalid_cursor", f"{field} is not a cursor of this list"
            ) from None

    def beyond(self, key: Any, *, after: bool) -> sa.ColumnElement[bool]:
        """Rows strictly after (or before) the row whose key is ``key``."""
        values = [self._value_of(col, key) for col, _ in self.columns[:-1]] + [key]
        alternatives = []
        for i, (col, desc) in enumerate(self.columns):
            forward = after != desc
            step = col > values[i] if forward else col < values[i]
            equal = [c == values[j] for j, (c, _) in enumerate(self.columns[:i])]
            alternatives.append(sa.and_(*equal, step))
        return sa.or_(*alternatives)

    def _value_of(self, column: Any, key: Any) -> Any:
        """The cursor row's value of ``column``: a scalar subquery on a fresh alias."""
        table = column.table
        source = table.element.alias() if hasattr(table, "element") else table.alias()
        return (
            sa.select(source.c[column.key])
            .where(source.c[self.key.key] == key)
            .scalar_subquery()
        )


INT32_MAX = 2**31 - 1


def encode_cursor(key: Any) -> str:
    text = json.dumps([key], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _key_value(value: Any, column: sa.ColumnElement[Any]) -> Any:
    """A key from a cursor, refused unless it is exactly what the key column holds."""
    python_type = getattr(column.type, "python_type", str)
    if python_type is int:
        if type(value) is not int or not 0 < value <= INT32_MAX:
            raise ValueError
        return value
    if not isinstance(value, str) or not 0 < len(value) <= 200 or "\x00" in value:
        raise ValueError
    return value


def keyset_filter(query: sa.Select[Any], order: Order, args: PageArgs) -> sa.Select[Any]:
    """Only the rows after ``args.after`` and before ``args.before``."""
    if args.after:
        query = query.where(order.beyond(order.decode(args.after, "after"), after=True))
    if args.before:
        query = query.where(order.beyond(order.decode(args.before, "before"), after=False))
    return query


@dataclass
class Page:
    rows: list[Any]
    has_next: bool
    has_previous: bool


def page_query(query: sa.Select[Any], order: Order, args: PageArgs) -> sa.Select[Any]:
    """One page of a root list: the rows plus one extra that tells whether more exist."""
    query = keyset_filter(query, order, args)
    return query.order_by(*order.clauses(reverse=args.backwards)).limit(args.size + 1)


def page_from_rows(rows: list[Any], args: PageArgs) -> Page:
    more = len(rows) > args.size
    rows = rows[: args.size]
    if args.backwards:
        rows.reverse()
        return Page(rows, has_next=args.before is not None, has_previous=more)
    return Page(rows, has_next=more, has_previous=args.after is not None)


def nested_page_query(
    query: sa.Select[Any], parent: sa.ColumnElement[Any], parent_ids: Sequence[Any],
    order: Order, args: PageArgs,
) -> sa.Select[Any]:
    """Pages of many parents at once: rank rows within each parent, keep the first size+1."""
    query = keyset_filter(query.where(parent.in_(parent_ids)), order, args)
    rank = sa.func.row_number().over(
        partition_by=parent, order_by=order.clauses(reverse=args.backwards)
    )
    ranked = query.add_columns(parent.label("parent_key_"), rank.label("rank_")).subquery()
    return (
        sa.select(ranked)
        .where(ranked.c.rank_ <= args.size + 1)
        .order_by(ranked.c.parent_key_, ranked.c.rank_)
    )


def connection(
    page: Page, order: Order, build: Callable[[Any], T], count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    edges = [Edge(cursor=order.cursor(row), node=build(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_loader=count,
    )
