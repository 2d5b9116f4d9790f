"""The root Query: node lookup and a filtered, ordered connection for every core type."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph.schema import filters as f
from imm_graph.schema import relations as r
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.ids import decode_id
from imm_graph.schema.impact import Impact, ImpactFilter, compute_impact
from imm_graph.schema.loaders import by_key
from imm_graph.schema.pagination import Connection, Order, page_from_rows, page_query
from imm_graph.schema.types import After, Before, First, Last

N = TypeVar("N")


async def root_connection(
    info: Info[Context, None], table: sa.Table, cls: type[N], where: list[Any], order: Order,
    first: int | None, after: str | None, last: int | None, before: str | None,
) -> Connection[N]:
    ctx = info.context
    args = t.page_args(info, first, after, last, before)
    base = sa.select(table).where(*where)
    rows = await ctx.fetch(page_query(base, order, args))

    async def count() -> int:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await ctx.fetch(query))[0][0])

    from imm_graph.schema.pagination import connection

    return connection(page_from_rows(rows, args), order, lambda row: t.build(cls, row), count)


async def _node(info: Info[Context, None], id: str) -> t.Node | None:
    try:
        type_name, key = decode_id(id)
    except ValueError:
        return None
    found = t.NODE_TYPES.get(type_name)
    if found is None:
        return None
    table, cls = found
    column = t._PK.get(cls, "id")
    if column == "id":
        if not key.isdigit():
            return None
        key = int(key)  # type: ignore[assignment]
    row = await by_key(info.context, table, column).load(key)
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
        if len(ids) > info.context.settings.max_page_size:
            from imm_graph.errors import ValidationError

            raise ValidationError.single(
                "ids", "too_many", f"at most {info.context.settings.max_page_size} ids at once"
            )
        import asyncio

        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

    @strawberry.field(description="Partner organisations.")
    async def organisations(
        self, info: Info[Context, None], filter: f.OrganisationFilter | None = None,
        order_by: f.OrganisationOrder | None = None, first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.Organisation]:
        order = f.ordered(
            r.organisations, order_by and order_by.field, order_by and order_by.direction, "name"
        )
        return await root_connection(
            info, r.organisations, t.Organisation, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(description="Intergenerational community hubs.")
    async def hubs(
        self, info: Info[Context, None], filter: f.HubFilter | None = None,
        order_by: f.HubOrder | None = None, first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.Hub]:
        order = f.ordered(r.hubs, order_by and order_by.field, order_by and order_by.direction, "name")
        return await root_connection(
            info, r.hubs, t.Hub, f.all_clauses(filter), order, first, after, last, before
        )

    @strawberry.field(description="IMM programmes.")
    async def programmes(
        self, info: Info[Context, None], filter: f.ProgrammeFilter | None = None,
        first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[t.Programme]:
        order = Order(((r.programmes.c.name, False), (r.programmes.c.id, False)))
        return await root_connection(
            info, r.programmes, t.Programme, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(description="Projects: blocks of sessions delivered in one place.")
    async def projects(
        self, info: Info[Context, None], filter: f.ProjectFilter | None = None,
        order_by: f.ProjectOrder | None = None, first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.Project]:
        order = f.ordered(
            r.projects, order_by and order_by.field,
            order_by.direction if order_by else f.Direction.DESC, "start_date",
        )
        return await root_connection(
            info, r.projects, t.Project, f.all_clauses(filter), order, first, after, last, before
        )

    @strawberry.field(description="Delivered sessions, latest first unless ordered otherwise.")
    async def sessions(
        self, info: Info[Context, None], filter: f.SessionFilter | None = None,
        order_by: f.SessionOrder | None = None, first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.Session]:
        order = f.ordered(
            r.sessions, order_by and order_by.field,
            order_by.direction if order_by else f.Direction.DESC, "session_date",
        )
        return await root_connection(
            info, r.sessions, t.Session, f.all_clauses(filter), order, first, after, last, before
        )

    @strawberry.field(description="People and bodies with a role toward IMM.")
    async def stakeholders(
        self, info: Info[Context, None], filter: f.StakeholderFilter | None = None,
        first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[t.Stakeholder]:
        order = Order(((r.stakeholders.c.name, False), (r.stakeholders.c.id, False)))
        return await root_connection(
            info, r.stakeholders, t.Stakeholder, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(description="The 18 stakeholder kinds.")
    async def stakeholder_kinds(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.StakeholderKind]:
        order = Order(((r.stakeholder_kinds.c.code, False),))
        return await root_connection(
            info, r.stakeholder_kinds, t.StakeholderKind, [], order, first, after, last, before
        )

    @strawberry.field(description="The 15 clinical cohorts.")
    async def clinical_cohorts(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[t.ClinicalCohort]:
        order = Order(((r.cohorts.c.code, False),))
        return await root_connection(
            info, r.cohorts, t.ClinicalCohort, [], order, first, after, last, before
        )

    @strawberry.field(description="Participants (pseudonymous fields only).")
    async def participants(
        self, info: Info[Context, None], filter: f.ParticipantFilter | None = None,
        first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[t.Participant]:
        order = Order(((r.participants.c.ref, False), (r.participants.c.id, False)))
        return await root_connection(
            info, r.participants, t.Participant, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(description="Outcome assessments, oldest first.")
    async def assessments(
        self, info: Info[Context, None], filter: f.AssessmentFilter | None = None,
        first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[t.OutcomeAssessment]:
        order = Order(((r.assessments.c.assessed_on, False), (r.assessments.c.id, False)))
        return await root_connection(
            info, r.assessments, t.OutcomeAssessment, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(description="Training deliveries, latest first.")
    async def trainings(
        self, info: Info[Context, None], filter: f.TrainingFilter | None = None,
        first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[t.TrainingDelivery]:
        order = Order(((r.trainings.c.delivered_on, True), (r.trainings.c.id, True)))
        return await root_connection(
            info, r.trainings, t.TrainingDelivery, f.all_clauses(filter), order,
            first, after, last, before,
        )

    @strawberry.field(
        description="Impact figures computed from the records (never typed in), for any slice."
    )
    async def impact(
        self, info: Info[Context, None],
        filter: Annotated[ImpactFilter | None, strawberry.argument()] = None,
    ) -> Impact:
        return await compute_impact(info.context, filter or ImpactFilter())
