"""The nhs_reporting plug-in's tables (its own Alembic branch, labelled "nhs_reporting").

Revision ID: nhs_reporting_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "nhs_reporting_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("nhs_reporting",)
# Depends on the core's first revision only: depending on its head would make the core branch
# and this one a single line, and the database would no longer report the core head.
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    op.create_table(
        "nhs_reporting_commissioners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ods_code", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hub_ids", sa.JSON(), nullable=True),
        sa.Column("submission_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('icb', 'pcn', 'trust', 'local_authority')",
                           name=op.f("ck_nhs_reporting_commissioners_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nhs_reporting_commissioners")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_nhs_reporting_commissioners_ods_code")),
    )
    op.create_table(
        "nhs_reporting_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commissioner_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_label", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(length=120), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by", sa.String(length=120), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=120), nullable=True),
        sa.Column("submitted_via", sa.String(length=20), nullable=True),
        sa.Column("delivery_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("period_end >= period_start",
                           name=op.f("ck_nhs_reporting_returns_period_ordered")),
        sa.CheckConstraint("status IN ('draft', 'signed_off', 'submitted')",
                           name=op.f("ck_nhs_reporting_returns_status_known")),
        sa.ForeignKeyConstraint(["commissioner_id"], ["nhs_reporting_commissioners.id"],
                                name=op.f("fk_nhs_reporting_returns_commissioner_id_nhs_reporting__bb1e"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nhs_reporting_returns")),
        sa.UniqueConstraint("commissioner_id", "period_start", "period_end", "version",
                            name="uq_nhs_reporting_returns_version"),
    )
    op.create_index("ix_nhs_reporting_returns_period", "nhs_reporting_returns",
                    ["commissioner_id", "period_start", "period_end"])


def downgrade() -> None:
    op.drop_index("ix_nhs_reporting_returns_period", table_name="nhs_reporting_returns")
    op.drop_table("nhs_reporting_returns")
    op.drop_table("nhs_reporting_commissioners")
