"""The audit log in GraphQL, for keys with the ``admin`` scope (`Query.auditLog`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph import models as m
from imm_graph.ids import decode_typed, encode_id
from imm_graph.schema.context import Context
from imm_graph.schema.loaders import by_key, root_page
from imm_graph.schema.pagination import (
    Connection,
    Order,
    PageArgs,
)

audit_entries = m.AuditEntry.__table__
api_keys = m.ApiKey.__table__
ORDER = Order(((audit_entries.c.at, True), (audit_entries.c.id, True)))  # latest first


@strawberry.type(description="Who did what to which objects, when. Never personal values.")
class AuditEntry:
    pk: strawberry.Private[int]
    at: dt.datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description='"key:<key id>", "cli:<user>" or "anonymous".')
    action: str = strawberry.field(
        description='A mutation ("createHub"), "read:personal", or a command ("keys.revoke").'
    )
    object_type: str
    fields: list[str] = strawberry.field(
        description="For reads of personal data: the fields read (names only)."
    )
    request_id: str | None = strawberry.field(description="The request's X-Request-ID.")
    object_ids: strawberry.Private[list[str]]
    api_key_id: strawberry.Private[int | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("AuditEntry", self.pk))

    @strawberry.field(name="objectIds", description="Global IDs of the objects concerned.")
    def object_global_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(encode_id(self.object_type, pk)) for pk in self.object_ids]

    @strawberry.field(description="The public id of the API key used, if any.")
    async def key_id(self, info: Info[Context, None]) -> str | None:
        if self.api_key_id is None:
            return None
        row = await by_key(info.context, api_keys).load(self.api_key_id)
        return None if row is None else row.key_id


@strawberry.input
class AuditFilter:
    actions: list[str] | None = None
    object_type: str | None = None
    object: strawberry.ID | None = strawberry.field(
        default=None, description="Entries about this object (any global ID)."
    )
    key_id: str | None = strawberry.field(default=None, description="A public API key id.")
    actor: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = audit_entries
        out: list[sa.ColumnElement[bool]] = []
        if self.actions:
            out.append(t.c.action.in_(self.actions))
        if self.object_type:
            out.append(t.c.object_type == self.object_type)
        if self.object:
            type_name, pk = decode_typed(self.object, "filter.object")
            # object_ids is a JSON list of strings: the quotes make the match exact.
            escaped = pk.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            out += [
                t.c.object_type == type_name,
                sa.cast(t.c.object_ids, sa.Text).like(f'%"{escaped}"%', escape="\\"),
            ]
        if self.key_id:
            out.append(
                t.c.api_key_id.in_(sa.select(api_keys.c.id).where(api_keys.c.key_id == self.key_id))
            )
        if self.actor:
            out.append(t.c.actor == self.actor)
        if self.since:
            out.append(t.c.at >= _utc(self.since))
        if self.until:
            out.append(t.c.at < _utc(self.until))
        return out


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


async def audit_log(
    info: Info[Context, None], filter: AuditFilter | None, args: PageArgs
) -> Connection[AuditEntry]:
    where = [] if filter is None else filter.clauses()

    def build(row: Any) -> AuditEntry:
        values = row._mapping
        return AuditEntry(
            pk=values["id"], at=values["at"], actor=values["actor"], action=values["action"],
            object_type=values["object_type"], fields=list(values["fields"] or ()),
            request_id=values["request_id"], object_ids=list(values["object_ids"] or ()),
            api_key_id=values["api_key_id"],
        )

    return await root_page(info.context, audit_entries, where, ORDER, args, build)
