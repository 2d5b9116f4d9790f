"""Filter and ordering inputs of the root lists, and the SQL they turn into."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry

from imm_graph import models as m
from imm_graph.ids import decode_pk
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
from imm_graph.schema.metadata import reads
from imm_graph.schema.pagination import Order


def contains(column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE wildcards in the text taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def ordered(
    table: sa.Table, field: Enum | None, direction: Direction | None, default: str
) -> Order:
    column = table.c[field.value if field is not None else default]
    desc = direction == Direction.DESC
    key = next(iter(table.primary_key))  # the tie-breaker that makes the order total
    if column.key == key.key:
        return Order(((key, desc),))
    return Order(((column, desc), (key, desc)))


def _pk(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode_pk(value, type_name, field)


def _in_cohort(link: sa.Table, own: str, table: sa.Table, code: str) -> sa.ColumnElement[bool]:
    return table.c.id.in_(sa.select(link.c[own]).where(link.c.cohort_code == code))


@strawberry.input(description="Narrow the list of organisations; all given conditions apply.")
class OrganisationFilter:
    kinds: list[OrganisationKind] | None = strawberry.field(default=None, metadata=reads("kind"))
    ods_code: str | None = None
    local_authority: str | None = None
    search: str | None = strawberry.field(
        default=None, metadata=reads("name"), description="Text in the name."
    )

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.organisations
        out = []
        if self.kinds:
            out.append(t.c.kind.in_([k.value for k in self.kinds]))
        if self.ods_code:
            out.append(t.c.ods_code == self.ods_code.strip().upper())
        if self.local_authority:
            out.append(sa.func.lower(t.c.local_authority) == self.local_authority.lower())
        if self.search:
            out.append(contains(t.c.name, self.search))
        return out


@strawberry.input(description="Narrow the list of hubs; all given conditions apply.")
class HubFilter:
    area: str | None = strawberry.field(
        default=None, description='Text in the area, any case: "Hounslow" matches "Hounslow (TW4)".'
    )
    local_authority: str | None = None
    statuses: list[HubStatus] | None = strawberry.field(default=None, metadata=reads("status"))
    cohort: str | None = strawberry.field(
        default=None, metadata=reads("cohorts"), description="A clinical cohort code."
    )
    host_organisation: strawberry.ID | None = None
    programme: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, metadata=reads("name", "venue"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.hubs
        out: list[sa.ColumnElement[bool]] = []
        if self.area:
            out.append(contains(t.c.area, self.area))
        if self.local_authority:
            out.append(sa.func.lower(t.c.local_authority) == self.local_authority.lower())
        if self.statuses:
            out.append(t.c.status.in_([s.value for s in self.statuses]))
        if self.cohort:
            out.append(_in_cohort(m.hub_cohorts, "hub_id", t, self.cohort))
        if host := _pk(self.host_organisation, "Organisation", "filter.hostOrganisation"):
            out.append(t.c.host_organisation_id == host)
        if programme := _pk(self.programme, "Programme", "filter.programme"):
            out.append(t.c.programme_id == programme)
        if self.search:
            out.append(sa.or_(contains(t.c.name, self.search), contains(t.c.venue, self.search)))
        return out


@strawberry.input
class ProgrammeFilter:
    arms: list[ProgrammeArm] | None = strawberry.field(default=None, metadata=reads("arm"))
    search: str | None = strawberry.field(default=None, metadata=reads("name"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.programmes
        out = []
        if self.arms:
            out.append(t.c.arm.in_([a.value for a in self.arms]))
        if self.search:
            out.append(contains(t.c.name, self.search))
        return out


@strawberry.input
class ProjectFilter:
    programme: strawberry.ID | None = None
    area: str | None = strawberry.field(default=None, description="Text in the area, any case.")
    cohort: str | None = strawberry.field(default=None, metadata=reads("cohorts"))
    lead_organisation: strawberry.ID | None = None
    starting_from: dt.date | None = strawberry.field(default=None, metadata=reads("startDate"))
    starting_to: dt.date | None = strawberry.field(default=None, metadata=reads("startDate"))
    search: str | None = strawberry.field(default=None, metadata=reads("name"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.projects
        out: list[sa.ColumnElement[bool]] = []
        if programme := _pk(self.programme, "Programme", "filter.programme"):
            out.append(t.c.programme_id == programme)
        if lead := _pk(self.lead_organisation, "Organisation", "filter.leadOrganisation"):
            out.append(t.c.lead_organisation_id == lead)
        if self.area:
            out.append(contains(t.c.area, self.area))
        if self.cohort:
            out.append(_in_cohort(m.project_cohorts, "project_id", t, self.cohort))
        if self.starting_from:
            out.append(t.c.start_date >= self.starting_from)
        if self.starting_to:
            out.append(t.c.start_date <= self.starting_to)
        if self.search:
            out.append(contains(t.c.name, self.search))
        return out


@strawberry.input(description="Narrow the list of sessions; dates are inclusive local dates.")
class SessionFilter:
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None
    programme: strawberry.ID | None = strawberry.field(
        default=None, metadata=reads("hub", "project")
    )
    date_from: dt.date | None = strawberry.field(default=None, metadata=reads("date"))
    date_to: dt.date | None = strawberry.field(default=None, metadata=reads("date"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.sessions
        out: list[sa.ColumnElement[bool]] = []
        if hub := _pk(self.hub, "Hub", "filter.hub"):
            out.append(t.c.hub_id == hub)
        if project := _pk(self.project, "Project", "filter.project"):
            out.append(t.c.project_id == project)
        if programme := _pk(self.programme, "Programme", "filter.programme"):
            out.append(
                sa.or_(
                    t.c.hub_id.in_(
                        sa.select(r.hubs.c.id).where(r.hubs.c.programme_id == programme)
                    ),
                    t.c.project_id.in_(
                        sa.select(r.projects.c.id).where(r.projects.c.programme_id == programme)
                    ),
                )
            )
        if self.date_from:
            out.append(t.c.session_date >= self.date_from)
        if self.date_to:
            out.append(t.c.session_date <= self.date_to)
        return out


@strawberry.input
class StakeholderFilter:
    kind: str | None = strawberry.field(default=None, description="A stakeholder kind code.")
    organisation: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, metadata=reads("name"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.stakeholders
        out: list[sa.ColumnElement[bool]] = []
        if self.kind:
            out.append(t.c.kind_code == self.kind)
        if org := _pk(self.organisation, "Organisation", "filter.organisation"):
            out.append(t.c.organisation_id == org)
        if self.search:
            out.append(contains(t.c.name, self.search))
        return out


@strawberry.input
class ParticipantFilter:
    generations: list[Generation] | None = strawberry.field(
        default=None, metadata=reads("generation")
    )
    age_bands: list[AgeBand] | None = strawberry.field(default=None, metadata=reads("ageBand"))
    cohort: str | None = strawberry.field(default=None, metadata=reads("cohorts"))
    hub: strawberry.ID | None = strawberry.field(default=None, metadata=reads("enrolments"))
    project: strawberry.ID | None = strawberry.field(default=None, metadata=reads("enrolments"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.participants
        e = r.enrolments
        out: list[sa.ColumnElement[bool]] = []
        if self.generations:
            out.append(t.c.generation.in_([g.value for g in self.generations]))
        if self.age_bands:
            out.append(t.c.age_band.in_([a.value for a in self.age_bands]))
        if self.cohort:
            out.append(_in_cohort(m.participant_cohorts, "participant_id", t, self.cohort))
        if hub := _pk(self.hub, "Hub", "filter.hub"):
            out.append(t.c.id.in_(sa.select(e.c.participant_id).where(e.c.hub_id == hub)))
        if project := _pk(self.project, "Project", "filter.project"):
            out.append(t.c.id.in_(sa.select(e.c.participant_id).where(e.c.project_id == project)))
        return out


@strawberry.input
class AssessmentFilter:
    measures: list[Measure] | None = strawberry.field(default=None, metadata=reads("measure"))
    timepoints: list[Timepoint] | None = strawberry.field(default=None, metadata=reads("timepoint"))
    participant: strawberry.ID | None = None
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None
    date_from: dt.date | None = strawberry.field(default=None, metadata=reads("assessedOn"))
    date_to: dt.date | None = strawberry.field(default=None, metadata=reads("assessedOn"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.assessments
        out: list[sa.ColumnElement[bool]] = []
        if self.measures:
            out.append(t.c.measure.in_([x.value for x in self.measures]))
        if self.timepoints:
            out.append(t.c.timepoint.in_([x.value for x in self.timepoints]))
        if pid := _pk(self.participant, "Participant", "filter.participant"):
            out.append(t.c.participant_id == pid)
        if hub := _pk(self.hub, "Hub", "filter.hub"):
            out.append(t.c.hub_id == hub)
        if project := _pk(self.project, "Project", "filter.project"):
            out.append(t.c.project_id == project)
        if self.date_from:
            out.append(t.c.assessed_on >= self.date_from)
        if self.date_to:
            out.append(t.c.assessed_on <= self.date_to)
        return out


@strawberry.input
class TrainingFilter:
    programme: strawberry.ID | None = None
    date_from: dt.date | None = strawberry.field(default=None, metadata=reads("deliveredOn"))
    date_to: dt.date | None = strawberry.field(default=None, metadata=reads("deliveredOn"))

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        t = r.trainings
        out: list[sa.ColumnElement[bool]] = []
        if programme := _pk(self.programme, "Programme", "filter.programme"):
            out.append(t.c.programme_id == programme)
        if self.date_from:
            out.append(t.c.delivered_on >= self.date_from)
        if self.date_to:
            out.append(t.c.delivered_on <= self.date_to)
        return out


def all_clauses(filter: Any) -> list[sa.ColumnElement[bool]]:
    return [] if filter is None else filter.clauses()


def order_input(type_name: str, fields: dict[str, str], default: str, desc: bool = False) -> Any:
    """`<Type>Order {field, direction}` with a `<Type>OrderField` enum of sortable columns.

    Every root list takes one; the values are column names of the list's table.
    """
    field_enum = strawberry.enum(
        Enum(f"{type_name}OrderField", fields),  # type: ignore[misc]
        description=f"Fields {type_name} lists can be ordered by.",
    )
    namespace = {
        "__annotations__": {"field": field_enum, "direction": Direction},
        "field": field_enum[default],
        "direction": Direction.DESC if desc else Direction.ASC,
    }
    return strawberry.input(
        type(f"{type_name}Order", (), namespace),
        description=f"How to order a list of {type_name} (ties are broken by id).",
    )


OrganisationOrder = order_input(
    "Organisation", {"NAME": "name", "CREATED_AT": "created_at", "ID": "id"}, "NAME"
)
HubOrder = order_input(
    "Hub", {"NAME": "name", "CODE": "code", "AREA": "area", "CREATED_AT": "created_at"}, "NAME"
)
ProjectOrder = order_input(
    "Project", {"START_DATE": "start_date", "NAME": "name", "CODE": "code"}, "START_DATE", desc=True
)
SessionOrder = order_input("Session", {"DATE": "session_date"}, "DATE", desc=True)
ProgrammeOrder = order_input("Programme", {"NAME": "name", "CODE": "code"}, "NAME")
StakeholderOrder = order_input("Stakeholder", {"NAME": "name", "CREATED_AT": "created_at"}, "NAME")
ParticipantOrder = order_input("Participant", {"REF": "ref", "CREATED_AT": "created_at"}, "REF")
AssessmentOrder = order_input(
    "Assessment", {"ASSESSED_ON": "assessed_on", "SCORE": "score"}, "ASSESSED_ON"
)
TrainingOrder = order_input(
    "Training",
    {"DELIVERED_ON": "delivered_on", "TITLE": "title", "TRAINEES": "trainees"},
    "DELIVERED_ON",
    desc=True,
)
