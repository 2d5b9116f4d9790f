"""Mutations for IMM staff: create and update the core records.

Every mutation returns a payload with the object or a list of `{code, field, message}` errors;
a failed mutation writes nothing (one transaction per mutation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

import sqlalchemy as sa
import strawberry
from strawberry import UNSET, Info

from imm_graph import services
from imm_graph.errors import FieldError, ValidationError
from imm_graph.ids import decode_pk
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.enums import (
    AgeBand,
    Ethnicity,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Sex,
    Timepoint,
)
from imm_graph.schema.permissions import requires
from imm_graph.security.scopes import WRITE_CORE
from imm_graph.services.errors import camel

N = TypeVar("N")

# Input field -> (type its ID must be, the service's field). Lists hold several IDs.
_REFERENCES: dict[str, tuple[str, str]] = {
    "host_organisation": ("Organisation", "host_organisation_id"),
    "lead_organisation": ("Organisation", "lead_organisation_id"),
    "organisation": ("Organisation", "organisation_id"),
    "programme": ("Programme", "programme_id"),
    "hub": ("Hub", "hub_id"),
    "project": ("Project", "project_id"),
    "participant": ("Participant", "participant_id"),
    "stakeholder": ("Stakeholder", "stakeholder_id"),
    "partners": ("Organisation", "partner_ids"),
}
_RENAMED = {"cohorts": "cohort_codes", "date": "session_date"}
# Service field (camelCase) -> the input field the client sent.
_CLIENT_FIELD = {
    **{camel(service_field): camel(name) for name, (_, service_field) in _REFERENCES.items()},
    "cohortCodes": "cohorts",
    "sessionDate": "date",
    "kindCode": "kind",
    **{
        name: f"attendance.{name}"
        for name in ("childrenYoungPeople", "olderPeople", "staff", "volunteers", "families")
    },
}


@strawberry.type(description="Why a mutation could not be carried out, per field.")
class UserError:
    code: str = strawberry.field(description="Machine-readable rule, e.g. duplicate, not_found.")
    field: str | None = strawberry.field(description="Path of the input field, e.g. items[2].")
    message: str


def _client_field(field: str) -> str:
    head, _, rest = field.partition("[")
    mapped = _CLIENT_FIELD.get(head, head)
    return mapped + ("[" + rest if rest else "")


def user_errors(errors: list[FieldError]) -> list[UserError]:
    return [UserError(code=e.code, field=_client_field(e.field), message=e.message) for e in errors]


def to_service(input: Any) -> dict[str, Any]:
    """A strawberry input as the services' dict: IDs decoded, unset fields left out."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for f in dataclasses.fields(input):
        value = getattr(input, f.name)
        if value is UNSET or f.name == "id":
            continue
        if f.name == "attendance" and value is not None:
            out.update({k: v for k, v in dataclasses.asdict(value).items() if v is not UNSET})
            continue
        if f.name in _REFERENCES:
            type_name, target = _REFERENCES[f.name]
            client = camel(f.name)
            try:
                if isinstance(value, list):
                    out[target] = tuple(
                        decode_pk(v, type_name, f"{client}[{i}]") for i, v in enumerate(value)
                    )
                else:
                    out[target] = None if value is None else decode_pk(value, type_name, client)
            except ValidationError as exc:
                errors.extend(exc.errors)
            continue
        name = _RENAMED.get(f.name, f.name)
        out[name] = tuple(value) if isinstance(value, list) else value
    if errors:
        raise ValidationError(errors)
    return out


async def write(
    info: Info[Context, None], kind: str, cls: type[N], input: Any, id: strawberry.ID | None = None
) -> tuple[N | None, list[UserError]]:
    ctx = info.context
    try:
        data = to_service(input)
        # The services audit the change, in this transaction, as this request's actor.
        async with ctx.db.transaction(actor=ctx.actor) as session:
            if id is None:
                row = await services.create(session, kind, data)
            else:
                pk = decode_pk(id, cls.__name__, "id")
                row = await services.update(session, kind, pk, data)
    except ValidationError as exc:
        return None, user_errors(exc.errors)
    await ctx.after_write()
    table = t.NODE_TYPES[cls.__name__][0]
    [fresh] = await ctx.fetch(sa.select(table).where(table.c.id == row.id))
    return t.build(cls, fresh), []


