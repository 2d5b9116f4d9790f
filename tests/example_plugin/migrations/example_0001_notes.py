"""The example plug-in's tables (its own Alembic branch, labelled "example").

Revision ID: example_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "example_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("example",)
# Its tables refer to hubs: the core's revision that made them comes first.
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    op.create_table(
        "example_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"],
                                name=op.f("fk_example_notes_hub_id_hubs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notes")),
    )
    op.create_index(op.f("ix_example_notes_hub_id"), "example_notes", ["hub_id"])
    op.create_table(
        "example_delivery_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_delivery_log")),
    )
    op.create_table(
        "example_job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("example_job_runs")
    op.drop_table("example_delivery_log")
    op.drop_index(op.f("ix_example_notes_hub_id"), table_name="example_notes")
    op.drop_table("example_notes")
