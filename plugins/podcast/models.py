"""The podcast plug-in's tables, all prefixed ``podcast_``, in the plug-in's own Alembic branch.

An episode's ``guid`` is given once, when the row is created, and no write ever changes it: podcast
apps key their download history on it. A show's ``podcast_guid`` is the UUIDv5 of its first feed
URL and stays the same when the feed moves. ``feed_version`` is bumped by every write that changes
what the feed shows, so the feed route can answer a conditional request without rendering.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from imm_graph.plugin_api import Base, EncryptedString, UTCDateTime, utcnow

EPISODE_TYPES = ("full", "trailer", "bonus")
SHOW_TYPES = ("episodic", "serial")
STATUSES = ("draft", "published")  # "scheduled" is published with a publish time still to come


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PodcastShow(_Stamped, Base):
    __tablename__ = "podcast_shows"
    __table_args__ = (
        sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        sa.CheckConstraint("show_type IN ('episodic', 'serial')", name="show_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(2000))
    language: Mapped[str | None] = mapped_column(sa.String(35))
    category: Mapped[str | None] = mapped_column(sa.String(100))
    subcategory: Mapped[str | None] = mapped_column(sa.String(100))
    explicit: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    author: Mapped[str | None] = mapped_column(sa.String(255))
    owner_name: Mapped[str | None] = mapped_column(sa.String(255))
    # A role address published in every feed (Apple contacts it), not a person's private data.
    owner_email: Mapped[str | None] = mapped_column(sa.String(320))
    show_type: Mapped[str] = mapped_column(sa.String(10), default="episodic")
    artwork_url: Mapped[str | None] = mapped_column(sa.String(2000))
    copyright: Mapped[str | None] = mapped_column(sa.String(255))
    funding_url: Mapped[str | None] = mapped_column(sa.String(2000))
    funding_text: Mapped[str | None] = mapped_column(sa.String(128))
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    podcast_guid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    # Set when the feed has moved to another address (itunes:new-feed-url, and a 301 from here).
    new_feed_url: Mapped[str | None] = mapped_column(sa.String(2000))
    feed_version: Mapped[int] = mapped_column(sa.Integer, default=1)


class PodcastFeedAlias(Base):
    """A slug the show's feed was once served under: its old URL answers 301."""

    __tablename__ = "podcast_feed_aliases"

    slug: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    show_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"), index=True
    )


class PodcastSeason(Base):
    __tablename__ = "podcast_seasons"
    __table_args__ = (
        sa.UniqueConstraint("show_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str | None] = mapped_column(sa.String(255))


class PodcastEpisode(_Stamped, Base):
    __tablename__ = "podcast_episodes"
    __table_args__ = (
        sa.CheckConstraint("episode_type IN ('full', 'trailer', 'bonus')", name="type_known"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint("episode_number IS NULL OR episode_number > 0", name="number_positive"),
        sa.CheckConstraint("enclosure_length IS NULL OR enclosure_length > 0",
                           name="length_positive"),
        sa.CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0",
                           name="duration_not_negative"),
        sa.Index("ix_podcast_episodes_feed", "show_id", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"), index=True
    )
    season_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("podcast_seasons.id", ondelete="SET NULL"), index=True
    )
    # Permanent: given at creation, never updated (see the module's docstring).
    guid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(2000))
    episode_number: Mapped[int | None] = mapped_column(sa.Integer)
    episode_type: Mapped[str] = mapped_column(sa.String(10), default="full")
    explicit: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    enclosure_url: Mapped[str | None] = mapped_column(sa.String(2000), unique=True)
    enclosure_length: Mapped[int | None] = mapped_column(sa.BigInteger)
    enclosure_type: Mapped[str | None] = mapped_column(sa.String(100))
    duration_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    artwork_url: Mapped[str | None] = mapped_column(sa.String(2000))
    transcript_url: Mapped[str | None] = mapped_column(sa.String(2000))
    transcript_type: Mapped[str | None] = mapped_column(sa.String(40))
    transcript_language: Mapped[str | None] = mapped_column(sa.String(35))
    # A transcript kept here (WebVTT text), served by the plug-in with CORS headers.
    transcript_text: Mapped[str | None] = mapped_column(sa.Text)
    # JSON chapters 1.2 ("chapters" list only), served by the plug-in with CORS headers.
    chapters: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    publish_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When episode.published was emitted for this publication (once; a scheduled one by the job).
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PodcastPerson(_Stamped, Base):
    """A host or guest, linked to a core stakeholder and organisation where known."""

    __tablename__ = "podcast_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    img: Mapped[str | None] = mapped_column(sa.String(2000))
    href: Mapped[str | None] = mapped_column(sa.String(2000))
    stakeholder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stakeholders.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    # How to reach a guest about consent: personal, encrypted at rest, never in an API answer.
    contact_email: Mapped[str | None] = mapped_column(EncryptedString())


class PodcastCredit(Base):
    """A person on a show (the channel's podcast:person) or on one episode, with a role.

    A guest's consent to the episode going out is recorded here; withdrawing it takes the
    episode out of the feed.
    """

    __tablename__ = "podcast_credits"
    __table_args__ = (
        sa.CheckConstraint("(show_id IS NULL) <> (episode_id IS NULL)", name="show_or_episode"),
        sa.UniqueConstraint("episode_id", "person_id", "role"),
        sa.UniqueConstraint("show_id", "person_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("podcast_shows.id", ondelete="CASCADE"), index=True
    )
    episode_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("podcast_episodes.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("podcast_persons.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(40), default="host")
    group: Mapped[str] = mapped_column(sa.String(40), default="cast")
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    consent_given_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    consent_withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


episode_programmes = sa.Table(
    "podcast_episode_programmes",
    Base.metadata,
    sa.Column("episode_id", sa.ForeignKey("podcast_episodes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("programme_id", sa.ForeignKey("programmes.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

episode_hubs = sa.Table(
    "podcast_episode_hubs",
    Base.metadata,
    sa.Column("episode_id", sa.ForeignKey("podcast_episodes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("hub_id", sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)
