"""Impact figures, computed by SQL aggregation over the records for any slice of the work.

Nothing here is typed in: funders and commissioners get numbers they can trace to sessions,
enrolments and assessments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import strawberry

from imm_graph import models as m
from imm_graph.reference import Measure as MeasureCode
from imm_graph.reference import Timepoint
from imm_graph.schema import relations as r
from imm_graph.schema.context import Context
from imm_graph.schema.enums import Measure
from imm_graph.schema.filters import contains
from imm_graph.schema.ids import decode_pk
from imm_graph.schema.types import Attendance
from imm_graph.scoring import MEASURES

# Tolerance for float rounding when comparing a change with the meaningful-change threshold.
_EPSILON = 1e-9


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
        description="Distinct participants enrolled in the slice's hubs and projects."
    )
    sessions_delivered: int
    hubs_with_sessions: int
    attendance: Attendance = strawberry.field(
        description="Attendances summed over the sessions (one person at ten sessions counts ten)."
    )
    staff_trained: int = strawberry.field(description="Trainees across training deliveries.")
    training_deliveries: int
    outcomes: list[OutcomeChange]


class _Scope:
    """The filter, decoded, as SQL conditions on a hub id, project id and programme."""

    def __init__(self, f: ImpactFilter) -> None:
        self.f = f
        self.programme = f.programme and decode_pk(f.programme, "Programme", "filter.programme")
        self.hub = f.hub and decode_pk(f.hub, "Hub", "filter.hub")
        self.project = f.project and decode_pk(f.project, "Project", "filter.project")

    def parent(self, hub_col: Any, project_col: Any) -> list[sa.ColumnElement[bool]]:
        """Conditions on rows that belong to a hub or a project (sessions, enrolments …)."""
        out: list[sa.ColumnElement[bool]] = []
        if self.hub:
            out.append(hub_col == self.hub)
        if self.project:
            out.append(project_col == self.project)
        hubs, projects = r.hubs, r.projects
        if self.programme:
            out.append(
                sa.or_(
                    hub_col.in_(sa.select(hubs.c.id).where(hubs.c.programme_id == self.programme)),
                    project_col.in_(
                        sa.select(projects.c.id).where(projects.c.programme_id == self.programme)
                    ),
                )
            )
        if self.f.area:
            area = self.f.area
            out.append(
                sa.or_(
                    hub_col.in_(sa.select(hubs.c.id).where(contains(hubs.c.area, area))),
                    project_col.in_(
                        sa.select(projects.c.id).where(contains(projects.c.area, area))
                    ),
                )
            )
        return out

    def serving_cohort(self, hub_col: Any, project_col: Any) -> list[sa.ColumnElement[bool]]:
        if not self.f.cohort:
            return []
        hc, pc = m.hub_cohorts, m.project_cohorts
        return [
            sa.or_(
                hub_col.in_(sa.select(hc.c.hub_id).where(hc.c.cohort_code == self.f.cohort)),
                project_col.in_(
                    sa.select(pc.c.project_id).where(pc.c.cohort_code == self.f.cohort)
                ),
            )
        ]

    def participant_in_cohort(self, participant_col: Any) -> list[sa.ColumnElement[bool]]:
        if not self.f.cohort:
            return []
        pc = m.participant_cohorts
        return [
            participant_col.in_(
                sa.select(pc.c.participant_id).where(pc.c.cohort_code == self.f.cohort)
            )
        ]

    def dates(self, column: Any) -> list[sa.ColumnElement[bool]]:
        out = []
        if self.f.date_from:
            out.append(column >= self.f.date_from)
        if self.f.date_to:
            out.append(column <= self.f.date_to)
        return out


async def compute_impact(ctx: Context, f: ImpactFilter) -> Impact:
    scope = _Scope(f)
    s, e, a, tr = r.sessions, r.enrolments, r.assessments, r.trainings

    session_where = [
        *scope.parent(s.c.hub_id, s.c.project_id),
        *scope.serving_cohort(s.c.hub_id, s.c.project_id),
        *scope.dates(s.c.session_date),
    ]
    totals = (
        await ctx.fetch(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(s.c.hub_id)),
                *(sa.func.coalesce(sa.func.sum(s.c[c]), 0) for c in m.ATTENDANCE_COLUMNS),
            ).where(*session_where)
        )
    )[0]

    enrolment_where = [
        *scope.parent(e.c.hub_id, e.c.project_id),
        *scope.participant_in_cohort(e.c.participant_id),
    ]
    if f.date_to:
        enrolment_where.append(e.c.enrolled_on <= f.date_to)
    if f.date_from:
        enrolment_where.append(sa.or_(e.c.left_on.is_(None), e.c.left_on >= f.date_from))
    people = (
        await ctx.fetch(
            sa.select(sa.func.count(sa.distinct(e.c.participant_id))).where(*enrolment_where)
        )
    )[0][0]

    training_where = scope.dates(tr.c.delivered_on)
    if scope.programme:
        training_where.append(tr.c.programme_id == scope.programme)
    trained = (
        await ctx.fetch(
            sa.select(sa.func.coalesce(sa.func.sum(tr.c.trainees), 0), sa.func.count()).where(
                *training_where
            )
        )
    )[0]

    assessment_where = [
        *scope.parent(a.c.hub_id, a.c.project_id),
        *scope.participant_in_cohort(a.c.participant_id),
        *scope.dates(a.c.assessed_on),
    ]
    outcomes = await _outcomes(ctx, assessment_where)

    return Impact(
        people_engaged=int(people),
        sessions_delivered=int(totals[0]),
        hubs_with_sessions=int(totals[1]),
        attendance=Attendance(
            **{c: int(v) for c, v in zip(m.ATTENDANCE_COLUMNS, totals[2:], strict=True)}
        ),
        staff_trained=int(trained[0]),
        training_deliveries=int(trained[1]),
        outcomes=outcomes,
    )


async def _outcomes(ctx: Context, where: list[sa.ColumnElement[bool]]) -> list[OutcomeChange]:
    """Pair each participant's first pre score with their last post score, per measure."""
    a = r.assessments

    def ranked(timepoint: Timepoint, latest: bool) -> Any:
        order = (a.c.assessed_on.desc(), a.c.id.desc()) if latest else (a.c.assessed_on, a.c.id)
        rank = sa.func.row_number().over(
            partition_by=(a.c.participant_id, a.c.measure), order_by=order
        )
        return (
            sa.select(a.c.participant_id, a.c.measure, a.c.score, rank.label("rank_"))
            .where(a.c.timepoint == timepoint.value, *where)
            .subquery()
        )

    pre, post = ranked(Timepoint.PRE, False), ranked(Timepoint.POST, True)
    change = post.c.score - pre.c.score
    direction = sa.case(
        {code.value: (1 if spec.higher_is_better else -1) for code, spec in MEASURES.items()},
        value=pre.c.measure,
        else_=1,
    )
    threshold = sa.case(
        {code.value: spec.meaningful_change for code, spec in MEASURES.items()},
        value=pre.c.measure,
        else_=0,
    )
    query = (
        sa.select(
            pre.c.measure,
            sa.func.count(),
            sa.func.avg(pre.c.score),
            sa.func.avg(post.c.score),
            sa.func.avg(change),
            sa.func.sum(sa.case((change * direction > _EPSILON, 1), else_=0)),
            sa.func.sum(sa.case((change * direction >= threshold - _EPSILON, 1), else_=0)),
        )
        .select_from(
            pre.join(
                post,
                sa.and_(
                    pre.c.participant_id == post.c.participant_id,
                    pre.c.measure == post.c.measure,
                ),
            )
        )
        .where(pre.c.rank_ == 1, post.c.rank_ == 1)
        .group_by(pre.c.measure)
        .order_by(pre.c.measure)
    )
    out = []
    for measure, pairs, mean_pre, mean_post, mean_change, improved, significant in await ctx.fetch(
        query
    ):
        code = MeasureCode(measure)
        out.append(
            OutcomeChange(
                measure=code,
                pairs=int(pairs),
                mean_pre=_round(mean_pre),
                mean_post=_round(mean_post),
                mean_change=_round(mean_change),
                meaningful_change=MEASURES[code].meaningful_change,
                improved_share=_round(int(improved) / pairs) if pairs else None,
                significantly_improved_share=_round(int(significant) / pairs) if pairs else None,
            )
        )
    return out


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)
