"""The plug-in's tables: registered platforms, their referrals, and every state change.

Identifiable data a referral brings (name, NHS number, birth date, contact, postcode) is
encrypted at rest like the core's participants; the NHS number is also kept as a keyed hash so
a repeat referral finds its person without decrypting anything.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.plugin_api import Base, EncryptedDate, EncryptedString, UTCDateTime, utcnow

# Referral states (see the README's state diagram) and the moves allowed between them.
RECEIVED, ACCEPTED, DECLINED, CONTACTED = "received", "accepted", "declined", "contacted"
FIRST_ATTENDED, COMPLETED, DISENGAGED, CANCELLED = (
    "first_attended", "completed", "disengaged", "cancelled",
)
STATES = (RECEIVED, ACCEPTED, DECLINED, CONTACTED, FIRST_ATTENDED, COMPLETED, DISENGAGED,
          CANCELLED)
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({ACCEPTED, DECLINED, CANCELLED}),
    ACCEPTED: frozenset({CONTACTED, FIRST_ATTENDED, DISENGAGED, CANCELLED}),
    CONTACTED: frozenset({FIRST_ATTENDED, DISENGAGED, CANCELLED}),
    FIRST_ATTENDED: frozenset({COMPLETED, DISENGAGED}),
    DECLINED: frozenset(),
    COMPLETED: frozenset(),
    DISENGAGED: frozenset(),
    CANCELLED: frozenset(),
}
# Coded reasons for declining (what the platform gets back, and what returns count).
DECLINE_REASONS = {
    "no_hub_nearby": "No IMM hub serves the person's area",
    "not_eligible": "The person's needs are outside what IMM offers",
    "person_declined": "The person chose not to take part",
    "no_capacity": "The hub has no places at present",
    "no_contact": "The person could not be contacted",
    "duplicate": "Already referred",
}


class SocialPrescribingPlatform(Base):
    """A referral platform allowed to send referrals: it signs with one of its secrets."""

    __tablename__ = "social_prescribing_platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # "native" or "fhir": the flavour of the status updates it receives.
    format: Mapped[str] = mapped_column(sa.String(10), default="native")
    # Shared signing secrets, encrypted; the previous one stays valid during a rotation.
    secret: Mapped[str] = mapped_column(EncryptedString())
    previous_secret: Mapped[str | None] = mapped_column(EncryptedString())
    callback_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The API key the platform uses for GraphQL (it sees only its own referrals).
    api_key_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SocialPrescribingReferral(Base):
    __tablename__ = "social_prescribing_referrals"
    __table_args__ = (
        # A repeat of the same referral id from the same platform is an update.
        sa.UniqueConstraint("platform_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("social_prescribing_platforms.id", ondelete="RESTRICT"), index=True
    )
    external_id: Mapped[str] = mapped_column(sa.String(200))
    format: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), index=True, default=RECEIVED)
    snomed_code: Mapped[str] = mapped_column(sa.String(20))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    authored_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    # The person: identifiable fields encrypted; the NHS number also as a keyed hash.
    given_name: Mapped[str | None] = mapped_column(EncryptedString())
    family_name: Mapped[str | None] = mapped_column(EncryptedString())
    nhs_number: Mapped[str | None] = mapped_column(EncryptedString())
    nhs_number_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(EncryptedDate())
    gender: Mapped[str | None] = mapped_column(sa.String(10))
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    email: Mapped[str | None] = mapped_column(EncryptedString())
    postcode: Mapped[str | None] = mapped_column(EncryptedString())
    postcode_district: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    cohorts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reason: Mapped[str | None] = mapped_column(EncryptedString())  # needs and concerns
    referrer_ods_code: Mapped[str | None] = mapped_column(sa.String(10))
    referrer_name: Mapped[str | None] = mapped_column(EncryptedString())
    consent_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    hub_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hubs.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.String(40))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_attended_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Bumped on every change: status updates are keyed by it, so each is queued once.
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    onupdate=utcnow)


class SocialPrescribingReferralChange(Base):
    """One state change of a referral: when, who, from what to what, and why."""

    __tablename__ = "social_prescribing_referral_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("social_prescribing_referrals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(sa.String(120))
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    note: Mapped[str | None] = mapped_column(sa.String(200))
