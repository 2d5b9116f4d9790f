"""The plug-in's tables (prefixed ``nhs_reporting_``, in its own Alembic branch).

No personal data is stored here: a return keeps aggregate figures only (the raw, unsuppressed
counts behind its cells, readable with ``read:reports-raw``), so nothing needs encrypting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.plugin_api import Base

KINDS = ("icb", "pcn", "trust", "local_authority")
KIND_NAMES = {"icb": "Integrated care board", "pcn": "Primary care network",
              "trust": "NHS trust", "local_authority": "Local authority"}
DRAFT, SIGNED_OFF, SUBMITTED = "draft", "signed_off", "submitted"
STATUSES = (DRAFT, SIGNED_OFF, SUBMITTED)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NhsCommissioner(Base):
    """Who receives returns: an ICB, PCN, trust or local authority, by its ODS code."""

    __tablename__ = "nhs_reporting_commissioners"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ods_code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    # The hubs whose work this commissioner funds (None: all of IMM's work).
    hub_ids: Mapped[list[int] | None] = mapped_column(sa.JSON, nullable=True)
    # Where submissions are POSTed through the outbox (None: downloaded and sent by hand).
    submission_url: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(default=_utcnow)


class NhsReturn(Base):
    """One version of a commissioner's return for a period.

    A draft may be regenerated; once signed off it never changes (a correction is a new version
    of the same period, and the newest is ``is_current``).
    """

    __tablename__ = "nhs_reporting_returns"
    __table_args__ = (
        sa.UniqueConstraint("commissioner_id", "period_start", "period_end", "version",
                            name="uq_nhs_reporting_returns_version"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})",
                           name="status_known"),
        sa.Index("ix_nhs_reporting_returns_period", "commissioner_id", "period_start",
                 "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("nhs_reporting_commissioners.id", ondelete="RESTRICT")
    )
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    period_label: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    # The raw figures: {"cells": [...], "referrals_available": bool, "within_days": int}.
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    generated_at: Mapped[dt.datetime] = mapped_column()
    generated_by: Mapped[str] = mapped_column(sa.String(120))
    signed_off_at: Mapped[dt.datetime | None] = mapped_column()
    signed_off_by: Mapped[str | None] = mapped_column(sa.String(120))
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    submitted_by: Mapped[str | None] = mapped_column(sa.String(120))
    submitted_via: Mapped[str | None] = mapped_column(sa.String(20))  # outbox | download
    delivery_id: Mapped[str | None] = mapped_column(sa.String(36))


class ImmutableReturn(Exception):
    """A signed-off return was about to change (a correction is a new version)."""


# What a signed-off return keeps for good (status may still move on to submitted, and
# is_current is cleared when a correction supersedes it).
FROZEN = ("commissioner_id", "period_start", "period_end", "period_label", "version", "figures",
          "warnings", "generated_at", "generated_by", "signed_off_at", "signed_off_by",
          "content_sha256")


@sa.event.listens_for(NhsReturn, "before_update")
def _refuse_changes_once_signed_off(mapper: Any, connection: Any, target: NhsReturn) -> None:
    """The last line of defence under the service checks: no code path rewrites a signed-off
    return's figures, even by mistake."""
    state = sa.inspect(target)
    history = state.attrs.status.history
    before = history.deleted[0] if history.deleted else target.status
    if before in (SIGNED_OFF, SUBMITTED):
        changed = [name for name in FROZEN if state.attrs[name].history.has_changes()]
        if changed:
            raise ImmutableReturn(
                f"return {target.id} is signed off; refused to change {', '.join(changed)}")
