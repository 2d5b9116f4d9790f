"""Organisations: the partner bodies IMM works with (care homes, schools, NHS bodies …)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin
from imm_graph.models._types import enum_column_type
from imm_graph.reference import OrganisationKind


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        # The full ODS pattern depends on the kind and lives in imm_graph.validators; the
        # database still refuses anything that cannot be an ODS code at all.
        sa.CheckConstraint(
            "ods_code IS NULL OR (length(ods_code) BETWEEN 3 AND 6 AND ods_code = upper(ods_code))",
            name="ods_code_shape",
        ),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column_type(OrganisationKind, "organisation_kind"), index=True
    )
    ods_code: Mapped[str | None] = mapped_column(sa.String(6), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    postcode: Mapped[str | None] = mapped_column(sa.String(8))
    local_authority: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    website: Mapped[str | None] = mapped_column(sa.String(300))
