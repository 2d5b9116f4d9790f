"""Stakeholders: people or bodies with a role toward IMM, of the 18 kinds in the annual report."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin


class Stakeholder(TimestampMixin, Base):
    __tablename__ = "stakeholders"
    __table_args__ = (sa.CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind_code: Mapped[str] = mapped_column(
        sa.ForeignKey("stakeholder_kinds.code", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str | None] = mapped_column(sa.String(200))
