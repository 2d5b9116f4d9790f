"""Helpers that let a plug-in's GraphQL look and behave like the core's.

A plug-in's list is a Relay connection like every core list (cursors carry only the row's key,
pages have a default and a maximum size), built over its own table in one statement per page
plus one for ``totalCount`` when asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from strawberry import Info

from imm_graph.schema.context import Context
from imm_graph.schema.loaders import root_page
from imm_graph.schema.mutations import user_errors
from imm_graph.schema.pagination import Connection, Order
from imm_graph.schema.types import page_args

__all__ = ["connection_of", "page_args", "user_errors"]


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
