"""Identifiable participant fields: scoped, audited, and decrypted only when asked for.

Ordinary participant reads select the pseudonymous columns only (see `relations.participants`),
so names and NHS numbers are never decrypted for a query that does not ask for them. A personal
field resolves in three steps: the ``read:personal`` permission, then the audit row (batched:
one INSERT for every personal field of the page), then the value from a per-request loader
that reads the encrypted columns of all the participants asked for in one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info
from strawberry.dataloader import DataLoader

from imm_graph import models as m
from imm_graph.schema.context import Context
from imm_graph.schema.permissions import requires
from imm_graph.security.audit import READ_PERSONAL_ACTION, record
from imm_graph.security.scopes import READ_PERSONAL

_columns = m.Participant.__table__.c
# The personal columns only; the column types decrypt the encrypted ones as rows are read.
identities = sa.table(
    "participants", sa.column("id", _columns.id.type),
    *(sa.column(name, _columns[name].type) for name in (*m.PERSONAL_FIELDS,
                                                         *m.DEMOGRAPHIC_FIELDS)),
)


async def audited_read(ctx: Context, object_type: str, pk: Any, field: str) -> None:
    """Wait until this read of ``object_type`` ``pk``'s personal ``field`` is in the log.

    Batched per request tick: the resolvers of one page of participants share one INSERT, and a
    value is returned only after its audit row is committed, so a failing audit log fails the
    read rather than letting it go unrecorded.
    """

    async def write(keys: Sequence[tuple[str, Any, str]]) -> list[None]:
        by_type: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        for type_name, key, name in keys:
            by_type[type_name][0].add(str(key))
            by_type[type_name][1].add(name)
        async with ctx.db.transaction(actor=ctx.actor) as session:
            for type_name, (ids, names) in sorted(by_type.items()):
                await record(
                    session, action=READ_PERSONAL_ACTION, object_type=type_name,
                    object_ids=sorted(ids, key=_natural), fields=sorted(names),
                )
        return [None] * len(keys)

    loader = ctx.loader(("audit", READ_PERSONAL_ACTION), lambda: DataLoader(load_fn=write))
    await loader.load((object_type, pk, field))


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


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


def personal_field(column: str, description: str, returns: Any = str) -> Any:
    """A Participant field holding personal data (needs read:personal; every read audited).

    ``returns`` is the GraphQL type of the value (text by default; a date, a coded enum).
    """

    async def resolve(root: Any, info: Info[Context, None]) -> Any:
        return await personal_value(info, root.pk, column)

    resolve.__name__ = column
    resolve.__annotations__ = {"root": Any, "info": Info[Context, None], "return": returns | None}
    return strawberry.field(
        resolver=resolve,
        description=description + " Personal data: needs read:personal; every read is audited.",
        extensions=requires(READ_PERSONAL),
    )
