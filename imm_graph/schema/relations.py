"""The lists below each type, as `Relation`s the loaders can page in bulk."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.schema.loaders import Relation
from imm_graph.schema.pagination import Order

organisations = m.Organisation.__table__
hubs = m.Hub.__table__
programmes = m.Programme.__table__
projects = m.Project.__table__
sessions = m.Session.__table__
stakeholders = m.Stakeholder.__table__
participants = m.Participant.__table__
enrolments = m.Enrolment.__table__
assessments = m.OutcomeAssessment.__table__
trainings = m.TrainingDelivery.__table__
cohorts = m.ClinicalCohort.__table__
stakeholder_kinds = m.StakeholderKind.__table__


def _by_name(table: sa.Table) -> Order:
    return Order(((table.c.name, False), (table.c.id, False)))


def _latest_sessions() -> Order:
    return Order(((sessions.c.session_date, True), (sessions.c.id, True)))


def _own(table: sa.Table) -> Any:
    return lambda: sa.select(table)


def _through(table: sa.Table, link: sa.Table, link_column: str) -> Any:
    return lambda: sa.select(table).join(link, link.c[link_column] == table.c.id)


ORGANISATION_HUBS = Relation(
    "organisation.hubs", _own(hubs), hubs.c.host_organisation_id, _by_name(hubs)
)
ORGANISATION_PARTNER_HUBS = Relation(
    "organisation.partnerHubs", _through(hubs, m.hub_partners, "hub_id"),
    m.hub_partners.c.organisation_id, _by_name(hubs),
)
ORGANISATION_PROJECTS = Relation(
    "organisation.projects", _own(projects), projects.c.lead_organisation_id, _by_name(projects)
)
ORGANISATION_STAKEHOLDERS = Relation(
    "organisation.stakeholders", _own(stakeholders), stakeholders.c.organisation_id,
    _by_name(stakeholders),
)
HUB_PARTNERS = Relation(
    "hub.partners", _through(organisations, m.hub_partners, "organisation_id"),
    m.hub_partners.c.hub_id, _by_name(organisations),
)
HUB_SESSIONS = Relation("hub.sessions", _own(sessions), sessions.c.hub_id, _latest_sessions())
PROJECT_PARTNERS = Relation(
    "project.partners", _through(organisations, m.project_partners, "organisation_id"),
    m.project_partners.c.project_id, _by_name(organisations),
)
PROJECT_SESSIONS = Relation(
    "project.sessions", _own(sessions), sessions.c.project_id, _latest_sessions()
)
PROGRAMME_PROJECTS = Relation(
    "programme.projects", _own(projects), projects.c.programme_id,
    Order(((projects.c.start_date, True), (projects.c.id, True))),
)
PROGRAMME_HUBS = Relation("programme.hubs", _own(hubs), hubs.c.programme_id, _by_name(hubs))
COHORT_HUBS = Relation(
    "cohort.hubs", lambda: sa.select(hubs).join(m.hub_cohorts, m.hub_cohorts.c.hub_id == hubs.c.id),
    m.hub_cohorts.c.cohort_code, _by_name(hubs),
)
COHORT_PROJECTS = Relation(
    "cohort.projects",
    lambda: sa.select(projects).join(
        m.project_cohorts, m.project_cohorts.c.project_id == projects.c.id
    ),
    m.project_cohorts.c.cohort_code, _by_name(projects),
)
PARTICIPANT_ENROLMENTS = Relation(
    "participant.enrolments", _own(enrolments), enrolments.c.participant_id,
    Order(((enrolments.c.enrolled_on, True), (enrolments.c.id, True))),
)
PARTICIPANT_ASSESSMENTS = Relation(
    "participant.assessments", _own(assessments), assessments.c.participant_id,
    Order(((assessments.c.assessed_on, False), (assessments.c.id, False))),
)


def cohorts_of(link: sa.Table, own_column: str) -> Any:
    """Select cohorts joined to a link table, for the `grouped` loader keyed by ``own_column``."""
    return lambda: sa.select(cohorts).join(link, link.c.cohort_code == cohorts.c.code).order_by(
        cohorts.c.name
    )
