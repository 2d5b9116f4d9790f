"""Identifiable participant fields: scoped, audited, and decrypted only when asked for.

Ordinary participant reads select the pseudonymous columns only (see `relations.participants`),
so names and NHS numbers are never decrypted for a query that does not ask for them. A personal
field resolves in three steps: the ``read:personal`` permission, then the audit row (batched:
one INSERT for every personal field of the page), then the value from a per-request loader
that reads the encrypted columns of all the participants asked for in one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info
from strawberry.dataloader import DataLoader

from imm_graph import models as m
from imm_graph.audit import audited_read
from imm_graph.auth import READ_PERSONAL
from imm_graph.schema.context import Context
from imm_graph.schema.permissions import requires

_columns = m.Participant.__table__.c
# The encrypted columns only; the column types decrypt them as rows are read.
identities = sa.table(
    "participants", sa.column("id", _columns.id.type),
    *(sa.column(name, _columns[name].type) for name in m.PERSONAL_FIELDS),
)


def _identities(ctx: Context) -> DataLoader[int, Any]:
    async def load(keys: Sequence[int]) -> list[Any]:
        rows = await ctx.fetch(sa.select(identities).where(identities.c.id.in_(set(keys))))
        found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]

    return ctx.loader(("personal", "participants"), lambda: DataLoader(load_fn=load))


async def personal_value(info: Info[Context, None], pk: int, column: str) -> Any:
    await audited_read(info.context, "Participant", pk, info.field_name)
    row = await _identities(info.context).load(pk)
    return None if row is None else row._mapping[column]


def personal_field(column: str, description: str) -> Any:
    """A Participant field holding identifiable data (needs read:personal; every read audited)."""
    if column == "date_of_birth":

        async def resolve_date(root: Any, info: Info[Context, None]) -> dt.date | None:
            return await personal_value(info, root.pk, column)

        resolver: Any = resolve_date
    else:

        async def resolve_text(root: Any, info: Info[Context, None]) -> str | None:
            return await personal_value(info, root.pk, column)

        resolver = resolve_text
    resolver.__name__ = column
    return strawberry.field(
        resolver=resolver,
        description=description + " Identifiable: needs read:personal; every read is audited.",
        extensions=requires(READ_PERSONAL),
    )
