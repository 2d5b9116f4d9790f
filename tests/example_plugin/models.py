"""The plug-in's tables: prefixed with its name, on imm_graph's Base, in its own migrations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.plugin_api import Base


class ExampleNote(Base):
    __tablename__ = "example_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))


class ExampleDeliveryLog(Base):
    """What our deliveries came to (from imm_graph_delivery_result)."""

    __tablename__ = "example_delivery_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(20))
    status_code: Mapped[int | None] = mapped_column(sa.Integer)


class ExampleJobRun(Base):
    """One row per run of the periodic job."""

    __tablename__ = "example_job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
