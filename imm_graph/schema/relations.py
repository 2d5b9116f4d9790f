"""The lists below each type, described once as data.

Both read paths use these: the DataLoaders (one batched statement per level) and the SQL
compiler (one statement for the whole query).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.schema.pagination import Order

organisations = m.Organisation.__table__
hubs = m.Hub.__table__
programmes = m.Programme.__table__
projects = m.Project.__table__
sessions = m.Session.__table__
stakeholders = m.Stakeholder.__table__
# Pseudonymous columns only: personal ones are read (and decrypted) by schema.personal alone.
# A read-only view of the same table, on metadata of its own (Alembic never sees it).
participants = sa.Table(
    "participants",
    sa.MetaData(),
    *(
        sa.Column(c.key, c.type, primary_key=c.primary_key)
        for c in m.Participant.__table__.c
        if c.key not in (*m.PERSONAL_FIELDS, *m.DEMOGRAPHIC_FIELDS, "nhs_number_index")
    ),
)
enrolments = m.Enrolment.__table__
assessments = m.OutcomeAssessment.__table__
trainings = m.TrainingDelivery.__table__
cohorts = m.ClinicalCohort.__table__
stakeholder_kinds = m.StakeholderKind.__table__
attendees = m.SessionAttendee.__table__
consents = m.Consent.__table__
catchments = m.hub_catchments


@dataclass(frozen=True)
class Relation:
    """Rows of ``child`` that belong to a parent, through ``link`` when many-to-many.

    ``parent_key`` names the column holding the parent's key: on ``link`` if there is one,
    else on ``child``. ``order`` lists child columns (name, descending); the last is unique.
    ``where`` narrows the children (a plug-in's "published only"); the loaders apply it, the
    SQL compiler only reads core relations, which have none.
    """

    name: str
    child: sa.Table
    parent_key: str
    order: tuple[tuple[str, bool], ...]
    link: sa.Table | None = None
    link_child: str = ""
    where: tuple[Any, ...] = field(default=(), compare=False)

    def source(self, child: Any = None, link: Any = None) -> tuple[Any, sa.ColumnElement[Any]]:
        """The FROM clause and the parent-key column, on the given aliases (or the tables)."""
        child = self.child if child is None else child
        if self.link is None:
            return child, child.c[self.parent_key]
        link = self.link if link is None else link
        key = next(iter(self.child.primary_key)).name
        joined = child.join(link, link.c[self.link_child] == child.c[key])
        return joined, link.c[self.parent_key]

    def select(self) -> sa.Select[Any]:
        source, _ = self.source()
        return sa.select(self.child).select_from(source).where(*self.where)

    @property
    def parent(self) -> sa.ColumnElement[Any]:
        return self.source()[1]

    @property
    def ordering(self) -> Order:
        return Order(tuple((self.child.c[name], desc) for name, desc in self.order))


BY_NAME = (("name", False), ("id", False))
LATEST = (("session_date", True), ("id", True))

ORGANISATION_HUBS = Relation("organisation.hubs", hubs, "host_organisation_id", BY_NAME)
ORGANISATION_PARTNER_HUBS = Relation(
    "organisation.partnerHubs", hubs, "organisation_id", BY_NAME, m.hub_partners, "hub_id"
)
ORGANISATION_PROJECTS = Relation("organisation.projects", projects, "lead_organisation_id", BY_NAME)
ORGANISATION_STAKEHOLDERS = Relation(
    "organisation.stakeholders", stakeholders, "organisation_id", BY_NAME
)
HUB_PARTNERS = Relation(
    "hub.partners", organisations, "hub_id", BY_NAME, m.hub_partners, "organisation_id"
)
HUB_SESSIONS = Relation("hub.sessions", sessions, "hub_id", LATEST)
PROJECT_PARTNERS = Relation(
    "project.partners",
    organisations,
    "project_id",
    BY_NAME,
    m.project_partners,
    "organisation_id",
)
PROJECT_SESSIONS = Relation("project.sessions", sessions, "project_id", LATEST)
PROGRAMME_PROJECTS = Relation(
    "programme.projects", projects, "programme_id", (("start_date", True), ("id", True))
)
PROGRAMME_HUBS = Relation("programme.hubs", hubs, "programme_id", BY_NAME)
COHORT_HUBS = Relation("cohort.hubs", hubs, "cohort_code", BY_NAME, m.hub_cohorts, "hub_id")
COHORT_PROJECTS = Relation(
    "cohort.projects", projects, "cohort_code", BY_NAME, m.project_cohorts, "project_id"
)
PARTICIPANT_ENROLMENTS = Relation(
    "participant.enrolments", enrolments, "participant_id", (("enrolled_on", True), ("id", True))
)
PARTICIPANT_ASSESSMENTS = Relation(
    "participant.assessments",
    assessments,
    "participant_id",
    (("assessed_on", False), ("id", False)),
)

# Small, bounded lists of reference data (at most the 15 cohorts), not paginated.
HUB_COHORTS = Relation(
    "hub.cohorts", cohorts, "hub_id", (("name", False),), m.hub_cohorts, "cohort_code"
)
PROJECT_COHORTS = Relation(
    "project.cohorts", cohorts, "project_id", (("name", False),), m.project_cohorts, "cohort_code"
)
PARTICIPANT_COHORTS = Relation(
    "participant.cohorts",
    cohorts,
    "participant_id",
    (("name", False),),
    m.participant_cohorts,
    "cohort_code",
)

SESSION_REGISTER = Relation(
    "session.register", attendees, "session_id", (("participant_id", False), ("id", False))
)
PARTICIPANT_ATTENDANCE = Relation(
    "participant.attendance", attendees, "participant_id", (("session_id", True), ("id", True))
)
PARTICIPANT_CONSENTS = Relation(
    "participant.consents", consents, "participant_id", (("given_at", True), ("id", True))
)
STAKEHOLDER_CONSENTS = Relation(
    "stakeholder.consents", consents, "stakeholder_id", (("given_at", True), ("id", True))
)
HUB_CATCHMENT = Relation(
    "hub.catchment", catchments, "hub_id", (("postcode_district", False),)
)
