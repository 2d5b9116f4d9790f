"""Impact figures, computed by SQL aggregation over the records for any slice of the work.

Nothing here is typed in: funders and commissioners get numbers they can trace to sessions,
enrolments and assessments. A plain service (a filter of ids and dates in, dataclasses out), so
GraphQL, the reporting plug-in and the command line compute the same figures; whether an
outcome pair improved, and meaningfully, is decided by the scoring module's one rule
(`imm_graph.scoring.change`), never re-implemented here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.reference import Measure, Timepoint
from imm_graph.scoring import MEASURES, change

# Runs one statement and returns its rows: the request's read connection in GraphQL, a
# session elsewhere (see `session_fetch`).
Fetch = Callable[[sa.Executable], Awaitable[list[Any]]]

sessions = m.Session.__table__
enrolments = m.Enrolment.__table__
assessments = m.OutcomeAssessment.__table__
trainings = m.TrainingDelivery.__table__
hubs = m.Hub.__table__
projects = m.Project.__table__


@dataclass(frozen=True)
class ImpactFilter:
    """Which slice of IMM's work to count; every condition given applies.

    Session figures follow the hub or project a session belongs to; participant figures follow
    enrolments; ``cohort`` matches the hubs and projects serving it for sessions, and
    participants' own cohorts for people and outcomes. Training honours only the programme and
    the dates. Dates are inclusive local dates.
    """

    programme_id: int | None = None
    hub_id: int | None = None
    project_id: int | None = None
    cohort: str | None = None
    area: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    # Any of these hubs (a commissioner's area); projects' rows do not match.
    hub_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Attendance:
    children_young_people: int = 0
    older_people: int = 0
    staff: int = 0
    volunteers: int = 0
    families: int = 0

    @property
    def total(self) -> int:
        return (
            self.children_young_people + self.older_people + self.staff + self.volunteers
            + self.families
        )


@dataclass(frozen=True)
class OutcomeChange:
    measure: Measure
    pairs: int  # participants with both a pre and a post score
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None  # mean of (post - pre), on the score's scale
    meaningful_change: float
    improved: int  # pairs that improved at all (direction-aware)
    significantly_improved: int  # pairs that improved by at least the meaningful change

    @property
    def improved_share(self) -> float | None:
        return round(self.improved / self.pairs, 4) if self.pairs else None

    @property
    def significantly_improved_share(self) -> float | None:
        return round(self.significantly_improved / self.pairs, 4) if self.pairs else None


@dataclass(frozen=True)
class Impact:
    people_engaged: int
    sessions_delivered: int
    hubs_with_sessions: int
    attendance: Attendance
    staff_trained: int
    training_deliveries: int
    outcomes: list[OutcomeChange] = field(default_factory=list)


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE wildcards in the text taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


class Slice:
    """The filter as SQL conditions on rows that belong to a hub or a project."""

    def __init__(self, f: ImpactFilter) -> None:
        self.f = f

    def parent(self, hub_col: Any, project_col: Any) -> list[sa.ColumnElement[bool]]:
        f, out = self.f, []
        if f.hub_id:
            out.append(hub_col == f.hub_id)
        if f.hub_ids is not None:
            out.append(hub_col.in_(f.hub_ids))
        if f.project_id:
            out.append(project_col == f.project_id)
        if f.programme_id:
            out.append(sa.or_(
                hub_col.in_(sa.select(hubs.c.id).where(hubs.c.programme_id == f.programme_id)),
                project_col.in_(
                    sa.select(projects.c.id).where(projects.c.programme_id == f.programme_id)
                ),
            ))
        if f.area:
            out.append(sa.or_(
                hub_col.in_(sa.select(hubs.c.id).where(contains(hubs.c.area, f.area))),
                project_col.in_(sa.select(projects.c.id).where(contains(projects.c.area, f.area))),
            ))
        return out

    def serving_cohort(self, hub_col: Any, project_col: Any) -> list[sa.ColumnElement[bool]]:
        if not self.f.cohort:
            return []
        hc, pc = m.hub_cohorts, m.project_cohorts
        return [sa.or_(
            hub_col.in_(sa.select(hc.c.hub_id).where(hc.c.cohort_code == self.f.cohort)),
            project_col.in_(sa.select(pc.c.project_id).where(pc.c.cohort_code == self.f.cohort)),
        )]

    def participant_in_cohort(self, participant_col: Any) -> list[sa.ColumnElement[bool]]:
        if not self.f.cohort:
            return []
        pc = m.participant_cohorts
        return [participant_col.in_(
            sa.select(pc.c.participant_id).where(pc.c.cohort_code == self.f.cohort)
        )]

    def dates(self, column: Any) -> list[sa.ColumnElement[bool]]:
        out = []
        if self.f.date_from:
            out.append(column >= self.f.date_from)
        if self.f.date_to:
            out.append(column <= self.f.date_to)
        return out

    def sessions(self) -> list[sa.ColumnElement[bool]]:
        s = sessions
        return [
            *self.parent(s.c.hub_id, s.c.project_id),
            *self.serving_cohort(s.c.hub_id, s.c.project_id),
            *self.dates(s.c.session_date),
        ]

    def enrolments(self) -> list[sa.ColumnElement[bool]]:
        e = enrolments
        out = [*self.parent(e.c.hub_id, e.c.project_id),
               *self.participant_in_cohort(e.c.participant_id)]
        if self.f.date_to:
            out.append(e.c.enrolled_on <= self.f.date_to)
        if self.f.date_from:
            out.append(sa.or_(e.c.left_on.is_(None), e.c.left_on >= self.f.date_from))
        return out

    def assessments(self) -> list[sa.ColumnElement[bool]]:
        a = assessments
        return [
            *self.parent(a.c.hub_id, a.c.project_id),
            *self.participant_in_cohort(a.c.participant_id),
            *self.dates(a.c.assessed_on),
        ]


# The parts of the figures, each computed only when asked for (GraphQL asks for what the query
# selects): a funder's dashboard wanting three numbers should not pay for the outcome pairs.
SESSIONS, PEOPLE, TRAINING, OUTCOMES = "sessions", "people", "training", "outcomes"
ALL_PARTS = frozenset({SESSIONS, PEOPLE, TRAINING, OUTCOMES})


def totals_query(f: ImpactFilter, parts: frozenset[str]) -> sa.Select[Any] | None:
    """The counts and sums of the requested parts in one statement: one single-row derived
    table per part, side by side (None when no part needs one)."""
    where = Slice(f)
    s, e, tr = sessions, enrolments, trainings
    tables = []
    if SESSIONS in parts:
        tables.append(sa.select(
            sa.func.count().label("sessions_delivered"),
            sa.func.count(sa.distinct(s.c.hub_id)).label("hubs_with_sessions"),
            *(sa.func.coalesce(sa.func.sum(s.c[c]), 0).label(c) for c in m.ATTENDANCE_COLUMNS),
        ).where(*where.sessions()).subquery("session_totals"))
    if PEOPLE in parts:
        tables.append(sa.select(
            sa.func.count(sa.distinct(e.c.participant_id)).label("people_engaged")
        ).where(*where.enrolments()).subquery("people"))
    if TRAINING in parts:
        training_where = where.dates(tr.c.delivered_on)
        if f.programme_id:
            training_where.append(tr.c.programme_id == f.programme_id)
        tables.append(sa.select(
            sa.func.coalesce(sa.func.sum(tr.c.trainees), 0).label("staff_trained"),
            sa.func.count().label("training_deliveries"),
        ).where(*training_where).subquery("training"))
    if not tables:
        return None
    joined: Any = tables[0]
    for table in tables[1:]:
        joined = joined.join(table, sa.true())  # one row each: side by side
    return sa.select(*(c for t in tables for c in t.c)).select_from(joined)


async def impact(fetch: Fetch, f: ImpactFilter, parts: frozenset[str] = ALL_PARTS) -> Impact:
    """The figures for the slice ``f``; parts left out of ``parts`` read as zero (and empty
    outcomes) without being computed."""
    query = totals_query(f, parts)
    row = (await fetch(query))[0]._mapping if query is not None else {}
    figures = {name: int(value) for name, value in row.items()}
    return Impact(
        people_engaged=figures.get("people_engaged", 0),
        sessions_delivered=figures.get("sessions_delivered", 0),
        hubs_with_sessions=figures.get("hubs_with_sessions", 0),
        attendance=Attendance(**{c: figures.get(c, 0) for c in m.ATTENDANCE_COLUMNS}),
        staff_trained=figures.get("staff_trained", 0),
        training_deliveries=figures.get("training_deliveries", 0),
        outcomes=(
            await outcomes(fetch, Slice(f).assessments()) if OUTCOMES in parts else []
        ),
    )


def pairs_query(where: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """Each participant's first pre score and last post score, per measure (one row a pair)."""
    a = assessments

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
    return (
        sa.select(pre.c.participant_id, pre.c.measure, pre.c.score, post.c.score)
        .select_from(pre.join(post, sa.and_(
            pre.c.participant_id == post.c.participant_id, pre.c.measure == post.c.measure,
        )))
        .where(pre.c.rank_ == 1, post.c.rank_ == 1)
    )


async def outcomes(fetch: Fetch, where: list[sa.ColumnElement[bool]]) -> list[OutcomeChange]:
    """Pre→post change per measure; each pair judged by `imm_graph.scoring.change`."""
    by_measure: dict[Measure, list[tuple[float, float]]] = defaultdict(list)
    for _participant, measure, pre, post in await fetch(pairs_query(where)):
        by_measure[Measure(measure)].append((float(pre), float(post)))
    out = []
    for measure in sorted(by_measure, key=lambda x: x.value):
        pairs = by_measure[measure]
        changes = [change(measure, pre, post) for pre, post in pairs]
        n = len(pairs)
        out.append(OutcomeChange(
            measure=measure,
            pairs=n,
            mean_pre=_mean(pre for pre, _ in pairs),
            mean_post=_mean(post for _, post in pairs),
            mean_change=_mean(post - pre for pre, post in pairs),
            meaningful_change=MEASURES[measure].meaningful_change,
            improved=sum(c.improved for c in changes),
            significantly_improved=sum(c.significant for c in changes),
        ))
    return out


def _mean(values: Any) -> float | None:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else None
