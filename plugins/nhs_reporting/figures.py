"""The raw figures of a return, section by section, each by grouped SQL aggregation.

Every section reads the core's tables through ``plugin_api.models`` (outcomes through the core's
impact service, whose pairs are judged by the scoring module's thresholds) and yields
:class:`~plugins.nhs_reporting.disclosure.Cell` values that are still raw: disclosure control is
applied when they are published, never here. Referral figures come from whichever plug-in answers
the ``nhs_reporting.referrals`` collect topic (social_prescribing), without importing it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import ImpactFilter, collect, models, services
from plugins.nhs_reporting.disclosure import COUNT, NONE, NOT_PEOPLE, STATISTIC, Cell
from plugins.nhs_reporting.periods import Period

REFERRALS_TOPIC = "nhs_reporting.referrals"
SECTIONS = ("activity", "people", "outcomes", "referrals", "data_quality")
SECTION_TITLES = {"activity": "Activity", "people": "People", "outcomes": "Outcomes",
                  "referrals": "Referrals", "data_quality": "Data quality"}

sessions = models.Session.__table__
attendees = models.SessionAttendee.__table__
enrolments = models.Enrolment.__table__
participants = models.Participant.__table__
hubs = models.Hub.__table__
projects = models.Project.__table__
programmes = models.Programme.__table__
assessments = models.OutcomeAssessment.__table__
cohorts = models.ClinicalCohort.__table__
participant_cohorts = models.participant_cohorts

GENERATIONS = {  # session attendance columns, as counted at every session
    "children_young_people": "Children and young people",
    "older_people": "Older people",
    "staff": "Staff",
    "volunteers": "Volunteers",
    "families": "Families",
}
PERSON_GENERATIONS = {"child": "Child", "young_person": "Young person", "adult": "Adult",
                      "older_person": "Older person"}
SEX = {"1": "Male", "2": "Female", "9": "Indeterminate (unable to be classified)",
       "X": "Not known (not recorded)"}
# NHS Data Dictionary Ethnic Category (2001 census groups).
ETHNICITY = {
    "A": "White - British", "B": "White - Irish", "C": "White - Any other White background",
    "D": "Mixed - White and Black Caribbean", "E": "Mixed - White and Black African",
    "F": "Mixed - White and Asian", "G": "Mixed - Any other mixed background",
    "H": "Asian or Asian British - Indian", "J": "Asian or Asian British - Pakistani",
    "K": "Asian or Asian British - Bangladeshi",
    "L": "Asian or Asian British - Any other Asian background",
    "M": "Black or Black British - Caribbean", "N": "Black or Black British - African",
    "P": "Black or Black British - Any other Black background",
    "R": "Other Ethnic Groups - Chinese", "S": "Other Ethnic Groups - Any other ethnic group",
    "Z": "Not stated", "99": "Not known",
}
MEASURES = {"who5": "WHO-5 Well-Being Index", "ucla3": "UCLA 3-item Loneliness Scale",
            "swemwbs": "Short Warwick-Edinburgh Mental Wellbeing Scale",
            "wemwbs": "Warwick-Edinburgh Mental Wellbeing Scale",
            "hearts": "HEartS (arts and social connectedness)"}
SNOMED = {"871731000000106": "Referral to social prescribing service"}
NOT_RECORDED = ("NOT_RECORDED", "Not recorded")
TOTAL = "Total"


@dataclass(frozen=True)
class Scope:
    """What one return counts: the period and the commissioner's hubs (None: all work)."""

    period: Period
    hub_ids: tuple[int, ...] | None
    within_days: int


@dataclass(frozen=True)
class Figures:
    cells: list[Cell]
    referrals_available: bool
    within_days: int

    def as_json(self) -> dict[str, Any]:
        return {"cells": [c.as_dict() for c in self.cells],
                "referrals_available": self.referrals_available,
                "within_days": self.within_days}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        return cls([Cell(**c) for c in data["cells"]], bool(data["referrals_available"]),
                   int(data["within_days"]))


