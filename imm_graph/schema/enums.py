"""The core vocabularies as GraphQL enums (values are the stable codes stored in the database)."""

from __future__ import annotations

from enum import Enum

import strawberry

from imm_graph import reference

OrganisationKind = strawberry.enum(
    reference.OrganisationKind, description="What kind of body an organisation is."
)
HubStatus = strawberry.enum(reference.HubStatus, description="Whether a hub is running.")
Generation = strawberry.enum(
    reference.Generation, description="The generation a participant belongs to."
)
AgeBand = strawberry.enum(reference.AgeBand, description="A participant's age band.")
Measure = strawberry.enum(reference.Measure, description="A validated outcome measure.")
Timepoint = strawberry.enum(
    reference.Timepoint, description="When an assessment was taken relative to the activity."
)
ProgrammeArm = strawberry.enum(reference.ProgrammeArm, description="IMM's delivery arms.")
Sex = strawberry.enum(
    reference.Sex, description="Stated sex, coded as NHS data sets code it (1, 2, 9, X)."
)
Ethnicity = strawberry.enum(
    reference.EthnicCategory, name="EthnicCategory",
    description="NHS Data Dictionary ethnic category (A–S, Z not stated, 99 not known).",
)
AttendanceStatus = strawberry.enum(
    reference.AttendanceStatus, description="One person's line on a session's register."
)
ConsentPurpose = strawberry.enum(reference.ConsentPurpose, description="What a consent covers.")
ConsentGivenBy = strawberry.enum(reference.ConsentGivenBy, description="Who gave a consent.")


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    ASC = "asc"
    DESC = "desc"
