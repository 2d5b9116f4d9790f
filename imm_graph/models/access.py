"""Partner access: API keys and the audit log.

An API key is stored as a public key id plus a keyed hash (HMAC-SHA256 with the server's
secret) of its secret: the secret itself is shown once, at creation, and never stored, so a
database dump cannot be used to call the API.

The audit log says who did what to which objects, and when: never the values of personal
fields, only object ids and field names, so the log itself is not a second copy of the data.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, UTCDateTime, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public part of the key (`imm_<key_id>_<secret>`): safe to show, log and audit.
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(128))
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    api_key_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    # Who, for people reading the log: "key:<key id>", "cli:<user>", "anonymous".
    actor: Mapped[str] = mapped_column(sa.String(120))
    # A mutation's name ("createHub"), "read:personal", or a command ("keys.revoke").
    action: Mapped[str] = mapped_column(sa.String(120), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60))
    # Primary keys as strings (plug-ins' keys need not be integers).
    object_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # For reads of personal data: which fields (names only, never values).
    fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:  # ids only: an audit row must be safe to print
        return f"<AuditEntry {self.id} {self.action} {self.object_type} {self.object_ids}>"
