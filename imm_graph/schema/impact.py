"""``impact`` in GraphQL: the service's figures (`imm_graph.services.impact`) for any slice."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import Info
from strawberry.types.nodes import SelectedField, Selection

from imm_graph.ids import decode_pk
from imm_graph.schema.context import Context
from imm_graph.schema.enums import Measure
from imm_graph.schema.types import Attendance
from imm_graph.services import impact as service


@strawberry.input(
    description="Which slice of IMM's work to count. All given conditions apply. Session figures "
    "follow the hub or project a session belongs to; participant figures follow enrolments; "
    "`cohort` matches the hubs/projects serving it for sessions, and participants' own cohorts "
    "for people and outcomes. Training figures honour only `programme` and the dates."
)
class ImpactFilter:
    programme: strawberry.ID | None = None
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None
    cohort: str | None = None
    area: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def plain(self) -> service.ImpactFilter:
        return service.ImpactFilter(
            programme_id=self.programme and decode_pk(self.programme, "Programme",
                                                      "filter.programme"),
            hub_id=self.hub and decode_pk(self.hub, "Hub", "filter.hub"),
            project_id=self.project and decode_pk(self.project, "Project", "filter.project"),
            cohort=self.cohort, area=self.area, date_from=self.date_from, date_to=self.date_to,
        )


@strawberry.type(description="Pre→post change on one outcome measure.")
class OutcomeChange:
    measure: Measure
    pairs: int = strawberry.field(description="Participants with both a pre and a post score.")
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None = strawberry.field(description="Mean of (post − pre), score scale.")
    meaningful_change: float = strawberry.field(
        description="The change that counts as significant for one person on this measure."
    )
    improved_share: float | None = strawberry.field(
        description="Share of pairs that improved at all (direction-aware: lower UCLA is better)."
    )
    significantly_improved_share: float | None = strawberry.field(
        description="Share of pairs that improved by at least the meaningful change."
    )


@strawberry.type(description="What IMM's work added up to, for the slice asked for.")
class Impact:
    people_engaged: int = strawberry.field(
        description="Distinct participants enrolled in the slice's hubs and projects. People "
        "count here once enrolled (enrolParticipant); a participant with assessments but no "
        "enrolment counts in outcomes only."
    )
    sessions_delivered: int
    hubs_with_sessions: int
    attendance: Attendance = strawberry.field(
        description="Attendances summed over the sessions (one person at ten sessions counts ten)."
    )
    staff_trained: int = strawberry.field(description="Trainees across training deliveries.")
    training_deliveries: int
    outcomes: list[OutcomeChange]


def _graphql(figures: service.Impact) -> Impact:
    a = figures.attendance
    return Impact(
        people_engaged=figures.people_engaged,
        sessions_delivered=figures.sessions_delivered,
        hubs_with_sessions=figures.hubs_with_sessions,
        attendance=Attendance(
            children_young_people=a.children_young_people, older_people=a.older_people,
            staff=a.staff, volunteers=a.volunteers, families=a.families,
        ),
        staff_trained=figures.staff_trained,
        training_deliveries=figures.training_deliveries,
        outcomes=[
            OutcomeChange(
                measure=o.measure, pairs=o.pairs, mean_pre=o.mean_pre, mean_post=o.mean_post,
                mean_change=o.mean_change, meaningful_change=o.meaningful_change,
                improved_share=o.improved_share,
                significantly_improved_share=o.significantly_improved_share,
            )
            for o in figures.outcomes
        ],
    )


# Which part of the service's figures each field of `Impact` needs.
PART_OF = {
    "peopleEngaged": service.PEOPLE,
    "sessionsDelivered": service.SESSIONS,
    "hubsWithSessions": service.SESSIONS,
    "attendance": service.SESSIONS,
    "staffTrained": service.TRAINING,
    "trainingDeliveries": service.TRAINING,
    "outcomes": service.OUTCOMES,
}


def requested_parts(info: Info[Context, None]) -> frozenset[str]:
    """The parts the query selects, through fragments too: only those are computed."""
    names: set[str] = set()

    def visit(selections: list[Selection]) -> None:
        for selection in selections:
            if isinstance(selection, SelectedField):
                names.add(selection.name)
            else:
                visit(selection.selections)

    for selected in info.selected_fields:
        visit(selected.selections)
    return frozenset(PART_OF[name] for name in names if name in PART_OF)


async def compute_impact(info: Info[Context, None], f: ImpactFilter) -> Impact:
    ctx = info.context
    return _graphql(await service.impact(ctx.fetch, f.plain(), requested_parts(info)))
