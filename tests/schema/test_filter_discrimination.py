"""Every list filter against data where the right column and the plausible wrong ones disagree.

Each filter field is asked a question whose answer differs if it read another column of the
same table (area for local authority, venue for name, the programme's id for the host's, the
pre timepoint for the post …), matched text in another case, or compared dates one day off:
rows sit exactly on every date bound (``dateFrom``/``dateTo``/``startingFrom`` are inclusive)
and one day either side. In-memory SQLite with the application's tables and plain SQLAlchemy:
database-free and fast, for mutation testing (scripts/mutation, set ``filters``). The same
filters through GraphQL on both databases: tests/schema/test_queries.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.errors import ValidationError
from imm_graph.ids import encode_id
from imm_graph.schema import filters as f
from imm_graph.schema import relations as r
from imm_graph.schema.enums import (
    AgeBand,
    Direction,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Timepoint,
)
from tests.memory import MemoryDatabase

MEMORY = MemoryDatabase()
ENGINE, insert = MEMORY.engine, MEMORY.insert
D = dt.date


# Numbers are chosen so that a wrong id column finds a row: hub 1's programme is 2 and its
# host 3, and so on, so "the host's id" read as "the programme's id" answers differently.
insert(m.Organisation.__table__, [
    dict(id=1, name="Ealing Care", kind="care_home", ods_code="AB1", local_authority="Hounslow",
         address="Ealing Road"),
    dict(id=2, name="Hounslow School", kind="primary_school", ods_code="EALING",
         local_authority="Ealing", address="Hounslow"),
    dict(id=3, name="100% Music_Hub", kind="charity", ods_code="AB2", local_authority="EALING"),
    dict(id=4, name="Music Hub 5", kind="charity", ods_code=None, local_authority=None),
    dict(id=5, name="Back\\slash Trust", kind="nhs_trust", ods_code="RX1",
         local_authority="Ealing (West)"),
])
insert(m.Programme.__table__, [
    dict(id=1, code="p1", name="Ealing Sing", arm="community"),
    dict(id=2, code="p2", name="Music Minds", arm="music_therapy"),
    dict(id=3, code="p3", name="Training Days", arm="training", description="community"),
])
insert(m.Hub.__table__, [
    dict(id=1, code="h1", name="Hounslow Hub", venue="Ealing Hall", area="Ealing (W5)",
         local_authority="Hounslow", status="active", host_organisation_id=3, programme_id=2),
    dict(id=2, code="h2", name="Ealing Hub", venue="Church", area="Hounslow (TW4)",
         local_authority="Ealing", status="paused", host_organisation_id=2, programme_id=3),
    dict(id=3, code="h3", name="Park Hub", venue="Hounslow Hall", area="Brent",
         local_authority="hounslow", status="planned", host_organisation_id=1, programme_id=None),
])
insert(m.hub_cohorts, [dict(hub_id=1, cohort_code="dementia"), dict(hub_id=3, cohort_code="sen")])
insert(m.Project.__table__, [
    dict(id=1, code="j1", name="Ealing Voices", programme_id=3, area="Hounslow", weeks=6,
         lead_organisation_id=2, start_date=D(2024, 3, 1), local_authority="Ealing"),
    dict(id=2, code="j2", name="Hounslow Songs", programme_id=2, area="Ealing Broadway",
         weeks=6, lead_organisation_id=3, start_date=D(2024, 3, 2)),
    dict(id=3, code="j3", name="Brent Beats", programme_id=1, area="Brent", weeks=6,
         lead_organisation_id=None, start_date=D(2024, 2, 29), end_date=D(2024, 3, 2)),
])
insert(m.project_cohorts, [dict(project_id=2, cohort_code="dementia"),
                           dict(project_id=1, cohort_code="sen")])
insert(m.Session.__table__, [
    dict(id=1, hub_id=1, project_id=None, session_date=D(2024, 5, 1)),
    dict(id=2, hub_id=2, project_id=None, session_date=D(2024, 5, 2)),
    dict(id=3, hub_id=None, project_id=1, session_date=D(2024, 5, 3)),
    dict(id=4, hub_id=None, project_id=2, session_date=D(2024, 4, 30)),
    dict(id=5, hub_id=None, project_id=3, session_date=D(2024, 5, 4)),
    dict(id=6, hub_id=3, project_id=None, session_date=D(2024, 5, 5)),
])
insert(m.StakeholderKind.__table__, [dict(code="funder", name="Funder", description="x"),
                                     dict(code="partner", name="Partner", description="funder")])
insert(m.Stakeholder.__table__, [
    dict(id=1, name="Ealing Council", kind_code="funder", organisation_id=2, role="partner"),
    dict(id=2, name="Jo Partner", kind_code="partner", organisation_id=1, role="funder"),
    dict(id=3, name="Sam", kind_code="funder", organisation_id=None, role="Ealing"),
])
insert(m.Participant.__table__, [
    dict(id=1, ref="P1", generation="child", age_band="5-10"),
    dict(id=2, ref="P2", generation="older_person", age_band="75-84"),
    dict(id=3, ref="P3", generation="young_person", age_band="11-17"),
    dict(id=4, ref="P4", generation="adult", age_band=None),
])
insert(m.participant_cohorts, [dict(participant_id=2, cohort_code="dementia"),
                               dict(participant_id=1, cohort_code="sen")])
insert(m.Enrolment.__table__, [
    dict(id=1, participant_id=1, hub_id=2, project_id=None, enrolled_on=D(2024, 1, 1)),
    dict(id=2, participant_id=2, hub_id=None, project_id=1, enrolled_on=D(2024, 1, 1)),
    dict(id=3, participant_id=3, hub_id=1, project_id=None, enrolled_on=D(2024, 1, 1)),
    dict(id=4, participant_id=4, hub_id=None, project_id=2, enrolled_on=D(2024, 1, 1)),
])
insert(m.OutcomeAssessment.__table__, [
    dict(id=1, participant_id=2, measure="who5", timepoint="pre", assessed_on=D(2024, 6, 1),
         items=[], raw_score=10, score=40, hub_id=2, project_id=None),
    dict(id=2, participant_id=1, measure="ucla3", timepoint="post", assessed_on=D(2024, 6, 2),
         items=[], raw_score=5, score=5, hub_id=None, project_id=2),
    dict(id=3, participant_id=3, measure="swemwbs", timepoint="follow_up",
         assessed_on=D(2024, 6, 3), items=[], raw_score=20, score=20, hub_id=1, project_id=None),
    dict(id=4, participant_id=1, measure="who5", timepoint="post", assessed_on=D(2024, 5, 31),
         items=[], raw_score=10, score=40, hub_id=None, project_id=1),
])
insert(m.TrainingDelivery.__table__, [
    dict(id=1, title="A", programme_id=2, organisation_id=1, delivered_on=D(2024, 7, 1),
         trainees=3),
    dict(id=2, title="B", programme_id=1, organisation_id=2, delivered_on=D(2024, 7, 2),
         trainees=4),
    dict(id=3, title="C", programme_id=None, organisation_id=None, delivered_on=D(2024, 6, 30),
         trainees=5),
])


def found(table: sa.Table, filter: Any) -> set[int]:
    with ENGINE.connect() as conn:
        return set(conn.scalars(sa.select(table.c.id).where(*f.all_clauses(filter))))


def gid(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


CASES: list[tuple[str, sa.Table, Any, set[int]]] = [
    # organisations
    ("no condition", r.organisations, f.OrganisationFilter(), {1, 2, 3, 4, 5}),
    ("kind", r.organisations, f.OrganisationFilter(kinds=[OrganisationKind.CARE_HOME]), {1}),
    ("kinds", r.organisations,
     f.OrganisationFilter(kinds=[OrganisationKind.CHARITY, OrganisationKind.NHS_TRUST]), {3, 4, 5}),
    ("no kinds", r.organisations, f.OrganisationFilter(kinds=[]), {1, 2, 3, 4, 5}),
    ("ods code, any case and spaces", r.organisations, f.OrganisationFilter(ods_code=" ab1 "), {1}),
    ("ods code not name", r.organisations, f.OrganisationFilter(ods_code="Ealing"), {2}),
    ("local authority exactly, any case", r.organisations,
     f.OrganisationFilter(local_authority="eaLing"), {2, 3}),
    ("search the name only", r.organisations, f.OrganisationFilter(search="EALING"), {1}),
    ("search % literally", r.organisations, f.OrganisationFilter(search="0%"), {3}),
    ("search _ literally", r.organisations, f.OrganisationFilter(search="c_h"), {3}),
    ("search \\ literally", r.organisations, f.OrganisationFilter(search="k\\s"), {5}),
    ("all conditions apply", r.organisations,
     f.OrganisationFilter(kinds=[OrganisationKind.CHARITY], search="music"), {3, 4}),
    # hubs
    ("hub area, any case, in part", r.hubs, f.HubFilter(area="ealing"), {1}),
    ("hub local authority exactly", r.hubs, f.HubFilter(local_authority="HOUNSLOW"), {1, 3}),
    ("hub statuses", r.hubs, f.HubFilter(statuses=[HubStatus.PAUSED, HubStatus.PLANNED]), {2, 3}),
    ("hub cohort", r.hubs, f.HubFilter(cohort="dementia"), {1}),
    ("hub host", r.hubs, f.HubFilter(host_organisation=gid("Organisation", 2)), {2}),
    ("hub programme", r.hubs, f.HubFilter(programme=gid("Programme", 3)), {2}),
    ("hub search name or venue", r.hubs, f.HubFilter(search="hounslow h"), {1, 3}),
    ("hub search venue", r.hubs, f.HubFilter(search="church"), {2}),
    # programmes
    ("programme arm", r.programmes, f.ProgrammeFilter(arms=[ProgrammeArm.COMMUNITY]), {1}),
    ("programme search name", r.programmes, f.ProgrammeFilter(search="MUSIC"), {2}),
    # projects
    ("project programme", r.projects, f.ProjectFilter(programme=gid("Programme", 2)), {2}),
    ("project lead", r.projects, f.ProjectFilter(lead_organisation=gid("Organisation", 3)), {2}),
    ("project area", r.projects, f.ProjectFilter(area="EALING"), {2}),
    ("project cohort", r.projects, f.ProjectFilter(cohort="sen"), {1}),
    ("project starting from, inclusive", r.projects,
     f.ProjectFilter(starting_from=D(2024, 3, 1)), {1, 2}),
    ("project starting to, inclusive", r.projects,
     f.ProjectFilter(starting_to=D(2024, 3, 1)), {1, 3}),
    ("project one start day", r.projects,
     f.ProjectFilter(starting_from=D(2024, 3, 2), starting_to=D(2024, 3, 2)), {2}),
    ("project search", r.projects, f.ProjectFilter(search="songs"), {2}),
    # sessions
    ("session hub", r.sessions, f.SessionFilter(hub=gid("Hub", 2)), {2}),
    ("session project", r.sessions, f.SessionFilter(project=gid("Project", 1)), {3}),
    ("session programme, by hub or project", r.sessions,
     f.SessionFilter(programme=gid("Programme", 2)), {1, 4}),
    ("session programme 1", r.sessions, f.SessionFilter(programme=gid("Programme", 1)), {5}),
    ("session from, inclusive", r.sessions, f.SessionFilter(date_from=D(2024, 5, 3)), {3, 5, 6}),
    ("session to, inclusive", r.sessions, f.SessionFilter(date_to=D(2024, 5, 1)), {1, 4}),
    ("session one day", r.sessions,
     f.SessionFilter(date_from=D(2024, 5, 2), date_to=D(2024, 5, 2)), {2}),
    # stakeholders
    ("stakeholder kind", r.stakeholders, f.StakeholderFilter(kind="funder"), {1, 3}),
    ("stakeholder organisation", r.stakeholders,
     f.StakeholderFilter(organisation=gid("Organisation", 1)), {2}),
    ("stakeholder search name", r.stakeholders, f.StakeholderFilter(search="ealing"), {1}),
    # participants
    ("participant generations", r.participants,
     f.ParticipantFilter(generations=[Generation.CHILD, Generation.ADULT]), {1, 4}),
    ("participant age bands", r.participants,
     f.ParticipantFilter(age_bands=[AgeBand.AGE_11_17]), {3}),
    ("participant cohort", r.participants, f.ParticipantFilter(cohort="dementia"), {2}),
    ("participant hub", r.participants, f.ParticipantFilter(hub=gid("Hub", 1)), {3}),
    ("participant project", r.participants, f.ParticipantFilter(project=gid("Project", 1)), {2}),
    # assessments
    ("assessment measures", r.assessments,
     f.AssessmentFilter(measures=[Measure.UCLA3, Measure.SWEMWBS]), {2, 3}),
    ("assessment timepoints", r.assessments,
     f.AssessmentFilter(timepoints=[Timepoint.POST]), {2, 4}),
    ("assessment participant", r.assessments,
     f.AssessmentFilter(participant=gid("Participant", 2)), {1}),
    ("assessment hub", r.assessments, f.AssessmentFilter(hub=gid("Hub", 1)), {3}),
    ("assessment project", r.assessments, f.AssessmentFilter(project=gid("Project", 1)), {4}),
    ("assessment from, inclusive", r.assessments,
     f.AssessmentFilter(date_from=D(2024, 6, 2)), {2, 3}),
    ("assessment to, inclusive", r.assessments,
     f.AssessmentFilter(date_to=D(2024, 6, 1)), {1, 4}),
    # trainings
    ("training programme", r.trainings, f.TrainingFilter(programme=gid("Programme", 1)), {2}),
    ("training from, inclusive", r.trainings, f.TrainingFilter(date_from=D(2024, 7, 1)), {1, 2}),
    ("training to, inclusive", r.trainings, f.TrainingFilter(date_to=D(2024, 7, 1)), {1, 3}),
]


@pytest.mark.parametrize(("table", "filter", "ids"), [c[1:] for c in CASES],
                         ids=[re.sub(r"[^a-z0-9]+", "-", c[0]) for c in CASES])
def test_each_filter_reads_its_own_column(table: sa.Table, filter: Any, ids: set[int]) -> None:
    assert found(table, filter) == ids


def test_no_filter_is_no_condition() -> None:
    assert f.all_clauses(None) == []
    assert found(r.hubs, None) == {1, 2, 3}


ID_FIELDS = [
    (f.HubFilter, "host_organisation", "filter.hostOrganisation", "Organisation"),
    (f.HubFilter, "programme", "filter.programme", "Programme"),
    (f.ProjectFilter, "programme", "filter.programme", "Programme"),
    (f.ProjectFilter, "lead_organisation", "filter.leadOrganisation", "Organisation"),
    (f.SessionFilter, "hub", "filter.hub", "Hub"),
    (f.SessionFilter, "project", "filter.project", "Project"),
    (f.SessionFilter, "programme", "filter.programme", "Programme"),
    (f.StakeholderFilter, "organisation", "filter.organisation", "Organisation"),
    (f.ParticipantFilter, "hub", "filter.hub", "Hub"),
    (f.ParticipantFilter, "project", "filter.project", "Project"),
    (f.AssessmentFilter, "participant", "filter.participant", "Participant"),
    (f.AssessmentFilter, "hub", "filter.hub", "Hub"),
    (f.AssessmentFilter, "project", "filter.project", "Project"),
    (f.TrainingFilter, "programme", "filter.programme", "Programme"),
]


@pytest.mark.parametrize(("cls", "attribute", "field", "type_name"), ID_FIELDS)
def test_an_id_of_another_type_is_refused_naming_the_field(
    cls: Any, attribute: str, field: str, type_name: str
) -> None:
    other = "Training" if type_name != "Training" else "Hub"
    with pytest.raises(ValidationError) as refused:
        cls(**{attribute: gid(other, 1)}).clauses()
    [error] = refused.value.errors
    assert (error.field, error.code) == (field, "wrong_type")
    assert f"must be the ID of {'an' if type_name[0] in 'AEIOU' else 'a'} {type_name}" in (
        error.message)
    cls(**{attribute: gid(type_name, 1)}).clauses()  # the right type is taken


def test_ordering_by_a_column_breaks_ties_by_id_in_the_same_direction() -> None:
    t = r.hubs
    order = f.ordered(t, None, None, "name")
    assert [(c.key, desc) for c, desc in order.columns] == [("name", False), ("id", False)]
    order = f.ordered(t, _field("Hub", "CODE"), Direction.DESC,
                      "name")
    assert [(c.key, desc) for c, desc in order.columns] == [("code", True), ("id", True)]
    order = f.ordered(t, _field("Hub", "AREA"), Direction.ASC, "name")
    assert [(c.key, desc) for c, desc in order.columns] == [("area", False), ("id", False)]
    order = f.ordered(r.organisations, _field("Organisation", "ID"), Direction.DESC, "name")
    assert [(c.key, desc) for c, desc in order.columns] == [("id", True)]
    assert order.key is r.organisations.c.id


def _field(type_name: str, name: str) -> Any:
    order = getattr(f, f"{type_name}Order")
    return type(order().field)[name]


@pytest.mark.parametrize(
    ("type_name", "fields", "default", "direction"),
    [
        ("Organisation", {"NAME": "name", "CREATED_AT": "created_at", "ID": "id"}, "NAME",
         Direction.ASC),
        ("Hub", {"NAME": "name", "CODE": "code", "AREA": "area", "CREATED_AT": "created_at"},
         "NAME", Direction.ASC),
        ("Project", {"START_DATE": "start_date", "NAME": "name", "CODE": "code"}, "START_DATE",
         Direction.DESC),
        ("Session", {"DATE": "session_date"}, "DATE", Direction.DESC),
        ("Training", {"DELIVERED_ON": "delivered_on", "TITLE": "title", "TRAINEES": "trainees"},
         "DELIVERED_ON", Direction.DESC),
        ("Assessment", {"ASSESSED_ON": "assessed_on", "SCORE": "score"}, "ASSESSED_ON",
         Direction.ASC),
    ],
)
def test_each_lists_order_input(
    type_name: str, fields: dict[str, str], default: str, direction: Direction
) -> None:
    cls = getattr(f, f"{type_name}Order")
    value = cls()
    assert value.field.name == default and value.direction == direction
    enum = type(value.field)
    assert {e.name: e.value for e in enum} == fields
    assert enum.__name__ == f"{type_name}OrderField"
    assert cls.__name__ == f"{type_name}Order"
    definition = cls.__strawberry_definition__
    assert definition.description == f"How to order a list of {type_name} (ties are broken by id)."
    made = f.order_input("Widget", {"A": "a", "B": "b"}, "B", desc=True)
    assert (made().field.value, made().direction) == ("b", Direction.DESC)
    assert made.__strawberry_definition__.description == (
        "How to order a list of Widget (ties are broken by id).")
    assert made.__strawberry_definition__.name == "WidgetOrder"
    made_enum = type(made().field)
    assert made_enum.__name__ == "WidgetOrderField"
    assert {e.name: e.value for e in made_enum} == {"A": "a", "B": "b"}
    assert made_enum.__strawberry_definition__.description == (
        "Fields Widget lists can be ordered by.")
    assert f.order_input("Widget", {"A": "a"}, "A")().direction == Direction.ASC
