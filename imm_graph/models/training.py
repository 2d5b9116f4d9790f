"""Training deliveries: how many staff, students or volunteers IMM trained, and when."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin


class TrainingDelivery(TimestampMixin, Base):
    __tablename__ = "training_deliveries"
    __table_args__ = (sa.CheckConstraint("trainees > 0", name="trainees_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    delivered_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    trainees: Mapped[int] = mapped_column(sa.Integer)
