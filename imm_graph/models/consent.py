"""Consent records: what a person agreed to, when, given by whom, and when they withdrew it.

A consent belongs to a participant or to a stakeholder (a podcast guest, say), never both. It
holds no names: who gave it is a coded role, and who recorded it an actor label.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin, UTCDateTime
from imm_graph.models._types import enum_column_type
from imm_graph.reference import ConsentGivenBy, ConsentPurpose


class Consent(TimestampMixin, Base):
    __tablename__ = "consents"
    __table_args__ = (
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (stakeholder_id IS NULL)", name="one_subject"
        ),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_at >= given_at", name="withdrawn_after_given"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    stakeholder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stakeholders.id", ondelete="CASCADE"), index=True
    )
    # In every consent event too (see pluginhost.events.ids_and_codes): a plug-in that acts on
    # withdrawals tells them from other saves without reading the row.
    purpose: Mapped[ConsentPurpose] = mapped_column(
        enum_column_type(ConsentPurpose, "consent_purpose"), info={"in_events": True}
    )
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    given_by: Mapped[ConsentGivenBy] = mapped_column(
        enum_column_type(ConsentGivenBy, "consent_given_by")
    )
    recorded_by: Mapped[str] = mapped_column(sa.String(120))  # an actor label, never a name
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), info={"in_events": True}
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.String(300))
