"""Helpers that let a plug-in's GraphQL look and behave like the core's.

A plug-in's list is a Relay connection like every core list (cursors carry only the row's key,
pages have a default and a maximum size), built over its own table in one statement per page
plus one for ``totalCount`` when asked. A list below another type (``Hub.episodes``) is batched
like the core's own nested lists: one statement for the pages of every parent in the query, one
for their totals, whatever the number of parents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from strawberry import Info

from imm_graph.schema.context import Context
from imm_graph.schema.loaders import counts, pages, root_page
from imm_graph.schema.mutations import user_errors
from imm_graph.schema.pagination import Connection, Order, connection
from imm_graph.schema.relations import Relation
from imm_graph.schema.types import page_args

__all__ = ["connection_of", "nested_connection_of", "page_args", "user_errors"]


def order_of(table: sa.Table, columns: Sequence[tuple[str, bool]]) -> Order:
    """An ordering by (column name, descending) pairs; the table's key breaks ties."""
    key = next(iter(table.primary_key)).name
    pairs = list(columns)
    if not pairs or pairs[-1][0] != key:
        pairs.append((key, pairs[-1][1] if pairs else False))
    return Order(tuple((table.c[name], desc) for name, desc in pairs))


async def connection_of(
    info: Info[Context, None],
    table: sa.Table,
    build: Callable[[Any], Any],
    *,
    where: Sequence[sa.ColumnElement[bool]] = (),
    order: Sequence[tuple[str, bool]] = (),
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    """A page of ``table``'s rows (``where`` applied, ordered) as a connection of ``build(row)``."""
    args = page_args(info, first, after, last, before)
    return await root_page(info.context, table, list(where), order_of(table, order), args, build)


async def nested_connection_of(
    info: Info[Context, None],
    parent_key: Any,
    table: sa.Table,
    build: Callable[[Any], Any],
    *,
    name: str,
    parent_column: str,
    link: sa.Table | None = None,
    link_child: str = "",
    where: Sequence[sa.ColumnElement[bool]] = (),
    order: Sequence[tuple[str, bool]] = (),
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    """The page of ``table``'s rows belonging to one parent, batched with every other parent.

    Every call made for the same ``name`` while one query resolves is answered by ONE statement
    for the pages (and one for ``totalCount``, only if selected), however many parents the query
    lists: the core's own DataLoaders (``loaders.pages``/``counts`` over a ``Relation``) do it.

    - ``parent_column``: the column holding the parent's key, on ``link`` if given (many-to-many:
      ``link_child`` is the link's column pointing at ``table``'s key), else on ``table``.
    - ``where`` narrows the rows besides the parent (e.g. "published only"). Calls sharing a
      ``name`` share one statement and its ``where``, so give each variant its own name
      (``"podcast.hub.episodes.public"`` vs ``".team"``).
    - ``order``: (column, descending) pairs on ``table``; its key breaks ties.
    """
    if link is not None and not link_child:
        raise ValueError("nested_connection_of: a link table needs link_child")
    relation = Relation(
        name=f"plugin:{name}", child=table, parent_key=parent_column,
        order=tuple((c.name, desc) for c, desc in order_of(table, order).columns),
        link=link, link_child=link_child, where=tuple(where),
    )
    ctx = info.context
    args = page_args(info, first, after, last, before)
    page = await pages(ctx, relation, args).load(parent_key)
    return connection(page, relation.ordering, build,
                      lambda: counts(ctx, relation).load(parent_key))
