"""Demo rows: the Talking Generations show with episodes from IMM's Annual Report 2023/24.

The episodes, guests and organisations are the real ones the report names (the #iwill episode
with Sami Gichki, Youth United Foundation's Sarah Atkins and Anna Maddox, Jess & Norma); audio and
artwork are the plug-in's own demo media (``demo_media``: generated artwork and a short silent
MP3 on the server's own address), since the report gives none, so publishing a new episode works
on ``./scripts/serve-demo`` in development. Written through
the catalogue's own functions, inside the seeding transaction; seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import models
from plugins.podcast import catalogue, demo_media
from plugins.podcast.models import PodcastEpisode, PodcastPerson, PodcastSeason, PodcastShow

SLUG = "talking-generations"
UTC = dt.UTC

SHOW: dict[str, Any] = {
    "slug": SLUG,
    "title": "Talking Generations",
    "description": (
        "The Talking Generations Podcast brings together people from across the generations and "
        "sectors to share their stories and experiences. It starts with a conversation, so "
        "let's talk. A campaign by Intergenerational Music Making with Intergenerational "
        "England."
    ),
    "link": "https://www.intergenerationalmusicmaking.com/",
    "language": "en-gb",
    "category": "Society & Culture",
    "subcategory": "Relationships",
    "explicit": False,
    "author": "Intergenerational Music Making",
    "owner_name": "Intergenerational Music Making",
    "owner_email": "podcast@example.org",
    "show_type": "episodic",
    "copyright": "© Intergenerational Music Making",
    "funding_url": "https://www.intergenerationalmusicmaking.com/donate",
    "funding_text": "Support Intergenerational Music Making",
    "locked": True,
}

EPISODES: list[dict[str, Any]] = [
    {
        "title": "Youth social action and the #iwill movement, with Sami Gichki",
        "summary": (
            "<p>Sami Gichki, co-chair of the #iwill movement and Intergenerational England "
            "ambassador, on young people leading in their communities, and what IMM's Youth "
            "Innovators in Basingstoke and Plymouth learned running creative workshops for "
            "older adults.</p>"
        ),
        "at": dt.datetime(2023, 11, 14, 7, 0, tzinfo=UTC),
        "number": 1,
        "duration": 2_412,
        "guests": ["Sami Gichki"],
        "programmes": ["youth_social_action", "talking_generations"],
        "chapters": [
            {"startTime": 0, "title": "Welcome"},
            {"startTime": 95, "title": "What is #iwill?"},
            {"startTime": 840, "title": "Youth Innovators in Basingstoke and Plymouth"},
            {"startTime": 1_980, "title": "Why generations need each other"},
        ],
    },
    {
        "title": "Scouts, Brownies & care homes: Youth United Foundation",
        "summary": (
            "<p>Sarah Atkins, Project Manager, and Anna Maddox, Director of "
            "<a href=\"https://www.yuf.org.uk/\">Youth United Foundation</a>, on connecting "
            "uniformed youth groups with their local care homes in Scotland, Salford, Wykeham and "
            "Banstead.</p>"
        ),
        "at": dt.datetime(2024, 2, 6, 7, 0, tzinfo=UTC),
        "number": 3,
        "duration": 2_105,
        "guests": ["Sarah Atkins", "Anna Maddox"],
        "programmes": ["youth_social_action", "talking_generations"],
        "chapters": None,
    },
    {
        "title": "Jess & Norma: best friends across the generations",
        "summary": (
            "<p>The TikTok sensations Jess &amp; Norma, the first Intergenerational England "
            "ambassadors, on their daily lives, what brought them together and what is on "
            "Norma's Christmas list.</p>"
        ),
        "at": dt.datetime(2023, 12, 12, 7, 0, tzinfo=UTC),
        "number": 2,
        "duration": 1_838,
        "guests": ["Jess & Norma"],
        "programmes": ["talking_generations"],
        "chapters": None,
    },
]

TRANSCRIPT = """WEBVTT

00:00:00.000 --> 00:00:06.000
<v Charlotte Miller>Welcome to Talking Generations. It starts with a conversation, so let's talk.

00:01:35.000 --> 00:01:41.000
<v Sami Gichki>#iwill is about young people taking action on the issues they care about.
"""


async def seed(session: AsyncSession, base_url: str) -> Mapping[str, int]:
    """Add the show once; returns the rows of the plug-in's tables (the same however often)."""
    if await session.scalar(sa.select(PodcastShow.id).where(PodcastShow.slug == SLUG)):
        return await _counts(session)
    stakeholders = {row.name: row for row in await session.scalars(sa.select(models.Stakeholder))}
    programmes = {row.code: row.id for row in await session.execute(
        sa.select(models.Programme.code, models.Programme.id))}
    media = demo_media.media_base(base_url)
    show = await catalogue.create_show(session, base_url, **SHOW,
                                       artwork_url=f"{media}/artwork.png")
    season = await catalogue.add_season(session, show.id, 1, "Season 1")
    host = await _person(session, stakeholders, "Charlotte Miller",
                         "https://www.intergenerationalmusicmaking.com/")
    await catalogue.credit(session, host.id, show_id=show.id, role="host")
    for i, spec in enumerate(EPISODES):
        episode = await catalogue.create_episode(
            session, show.id,
            programme_ids=[programmes[c] for c in spec["programmes"] if c in programmes],
            title=spec["title"], summary_html=spec["summary"], season_id=season.id,
            episode_number=spec["number"], episode_type="full", explicit=False,
            enclosure_url=f"{media}/tg-{spec['number']:03d}.mp3",
            enclosure_length=len(demo_media.silent_mp3()), enclosure_type="audio/mpeg",
            duration_seconds=spec["duration"], chapters=spec["chapters"],
            transcript_text=TRANSCRIPT if i == 0 else None,
            transcript_language="en-gb" if i == 0 else None,
            link="https://www.intergenerationalmusicmaking.com/",
        )
        for position, name in enumerate(spec["guests"], start=1):
            guest = await _person(session, stakeholders, name, None)
            await catalogue.credit(session, guest.id, episode_id=episode.id, role="guest",
                                   consent_given_at=spec["at"], position=position)
        await _publish(session, episode, spec["at"])
    await catalogue.create_episode(
        session, show.id, title="Izzy Judd at an early years hub (draft)",
        summary_html="<p>Izzy Judd and her son Lockie join an IMM early years hub.</p>",
        season_id=season.id, episode_number=4, programme_ids=[],
    )
    await session.flush()
    return await _counts(session)


async def _counts(session: AsyncSession) -> dict[str, int]:
    tables = (PodcastShow, PodcastSeason, PodcastEpisode, PodcastPerson)
    return {
        table.__tablename__: int(
            await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for table in tables
    }


async def _person(session: AsyncSession, stakeholders: Mapping[str, Any], name: str,
                  href: str | None) -> Any:
    stakeholder = stakeholders.get(name)
    return await catalogue.add_person(
        session, name=name, href=href,
        stakeholder_id=stakeholder.id if stakeholder else None,
        organisation_id=stakeholder.organisation_id if stakeholder else None,
    )


async def _publish(session: AsyncSession, episode: PodcastEpisode, at: dt.datetime) -> None:
    """Demo episodes went out long ago: published and announced as of their date (no pings)."""
    episode.status, episode.publish_at, episode.announced_at = "published", at, at
    await session.flush()
