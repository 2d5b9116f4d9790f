"""The root Query: node lookup and a filtered, ordered connection for every core type."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph.errors import ValidationError
from imm_graph.ids import decode_typed, parse_key
from imm_graph.schema import audit as a
from imm_graph.schema import filters as f
from imm_graph.schema import relations as r
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.impact import Impact, ImpactFilter, compute_impact
from imm_graph.schema.loaders import root_page
from imm_graph.schema.nodes import POLICY, NodeEntry, registry_of
from imm_graph.schema.pagination import Connection, Order
from imm_graph.schema.permissions import check_node_type, forbidden, requires
from imm_graph.schema.types import After, Before, First, Last
from imm_graph.security.principal import principal_of
from imm_graph.security.scopes import ADMIN, READ_CORE, READ_IMPACT


@dataclass(frozen=True)
class RootList:
    """A root list: its table and GraphQL type, and how its arguments become SQL.

    The resolvers below and the SQL compiler both read lists through this, so the two read
    paths cannot drift apart.
    """

    table: sa.Table
    cls: type
    default_order: str
    default_desc: bool = False

    def spec(self, filter: Any = None, order_by: Any = None) -> tuple[list[Any], Order]:
        if order_by is not None:
            order = f.ordered(self.table, order_by.field, order_by.direction, self.default_order)
        else:
            direction = f.Direction.DESC if self.default_desc else f.Direction.ASC
            order = f.ordered(self.table, None, direction, self.default_order)
        return f.all_clauses(filter), order


ROOT_LISTS: dict[str, RootList] = {
    "organisations": RootList(r.organisations, t.Organisation, "name"),
    "hubs": RootList(r.hubs, t.Hub, "name"),
    "programmes": RootList(r.programmes, t.Programme, "name"),
    "projects": RootList(r.projects, t.Project, "start_date", default_desc=True),
    "sessions": RootList(r.sessions, t.Session, "session_date", default_desc=True),
    "stakeholders": RootList(r.stakeholders, t.Stakeholder, "name"),
    "stakeholderKinds": RootList(r.stakeholder_kinds, t.StakeholderKind, "code"),
    "clinicalCohorts": RootList(r.cohorts, t.ClinicalCohort, "code"),
    "participants": RootList(r.participants, t.Participant, "ref"),
    "assessments": RootList(r.assessments, t.OutcomeAssessment, "assessed_on"),
    "trainings": RootList(r.trainings, t.TrainingDelivery, "delivered_on", default_desc=True),
}


async def root_connection(
    info: Info[Context, None],
    name: str,
    filter: Any,
    order_by: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    root = ROOT_LISTS[name]
    where, order = root.spec(filter, order_by)
    args = t.page_args(info, first, after, last, before)
    return await root_page(
        info.context, root.table, where, order, args, lambda row: t.build(root.cls, row)
    )


def _lookup(info: Info[Context, None], id: str, field: str) -> tuple[NodeEntry, Any]:
    """The node type and key of a global ID; its type's scope is checked first, so a refused
    lookup loads nothing. A malformed ID is an input error naming the field."""
    type_name, key = decode_typed(id, field)
    entry = registry_of(info.schema).get(type_name)
    if entry is None:
        raise ValidationError.single(
            field, "invalid_id", f"{field} is not the ID of an object of this API"
        )
    if entry.scope == POLICY:
        check_node_type(info, type_name)
    elif entry.scope is not None and not principal_of(info.context).has(entry.scope):
        raise forbidden(entry.scope, [type_name], principal_of(info.context))
    try:
        pk = parse_key(key, entry.key_kind)
    except ValueError:
        raise ValidationError.single(field, "invalid_id", f"{field} is not a valid ID") from None
    return entry, pk


async def _load(info: Info[Context, None], found: tuple[NodeEntry, Any]) -> t.Node | None:
    entry, pk = found
    return await entry.load(info.context, pk)


@strawberry.type
class Query:
    @strawberry.field(description="Fetch any object by its global ID.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> t.Node | None:
        return await _load(info, _lookup(info, id, "id"))

    @strawberry.field(description="Fetch several objects by global ID, in the order asked.")
    async def nodes(
        self, info: Info[Context, None], ids: list[strawberry.ID]
    ) -> list[t.Node | None]:
        limit = info.context.settings.max_page_size
        if len(ids) > limit:
            raise ValidationError.single("ids", "too_many", f"at most {limit} ids at once")
        # All checked first: a refusal must not leave other loads running.
        found = [_lookup(info, value, f"ids[{i}]") for i, value in enumerate(ids)]
        return list(await asyncio.gather(*(_load(info, f) for f in found)))

    @strawberry.field(description="Partner organisations.")
    async def organisations(
        self,
        info: Info[Context, None],
        filter: f.OrganisationFilter | None = None,
        order_by: f.OrganisationOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Organisation]:
        return await root_connection(
            info, "organisations", filter, order_by, first, after, last, before
        )

    @strawberry.field(description="Intergenerational community hubs.")
    async def hubs(
        self,
        info: Info[Context, None],
        filter: f.HubFilter | None = None,
        order_by: f.HubOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Hub]:
        return await root_connection(info, "hubs", filter, order_by, first, after, last, before)

    @strawberry.field(description="IMM programmes.")
    async def programmes(
        self,
        info: Info[Context, None],
        filter: f.ProgrammeFilter | None = None,
        order_by: f.ProgrammeOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Programme]:
        return await root_connection(
            info, "programmes", filter, order_by, first, after, last, before
        )

    @strawberry.field(description="Projects: blocks of sessions delivered in one place.")
    async def projects(
        self,
        info: Info[Context, None],
        filter: f.ProjectFilter | None = None,
        order_by: f.ProjectOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Project]:
        return await root_connection(info, "projects", filter, order_by, first, after, last, before)

    @strawberry.field(description="Delivered sessions, latest first unless ordered otherwise.")
    async def sessions(
        self,
        info: Info[Context, None],
        filter: f.SessionFilter | None = None,
        order_by: f.SessionOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Session]:
        return await root_connection(info, "sessions", filter, order_by, first, after, last, before)

    @strawberry.field(description="People and bodies with a role toward IMM.")
    async def stakeholders(
        self,
        info: Info[Context, None],
        filter: f.StakeholderFilter | None = None,
        order_by: f.StakeholderOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Stakeholder]:
        return await root_connection(
            info, "stakeholders", filter, order_by, first, after, last, before
        )

    @strawberry.field(description="The 18 stakeholder kinds.")
    async def stakeholder_kinds(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.StakeholderKind]:
        return await root_connection(
            info, "stakeholderKinds", None, None, first, after, last, before
        )

    @strawberry.field(description="The 15 clinical cohorts.")
    async def clinical_cohorts(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.ClinicalCohort]:
        return await root_connection(
            info, "clinicalCohorts", None, None, first, after, last, before
        )

    @strawberry.field(
        description="Participants (identifiable fields need read:personal).",
        extensions=requires(READ_CORE),
    )
    async def participants(
        self,
        info: Info[Context, None],
        filter: f.ParticipantFilter | None = None,
        order_by: f.ParticipantOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.Participant]:
        return await root_connection(
            info, "participants", filter, order_by, first, after, last, before
        )

    @strawberry.field(
        description="Outcome assessments, oldest first.", extensions=requires(READ_CORE)
    )
    async def assessments(
        self,
        info: Info[Context, None],
        filter: f.AssessmentFilter | None = None,
        order_by: f.AssessmentOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.OutcomeAssessment]:
        return await root_connection(
            info, "assessments", filter, order_by, first, after, last, before
        )

    @strawberry.field(description="Training deliveries, latest first.")
    async def trainings(
        self,
        info: Info[Context, None],
        filter: f.TrainingFilter | None = None,
        order_by: f.TrainingOrder | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[t.TrainingDelivery]:
        return await root_connection(
            info, "trainings", filter, order_by, first, after, last, before
        )

    @strawberry.field(
        description="Impact figures computed from the records (never typed in), for any slice.",
        extensions=requires(READ_IMPACT),
    )
    async def impact(
        self,
        info: Info[Context, None],
        filter: Annotated[ImpactFilter | None, strawberry.argument()] = None,
    ) -> Impact:
        return await compute_impact(info, filter or ImpactFilter())

    @strawberry.field(
        description="The audit log, latest first: changes and reads of personal data.",
        extensions=requires(ADMIN),
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        filter: a.AuditFilter | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[a.AuditEntry]:
        return await a.audit_log(info, filter, t.page_args(info, first, after, last, before))
