"""Reference data with stable codes: clinical cohorts and stakeholder kinds.

They are tables rather than enums so that hubs, projects, participants and stakeholders can
reference them with foreign keys, and partners can list them with their descriptions.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base


class ClinicalCohort(Base):
    __tablename__ = "clinical_cohorts"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text)


class StakeholderKind(Base):
    __tablename__ = "stakeholder_kinds"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text)
