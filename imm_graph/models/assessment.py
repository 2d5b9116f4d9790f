"""Outcome assessments: one scored questionnaire taken by a participant at a timepoint."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin
from imm_graph.models._types import enum_column_type
from imm_graph.reference import Measure, Timepoint


class OutcomeAssessment(TimestampMixin, Base):
    __tablename__ = "outcome_assessments"
    __table_args__ = (
        sa.UniqueConstraint("participant_id", "measure", "timepoint", "assessed_on"),
        sa.CheckConstraint("raw_score >= 0 AND raw_score <= 70", name="raw_score_range"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        sa.CheckConstraint("(hub_id IS NULL) OR (project_id IS NULL)", name="at_most_one_context"),
        sa.Index("ix_outcome_assessments_measure_timepoint", "measure", "timepoint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    measure: Mapped[Measure] = mapped_column(enum_column_type(Measure, "measure"))
    timepoint: Mapped[Timepoint] = mapped_column(enum_column_type(Timepoint, "timepoint"))
    assessed_on: Mapped[dt.date] = mapped_column(sa.Date)
    # Item responses as answered, so scores can be recomputed if a scoring rule is corrected.
    items: Mapped[list[int]] = mapped_column(sa.JSON)
    raw_score: Mapped[float] = mapped_column(sa.Float)
    score: Mapped[float] = mapped_column(sa.Float)
    hub_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hubs.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