# --- inputs -----------------------------------------------------------------------------------


@strawberry.input
class CreateOrganisationInput:
    name: str
    kind: OrganisationKind
    ods_code: str | None = None
    address: str | None = None
    postcode: str | None = None
    local_authority: str | None = None
    website: str | None = None


@strawberry.input(description="Only the fields given change; the result is validated whole.")
class UpdateOrganisationInput:
    id: strawberry.ID
    name: str | None = UNSET
    kind: OrganisationKind | None = UNSET
    ods_code: str | None = UNSET
    address: str | None = UNSET
    postcode: str | None = UNSET
    local_authority: str | None = UNSET
    website: str | None = UNSET


@strawberry.input
class CreateProgrammeInput:
    code: str
    name: str
    arm: ProgrammeArm
    description: str | None = None


@strawberry.input
class UpdateProgrammeInput:
    id: strawberry.ID
    code: str | None = UNSET
    name: str | None = UNSET
    arm: ProgrammeArm | None = UNSET
    description: str | None = UNSET


@strawberry.input
class CreateHubInput:
    code: str
    name: str
    venue: str
    area: str
    host_organisation: strawberry.ID
    local_authority: str | None = None
    schedule: str | None = None
    programme: strawberry.ID | None = None
    status: HubStatus = HubStatus.ACTIVE
    started_on: dt.date | None = None
    partners: list[strawberry.ID] = strawberry.field(default_factory=list)
    cohorts: list[str] = strawberry.field(
        default_factory=list, description="Clinical cohort codes."
    )
    catchment: list[str] = strawberry.field(
        default_factory=list, description='Postcode districts the hub serves ("TW3").'
    )


@strawberry.input
class UpdateHubInput:
    id: strawberry.ID
    code: str | None = UNSET
    name: str | None = UNSET
    venue: str | None = UNSET
    area: str | None = UNSET
    host_organisation: strawberry.ID | None = UNSET
    local_authority: str | None = UNSET
    schedule: str | None = UNSET
    programme: strawberry.ID | None = UNSET
    status: HubStatus | None = UNSET
    started_on: dt.date | None = UNSET
    partners: list[strawberry.ID] | None = UNSET
    cohorts: list[str] | None = UNSET
    catchment: list[str] | None = UNSET


@strawberry.input
class CreateProjectInput:
    code: str
    name: str
    programme: strawberry.ID
    area: str
    start_date: dt.date
    weeks: int
    local_authority: str | None = None
    lead_organisation: strawberry.ID | None = None
    end_date: dt.date | None = None
    partners: list[strawberry.ID] = strawberry.field(default_factory=list)
    cohorts: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateProjectInput:
    id: strawberry.ID
    code: str | None = UNSET
    name: str | None = UNSET
    programme: strawberry.ID | None = UNSET
    area: str | None = UNSET
    start_date: dt.date | None = UNSET
    weeks: int | None = UNSET
    local_authority: str | None = UNSET
    lead_organisation: strawberry.ID | None = UNSET
    end_date: dt.date | None = UNSET
    partners: list[strawberry.ID] | None = UNSET
    cohorts: list[str] | None = UNSET


@strawberry.input(description="Who came, by generation.")
class AttendanceInput:
    children_young_people: int = 0
    older_people: int = 0
    staff: int = 0
    volunteers: int = 0
    families: int = 0


@strawberry.input(description="A delivered session: give exactly one of hub or project.")
class RecordSessionInput:
    date: dt.date
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None
    venue: str | None = None
    facilitator: str | None = None
    attendance: AttendanceInput = strawberry.field(default_factory=AttendanceInput)
    notes: str | None = None


@strawberry.input
class UpdateSessionInput:
    id: strawberry.ID
    date: dt.date | None = UNSET
    venue: str | None = UNSET
    facilitator: str | None = UNSET
    attendance: AttendanceInput | None = UNSET
    notes: str | None = UNSET


