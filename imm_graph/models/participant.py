"""Participants: pseudonymous by default, enrolled in hubs or projects, linked to cohorts.

Identifiable fields exist only where a referral brought them. They are encrypted at rest
(`imm_graph.security.crypto`), left out of every ordinary read, and readable only with
`read:personal`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin
from imm_graph.models._types import enum_column_type
from imm_graph.reference import AgeBand, EthnicCategory, Generation, Sex
from imm_graph.security.crypto import EncryptedDate, EncryptedString


class Participant(TimestampMixin, Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A pseudonymous reference ("P-000123"): what staff and partners use instead of a name.
    ref: Mapped[str] = mapped_column(sa.String(40), unique=True)
    age_band: Mapped[AgeBand | None] = mapped_column(enum_column_type(AgeBand, "age_band"))
    generation: Mapped[Generation] = mapped_column(
        enum_column_type(Generation, "generation"), index=True
    )
    # Identifiable data, from referrals only; stored encrypted (security/crypto.py).
    given_name: Mapped[str | None] = mapped_column(EncryptedString())
    family_name: Mapped[str | None] = mapped_column(EncryptedString())
    nhs_number: Mapped[str | None] = mapped_column(EncryptedString())
    date_of_birth: Mapped[dt.date | None] = mapped_column(EncryptedDate())
    email: Mapped[str | None] = mapped_column(EncryptedString())
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    address: Mapped[str | None] = mapped_column(EncryptedString())
    postcode: Mapped[str | None] = mapped_column(EncryptedString())
    # Keyed hash of the normalised NHS number, so a referral can be matched without decrypting.
    nhs_number_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # Optional, coded demographics commissioners ask for. Personal data (ethnicity is special
    # category): read per person only with read:personal, reported only after disclosure
    # control. Kept as plain codes so returns can count them in SQL.
    sex: Mapped[Sex | None] = mapped_column(enum_column_type(Sex, "sex"))
    ethnicity: Mapped[EthnicCategory | None] = mapped_column(
        enum_column_type(EthnicCategory, "ethnic_category")
    )
    # The outward code of the postcode ("TW3"): an area of thousands of households, for hub
    # catchments and area reporting, kept outside the encrypted full postcode.
    postcode_district: Mapped[str | None] = mapped_column(sa.String(4), index=True)


# The identifiable columns, in the order the API lists them.
PERSONAL_FIELDS = (
    "given_name", "family_name", "nhs_number", "date_of_birth", "email", "phone", "address",
    "postcode",
)
# Personal but not identifying on their own: plain columns, read per person with read:personal.
DEMOGRAPHIC_FIELDS = ("sex", "ethnicity")


participant_cohorts = sa.Table(
    "participant_cohorts",
    Base.metadata,
    sa.Column(
        "participant_id", sa.ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "cohort_code", sa.ForeignKey("clinical_cohorts.code", ondelete="RESTRICT"),
        primary_key=True, index=True,
    ),
)


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        sa.CheckConstraint("(hub_id IS NULL) <> (project_id IS NULL)", name="one_parent"),
        sa.CheckConstraint("left_on IS NULL OR left_on >= enrolled_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    hub_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hubs.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    enrolled_on: Mapped[dt.date] = mapped_column(sa.Date)
    left_on: Mapped[dt.date | None] = mapped_column(sa.Date)
