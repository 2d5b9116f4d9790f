"""Programmes (Together with Music, Harmony Generations …) and the projects that deliver them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin
from imm_graph.models._types import enum_column_type
from imm_graph.reference import ProgrammeArm


class Programme(TimestampMixin, Base):
    __tablename__ = "programmes"
    __table_args__ = (sa.CheckConstraint("length(code) > 0", name="code_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    arm: Mapped[ProgrammeArm] = mapped_column(enum_column_type(ProgrammeArm, "programme_arm"))
    description: Mapped[str | None] = mapped_column(sa.Text)


class Project(TimestampMixin, Base):
    """A block of weekly sessions (typically 6–10 weeks) delivered in one place for some cohorts."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("weeks BETWEEN 1 AND 104", name="weeks_range"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint("length(code) > 0", name="code_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="RESTRICT"), index=True
    )
    area: Mapped[str] = mapped_column(sa.String(120), index=True)
    local_authority: Mapped[str | None] = mapped_column(sa.String(120))
    lead_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[dt.date] = mapped_column(sa.Date)
    end_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    weeks: Mapped[int] = mapped_column(sa.Integer)


project_partners = sa.Table(
    "project_partners",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True,
        index=True,
    ),
)

project_cohorts = sa.Table(
    "project_cohorts",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "cohort_code", sa.ForeignKey("clinical_cohorts.code", ondelete="RESTRICT"),
        primary_key=True, index=True,
    ),
)