@strawberry.input(
    description="A pseudonymous participant: no names or contact details here (those come "
    "with a referral). Sex and ethnicity are optional, coded, and readable only with "
    "read:personal."
)
class CreateParticipantInput:
    ref: str
    generation: Generation
    age_band: AgeBand | None = None
    cohorts: list[str] = strawberry.field(default_factory=list)
    postcode_district: str | None = None
    sex: Sex | None = None
    ethnicity: Ethnicity | None = None


@strawberry.input(description="Only the fields given change; the result is validated whole.")
class UpdateParticipantInput:
    id: strawberry.ID
    ref: str | None = UNSET
    generation: Generation | None = UNSET
    age_band: AgeBand | None = UNSET
    cohorts: list[str] | None = UNSET
    postcode_district: str | None = UNSET
    sex: Sex | None = UNSET
    ethnicity: Ethnicity | None = UNSET


@strawberry.input(description="A person or body with a role toward IMM.")
class CreateStakeholderInput:
    name: str
    kind_code: str = strawberry.field(name="kind", description="A stakeholder kind code.")
    organisation: strawberry.ID | None = None
    role: str | None = None


@strawberry.input(description="Only the fields given change; the result is validated whole.")
class UpdateStakeholderInput:
    id: strawberry.ID
    name: str | None = UNSET
    kind_code: str | None = strawberry.field(name="kind", default=UNSET)
    organisation: strawberry.ID | None = UNSET
    role: str | None = UNSET


@strawberry.input(description="How many staff, students or volunteers IMM trained, and when.")
class RecordTrainingInput:
    title: str
    delivered_on: dt.date
    trainees: int
    programme: strawberry.ID | None = None
    organisation: strawberry.ID | None = None


@strawberry.input(description="Only the fields given change; the result is validated whole.")
class UpdateTrainingInput:
    id: strawberry.ID
    title: str | None = UNSET
    delivered_on: dt.date | None = UNSET
    trainees: int | None = UNSET
    programme: strawberry.ID | None = UNSET
    organisation: strawberry.ID | None = UNSET


@strawberry.input(description="One questionnaire; the server computes the scores from the items.")
class RecordAssessmentInput:
    participant: strawberry.ID
    measure: Measure
    timepoint: Timepoint
    assessed_on: dt.date
    items: list[int]
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None


@strawberry.input(description="Correct an assessment; changed items are validated and re-scored.")
class UpdateAssessmentInput:
    id: strawberry.ID
    timepoint: Timepoint | None = UNSET
    assessed_on: dt.date | None = UNSET
    items: list[int] | None = UNSET
    hub: strawberry.ID | None = UNSET
    project: strawberry.ID | None = UNSET


# --- payloads ---------------------------------------------------------------------------------


@strawberry.type
class OrganisationPayload:
    organisation: t.Organisation | None
    errors: list[UserError]


@strawberry.type
class ProgrammePayload:
    programme: t.Programme | None
    errors: list[UserError]


@strawberry.type
class HubPayload:
    hub: t.Hub | None
    errors: list[UserError]


@strawberry.type
class ProjectPayload:
    project: t.Project | None
    errors: list[UserError]


@strawberry.type
class SessionPayload:
    session: t.Session | None
    errors: list[UserError]


@strawberry.type
class ParticipantPayload:
    participant: t.Participant | None
    errors: list[UserError]


@strawberry.type
class AssessmentPayload:
    assessment: t.OutcomeAssessment | None
    errors: list[UserError]


@strawberry.type
class StakeholderPayload:
    stakeholder: t.Stakeholder | None
    errors: list[UserError]


