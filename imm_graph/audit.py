"""The audit log: every change and every read of personal data, by whom, when, on which objects.

Rows hold ids and field names only, never values, so the log can be shown to IMM's admins
(GraphQL ``auditLog``, `imm-graph audit list`) without becoming a second copy of the data.

- Mutations record inside their own transaction: the change and its audit row land together
  or not at all (`record`).
- Reads of personal fields are batched per request tick (`audited_read`): the resolvers of one
  page of participants share one INSERT, and a value is returned only after its audit row is
  committed, so a failing audit log fails the read rather than letting it go unrecorded.

Plug-ins call `record` from their mutations and `audited_read` from their personal fields.
"""

from __future__ import annotations

import getpass
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from imm_graph.auth import Principal, principal_of
from imm_graph.models import AuditEntry

READ_PERSONAL_ACTION = "read:personal"


def request_id_of(ctx: Any) -> str | None:
    request = getattr(ctx, "request", None)
    state = getattr(request, "state", None)
    return getattr(state, "request_id", None) if state is not None else None


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


async def record(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_ids: Iterable[Any],
    principal: Principal | None = None,
    actor: str | None = None,
    request_id: str | None = None,
    fields: Sequence[str] = (),
) -> AuditEntry:
    """Add one audit row to the caller's transaction."""
    entry = AuditEntry(
        api_key_id=principal.api_key_pk if principal else None,
        actor=actor or (principal.label if principal else cli_actor()),
        action=action, object_type=object_type,
        object_ids=[str(i) for i in object_ids], fields=list(fields), request_id=request_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_mutation(
    session: AsyncSession, ctx: Any, action: str, object_type: str, object_ids: Iterable[Any]
) -> AuditEntry:
    """For GraphQL mutations: who comes from the request's context."""
    return await record(
        session, action=action, object_type=object_type, object_ids=object_ids,
        principal=principal_of(ctx), request_id=request_id_of(ctx),
    )


async def audited_read(ctx: Any, object_type: str, pk: Any, field: str) -> None:
    """Wait until this read of ``object_type`` ``pk``'s personal ``field`` is in the log."""

    async def write(keys: Sequence[tuple[str, Any, str]]) -> list[None]:
        by_type: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        for type_name, key, name in keys:
            by_type[type_name][0].add(str(key))
            by_type[type_name][1].add(name)
        principal = principal_of(ctx)
        async with ctx.db.transaction() as session:
            for type_name, (ids, names) in sorted(by_type.items()):
                await record(
                    session, action=READ_PERSONAL_ACTION, object_type=type_name,
                    object_ids=sorted(ids, key=_natural), fields=sorted(names),
                    principal=principal, request_id=request_id_of(ctx),
                )
        return [None] * len(keys)

    loader = ctx.loader(("audit", READ_PERSONAL_ACTION), lambda: DataLoader(load_fn=write))
    await loader.load((object_type, pk, field))


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


async def recent(
    session: AsyncSession, *, limit: int = 50, action: str | None = None,
    object_type: str | None = None,
) -> list[AuditEntry]:
    """The latest entries first, for `imm-graph audit list`."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    return list(await session.scalars(query.limit(limit)))
