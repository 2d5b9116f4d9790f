"""The impact figures (`imm_graph.services.impact`) over a small dataset, worked out by hand.

Each session has its own attendance numbers (1..5, 10, 20 …), so a sum tells which sessions
were counted; rows sit exactly on the date bounds and one day outside; an outcome pair has no
change, one improves by exactly the meaningful change (WHO-5: 10 points; UCLA-3: 1 point down,
lower is better), one by less, one gets worse; a participant has two pre scores (the first
counts) and two post scores (the last counts), whatever the order of their ids. (Two scores
of one measure and timepoint on one day cannot exist: a unique constraint.) In-memory SQLite,
no application database: fast, for mutation testing (scripts/mutation, set ``impact``).
tests/schema/test_impact.py checks the figures through GraphQL on both databases.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.reference import Measure
from imm_graph.services.impact import (
    ALL_PARTS,
    OUTCOMES,
    PEOPLE,
    SESSIONS,
    TRAINING,
    Attendance,
    Impact,
    ImpactFilter,
    OutcomeChange,
    contains,
    impact,
    totals_query,
)
from tests.memory import MemoryDatabase

MEMORY = MemoryDatabase()
ENGINE, insert = MEMORY.engine, MEMORY.insert
D = dt.date


insert(m.Organisation.__table__, [dict(id=1, name="Host", kind="charity")])
insert(m.Programme.__table__, [dict(id=1, code="p1", name="One", arm="community"),
                               dict(id=2, code="p2", name="Two", arm="community")])
insert(m.Hub.__table__, [
    dict(id=1, code="h1", name="H1", venue="V", area="Ealing (W5)", host_organisation_id=1,
         programme_id=1),
    dict(id=2, code="h2", name="H2", venue="V", area="Hounslow", host_organisation_id=1,
         programme_id=2),
    dict(id=3, code="h3", name="H3 Ealing", venue="Ealing", area="Brent",
         host_organisation_id=1, programme_id=None, local_authority="Ealing"),
    dict(id=4, code="h4", name="H4", venue="V", area="Back\\slash", host_organisation_id=1),
])
insert(m.Project.__table__, [
    dict(id=1, code="j1", name="J1", programme_id=2, area="Ealing Broadway", weeks=4,
         start_date=D(2024, 1, 1)),
    dict(id=2, code="j2", name="J2", programme_id=1, area="Hounslow West", weeks=4,
         start_date=D(2024, 1, 1)),
])
insert(m.hub_cohorts, [dict(hub_id=2, cohort_code="dementia"), dict(hub_id=3, cohort_code="sen")])
insert(m.project_cohorts, [dict(project_id=1, cohort_code="dementia")])
ZERO = dict(children_young_people=0, older_people=0, staff=0, volunteers=0, families=0)
insert(m.Session.__table__, [
    dict(id=1, hub_id=1, session_date=D(2024, 1, 10), children_young_people=1, older_people=2,
         staff=3, volunteers=4, families=5),
    dict(ZERO, id=2, hub_id=1, session_date=D(2024, 1, 20), children_young_people=10),
    dict(ZERO, id=3, hub_id=2, session_date=D(2024, 1, 31), older_people=20),
    dict(ZERO, id=4, project_id=1, session_date=D(2024, 2, 1), staff=30),
    dict(ZERO, id=5, project_id=2, session_date=D(2024, 1, 9), volunteers=40),
    dict(ZERO, id=6, hub_id=3, session_date=D(2024, 3, 1), families=50),
])
insert(m.Participant.__table__, [dict(id=i, ref=f"P{i}", generation="adult") for i in range(1, 7)])
insert(m.participant_cohorts, [dict(participant_id=2, cohort_code="dementia"),
                               dict(participant_id=5, cohort_code="dementia"),
                               dict(participant_id=1, cohort_code="sen")])
insert(m.Enrolment.__table__, [
    dict(id=1, participant_id=1, hub_id=1, enrolled_on=D(2024, 1, 1)),
    dict(id=2, participant_id=2, hub_id=2, enrolled_on=D(2024, 1, 15), left_on=D(2024, 1, 31)),
    dict(id=3, participant_id=3, project_id=1, enrolled_on=D(2024, 2, 1)),
    dict(id=4, participant_id=4, project_id=2, enrolled_on=D(2023, 12, 1),
         left_on=D(2024, 1, 9)),
    dict(id=5, participant_id=1, hub_id=2, enrolled_on=D(2024, 1, 5)),
    dict(id=6, participant_id=5, hub_id=3, enrolled_on=D(2024, 3, 2)),
])


def a(id: int, participant: int, measure: str, timepoint: str, day: dt.date, score: float,
      hub: int | None = None, project: int | None = None) -> dict[str, Any]:
    return dict(id=id, participant_id=participant, measure=measure, timepoint=timepoint,
                assessed_on=day, items=[], raw_score=0, score=score, hub_id=hub,
                project_id=project)


insert(m.OutcomeAssessment.__table__, [
    # p1, WHO-5 at hub 1: first pre 40 (not the later 90), last post 50 (not the earlier 100)
    a(1, 1, "who5", "pre", D(2024, 1, 10), 40, hub=1),
    a(2, 1, "who5", "pre", D(2024, 1, 12), 90, hub=1),
    a(3, 1, "who5", "post", D(2024, 2, 1), 50, hub=1),
    a(4, 1, "who5", "post", D(2024, 1, 20), 100, hub=1),
    # p2, WHO-5 at hub 2: no change; a follow-up is neither pre nor post
    a(5, 2, "who5", "pre", D(2024, 1, 10), 60, hub=2),
    a(6, 2, "who5", "post", D(2024, 1, 31), 60, hub=2),
    a(7, 2, "who5", "follow_up", D(2024, 3, 1), 100, hub=2),
    # p3, WHO-5 in project 1: pre 40 (the first; its id is the higher), post 48: +8
    a(9, 3, "who5", "pre", D(2024, 2, 5), 40, project=1),
    a(8, 3, "who5", "pre", D(2024, 2, 6), 20, project=1),
    a(10, 3, "who5", "post", D(2024, 2, 8), 0, project=1),
    a(11, 3, "who5", "post", D(2024, 2, 9), 48, project=1),
    # p4, UCLA-3 in project 2: 6 -> 5, one point down: better by exactly the threshold
    a(12, 4, "ucla3", "pre", D(2024, 1, 9), 6, project=2),
    a(13, 4, "ucla3", "post", D(2024, 1, 15), 5, project=2),
    # p5, UCLA-3 at hub 3: 5 -> 6, worse
    a(14, 5, "ucla3", "pre", D(2024, 3, 3), 5, hub=3),
    a(15, 5, "ucla3", "post", D(2024, 3, 10), 6, hub=3),
    # p6: a pre score and no post: no pair
    a(16, 6, "ucla3", "pre", D(2024, 3, 3), 9, hub=3),
])
insert(m.TrainingDelivery.__table__, [
    dict(id=1, title="T1", programme_id=1, delivered_on=D(2024, 1, 10), trainees=3),
    dict(id=2, title="T2", programme_id=2, delivered_on=D(2024, 1, 31), trainees=4),
    dict(id=3, title="T3", programme_id=None, delivered_on=D(2024, 2, 1), trainees=5),
])


async def fetch(query: sa.Executable) -> list[Any]:
    with ENGINE.connect() as conn:
        return list(conn.execute(query))


def figures(parts: frozenset[str] = ALL_PARTS, **filter: Any) -> Impact:
    return asyncio.run(impact(fetch, ImpactFilter(**filter), parts))


def counts(result: Impact) -> tuple[int, int, tuple[int, ...], int, int, int]:
    att = result.attendance
    return (result.sessions_delivered, result.hubs_with_sessions,
            (att.children_young_people, att.older_people, att.staff, att.volunteers,
             att.families), result.people_engaged, result.staff_trained,
            result.training_deliveries)


WHO5_ALL = OutcomeChange(Measure.WHO5, pairs=3, mean_pre=46.6667, mean_post=52.6667,
                         mean_change=6.0, meaningful_change=10.0, improved=2,
                         significantly_improved=1)
UCLA3_ALL = OutcomeChange(Measure.UCLA3, pairs=2, mean_pre=5.5, mean_post=5.5, mean_change=0.0,
                          meaningful_change=1.0, improved=1, significantly_improved=1)


def test_the_whole_organisation() -> None:
    result = figures()
    assert counts(result) == (6, 3, (11, 22, 33, 44, 55), 5, 12, 3)
    assert result.attendance.total == 165
    assert result.outcomes == [UCLA3_ALL, WHO5_ALL]
    assert (WHO5_ALL.improved_share, WHO5_ALL.significantly_improved_share) == (0.6667, 0.3333)
    assert (UCLA3_ALL.improved_share, UCLA3_ALL.significantly_improved_share) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        # sessions, hubs with sessions, attendance, people, staff trained, deliveries
        (dict(hub_id=1), (2, 1, (11, 2, 3, 4, 5), 1, 12, 3)),
        (dict(hub_id=2), (1, 1, (0, 20, 0, 0, 0), 2, 12, 3)),
        (dict(project_id=1), (1, 0, (0, 0, 30, 0, 0), 1, 12, 3)),
        (dict(project_id=2), (1, 0, (0, 0, 0, 40, 0), 1, 12, 3)),
        # a programme: its hubs' and its projects' sessions; training of that programme only
        (dict(programme_id=1), (3, 1, (11, 2, 3, 44, 5), 2, 3, 1)),
        (dict(programme_id=2), (2, 1, (0, 20, 30, 0, 0), 3, 4, 1)),
        # an area: of the hub or of the project, in part and in any case (not a hub's venue)
        (dict(area="ealing"), (3, 1, (11, 2, 33, 4, 5), 2, 12, 3)),
        (dict(area="HOUNSLOW"), (2, 1, (0, 20, 0, 40, 0), 3, 12, 3)),
        # a cohort: sessions of hubs and projects serving it; people in it themselves
        (dict(cohort="dementia"), (2, 1, (0, 20, 30, 0, 0), 2, 12, 3)),
        (dict(cohort="sen"), (1, 1, (0, 0, 0, 0, 50), 1, 12, 3)),
        # dates, inclusive at both ends; enrolments overlapping the window
        (dict(date_from=D(2024, 1, 10), date_to=D(2024, 1, 31)),
         (3, 2, (11, 22, 3, 4, 5), 2, 7, 2)),
        (dict(date_from=D(2024, 1, 9)), (6, 3, (11, 22, 33, 44, 55), 5, 12, 3)),
        (dict(date_from=D(2024, 1, 10)), (5, 3, (11, 22, 33, 4, 55), 4, 12, 3)),
        (dict(date_to=D(2024, 1, 9)), (1, 0, (0, 0, 0, 40, 0), 2, 0, 0)),
        (dict(date_to=D(2024, 1, 14)), (2, 1, (1, 2, 3, 44, 5), 2, 3, 1)),
        (dict(date_from=D(2024, 2, 1), date_to=D(2024, 2, 1)), (1, 0, (0, 0, 30, 0, 0), 2, 5, 1)),
        # all conditions apply together
        (dict(programme_id=1, date_from=D(2024, 1, 11)), (1, 1, (10, 0, 0, 0, 0), 1, 0, 0)),
    ],
)
def test_each_slice(filter: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert counts(figures(**filter)) == expected


def test_outcomes_follow_the_slice() -> None:
    only = figures(frozenset({OUTCOMES}), hub_id=1).outcomes
    assert only == [OutcomeChange(Measure.WHO5, 1, 40.0, 50.0, 10.0, 10.0, 1, 1)]
    assert figures(frozenset({OUTCOMES}), project_id=2).outcomes == [
        OutcomeChange(Measure.UCLA3, 1, 6.0, 5.0, -1.0, 1.0, 1, 1)]
    # People in the cohort: p2 (no change) and p5 (worse).
    assert figures(frozenset({OUTCOMES}), cohort="dementia").outcomes == [
        OutcomeChange(Measure.UCLA3, 1, 5.0, 6.0, 1.0, 1.0, 0, 0),
        OutcomeChange(Measure.WHO5, 1, 60.0, 60.0, 0.0, 10.0, 0, 0),
    ]
    # Within the dates, p1's first pre is 40 and last post is now 100 (the 50 is later).
    window = figures(frozenset({OUTCOMES}), date_from=D(2024, 1, 10), date_to=D(2024, 1, 31))
    assert window.outcomes == [OutcomeChange(Measure.WHO5, 2, 50.0, 80.0, 30.0, 10.0, 1, 1)]
    assert figures(frozenset({OUTCOMES}), area="brent").outcomes == [
        OutcomeChange(Measure.UCLA3, 1, 5.0, 6.0, 1.0, 1.0, 0, 0)]
    assert figures(frozenset({OUTCOMES}), programme_id=2).outcomes == [
        OutcomeChange(Measure.WHO5, 2, 50.0, 54.0, 4.0, 10.0, 1, 0)]


def test_only_the_parts_asked_for_are_computed() -> None:
    sessions_only = figures(frozenset({SESSIONS}))
    assert counts(sessions_only) == (6, 3, (11, 22, 33, 44, 55), 0, 0, 0)
    assert sessions_only.outcomes == []
    assert counts(figures(frozenset({PEOPLE}))) == (0, 0, (0, 0, 0, 0, 0), 5, 0, 0)
    assert counts(figures(frozenset({TRAINING}))) == (0, 0, (0, 0, 0, 0, 0), 0, 12, 3)
    assert counts(figures(frozenset({PEOPLE, TRAINING}))) == (0, 0, (0, 0, 0, 0, 0), 5, 12, 3)
    assert totals_query(ImpactFilter(), frozenset({OUTCOMES})) is None
    assert {SESSIONS, PEOPLE, TRAINING, OUTCOMES} == ALL_PARTS

    async def never(query: sa.Executable) -> list[Any]:
        raise AssertionError("no statement was needed")

    nothing = asyncio.run(impact(never, ImpactFilter(), frozenset()))
    assert nothing == Impact(0, 0, 0, Attendance(), 0, 0, [])


def test_an_empty_slice_counts_zero_and_has_no_shares() -> None:
    result = figures(hub_id=99)
    assert counts(result) == (0, 0, (0, 0, 0, 0, 0), 0, 12, 3)
    assert result.outcomes == []
    empty = OutcomeChange(Measure.WHO5, 0, None, None, None, 10.0, 0, 0)
    assert (empty.improved_share, empty.significantly_improved_share) == (None, None)


def test_attendance_total_adds_every_group() -> None:
    assert Attendance(1, 20, 300, 4000, 50000).total == 54321
    assert Attendance().total == 0


def test_area_text_is_matched_literally() -> None:
    with ENGINE.connect() as conn:
        hubs = m.Hub.__table__

        def areas(text: str) -> set[int]:
            return set(conn.scalars(sa.select(hubs.c.id).where(contains(hubs.c.area, text))))

        assert areas("(w5)") == {1}
        assert areas("%") == set()
        assert areas("_") == set()
        assert areas("\\") == {4}
        assert areas("k\\s") == {4}
        assert areas("ealing (w_)") == set()
