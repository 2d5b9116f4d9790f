"""Hubs: recurring intergenerational community hubs with a host and partner organisations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.db import Base, TimestampMixin
from imm_graph.models._types import enum_column_type
from imm_graph.reference import HubStatus


class Hub(TimestampMixin, Base):
    __tablename__ = "hubs"
    __table_args__ = (sa.CheckConstraint("length(code) > 0", name="code_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    venue: Mapped[str] = mapped_column(sa.String(200))
    area: Mapped[str] = mapped_column(sa.String(120), index=True)
    local_authority: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    schedule: Mapped[str | None] = mapped_column(sa.String(200))
    host_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[HubStatus] = mapped_column(
        enum_column_type(HubStatus, "hub_status"), default=HubStatus.ACTIVE, index=True
    )
    started_on: Mapped[dt.date | None] = mapped_column(sa.Date)


hub_partners = sa.Table(
    "hub_partners",
    Base.metadata,
    sa.Column("hub_id", sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True,
        index=True,
    ),
)

hub_cohorts = sa.Table(
    "hub_cohorts",
    Base.metadata,
    sa.Column("hub_id", sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "cohort_code", sa.ForeignKey("clinical_cohorts.code", ondelete="RESTRICT"),
        primary_key=True, index=True,
    ),
)

# The postcode districts ("TW3") a hub serves: referrals are matched to hubs by them.
hub_catchments = sa.Table(
    "hub_catchments",
    Base.metadata,
    sa.Column("hub_id", sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("postcode_district", sa.String(4), primary_key=True, index=True),
)
