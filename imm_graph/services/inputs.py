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

from imm_graph.errors import FieldError, ValidationError
from imm_graph.reference import (
    AgeBand,
    ConsentGivenBy,
    ConsentPurpose,
    EthnicCategory,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Sex,
    Timepoint,
)
from imm_graph.services.errors import camel
from imm_graph.validators import validate_nhs_number, validate_ods_code, validate_postcode

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    ),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
# Lengths follow the columns (a test compares every input field with its column).
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text120 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        """PostgreSQL refuses NUL in text and SQLite stores it: refuse it on both, by name."""
        if isinstance(data, dict):
            bad = [name for name, value in data.items() if _has_nul(value)]
            if bad:
                raise ValidationError([
                    FieldError("nul_character", camel(name),
                               f"{camel(name)} may not contain a NUL character")
                    for name in bad
                ])
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


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
    local_authority: Text120 | None = None
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
    local_authority: Text120 | None = None
    schedule: Text200 | None = None
    host_organisation_id: int
    programme_id: int | None = None
    status: HubStatus = HubStatus.ACTIVE
    started_on: dt.date | None = None
    partner_ids: tuple[int, ...] = ()
    cohort_codes: tuple[str, ...] = ()
    catchment: tuple[str, ...] = ()  # postcode districts ("TW3") the hub serves

    @field_validator("catchment")
    @classmethod
    def _districts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(postcode_district(v, f"catchment[{i}]") for i, v in enumerate(value))


_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")


def postcode_district(value: str, field: str) -> str:
    """An outward code ("TW3", "EC1A"): ASCII letters and digits in the UK's pattern."""
    district = value.strip().upper()
    if not district.isascii() or not _DISTRICT.fullmatch(district):
        raise ValidationError.single(
            field, "postcode_district_format",
            f"{field} must be a postcode district such as TW3 or EC1A",
        )
    return district


class SessionInput(Input):
    hub_id: int | None = None
    project_id: int | None = None
    session_date: dt.date
    venue: Text200 | None = None
    facilitator: Text200 | None = None
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
    role: Text200 | None = None


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
    postcode_district: str | None = None
    sex: Sex | None = None
    ethnicity: EthnicCategory | None = None

    @field_validator("postcode_district")
    @classmethod
    def _district(cls, value: str | None) -> str | None:
        return postcode_district(value, "postcodeDistrict") if value else None

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str | None) -> str | None:
        return validate_nhs_number(value, "nhsNumber") if value else None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
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


class ConsentInput(Input):
    """A consent given by (or for) a participant or a stakeholder; never both."""

    participant_id: int | None = None
    stakeholder_id: int | None = None
    purpose: ConsentPurpose
    given_at: dt.datetime
    given_by: ConsentGivenBy
    withdrawn_at: dt.datetime | None = None
    withdrawal_reason: ShortText | None = None

    @model_validator(mode="after")
    def _checks(self) -> ConsentInput:
        if (self.participant_id is None) == (self.stakeholder_id is None):
            raise ValidationError.single(
                "participantId", "one_subject", "give exactly one of participantId or stakeholderId"
            )
        for name in ("given_at", "withdrawn_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValidationError.single(
                    camel(name), "timezone_required", f"{camel(name)} needs a time zone"
                )
        if self.withdrawn_at is not None and self.withdrawn_at < self.given_at:
            raise ValidationError.single(
                "withdrawnAt", "date_order", "withdrawnAt must be on or after givenAt"
            )
        return self


class TrainingInput(Input):
    title: Name
    programme_id: int | None = None
    organisation_id: int | None = None
    delivered_on: dt.date
    trainees: Annotated[int, Field(ge=1, le=100_000)]