@strawberry.type
class TrainingPayload:
    training: t.TrainingDelivery | None
    errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_organisation(
        self, info: Info[Context, None], input: CreateOrganisationInput
    ) -> OrganisationPayload:
        obj, errors = await write(info, "organisation", t.Organisation, input)
        return OrganisationPayload(organisation=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_organisation(
        self, info: Info[Context, None], input: UpdateOrganisationInput
    ) -> OrganisationPayload:
        obj, errors = await write(info, "organisation", t.Organisation, input, input.id)
        return OrganisationPayload(organisation=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_programme(
        self, info: Info[Context, None], input: CreateProgrammeInput
    ) -> ProgrammePayload:
        obj, errors = await write(info, "programme", t.Programme, input)
        return ProgrammePayload(programme=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_programme(
        self, info: Info[Context, None], input: UpdateProgrammeInput
    ) -> ProgrammePayload:
        obj, errors = await write(info, "programme", t.Programme, input, input.id)
        return ProgrammePayload(programme=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_hub(self, info: Info[Context, None], input: CreateHubInput) -> HubPayload:
        obj, errors = await write(info, "hub", t.Hub, input)
        return HubPayload(hub=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_hub(self, info: Info[Context, None], input: UpdateHubInput) -> HubPayload:
        obj, errors = await write(info, "hub", t.Hub, input, input.id)
        return HubPayload(hub=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_project(
        self, info: Info[Context, None], input: CreateProjectInput
    ) -> ProjectPayload:
        obj, errors = await write(info, "project", t.Project, input)
        return ProjectPayload(project=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_project(
        self, info: Info[Context, None], input: UpdateProjectInput
    ) -> ProjectPayload:
        obj, errors = await write(info, "project", t.Project, input, input.id)
        return ProjectPayload(project=obj, errors=errors)

    @strawberry.mutation(
        description="Record a delivered session with its attendance.",
        extensions=requires(WRITE_CORE),
    )
    async def record_session(
        self, info: Info[Context, None], input: RecordSessionInput
    ) -> SessionPayload:
        obj, errors = await write(info, "session", t.Session, input)
        return SessionPayload(session=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_session(
        self, info: Info[Context, None], input: UpdateSessionInput
    ) -> SessionPayload:
        obj, errors = await write(info, "session", t.Session, input, input.id)
        return SessionPayload(session=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_participant(
        self, info: Info[Context, None], input: CreateParticipantInput
    ) -> ParticipantPayload:
        obj, errors = await write(info, "participant", t.Participant, input)
        return ParticipantPayload(participant=obj, errors=errors)

    @strawberry.mutation(
        description="Record a scored questionnaire; items are validated.",
        extensions=requires(WRITE_CORE),
    )
    async def record_assessment(
        self, info: Info[Context, None], input: RecordAssessmentInput
    ) -> AssessmentPayload:
        obj, errors = await write(info, "assessment", t.OutcomeAssessment, input)
        return AssessmentPayload(assessment=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_assessment(
        self, info: Info[Context, None], input: UpdateAssessmentInput
    ) -> AssessmentPayload:
        obj, errors = await write(info, "assessment", t.OutcomeAssessment, input, input.id)
        return AssessmentPayload(assessment=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_participant(
        self, info: Info[Context, None], input: UpdateParticipantInput
    ) -> ParticipantPayload:
        obj, errors = await write(info, "participant", t.Participant, input, input.id)
        return ParticipantPayload(participant=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def create_stakeholder(
        self, info: Info[Context, None], input: CreateStakeholderInput
    ) -> StakeholderPayload:
        obj, errors = await write(info, "stakeholder", t.Stakeholder, input)
        return StakeholderPayload(stakeholder=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_stakeholder(
        self, info: Info[Context, None], input: UpdateStakeholderInput
    ) -> StakeholderPayload:
        obj, errors = await write(info, "stakeholder", t.Stakeholder, input, input.id)
        return StakeholderPayload(stakeholder=obj, errors=errors)

    @strawberry.mutation(
        description="Record a training delivery.", extensions=requires(WRITE_CORE)
    )
    async def record_training(
        self, info: Info[Context, None], input: RecordTrainingInput
    ) -> TrainingPayload:
        obj, errors = await write(info, "training", t.TrainingDelivery, input)
        return TrainingPayload(training=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_training(
        self, info: Info[Context, None], input: UpdateTrainingInput
    ) -> TrainingPayload:
        obj, errors = await write(info, "training", t.TrainingDelivery, input, input.id)
        return TrainingPayload(training=obj, errors=errors)
