"""Domain events and their hand-over to each plug-in's event hook.

An event row lands in the same transaction as the change it describes, so a committed change
always has its event. A plug-in whose hook failed gets an ``event_deliveries`` row: the event is
then retried for that plug-in alone, never dropped, and a staff member can see why it failed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin, UTCDateTime, utcnow
from imm_graph.models._types import enum_column_type


class EventDeliveryStatus(StrEnum):
    PENDING_RETRY = "pending_retry"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class DomainEventRecord(Base):
    """One thing that happened to core or plug-in data: ids and codes, never personal data."""

    __tablename__ = "domain_events"
    __table_args__ = (
        sa.Index("ix_domain_events_entity", "entity", "entity_id"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), index=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # "created" or "updated" for events about a stored record; which fields an update changed.
    change: Mapped[str | None] = mapped_column(sa.String(10))
    changed: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class EventDelivery(TimestampMixin, Base):
    """A plug-in's failed handling of one event, kept until a retry succeeds or gives up."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "plugin"),
        sa.Index("ix_event_deliveries_due", "status", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("domain_events.id", ondelete="CASCADE"), index=True
    )
    plugin: Mapped[str] = mapped_column(sa.String(100), index=True)
    status: Mapped[EventDeliveryStatus] = mapped_column(
        enum_column_type(EventDeliveryStatus, "event_delivery_status"),
        default=EventDeliveryStatus.PENDING_RETRY,
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Exception type and first line of its message only: never values, SQL parameters or payloads.
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
