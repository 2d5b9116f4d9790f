"""The audit log: every change and every read of personal data, by whom, when, on which objects.

Rows hold ids and field names only, never values, so the log can be shown to IMM's admins
(GraphQL ``auditLog``, `imm-graph audit list`) without becoming a second copy of the data.

Who did it is an `Actor`: an API key's holder (``key:<id>``), a partner system a plug-in
authenticated (``social_prescribing:<platform>``), a person at the command line
(``cli:<user>``) or the system itself (``system:<job>``). Whoever opens a write transaction
names the actor (``db.transaction(actor=…)``); the services record the change with it, so a
write from GraphQL, the CLI, the seeder or a plug-in is audited the same way.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.bulk_insert import insert_rows
from imm_graph.models import AuditEntry
from imm_graph.security.principal import Principal

READ_PERSONAL_ACTION = "read:personal"


@dataclass(frozen=True)
class Actor:
    """Who a change or a read is attributed to in the audit log."""

    label: str
    api_key_pk: int | None = None
    request_id: str | None = None

    @classmethod
    def of(cls, principal: Principal, request_id: str | None = None) -> Actor:
        return cls(principal.label, principal.api_key_pk, request_id)

    @classmethod
    def cli(cls) -> Actor:
        try:
            return cls(f"cli:{getpass.getuser()}")
        except Exception:  # no user name in some containers
            return cls("cli")

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(f"system:{what}")


UNATTRIBUTED = Actor.system("unattributed")


def actor_of(session: AsyncSession) -> Actor:
    """The actor the transaction was opened for (see `imm_graph.db.Database.transaction`)."""
    found = session.info.get("actor")
    return found if isinstance(found, Actor) else UNATTRIBUTED


async def record(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_ids: Iterable[Any],
    actor: Actor | None = None,
    fields: Sequence[str] = (),
) -> AuditEntry:
    """Add one audit row to the caller's transaction (the session's actor by default)."""
    who = actor or actor_of(session)
    entry = AuditEntry(
        api_key_id=who.api_key_pk, actor=who.label, action=action, object_type=object_type,
        object_ids=[str(i) for i in object_ids], fields=list(fields), request_id=who.request_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_many(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_ids: Sequence[Any],
    actor: Actor | None = None,
) -> None:
    """`record` for a bulk write: one audit row per object, as one `record` each would add,
    in one INSERT."""
    if not object_ids:
        return
    who = actor or actor_of(session)
    await insert_rows(session, AuditEntry.__table__, [{
        "api_key_id": who.api_key_pk, "actor": who.label, "action": action,
        "object_type": object_type, "object_ids": [str(i)], "fields": [],
        "request_id": who.request_id,
    } for i in object_ids])


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
