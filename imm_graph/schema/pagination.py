"""Cursor pagination (Relay connections) over keyset SQL, for root and nested lists alike.

Keyset rather than OFFSET: pages stay stable while rows are added and deep pages cost the same
as the first. Nested lists page every parent in one statement with ``row_number()`` windows, so
a list below the root costs one query per level, not one per parent.
"""

from __future__ import annotations

import base64
import datetime as dt
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
    """An ordering: columns with directions; the last column must be unique (the id)."""

    columns: tuple[tuple[sa.ColumnElement[Any], bool], ...]  # (column, descending)

    def clauses(self, reverse: bool = False) -> list[sa.ColumnElement[Any]]:
        return [
            (col.desc() if desc != reverse else col.asc()) for col, desc in self.columns
        ]

    def cursor(self, row: Any) -> str:
        values = [_jsonable(row._mapping[col.key]) for col, _ in self.columns]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def decode(self, cursor: str, field: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.columns):
                raise ValueError
            return [_from_json(v, col) for v, (col, _) in zip(values, self.columns, strict=True)]
        except ValueError:
            raise ValidationError.single(
                field, "invalid_cursor", f"{field} is not a cursor of this list"
            ) from None

    def beyond(self, values: Sequence[Any], *, after: bool) -> sa.ColumnElement[bool]:
        """Rows strictly after (or before) the row these values came from."""
        alternatives = []
        for i, (col, desc) in enumerate(self.columns):
            forward = after != desc
            step = col > values[i] if forward else col < values[i]
            equal = [c == values[j] for j, (c, _) in enumerate(self.columns[:i])]
            alternatives.append(sa.and_(*equal, step))
        return sa.or_(*alternatives)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _from_json(value: Any, column: sa.ColumnElement[Any]) -> Any:
    python_type = getattr(column.type, "python_type", None)
    if python_type is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if python_type is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if python_type is int and not isinstance(value, int):
        raise ValueError
    return value


def keyset_filter(query: sa.Select[Any], order: Order, args: PageArgs) -> sa.Select[Any]:
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
