"""The transactional outbox: calls to partners, written with the change that caused them.

A delivery row is the promise to send; a worker keeps it. Rows hold the request (method, URL,
body, content type), which plug-in setting signs it (``secret_ref``) and which credentials the
plug-in provides when it is sent (``credentials``), never a secret itself. Every attempt is kept
in ``delivery_attempts`` so staff can see what a partner's endpoint answered and when.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin, UTCDateTime, utcnow
from imm_graph.models._types import enum_column_type


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # never tried, due at next_attempt_at
    IN_FLIGHT = "in_flight"  # claimed by a worker until lease_expires_at
    RETRYING = "retrying"  # failed at least once, due again at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the maximum number of attempts; staff may re-queue
    GONE = "gone"  # the partner answered 410: its endpoint is disabled; staff may re-queue
    DISCARDED = "discarded"  # staff gave up on it: it no longer holds later ones of its key


# A delivery in one of these states is finished: it no longer holds its ordering key.
FINISHED = (DeliveryStatus.DELIVERED, DeliveryStatus.DISCARDED)


class OutboxDelivery(TimestampMixin, Base):
    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        # Enqueueing the same logical message twice returns the first row instead of a duplicate.
        sa.UniqueConstraint("plugin", "idempotency_key"),
        sa.Index("ix_outbox_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_deliveries_ordering", "plugin", "ordering_key", "id"),
        sa.CheckConstraint(
            "(payload IS NULL) <> (body IS NULL)", name="payload_or_body"
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("length(url) > 0", name="url_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public id sent as X-IMM-Delivery-Id: stable across retries, unguessable.
    delivery_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    plugin: Mapped[str] = mapped_column(sa.String(100), index=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("domain_events.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    method: Mapped[str] = mapped_column(sa.String(10), default="POST")
    content_type: Mapped[str] = mapped_column(sa.String(200), default="application/json")
    # A JSON body (signed as compact, key-sorted JSON) or raw bytes (FHIR, a form, a file).
    # none_as_null: a raw-body delivery stores SQL NULL here, not JSON null (the CHECK above).
    payload: Mapped[Any] = mapped_column(sa.JSON(none_as_null=True), nullable=True)
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # Deliveries sharing a key are sent one at a time, in order; a failing one holds the rest.
    ordering_key: Mapped[str | None] = mapped_column(sa.String(200))
    # What a 410 disables: the URL without its query by default, or a name the plug-in gave.
    endpoint: Mapped[str] = mapped_column(sa.String(2000))
    # The name under which the plug-in's imm_graph_outbound_credentials provides auth headers.
    credentials: Mapped[str | None] = mapped_column(sa.String(100))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    # The name of the plug-in setting that holds the signing secret, resolved at send time.
    secret_ref: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_response_excerpt: Mapped[str | None] = mapped_column(sa.String(1000))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One HTTP attempt: what the partner answered (its status and the start of its answer)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (sa.Index("ix_delivery_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_deliveries.id", ondelete="CASCADE")
    )
    attempt_no: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool] = mapped_column(sa.Boolean)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    response_excerpt: Mapped[str | None] = mapped_column(sa.String(1000))


class OutboxEndpoint(TimestampMixin, Base):
    """A partner endpoint that answered 410 Gone: nothing more is sent to it until staff say."""

    __tablename__ = "outbox_endpoints"
    __table_args__ = (sa.UniqueConstraint("plugin", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(100))
    endpoint: Mapped[str] = mapped_column(sa.String(2000))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(sa.String(300))
