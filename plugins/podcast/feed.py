"""The RSS feed: RSS 2.0 with the Apple (itunes:) and Podcasting 2.0 (podcast:) namespaces.

Built with lxml from the catalogue. ``feedgen`` was considered and rejected: it writes no
podcast: tags, refuses ``itunes:explicit`` true/false, silently drops some artwork URLs and
stamps the current time into every render. Here the same data gives the same bytes (no clock
in the output; ``lastBuildDate`` is the show's last change), so the ETag (a hash of the bytes)
is stable and caches and directories can poll cheaply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncConnection

from plugins.podcast.catalogue import (
    credits_t,
    episodes_t,
    feed_url,
    persons_t,
    shows_t,
    visible,
)
from plugins.podcast.models import PodcastSeason
from plugins.podcast.text import rfc2822

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
NSMAP = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM}
seasons_t = PodcastSeason.__table__


def _it(tag: str) -> str:
    return f"{{{ITUNES}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST}}}{tag}"


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    group: str
    img: str | None
    href: str | None


@dataclass(frozen=True)
class FeedData:
    """Everything one render needs, read in four statements."""

    show: Any
    episodes: Sequence[Any]
    seasons: dict[int, int]  # season id -> number
    channel_persons: Sequence[Person]
    episode_persons: dict[int, list[Person]]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: dt.datetime


async def show_row(conn: AsyncConnection, slug: str, now: dt.datetime) -> Any:
    """The show, with what decides whether a cached render is still right: its feed_version
    and how many episodes are public at ``now`` (a scheduled one coming due changes that)."""
    # Consent changes bump feed_version, so counting by status and time is enough here, and
    # the count is answered from the (show_id, status, publish_at) index alone.
    public = (
        sa.select(sa.func.count()).select_from(episodes_t)
        .where(episodes_t.c.show_id == shows_t.c.id, episodes_t.c.status == "published",
               episodes_t.c.publish_at <= now)
        .scalar_subquery()
    )
    result = await conn.execute(
        sa.select(shows_t, public.label("public_count")).where(shows_t.c.slug == slug)
    )
    return result.first()


async def load(conn: AsyncConnection, show: Any, now: dt.datetime) -> FeedData:
    episodes = list(await conn.execute(
        sa.select(episodes_t).where(episodes_t.c.show_id == show.id, visible(now))
        .order_by(episodes_t.c.publish_at.desc(), episodes_t.c.id.desc())
    ))
    seasons = {
        row.id: row.number for row in await conn.execute(
            sa.select(seasons_t.c.id, seasons_t.c.number).where(seasons_t.c.show_id == show.id)
        )
    }
    ids = [e.id for e in episodes]
    credited = await conn.execute(
        sa.select(credits_t.c.show_id, credits_t.c.episode_id, credits_t.c.role,
                  credits_t.c.group, persons_t.c.name, persons_t.c.img, persons_t.c.href)
        .join(persons_t, persons_t.c.id == credits_t.c.person_id)
        .where(sa.or_(credits_t.c.show_id == show.id, credits_t.c.episode_id.in_(ids)),
               credits_t.c.consent_withdrawn_at.is_(None))
        .order_by(credits_t.c.position, credits_t.c.id)
    )
    channel: list[Person] = []
    per_episode: dict[int, list[Person]] = defaultdict(list)
    for row in credited:
        person = Person(row.name, row.role, row.group, row.img, row.href)
        (channel if row.show_id is not None else per_episode[row.episode_id]).append(person)
    return FeedData(show, episodes, seasons, channel, dict(per_episode))


def _text(parent: etree._Element, tag: str, content: str | None, /, **attrs: str
          ) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if content is not None:
        element.text = content
    return element


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _person(parent: etree._Element, person: Person) -> None:
    attrs = {"role": person.role, "group": person.group}
    if person.img:
        attrs["img"] = person.img
    if person.href:
        attrs["href"] = person.href
    _text(parent, _pc("person"), person.name, **attrs)


def render(data: FeedData, base_url: str, websub_hubs: Sequence[str] = (), *,
           moved: bool = False) -> Rendered:
    """The feed's bytes. ``moved``: the feed was served at another address before, so it
    carries ``itunes:new-feed-url`` (its own address) for apps that still poll the old one."""
    show = data.show
    self_url = feed_url(base_url, show.slug)
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    channel = etree.SubElement(rss, "channel")
    _text(channel, "title", show.title)
    _text(channel, "link", show.link or self_url)
    _text(channel, "description", show.description)
    _text(channel, "language", show.language)
    if show.copyright:
        _text(channel, "copyright", show.copyright)
    last_modified = max([show.updated_at, *(e.updated_at for e in data.episodes)])
    _text(channel, "lastBuildDate", rfc2822(last_modified))
    _text(channel, f"{{{ATOM}}}link", None, href=self_url, rel="self",
          type="application/rss+xml")
    for hub in websub_hubs:
        _text(channel, f"{{{ATOM}}}link", None, href=hub, rel="hub")
    if show.author:
        _text(channel, _it("author"), show.author)
    if show.owner_name or show.owner_email:
        owner = etree.SubElement(channel, _it("owner"))
        if show.owner_name:
            _text(owner, _it("name"), show.owner_name)
        if show.owner_email:
            _text(owner, _it("email"), show.owner_email)
    if show.artwork_url:
        _text(channel, _it("image"), None, href=show.artwork_url)
    if show.category:
        category = _text(channel, _it("category"), None, text=show.category)
        if show.subcategory:
            _text(category, _it("category"), None, text=show.subcategory)
    _text(channel, _it("explicit"), _bool(show.explicit))
    _text(channel, _it("type"), show.show_type)
    if show.new_feed_url or moved:
        _text(channel, _it("new-feed-url"), show.new_feed_url or self_url)
    _text(channel, _pc("guid"), show.podcast_guid)
    locked = {"owner": show.owner_email} if show.owner_email else {}
    _text(channel, _pc("locked"), "yes" if show.locked else "no", **locked)
    if show.funding_url:
        _text(channel, _pc("funding"), show.funding_text or "Support the show",
              url=show.funding_url)
    for person in data.channel_persons:
        _person(channel, person)
    for episode in data.episodes:
        _item(channel, episode, data, base_url)
    body = etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Rendered(body, etag, last_modified.replace(microsecond=0))


def episode_file_url(base_url: str, slug: str, guid: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/plugins/podcast/{slug}/episodes/{guid}/{name}"


def _item(channel: etree._Element, episode: Any, data: FeedData, base_url: str) -> None:
    show = data.show
    item = etree.SubElement(channel, "item")
    _text(item, "title", episode.title)
    _text(item, "description", episode.summary_html)
    if episode.link:
        _text(item, "link", episode.link)
    _text(item, "enclosure", None, url=episode.enclosure_url,
          length=str(episode.enclosure_length), type=episode.enclosure_type)
    _text(item, "guid", episode.guid, isPermaLink="false")
    _text(item, "pubDate", rfc2822(episode.publish_at))
    if episode.duration_seconds is not None:
        _text(item, _it("duration"), str(episode.duration_seconds))
    _text(item, _it("episodeType"), episode.episode_type)
    if episode.season_id in data.seasons:
        _text(item, _it("season"), str(data.seasons[episode.season_id]))
    if episode.episode_number is not None:
        _text(item, _it("episode"), str(episode.episode_number))
    _text(item, _it("explicit"), _bool(episode.explicit))
    if episode.artwork_url:
        _text(item, _it("image"), None, href=episode.artwork_url)
    if episode.transcript_text:
        attrs = {"url": episode_file_url(base_url, show.slug, episode.guid, "transcript.vtt"),
                 "type": "text/vtt"}
        if episode.transcript_language:
            attrs["language"] = episode.transcript_language
        _text(item, _pc("transcript"), None, **attrs)
    elif episode.transcript_url:
        attrs = {"url": episode.transcript_url, "type": episode.transcript_type or "text/vtt"}
        if episode.transcript_language:
            attrs["language"] = episode.transcript_language
        _text(item, _pc("transcript"), None, **attrs)
    if episode.chapters:
        _text(item, _pc("chapters"), None,
              url=episode_file_url(base_url, show.slug, episode.guid, "chapters.json"),
              type="application/json+chapters")
    own = data.episode_persons.get(episode.id)
    if own:
        # An item's list replaces the channel's: repeat the hosts, then the guests.
        listed = {(p.name, p.role) for p in own}
        for person in [*(p for p in data.channel_persons if (p.name, p.role) not in listed),
                       *own]:
            _person(item, person)


def chapters_document(chapters: Sequence[Any]) -> dict[str, Any]:
    """JSON chapters 1.2, startTime ascending."""
    return {"version": "1.2.0",
            "chapters": sorted(chapters, key=lambda chapter: chapter["startTime"])}
