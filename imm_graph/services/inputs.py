"""Validated inputs for every write to the core, shared by GraphQL, the CLI and the seeders.

Field names are snake_case here; `FieldError.field` carries the client's camelCase path so that a
GraphQL client sees the name it sent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from imm_graph.errors import ValidationError
from imm_graph.reference import (
    AgeBand,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Timepoint,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    ),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class OrganisationInput(Input):
    name: Name
    kind: OrganisationKind
    ods_code: str | None = None
    address: ShortText | None = None
    postcode: str | None = None
    local_authority: Annotated[str, StringConstraints(max_length=120)] | None = None
    website: ShortText | None = None

    @model_validator(mode="after")
    def _identifiers(self) -> OrganisationInput:
        from imm_graph.validators import validate_ods_code, validate_postcode

        # The ODS rule depends on the kind, so it is checked once both are known.
        if self.ods_code:
            object.__setattr__(
                self, "ods_code", validate_ods_code(self.ods_code, self.kind.value, "odsCode")
            )
        if self.postcode:
            object.__setattr__(self, "postcode", validate_postcode(self.postcode, "postcode"))
        return self


class ProgrammeInput(Input):
    code: Code
    name: Name
    arm: ProgrammeArm
    description: str | None = None


class ProjectInput(Input):
    code: Code
    name: Name
    programme_id: int
    area: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    local_authority: str | None = None
    lead_organisation_id: int | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    weeks: Annotated[int, Field(ge=1, le=104)]
    partner_ids: tuple[int, ...] = ()
    cohort_codes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _dates(self) -> ProjectInput:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValidationError.single(
                "endDate", "date_order", "endDate must be on or after startDate"
            )
        return self


class HubInput(Input):
    code: Code
    name: Name
    venue: Name
    area: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    local_authority: str | None = None
    schedule: str | None = None
    host_organisation_id: int
    programme_id: int | None = None
    status: HubStatus = HubStatus.ACTIVE
    started_on: dt.date | None = None
    partner_ids: tuple[int, ...] = ()
    cohort_codes: tuple[str, ...] = ()


class SessionInput(Input):
    hub_id: int | None = None
    project_id: int | None = None
    session_date: dt.date
    venue: ShortText | None = None
    facilitator: ShortText | None = None
    children_young_people: Count = 0
    older_people: Count = 0
    staff: Count = 0
    volunteers: Count = 0
    families: Count = 0
    notes: str | None = None

    @model_validator(mode="after")
    def _one_parent(self) -> SessionInput:
        if (self.hub_id is None) == (self.project_id is None):
            raise ValidationError.single(
                "hubId", "one_parent", "give exactly one of hubId or projectId"
            )
        return self


class StakeholderInput(Input):
    name: Name
    kind_code: str
    organisation_id: int | None = None
    role: ShortText | None = None


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,24}$")


class ParticipantInput(Input):
    """A participant; the identifiable fields come only with a referral.

    Error messages about identifiable fields never repeat the value: messages reach logs.
    """

    ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    age_band: AgeBand | None = None
    generation: Generation
    cohort_codes: tuple[str, ...] = ()
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    nhs_number: str | None = None
    date_of_birth: dt.date | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None = None
    address: ShortText | None = None
    postcode: str | None = None

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str | None) -> str | None:
        from imm_graph.validators import validate_nhs_number

        return validate_nhs_number(value, "nhsNumber") if value else None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        from imm_graph.validators import validate_postcode

        return validate_postcode(value, "postcode") if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValidationError.single("email", "email_format", "email is not an e-mail address")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise ValidationError.single(
                "phone", "phone_format", "phone must be 7 to 24 digits, spaces, +, ( ) or -"
            )
        return value or None

    @field_validator("date_of_birth")
    @classmethod
    def _date_of_birth(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not dt.date(1900, 1, 1) <= value <= dt.date.today():
            raise ValidationError.single(
                "dateOfBirth", "out_of_range", "dateOfBirth must be between 1900 and today"
            )
        return value


class EnrolmentInput(Input):
    participant_id: int
    hub_id: int | None = None
    project_id: int | None = None
    enrolled_on: dt.date
    left_on: dt.date | None = None

    @model_validator(mode="after")
    def _checks(self) -> EnrolmentInput:
        if (self.hub_id is None) == (self.project_id is None):
            raise ValidationError.single(
                "hubId", "one_parent", "give exactly one of hubId or projectId"
            )
        if self.left_on is not None and self.left_on < self.enrolled_on:
            raise ValidationError.single(
                "leftOn", "date_order", "leftOn must be on or after enrolledOn"
            )
        return self


class AssessmentInput(Input):
    participant_id: int
    measure: Measure
    timepoint: Timepoint
    assessed_on: dt.date
    items: tuple[Any, ...]
    hub_id: int | None = None
    project_id: int | None = None

    @model_validator(mode="after")
    def _context(self) -> AssessmentInput:
        if self.hub_id is not None and self.project_id is not None:
            raise ValidationError.single(
                "hubId", "one_context", "give at most one of hubId or projectId"
            )
        return self


class TrainingInput(Input):
    title: Name
    programme_id: int | None = None
    organisation_id: int | None = None
    delivered_on: dt.date
    trainees: Annotated[int, Field(ge=1, le=100_000)]