def _cell(section: str, breakdown: str, level: tuple[str, str], measure: tuple[str, str],
          value: float | None, *, kind: str = COUNT, base: int | None = None,
          secondary: tuple[str, str] = (NONE, NONE), decimals: int = 0,
          total_of: str | None = None) -> Cell:
    return Cell(section, breakdown, str(level[0]), str(level[1]), str(secondary[0]),
                str(secondary[1]), measure[0], measure[1], value, kind, base, decimals, total_of)


def _total_of(measure_id: str, secondary: str = NONE) -> str:
    return "|".join((TOTAL, TOTAL, secondary, measure_id))


class Queries:
    """The SQL conditions of one scope, shared by the sections."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        p = scope.period
        s, e = sessions, enrolments
        self.session_where = [s.c.session_date >= p.start, s.c.session_date <= p.end]
        # People: enrolled at some point during the period.
        self.enrolment_where = [e.c.enrolled_on <= p.end,
                                sa.or_(e.c.left_on.is_(None), e.c.left_on >= p.start)]
        if scope.hub_ids is not None:
            self.session_where.append(s.c.hub_id.in_(scope.hub_ids))
            self.enrolment_where.append(e.c.hub_id.in_(scope.hub_ids))

    def people(self) -> Any:
        """The ids of the people counted: a subquery."""
        return (sa.select(enrolments.c.participant_id).where(*self.enrolment_where)
                .distinct().subquery("people"))


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).all())


ACT_SESSIONS = ("ACT01", "Sessions delivered")
ACT_ATTENDANCES = ("ACT02", "Attendances")
ACT_BY_GENERATION = ("ACT03", "Attendances by generation")
ACT_PEOPLE = ("ACT04", "Unique people enrolled")


async def activity(session: AsyncSession, q: Queries) -> list[Cell]:
    """Sessions delivered, attendance by generation and unique people: in total and by hub,
    project and programme (one grouped query per breakdown)."""
    s, e = sessions, enrolments
    programme_of = sa.func.coalesce(hubs.c.programme_id, projects.c.programme_id)
    # Sessions are summed per hub or project first (a few thousand rows), and only then named
    # and regrouped: joining every session to its hub would cost more than the sums.
    per_parent = (sa.select(s.c.hub_id, s.c.project_id, sa.func.count().label("n"),
                            *(sa.func.sum(s.c[c]).label(c) for c in GENERATIONS))
                  .where(*q.session_where).group_by(s.c.hub_id, s.c.project_id)
                  .subquery("per_parent"))
    pp = per_parent
    named = pp.outerjoin(hubs, hubs.c.id == pp.c.hub_id).outerjoin(
        projects, projects.c.id == pp.c.project_id).outerjoin(
        programmes, programmes.c.id == programme_of)
    totals = [sa.cast(sa.func.coalesce(sa.func.sum(pp.c.n), 0), sa.Integer).label("n"),
              *(sa.cast(sa.func.coalesce(sa.func.sum(pp.c[c]), 0), sa.Integer).label(c)
                for c in GENERATIONS)]
    groups: list[tuple[str, Any, Any]] = [
        (TOTAL, sa.literal(TOTAL), sa.literal(TOTAL)),
        ("Hub", hubs.c.code, hubs.c.name),
        ("Project", projects.c.code, projects.c.name),
        ("Programme", programmes.c.code, programmes.c.name),
    ]
    cells: list[Cell] = []
    for breakdown, code, name in groups:
        if breakdown == TOTAL:
            query = sa.select(code.label("code"), name.label("name"), *totals).select_from(pp)
        else:
            query = (sa.select(code.label("code"), name.label("name"), *totals)
                     .select_from(named).where(code.is_not(None)).group_by(code, name)
                     .order_by(code))
        for row in await _rows(session, query):
            level = (row.code, row.name)
            cells.append(_cell("activity", breakdown, level, ACT_SESSIONS, int(row.n),
                               kind=NOT_PEOPLE))
            attendances = sum(int(row._mapping[c]) for c in GENERATIONS)
            cells.append(_cell("activity", breakdown, level, ACT_ATTENDANCES, attendances))
            # The generations split the total attendances exactly.
            split = _total_of(ACT_ATTENDANCES[0]) if breakdown == TOTAL else None
            for column, label in GENERATIONS.items():
                cells.append(_cell("activity", breakdown, level, ACT_BY_GENERATION,
                                   int(row._mapping[column]), secondary=(column, label),
                                   total_of=split))
    # Unique people enrolled during the period, in total and by hub / project / programme.
    enrol_parents = e.outerjoin(hubs, hubs.c.id == e.c.hub_id).outerjoin(
        projects, projects.c.id == e.c.project_id).outerjoin(programmes, programmes.c.id ==
                                                             programme_of)
    people = sa.func.count(sa.distinct(e.c.participant_id)).label("n")
    for breakdown, code, name in groups:
        query = sa.select(code.label("code"), name.label("name"), people).select_from(
            enrol_parents).where(*q.enrolment_where)
        if breakdown != TOTAL:
            query = query.where(code.is_not(None)).group_by(code, name).order_by(code)
        for row in await _rows(session, query):
            cells.append(_cell("activity", breakdown, (row.code, row.name), ACT_PEOPLE, row.n))
    return _ordered(cells)


def _ordered(cells: list[Cell]) -> list[Cell]:
    """Total first, then each breakdown in a fixed order, levels by code (stable bytes)."""
    order = {TOTAL: 0}
    for cell in cells:
        order.setdefault(cell.breakdown, len(order))
    return sorted(cells, key=lambda c: (order[c.breakdown], c.measure_id, c.primary_level,
                                        c.secondary_level))


PEO_PEOPLE = ("PEO01", "Unique participants")


async def people(session: AsyncSession, q: Queries) -> list[Cell]:
    """Unique participants by age band, generation, clinical cohort, sex and ethnicity (one
    grouped query each). Age band, generation, sex and ethnicity split the total exactly (a
    'Not recorded' level holds the rest); cohorts do not (a person may have none or several)."""
    counted = q.people()
    p = participants
    total = await session.scalar(sa.select(sa.func.count()).select_from(counted))
    cells = [_cell("people", TOTAL, (TOTAL, TOTAL), PEO_PEOPLE, int(total or 0))]
    attributes: list[tuple[str, Any, dict[str, str] | None]] = [
        ("Age band", p.c.age_band, None),
        ("Generation", p.c.generation, PERSON_GENERATIONS),
        ("Sex", p.c.sex, SEX),
        ("Ethnic category", p.c.ethnicity, ETHNICITY),
    ]
    for breakdown, column, names in attributes:
        query = (sa.select(column.label("code"), sa.func.count().label("n"))
                 .select_from(p.join(counted, counted.c.participant_id == p.c.id))
                 .group_by(column))
        for row in await _rows(session, query):
            code = getattr(row.code, "value", row.code)
            level = (code, (names or {}).get(code, code)) if code is not None else NOT_RECORDED
            cells.append(_cell("people", breakdown, level, PEO_PEOPLE, row.n,
                               total_of=_total_of(PEO_PEOPLE[0])))
    pc = participant_cohorts
    query = (sa.select(cohorts.c.code, cohorts.c.name, sa.func.count().label("n"))
             .select_from(pc.join(counted, counted.c.participant_id == pc.c.participant_id)
                          .join(cohorts, cohorts.c.code == pc.c.cohort_code))
             .group_by(cohorts.c.code, cohorts.c.name))
    for row in await _rows(session, query):
        cells.append(_cell("people", "Clinical cohort", (row.code, row.name), PEO_PEOPLE, row.n))
    return _ordered(cells)


OUT_PAIRS = ("OUT01", "Participants with a pre and a post score by the end of the period")
OUT_PRE = ("OUT02", "Mean score before")
OUT_POST = ("OUT03", "Mean score after")
OUT_CHANGE = ("OUT04", "Mean change (after minus before)")
OUT_SHARE = ("OUT05", "Share with a meaningful improvement (%)")


async def outcomes(session: AsyncSession, q: Queries) -> list[Cell]:
    """Per measure, from the core's impact service: every pair (first pre score, last post
    score) recorded at the commissioner's hubs by the end of the period, cumulative, because a
    programme's pre and post scores are often months apart and rarely fall in one quarter. Each
    pair is judged by the scoring module's meaningful-change threshold."""
    p = q.scope.period
    figures = await services.impact(
        session, ImpactFilter(date_to=p.end, hub_ids=q.scope.hub_ids),
        frozenset({"outcomes"}),
    )
    cells = []
    for change in figures.outcomes:
        code = getattr(change.measure, "value", str(change.measure))
        level = (code, MEASURES.get(code, code))
        n = change.pairs
        share = change.significantly_improved / n * 100 if n else None
        cells += [
            _cell("outcomes", "Measure", level, OUT_PAIRS, n),
            _cell("outcomes", "Measure", level, OUT_PRE, change.mean_pre, kind=STATISTIC,
                  base=n, decimals=2),
            _cell("outcomes", "Measure", level, OUT_POST, change.mean_post, kind=STATISTIC,
                  base=n, decimals=2),
            _cell("outcomes", "Measure", level, OUT_CHANGE, change.mean_change, kind=STATISTIC,
                  base=n, decimals=2),
            _cell("outcomes", "Measure", level, OUT_SHARE, share, kind=STATISTIC, base=n,
                  decimals=1),
        ]
    return cells


