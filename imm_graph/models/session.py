"""Delivered sessions of a hub or a project, with attendance counted by generation."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin, UTCDateTime, utcnow
from imm_graph.models._types import enum_column_type
from imm_graph.reference import AttendanceStatus

ATTENDANCE_COLUMNS = ("children_young_people", "older_people", "staff", "volunteers", "families")


class Session(TimestampMixin, Base):
    __tablename__ = "sessions"
    __table_args__ = (
        # A session belongs to exactly one hub or one project.
        sa.CheckConstraint(
            "(hub_id IS NULL) <> (project_id IS NULL)", name="one_parent"
        ),
        *(sa.CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in ATTENDANCE_COLUMNS),
        sa.Index("ix_sessions_hub_date", "hub_id", "session_date"),
        sa.Index("ix_sessions_project_date", "project_id", "session_date"),
        sa.Index("ix_sessions_date", "session_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hubs.id", ondelete="RESTRICT"))
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="RESTRICT")
    )
    # A local date: sessions happen on a day in the UK, not at an instant.
    session_date: Mapped[dt.date] = mapped_column(sa.Date)
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    facilitator: Mapped[str | None] = mapped_column(sa.String(200))
    children_young_people: Mapped[int] = mapped_column(sa.Integer, default=0)
    older_people: Mapped[int] = mapped_column(sa.Integer, default=0)
    staff: Mapped[int] = mapped_column(sa.Integer, default=0)
    volunteers: Mapped[int] = mapped_column(sa.Integer, default=0)
    families: Mapped[int] = mapped_column(sa.Integer, default=0)
    notes: Mapped[str | None] = mapped_column(sa.Text)


class SessionAttendee(Base):
    """One line of a session's register: who was expected, and whether they came.

    A register is optional: the counts on the session stand on their own. Where there is one,
    "first attended" and "did not attend" can be derived for each person.
    """

    __tablename__ = "session_attendees"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "participant_id"),
        sa.Index("ix_session_attendees_participant", "participant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE")
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_column_type(AttendanceStatus, "attendance_status")
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
