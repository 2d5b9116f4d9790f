"""Delivered sessions of a hub or a project, with attendance counted by generation."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin

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
