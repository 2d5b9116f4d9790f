"""social_prescribing: platforms, referrals and their state changes (branch "social_prescribing").

Revision ID: social_prescribing_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "social_prescribing_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("social_prescribing",)
# Refers to participants, hubs and api_keys (0003). Not the core head: a dependency on a head
# would hide that head from the version table.
depends_on: str | Sequence[str] | None = "0003"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "social_prescribing_platforms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("callback_url", sa.String(length=500), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        _ts("created_at"),
        _ts("rotated_at", True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL",
                                name=op.f("fk_social_prescribing_platforms_api_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_prescribing_platforms")),
        sa.UniqueConstraint("name", name=op.f("uq_social_prescribing_platforms_name")),
    )
    op.create_index(op.f("ix_social_prescribing_platforms_api_key_id"),
                    "social_prescribing_platforms", ["api_key_id"])
    op.create_table(
        "social_prescribing_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("snomed_code", sa.String(length=20), nullable=False),
        _ts("received_at"),
        sa.Column("authored_on", sa.Date(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("nhs_number", sa.Text(), nullable=True),
        sa.Column("nhs_number_index", sa.String(length=64), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("postcode_district", sa.String(length=4), nullable=True),
        sa.Column("cohorts", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("referrer_ods_code", sa.String(length=10), nullable=True),
        sa.Column("referrer_name", sa.Text(), nullable=True),
        sa.Column("consent_active", sa.Boolean(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("hub_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.String(length=40), nullable=True),
        _ts("decided_at", True),
        sa.Column("first_attended_on", sa.Date(), nullable=True),
        _ts("overdue_at", True),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["social_prescribing_platforms.id"], ondelete="RESTRICT",
            name=op.f("fk_social_prescribing_referrals_platform_id_social_prescribing_platforms")),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="SET NULL",
                                name=op.f("fk_social_prescribing_referrals_participant_id_participants")),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], ondelete="SET NULL",
                                name=op.f("fk_social_prescribing_referrals_hub_id_hubs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_prescribing_referrals")),
        sa.UniqueConstraint(
            "platform_id", "external_id",
            name=op.f("uq_social_prescribing_referrals_platform_id_external_id")),
    )
    for column in ("platform_id", "status", "received_at", "nhs_number_index",
                   "postcode_district", "participant_id", "hub_id", "overdue_at"):
        op.create_index(op.f(f"ix_social_prescribing_referrals_{column}"),
                        "social_prescribing_referrals", [column])
    op.create_table(
        "social_prescribing_referral_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["social_prescribing_referrals.id"], ondelete="CASCADE",
            name=op.f("fk_social_prescribing_referral_changes_referral_id_social_prescribing_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_prescribing_referral_changes")),
    )
    op.create_index(op.f("ix_social_prescribing_referral_changes_referral_id"),
                    "social_prescribing_referral_changes", ["referral_id"])


def downgrade() -> None:
    op.drop_table("social_prescribing_referral_changes")
    op.drop_table("social_prescribing_referrals")
    op.drop_table("social_prescribing_platforms")