REF_RECEIVED = ("REF01", "Referrals received")
REF_ACCEPTED = ("REF02", "Referrals accepted")
REF_DECLINED = ("REF03", "Referrals declined")
REF_DECISION_MEDIAN = ("REF04", "Median days from receipt to decision")
REF_DECISION_WITHIN = ("REF05", "Share decided within {days} days (%)")
REF_FIRST_MEDIAN = ("REF06", "Median days from receipt to first attendance")
REF_FIRST_WITHIN = ("REF07", "Share attending within {days} days of receipt (%)")


async def referrals(session: AsyncSession, q: Queries) -> list[Cell] | None:
    """Referral figures from the plug-ins that answer the topic (None when none does)."""
    p, days = q.scope.period, q.scope.within_days
    params = {"start": p.start, "end": p.end,
              "hub_ids": list(q.scope.hub_ids) if q.scope.hub_ids is not None else None,
              "within_days": days}
    answers = [a for _plugin, a in await collect(REFERRALS_TOPIC, params, session) if a]
    if not answers:
        return None
    received: dict[tuple[str, str], int] = {}
    declined: dict[str, int] = {}
    accepted = 0
    to_decision: list[int] = []
    to_first: list[int] = []
    for answer in answers:
        for row in answer.get("received", []):
            key = (str(row["source"]), str(row["snomed_code"]))
            received[key] = received.get(key, 0) + int(row["count"])
        accepted += int(answer.get("accepted", 0))
        for row in answer.get("declined", []):
            declined[str(row["reason"])] = declined.get(str(row["reason"]), 0) + int(row["count"])
        to_decision += [int(d) for d in answer.get("days_to_decision", [])]
        to_first += [int(d) for d in answer.get("days_to_first_attendance", [])]
    total = (TOTAL, TOTAL)
    cells = [_cell("referrals", TOTAL, total, REF_RECEIVED, sum(received.values()))]
    for (source, code), count in sorted(received.items()):
        cells.append(_cell("referrals", "Source and SNOMED code", (source, source), REF_RECEIVED,
                           count, secondary=(code, SNOMED.get(code, code)),
                           total_of=_total_of(REF_RECEIVED[0])))
    cells.append(_cell("referrals", TOTAL, total, REF_ACCEPTED, accepted))
    cells.append(_cell("referrals", TOTAL, total, REF_DECLINED, sum(declined.values())))
    for reason, count in sorted(declined.items()):
        cells.append(_cell("referrals", "Decline reason", (reason, reason.replace("_", " ")),
                           REF_DECLINED, count, total_of=_total_of(REF_DECLINED[0])))
    for values, median_id, within_id in ((to_decision, REF_DECISION_MEDIAN, REF_DECISION_WITHIN),
                                         (to_first, REF_FIRST_MEDIAN, REF_FIRST_WITHIN)):
        n = len(values)
        within = (sum(v <= days for v in values) / n * 100) if n else None
        cells.append(_cell("referrals", TOTAL, total, median_id,
                           statistics.median(values) if n else None, kind=STATISTIC, base=n,
                           decimals=1))
        cells.append(_cell("referrals", TOTAL, total,
                           (within_id[0], within_id[1].format(days=days)), within,
                           kind=STATISTIC, base=n, decimals=1))
    return cells


