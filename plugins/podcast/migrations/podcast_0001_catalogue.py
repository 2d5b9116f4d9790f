"""The podcast plug-in's catalogue: shows, seasons, episodes, persons, credits (branch "podcast").

Revision ID: podcast_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imm_graph.plugin_api import EncryptedString, UTCDateTime

revision: str = "podcast_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("podcast",)
# Its tables refer to hubs, programmes, stakeholders and organisations (made by the core's 0001).
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    op.create_table(
        "podcast_shows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("subcategory", sa.String(length=100), nullable=True),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("owner_name", sa.String(length=255), nullable=True),
        sa.Column("owner_email", sa.String(length=320), nullable=True),
        sa.Column("show_type", sa.String(length=10), nullable=False),
        sa.Column("artwork_url", sa.String(length=2000), nullable=True),
        sa.Column("copyright", sa.String(length=255), nullable=True),
        sa.Column("funding_url", sa.String(length=2000), nullable=True),
        sa.Column("funding_text", sa.String(length=128), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("podcast_guid", sa.String(length=36), nullable=False),
        sa.Column("new_feed_url", sa.String(length=2000), nullable=True),
        sa.Column("feed_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "show_type IN ('episodic', 'serial')", name=op.f("ck_podcast_shows_show_type_known")
        ),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_podcast_shows_slug_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_podcast_shows")),
        sa.UniqueConstraint("podcast_guid", name=op.f("uq_podcast_shows_podcast_guid")),
        sa.UniqueConstraint("slug", name=op.f("uq_podcast_shows_slug")),
    )
    op.create_table(
        "podcast_feed_aliases",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["podcast_shows.id"],
            name=op.f("fk_podcast_feed_aliases_show_id_podcast_shows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_podcast_feed_aliases")),
    )
    with op.batch_alter_table("podcast_feed_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_podcast_feed_aliases_show_id"), ["show_id"], unique=False
        )

    op.create_table(
        "podcast_seasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.CheckConstraint("number > 0", name=op.f("ck_podcast_seasons_number_positive")),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["podcast_shows.id"],
            name=op.f("fk_podcast_seasons_show_id_podcast_shows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_podcast_seasons")),
        sa.UniqueConstraint("show_id", "number", name=op.f("uq_podcast_seasons_show_id_number")),
    )
    with op.batch_alter_table("podcast_seasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_podcast_seasons_show_id"), ["show_id"], unique=False)

    op.create_table(
        "podcast_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=True),
        sa.Column("guid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("episode_number", sa.Integer(), nullable=True),
        sa.Column("episode_type", sa.String(length=10), nullable=False),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("enclosure_url", sa.String(length=2000), nullable=True),
        sa.Column("enclosure_length", sa.BigInteger(), nullable=True),
        sa.Column("enclosure_type", sa.String(length=100), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("artwork_url", sa.String(length=2000), nullable=True),
        sa.Column("transcript_url", sa.String(length=2000), nullable=True),
        sa.Column("transcript_type", sa.String(length=40), nullable=True),
        sa.Column("transcript_language", sa.String(length=35), nullable=True),
        sa.Column("transcript_text", sa.Text(), nullable=True),
        sa.Column("chapters", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("publish_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "episode_type IN ('full', 'trailer', 'bonus')",
            name=op.f("ck_podcast_episodes_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published')", name=op.f("ck_podcast_episodes_status_known")
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0",
            name=op.f("ck_podcast_episodes_duration_not_negative"),
        ),
        sa.CheckConstraint(
            "enclosure_length IS NULL OR enclosure_length > 0",
            name=op.f("ck_podcast_episodes_length_positive"),
        ),
        sa.CheckConstraint(
            "episode_number IS NULL OR episode_number > 0",
            name=op.f("ck_podcast_episodes_number_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["podcast_seasons.id"],
            name=op.f("fk_podcast_episodes_season_id_podcast_seasons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["podcast_shows.id"],
            name=op.f("fk_podcast_episodes_show_id_podcast_shows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_podcast_episodes")),
        sa.UniqueConstraint("enclosure_url", name=op.f("uq_podcast_episodes_enclosure_url")),
        sa.UniqueConstraint("guid", name=op.f("uq_podcast_episodes_guid")),
    )
    with op.batch_alter_table("podcast_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_podcast_episodes_feed", ["show_id", "status", "publish_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_podcast_episodes_season_id"), ["season_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_podcast_episodes_show_id"), ["show_id"], unique=False)

    op.create_table(
        "podcast_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("img", sa.String(length=2000), nullable=True),
        sa.Column("href", sa.String(length=2000), nullable=True),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("contact_email", EncryptedString(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_podcast_persons_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholders.id"],
            name=op.f("fk_podcast_persons_stakeholder_id_stakeholders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_podcast_persons")),
    )
    with op.batch_alter_table("podcast_persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_podcast_persons_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_podcast_persons_stakeholder_id"), ["stakeholder_id"], unique=False
        )

    op.create_table(
        "podcast_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=True),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("group", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("consent_given_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(show_id IS NULL) <> (episode_id IS NULL)",
            name=op.f("ck_podcast_credits_show_or_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["podcast_episodes.id"],
            name=op.f("fk_podcast_credits_episode_id_podcast_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["podcast_persons.id"],
            name=op.f("fk_podcast_credits_person_id_podcast_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["podcast_shows.id"],
            name=op.f("fk_podcast_credits_show_id_podcast_shows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_podcast_credits")),
        sa.UniqueConstraint(
            "episode_id",
            "person_id",
            "role",
            name=op.f("uq_podcast_credits_episode_id_person_id_role"),
        ),
        sa.UniqueConstraint(
            "show_id", "person_id", "role", name=op.f("uq_podcast_credits_show_id_person_id_role")
        ),
    )
    with op.batch_alter_table("podcast_credits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_podcast_credits_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_podcast_credits_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_podcast_credits_show_id"), ["show_id"], unique=False)

    op.create_table(
        "podcast_episode_hubs",
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["podcast_episodes.id"],
            name=op.f("fk_podcast_episode_hubs_episode_id_podcast_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hub_id"],
            ["hubs.id"],
            name=op.f("fk_podcast_episode_hubs_hub_id_hubs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("episode_id", "hub_id", name=op.f("pk_podcast_episode_hubs")),
    )
    with op.batch_alter_table("podcast_episode_hubs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_podcast_episode_hubs_hub_id"), ["hub_id"], unique=False
        )

    op.create_table(
        "podcast_episode_programmes",
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["podcast_episodes.id"],
            name=op.f("fk_podcast_episode_programmes_episode_id_podcast_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_podcast_episode_programmes_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "episode_id", "programme_id", name=op.f("pk_podcast_episode_programmes")
        ),
    )
    with op.batch_alter_table("podcast_episode_programmes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_podcast_episode_programmes_programme_id"), ["programme_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("podcast_episode_programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_episode_programmes_programme_id"))

    op.drop_table("podcast_episode_programmes")
    with op.batch_alter_table("podcast_episode_hubs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_episode_hubs_hub_id"))

    op.drop_table("podcast_episode_hubs")
    with op.batch_alter_table("podcast_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_credits_show_id"))
        batch_op.drop_index(batch_op.f("ix_podcast_credits_person_id"))
        batch_op.drop_index(batch_op.f("ix_podcast_credits_episode_id"))

    op.drop_table("podcast_credits")
    with op.batch_alter_table("podcast_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_persons_stakeholder_id"))
        batch_op.drop_index(batch_op.f("ix_podcast_persons_organisation_id"))

    op.drop_table("podcast_persons")
    with op.batch_alter_table("podcast_episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_episodes_show_id"))
        batch_op.drop_index(batch_op.f("ix_podcast_episodes_season_id"))
        batch_op.drop_index("ix_podcast_episodes_feed")

    op.drop_table("podcast_episodes")
    with op.batch_alter_table("podcast_seasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_seasons_show_id"))

    op.drop_table("podcast_seasons")
    with op.batch_alter_table("podcast_feed_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_podcast_feed_aliases_show_id"))

    op.drop_table("podcast_feed_aliases")
    op.drop_table("podcast_shows")
