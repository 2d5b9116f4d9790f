"""The plug-in platform's own bookkeeping: inbound webhook receipts and periodic job runs."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, UTCDateTime, utcnow


class WebhookReceipt(Base):
    """A webhook already received: its idempotency key, the hash of its body, our answer.

    The same key with the same body gets the same answer again (nothing is processed twice);
    the same key with another body is refused (409). The row is written in the transaction that
    processes the request, so concurrent copies wait on its unique key and find the answer.
    """

    __tablename__ = "webhook_receipts"
    __table_args__ = (sa.UniqueConstraint("plugin", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(100))
    key: Mapped[str] = mapped_column(sa.String(200))
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    content_type: Mapped[str] = mapped_column(sa.String(200))
    response: Mapped[bytes] = mapped_column(sa.LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class JobRun(Base):
    """When each plug-in's periodic job last ran and is next due, so restarts keep the rhythm."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("plugin", "job"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(100))
    job: Mapped[str] = mapped_column(sa.String(100))
    next_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(sa.String(20))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    runs: Mapped[int] = mapped_column(sa.Integer, default=0)