DQ_MISSING_POST = ("DQ01", "Pre scores without a post score")
DQ_NO_REGISTER = ("DQ02", "Sessions without a register")
DQ_NO_COHORT = ("DQ03", "Participants without a clinical cohort")


async def data_quality(session: AsyncSession, q: Queries) -> list[Cell]:
    """What would make the figures incomplete: pre scores in the period with no post score in
    it, sessions with no register, people counted with no clinical cohort."""
    a, p = assessments, q.scope.period
    where = [a.c.assessed_on >= p.start, a.c.assessed_on <= p.end]
    if q.scope.hub_ids is not None:
        where.append(a.c.hub_id.in_(q.scope.hub_ids))
    post = sa.select(a.c.participant_id, a.c.measure).where(a.c.timepoint == "post", *where)
    pre = (sa.select(a.c.participant_id, a.c.measure).where(a.c.timepoint == "pre", *where)
           .except_(post).subquery())
    missing = await session.scalar(sa.select(sa.func.count()).select_from(pre))
    no_register = await session.scalar(
        sa.select(sa.func.count()).select_from(sessions).where(
            *q.session_where,
            ~sa.exists().where(attendees.c.session_id == sessions.c.id)))
    counted = q.people()
    no_cohort = await session.scalar(
        sa.select(sa.func.count()).select_from(counted).where(
            ~sa.exists().where(participant_cohorts.c.participant_id == counted.c.participant_id)))
    total = (TOTAL, TOTAL)
    return [
        _cell("data_quality", TOTAL, total, DQ_MISSING_POST, int(missing or 0)),
        _cell("data_quality", TOTAL, total, DQ_NO_REGISTER, int(no_register or 0),
              kind=NOT_PEOPLE),
        _cell("data_quality", TOTAL, total, DQ_NO_COHORT, int(no_cohort or 0)),
    ]


async def compute(session: AsyncSession, scope: Scope,
                  progress: Callable[[str], None] | None = None) -> Figures:
    """Every section's raw cells for ``scope``; ``progress`` hears each section's name as it
    is done (the command line's progress bar)."""
    q = Queries(scope)
    cells: list[Cell] = []
    referral_cells: list[Cell] | None = None
    for section in SECTIONS:
        if section == "referrals":
            referral_cells = await referrals(session, q)
            cells += referral_cells or []
        else:
            cells += await _SECTION_QUERIES[section](session, q)
        if progress is not None:
            progress(section)
    return Figures(cells, referral_cells is not None, scope.within_days)


_SECTION_QUERIES = {"activity": activity, "people": people, "outcomes": outcomes,
                    "data_quality": data_quality}


def section_cells(cells: Sequence[Cell], section: str) -> list[Cell]:
    return [c for c in cells if c.section == section]
