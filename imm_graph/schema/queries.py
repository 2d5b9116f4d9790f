"""The root Query: node lookup and a filtered, ordered connection for every core type."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph.auth import ADMIN, READ_CORE, READ_IMPACT
from imm_graph.errors import ValidationError
from imm_graph.schema import audit as a
from imm_graph.schema import filters as f
from imm_graph.schema import relations as r
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.ids import decode_id
from imm_graph.schema.impact import Impact, ImpactFilter, compute_impact
from imm_graph.schema.loaders import by_key, root_page
from imm_graph.schema.pagination import Connection, Order
from imm_graph.schema.permissions import check_node_type, requires
from imm_graph.schema.types import After, Before, First, Last


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


def _check_type(info: Info[Context, None], id: str) -> None:
    """The id names the type: its scope applies, before anything is loaded."""
    try:
        type_name, _ = decode_id(id)
    except ValueError:
        return
    if type_name in t.NODE_TYPES:
        check_node_type(info, type_name)


async def _node(info: Info[Context, None], id: str) -> t.Node | None:
    try:
        type_name, key = decode_id(id)
    except ValueError:
        return None
    found = t.NODE_TYPES.get(type_name)
    if found is None:
        return None
    check_node_type(info, type_name)
    table, cls = found
    column = t._PK.get(cls, "id")
    pk: Any = key
    if column == "id":
        if not key.isdigit():
            return None
        pk = int(key)
    row = await by_key(info.context, table, column).load(pk)
    return None if row is None else t.build(cls, row)


@strawberry.type
class Query:
    @strawberry.field(description="Fetch any object by its global ID.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> t.Node | None:
        return await _node(info, id)

    @strawberry.field(description="Fetch several objects by global ID, in the order asked.")
    async def nodes(
        self, info: Info[Context, None], ids: list[strawberry.ID]
    ) -> list[t.Node | None]:
        limit = info.context.settings.max_page_size
        if len(ids) > limit:
            raise ValidationError.single("ids", "too_many", f"at most {limit} ids at once")
        for i in ids:  # all checked first: a refusal must not leave other loads running
            _check_type(info, i)
        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

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
        return await compute_impact(info.context, filter or ImpactFilter())

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
