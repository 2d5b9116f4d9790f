"""Batched reads: one SQL statement per relation and query level, whatever the number of rows.

Every list or object field below the root resolves through one of these loaders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from strawberry.dataloader import DataLoader

from imm_graph.schema.context import Context
from imm_graph.schema.pagination import (
    Connection,
    Order,
    Page,
    PageArgs,
    connection,
    nested_page_query,
    page_from_rows,
    page_query,
)
from imm_graph.schema.relations import Relation


def by_key(ctx: Context, table: sa.Table, column: str = "id") -> DataLoader[Any, Any]:
    """Rows of ``table`` by a unique column; a missing row loads as None."""

    async def load(keys: Sequence[Any]) -> list[Any]:
        col = table.c[column]
        rows = await ctx.fetch(sa.select(table).where(col.in_(set(keys))))
        found = {row._mapping[column]: row for row in rows}
        return [found.get(key) for key in keys]

    return ctx.loader(("by_key", table.name, column), lambda: DataLoader(load_fn=load))


def pages(ctx: Context, relation: Relation, args: PageArgs) -> DataLoader[Any, Page]:
    """One page of ``relation`` for every parent asked for in this tick, in one statement."""

    async def load(parent_ids: Sequence[Any]) -> list[Page]:
        query = nested_page_query(
            relation.select(), relation.parent, list(set(parent_ids)), relation.ordering, args
        )
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in await ctx.fetch(query):
            grouped[row._mapping["parent_key_"]].append(row)
        return [page_from_rows(grouped.get(pid, []), args) for pid in parent_ids]

    return ctx.loader(("pages", relation.name, args), lambda: DataLoader(load_fn=load))


def counts(ctx: Context, relation: Relation) -> DataLoader[Any, int]:
    async def load(parent_ids: Sequence[Any]) -> list[int]:
        inner = relation.select().where(relation.parent.in_(set(parent_ids)))
        inner = inner.add_columns(relation.parent.label("parent_key_")).subquery()
        query = sa.select(inner.c.parent_key_, sa.func.count()).group_by(inner.c.parent_key_)
        found = {row[0]: row[1] for row in await ctx.fetch(query)}
        return [found.get(pid, 0) for pid in parent_ids]

    return ctx.loader(("counts", relation.name), lambda: DataLoader(load_fn=load))


def grouped(ctx: Context, relation: Relation) -> DataLoader[Any, list[Any]]:
    """All rows of a small, bounded list per parent (e.g. a hub's cohorts), in one statement."""

    async def load(parent_ids: Sequence[Any]) -> list[list[Any]]:
        parent = relation.parent
        query = (
            relation.select()
            .add_columns(parent.label("parent_key_"))
            .where(parent.in_(set(parent_ids)))
            .order_by(*relation.ordering.clauses())
        )
        found: dict[Any, list[Any]] = defaultdict(list)
        for row in await ctx.fetch(query):
            found[row._mapping["parent_key_"]].append(row)
        return [found.get(pid, []) for pid in parent_ids]

    return ctx.loader(("grouped", relation.name), lambda: DataLoader(load_fn=load))


async def root_page(
    ctx: Context, table: sa.Table, where: list[Any], order: Order, args: PageArgs,
    build: Callable[[Any], Any],
) -> Connection[Any]:
    """A root list as a connection: one statement for the page, one for `totalCount` if asked."""
    rows = await ctx.fetch(page_query(sa.select(table).where(*where), order, args))

    async def count() -> int:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await ctx.fetch(query))[0][0])

    return connection(page_from_rows(rows, args), order, build, count)
