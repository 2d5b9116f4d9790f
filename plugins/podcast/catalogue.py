"""The catalogue's writes and the feed's reads: every change to a show or an episode goes here.

GraphQL, the demo seeder and the periodic job all call these functions inside a transaction
they opened (``db.transaction(actor=…)``), so a failure half-way leaves nothing behind. Every
write that changes what a feed shows bumps the show's ``feed_version``; the feed route uses it
to answer conditional requests without rendering.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    FieldError,
    ValidationError,
    emit,
    enqueue_delivery,
    models,
    utcnow,
)
from plugins.podcast import rules
from plugins.podcast.models import (
    EPISODE_TYPES,
    SHOW_TYPES,
    PodcastCredit,
    PodcastEpisode,
    PodcastFeedAlias,
    PodcastPerson,
    PodcastSeason,
    PodcastShow,
    episode_hubs,
    episode_programmes,
)
from plugins.podcast.settings import PodcastSettings
from plugins.podcast.text import podcast_guid, sanitise_summary

NAME = "podcast"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)
TRANSCRIPT_TYPES = ("text/vtt", "text/html", "text/plain", "application/json",
                    "application/x-subrip", "application/srt")
# Podcasting 2.0 person roles most used here (the taxonomy has more; any lower-case word is kept).
ROLE = re.compile(r"^[a-z][a-z -]{0,39}$")

episodes_t = PodcastEpisode.__table__
credits_t = PodcastCredit.__table__
persons_t = PodcastPerson.__table__
shows_t = PodcastShow.__table__


def feed_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/plugins/{NAME}/{slug}/feed.xml"


def visible(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Public: published, its time has come, and no guest has withdrawn consent."""
    withdrawn = (
        sa.select(credits_t.c.id)
        .where(credits_t.c.episode_id == episodes_t.c.id,
               credits_t.c.consent_withdrawn_at.is_not(None))
        .exists()
    )
    return sa.and_(episodes_t.c.status == "published", episodes_t.c.publish_at <= now,
                   ~withdrawn)


# --- validation ---------------------------------------------------------------------------------


class _Check:
    """Collects every broken rule of one input, so the caller hears all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field_: str, code: str, message: str) -> None:
        self.errors.append(FieldError(code, field_, message))

    def text(self, data: Mapping[str, Any], key: str, name: str, limit: int,
             required: bool = False) -> None:
        if key not in data:
            return
        value = data[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "required", f"{name} may not be empty")
            return
        if len(value) > limit:
            self.fail(name, "too_long", f"{name} is {len(value)} characters; at most {limit}")

    def url(self, data: Mapping[str, Any], key: str, name: str) -> None:
        value = data.get(key)
        if value is None:
            return
        parsed = httpx.URL(value) if isinstance(value, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            self.fail(name, "url", f"{name} must be an absolute http(s) URL")
        elif len(value) > 2000:
            self.fail(name, "too_long", f"{name} is longer than 2000 characters")

    def positive(self, data: Mapping[str, Any], key: str, name: str, zero: bool = False) -> None:
        value = data.get(key)
        if value is not None and (value < 0 or (value == 0 and not zero)):
            self.fail(name, "positive" if not zero else "not_negative",
                      f"{name} must be {'0 or more' if zero else 'above 0'}")

    def one_of(self, data: Mapping[str, Any], key: str, name: str, allowed: Sequence[str]
               ) -> None:
        value = data.get(key)
        if value is not None and value not in allowed:
            self.fail(name, "one_of", f"{name} must be one of {', '.join(allowed)}")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _check_show(data: Mapping[str, Any], check: _Check) -> None:
    if "slug" in data and not SLUG.match(data["slug"] or ""):
        check.fail("slug", "pattern",
                   "slug is lower-case letters, digits and hyphens (at most 80), like "
                   "talking-generations")
    check.text(data, "title", "title", 255, required=True)
    check.text(data, "author", "author", 255)
    check.text(data, "owner_name", "ownerName", 255)
    check.text(data, "copyright", "copyright", 255)
    check.text(data, "funding_text", "fundingText", 128)
    check.text(data, "category", "category", 100)
    check.text(data, "subcategory", "subcategory", 100)
    if data.get("language") is not None and not LANGUAGE.match(data["language"]):
        check.fail("language", "pattern", "language is an RFC 5646 tag such as en or en-gb")
    if data.get("owner_email") is not None and "@" not in data["owner_email"]:
        check.fail("ownerEmail", "email", "ownerEmail must be an email address")
    check.one_of(data, "show_type", "type", SHOW_TYPES)
    for key, name in (("link", "link"), ("artwork_url", "artworkUrl"),
                      ("funding_url", "fundingUrl"), ("new_feed_url", "newFeedUrl")):
        check.url(data, key, name)
    if len(data.get("description") or "") > 4000:
        check.fail("description", "too_long", "description is over 4000 characters")


def _check_episode(data: Mapping[str, Any], check: _Check) -> None:
    check.text(data, "title", "title", 255, required=True)
    check.one_of(data, "episode_type", "episodeType", EPISODE_TYPES)
    check.positive(data, "episode_number", "episodeNumber")
    check.positive(data, "enclosure_length", "enclosure.length")
    check.positive(data, "duration_seconds", "durationSeconds", zero=True)
    check.text(data, "enclosure_type", "enclosure.type", 100)
    for key, name in (("link", "link"), ("artwork_url", "artworkUrl"),
                      ("enclosure_url", "enclosure.url"), ("transcript_url", "transcript.url")):
        check.url(data, key, name)
    check.one_of(data, "transcript_type", "transcript.type", TRANSCRIPT_TYPES)
    if data.get("transcript_language") is not None and not LANGUAGE.match(
        data["transcript_language"]
    ):
        check.fail("transcript.language", "pattern", "a language tag such as en-gb")
    if "chapters" in data and data["chapters"] is not None:
        _check_chapters(data["chapters"], check)


def _check_chapters(chapters: Any, check: _Check) -> None:
    """JSON chapters 1.2: a list of {startTime, title[, img, url]}, startTime ascending."""
    if not isinstance(chapters, list):
        check.fail("chapters", "type", "chapters is a list of {startTime, title}")
        return
    previous = -1.0
    for i, chapter in enumerate(chapters):
        where = f"chapters.{i}"
        if not isinstance(chapter, dict) or not isinstance(chapter.get("title"), str):
            check.fail(f"{where}.title", "required", "each chapter has a title")
            continue
        start = chapter.get("startTime")
        if not isinstance(start, int | float) or isinstance(start, bool) or start < 0:
            check.fail(f"{where}.startTime", "not_negative", "startTime is seconds, 0 or more")
            continue
        if start <= previous:
            check.fail(f"{where}.startTime", "ascending",
                       "chapters are in order of startTime, each after the one before")
        previous = float(start)
        extra = set(chapter) - {"startTime", "title", "img", "url", "endTime", "toc"}
        if extra:
            check.fail(where, "unknown", f"unknown chapter fields: {', '.join(sorted(extra))}")


# --- shows --------------------------------------------------------------------------------------


async def create_show(session: AsyncSession, base_url: str, **data: Any) -> PodcastShow:
    """A show; its podcast:guid is fixed now, from its first feed URL, for good."""
    check = _Check()
    if "slug" not in data:
        check.fail("slug", "required", "slug is required")
    data.setdefault("title", None)
    _check_show(data, check)
    check.raise_if_any()
    if data.get("language"):
        data["language"] = data["language"].lower()
    if await session.scalar(sa.select(PodcastShow.id).where(PodcastShow.slug == data["slug"])) or \
            await session.get(PodcastFeedAlias, data["slug"]):
        raise ValidationError.single("slug", "taken", "another show uses this slug")
    show = PodcastShow(podcast_guid=podcast_guid(feed_url(base_url, data["slug"])), **data)
    session.add(show)
    await session.flush()
    await emit(session, "podcast_show.saved", entity="podcast_show", entity_id=show.id,
               change="created")
    return show


async def update_show(session: AsyncSession, show_id: int, **changes: Any) -> PodcastShow:
    show = await _get(session, PodcastShow, show_id, "show")
    check = _Check()
    _check_show(changes, check)
    check.raise_if_any()
    if changes.get("language"):
        changes["language"] = changes["language"].lower()
    new_slug = changes.pop("slug", None)
    if new_slug is not None and new_slug != show.slug:
        # Moving the feed: the old address answers 301 from now on; podcast:guid stays.
        taken = await session.scalar(sa.select(PodcastShow.id).where(PodcastShow.slug == new_slug))
        alias = await session.get(PodcastFeedAlias, new_slug)
        if taken or (alias is not None and alias.show_id != show.id):
            raise ValidationError.single("slug", "taken", "another show uses this slug")
        if alias is not None:
            await session.delete(alias)
        session.add(PodcastFeedAlias(slug=show.slug, show_id=show.id))
        show.slug = new_slug
    for key, value in changes.items():
        setattr(show, key, value)
    show.feed_version += 1
    await session.flush()
    await emit(session, "podcast_show.saved", entity="podcast_show", entity_id=show.id,
               change="updated", changed=sorted([*changes, *(["slug"] if new_slug else [])]))
    return show


async def add_season(session: AsyncSession, show_id: int, number: int, title: str | None
                     ) -> PodcastSeason:
    await _get(session, PodcastShow, show_id, "show")
    if number <= 0:
        raise ValidationError.single("number", "positive", "a season's number is above 0")
    if await session.scalar(sa.select(PodcastSeason.id).where(
        PodcastSeason.show_id == show_id, PodcastSeason.number == number
    )):
        raise ValidationError.single("number", "taken", f"the show already has season {number}")
    season = PodcastSeason(show_id=show_id, number=number, title=title)
    session.add(season)
    await session.flush()
    return season


# --- episodes -----------------------------------------------------------------------------------


async def create_episode(
    session: AsyncSession, show_id: int, *, programme_ids: Sequence[int] = (),
    hub_ids: Sequence[int] = (), **data: Any
) -> PodcastEpisode:
    """A draft episode with its permanent GUID (a random UUID, given once, never changed)."""
    await _get(session, PodcastShow, show_id, "show")
    data.setdefault("title", None)
    await _validate_episode(session, show_id, None, data)
    episode = PodcastEpisode(show_id=show_id, guid=str(uuid.uuid4()), status="draft", **data)
    session.add(episode)
    await session.flush()
    await _link(session, episode.id, programme_ids, hub_ids)
    await emit(session, "episode.saved", entity="podcast_episode", entity_id=episode.id,
               change="created")
    return episode


async def update_episode(
    session: AsyncSession, episode_id: int, *, programme_ids: Sequence[int] | None = None,
    hub_ids: Sequence[int] | None = None, **changes: Any
) -> PodcastEpisode:
    """A partial edit. The GUID is not editable: podcast apps know the episode by it."""
    episode = await _get(session, PodcastEpisode, episode_id, "episode")
    if "guid" in changes:
        raise ValidationError.single("guid", "permanent", "an episode's GUID never changes")
    await _validate_episode(session, episode.show_id, episode.id, changes)
    for key, value in changes.items():
        setattr(episode, key, value)
    if programme_ids is not None or hub_ids is not None:
        await _link(session, episode.id, programme_ids, hub_ids, replace=True)
    await _bump(session, episode.show_id)
    await session.flush()
    await emit(session, "episode.saved", entity="podcast_episode", entity_id=episode.id,
               change="updated", changed=sorted(changes))
    return episode


async def _validate_episode(
    session: AsyncSession, show_id: int, episode_id: int | None, data: dict[str, Any]
) -> None:
    check = _Check()
    _check_episode(data, check)
    if "summary_html" in data:
        data["summary_html"] = sanitise_summary(data["summary_html"] or "")
    if data.get("season_id") is not None:
        season = await session.get(PodcastSeason, data["season_id"])
        if season is None or season.show_id != show_id:
            check.fail("season", "not_found", "no such season of this show")
    if data.get("enclosure_url") and await _enclosure_used(
        session, data["enclosure_url"], episode_id
    ):
        check.fail("enclosure.url", "duplicate", "this enclosure URL is already used by another "
                   "episode; each episode needs its own audio file")
    check.raise_if_any()


async def _enclosure_used(session: AsyncSession, url: str, episode_id: int | None) -> bool:
    query = sa.select(PodcastEpisode.id).where(PodcastEpisode.enclosure_url == url)
    if episode_id is not None:
        query = query.where(PodcastEpisode.id != episode_id)
    return (await session.scalar(query.limit(1))) is not None


async def _link(session: AsyncSession, episode_id: int, programme_ids: Sequence[int] | None,
                hub_ids: Sequence[int] | None, replace: bool = False) -> None:
    for table, column, ids, model, name in (
        (episode_programmes, "programme_id", programme_ids, models.Programme, "programmes"),
        (episode_hubs, "hub_id", hub_ids, models.Hub, "hubs"),
    ):
        if ids is None:
            continue
        wanted = sorted(set(ids))
        found = set(await session.scalars(sa.select(model.id).where(model.id.in_(wanted))))
        if missing := [i for i in wanted if i not in found]:
            raise ValidationError.single(name, "not_found", f"no such {name[:-1]}: {missing}")
        if replace:
            await session.execute(sa.delete(table).where(table.c.episode_id == episode_id))
        if wanted:
            await session.execute(sa.insert(table), [
                {"episode_id": episode_id, column: i} for i in wanted
            ])


@dataclass
class PublishContext:
    """What publishing needs besides the database: settings, an HTTP client, the clock."""

    config: PodcastSettings
    client: httpx.AsyncClient
    allow_private: bool
    now: dt.datetime = field(default_factory=utcnow)


async def publishing_errors(
    session: AsyncSession, episode: PodcastEpisode, show: PodcastShow, ctx: PublishContext
) -> list[FieldError]:
    facts = rules.EpisodeFacts(
        title=episode.title, summary_html=episode.summary_html,
        enclosure_url=episode.enclosure_url, enclosure_length=episode.enclosure_length,
        enclosure_type=episode.enclosure_type, artwork_url=episode.artwork_url,
        enclosure_used_elsewhere=bool(episode.enclosure_url) and await _enclosure_used(
            session, episode.enclosure_url or "", episode.id),
    )
    errors = rules.static_errors(facts, rules.ShowFacts(show.category, show.language,
                                                         show.artwork_url))
    unconsented = await session.scalar(
        sa.select(sa.func.count()).select_from(credits_t).where(
            credits_t.c.episode_id == episode.id, credits_t.c.role == "guest",
            credits_t.c.consent_given_at.is_(None) | credits_t.c.consent_withdrawn_at.is_not(None),
        )
    )
    if unconsented:
        errors.append(FieldError("consent", "persons",
                                 f"{unconsented} guest(s) have not given consent to publication"))
    config = ctx.config
    if config.check_artwork:
        for url, name in ((episode.artwork_url, "artworkUrl"),
                          (show.artwork_url, "show.artworkUrl")):
            if url:
                errors += await rules.artwork_errors(
                    ctx.client, url, name, max_bytes=config.artwork_max_bytes,
                    allow_private=ctx.allow_private,
                )
    if config.check_enclosure_host and episode.enclosure_url:
        errors += await rules.enclosure_host_errors(
            ctx.client, episode.enclosure_url, episode.enclosure_length,
            allow_private=ctx.allow_private,
        )
    return errors


async def publish_episode(
    session: AsyncSession, episode_id: int, ctx: PublishContext, base_url: str,
    at: dt.datetime | None = None,
) -> PodcastEpisode:
    """Publish now, or schedule for ``at``: refused with every broken rule, writing nothing.

    Going public now emits ``episode.published`` and pings the configured WebSub hubs; a
    scheduled episode gets both from the periodic job once its time has come.
    """
    episode = await _get(session, PodcastEpisode, episode_id, "episode")
    show = await _get(session, PodcastShow, episode.show_id, "show")
    if at is not None and at.tzinfo is None:
        raise ValidationError.single("at", "timezone", "give the time with its UTC offset")
    errors = await publishing_errors(session, episode, show, ctx)
    if errors:
        raise ValidationError(errors)
    episode.status = "published"
    # Republishing keeps the first pubDate (apps sort by it); "now" means now, not a schedule.
    kept = episode.publish_at if episode.publish_at and episode.publish_at <= ctx.now else None
    episode.publish_at = at or kept or ctx.now
    episode.announced_at = None
    await _bump(session, show.id)
    await session.flush()
    if episode.publish_at <= ctx.now:
        await announce(session, episode, show, ctx.config, base_url, ctx.now)
    return episode


async def unpublish_episode(session: AsyncSession, episode_id: int) -> PodcastEpisode:
    """Back to a draft: it leaves the feed at once (its GUID stays for when it returns)."""
    episode = await _get(session, PodcastEpisode, episode_id, "episode")
    was = episode.status
    episode.status = "draft"
    episode.announced_at = None
    await _bump(session, episode.show_id)
    await session.flush()
    if was == "published":
        await emit(session, "episode.unpublished", entity="podcast_episode",
                   entity_id=episode.id, change="updated", changed=["status"])
    return episode


async def announce(session: AsyncSession, episode: PodcastEpisode, show: PodcastShow,
                   config: PodcastSettings, base_url: str, now: dt.datetime) -> None:
    """``episode.published`` once per publication, and the WebSub/Podping pings (outbox)."""
    if episode.announced_at is not None:
        return
    episode.announced_at = now
    await session.flush()
    await emit(session, "episode.published", entity="podcast_episode", entity_id=episode.id,
               payload={"show_id": show.id, "guid": episode.guid}, change="updated",
               changed=["status"])
    url = feed_url(base_url, show.slug)
    body = urlencode({"hub.mode": "publish", "hub.url": url}).encode()
    targets = [str(hub) for hub in config.websub_hubs]
    if config.podping_url:
        targets.append(str(config.podping_url))
    for target in targets:
        await enqueue_delivery(
            session, plugin=NAME, url=target, body=body,
            content_type="application/x-www-form-urlencoded", secret_ref=None,
            idempotency_key=f"ping:{target}:{episode.guid}:{now.isoformat()}",
            ordering_key=f"ping:{target}",
        )


async def announce_due(session: AsyncSession, config: PodcastSettings, base_url: str,
                       now: dt.datetime) -> int:
    """For the periodic job: scheduled episodes whose time has come are announced, once."""
    due = list(await session.scalars(
        sa.select(PodcastEpisode).where(visible(now), PodcastEpisode.announced_at.is_(None))
        .order_by(PodcastEpisode.publish_at, PodcastEpisode.id)
    ))
    for episode in due:
        show = await _get(session, PodcastShow, episode.show_id, "show")
        await announce(session, episode, show, config, base_url, now)
    return len(due)


# --- persons and consent ------------------------------------------------------------------------


async def add_person(session: AsyncSession, **data: Any) -> PodcastPerson:
    check = _Check()
    data.setdefault("name", None)
    check.text(data, "name", "name", 128, required=True)
    check.url(data, "img", "img")
    check.url(data, "href", "href")
    if data.get("stakeholder_id") is not None and await session.get(
        models.Stakeholder, data["stakeholder_id"]
    ) is None:
        check.fail("stakeholder", "not_found", "no such stakeholder")
    if data.get("organisation_id") is not None and await session.get(
        models.Organisation, data["organisation_id"]
    ) is None:
        check.fail("organisation", "not_found", "no such organisation")
    check.raise_if_any()
    person = PodcastPerson(**data)
    session.add(person)
    await session.flush()
    return person


async def credit(
    session: AsyncSession, person_id: int, *, show_id: int | None = None,
    episode_id: int | None = None, role: str = "host", group: str = "cast",
    consent_given_at: dt.datetime | None = None, position: int = 0,
) -> PodcastCredit:
    """Put a person on a show's cast (the channel's list) or an episode's (which replaces it)."""
    if (show_id is None) == (episode_id is None):
        raise ValidationError.single("target", "one_of", "credit a show or an episode, not both")
    await _get(session, PodcastPerson, person_id, "person")
    check = _Check()
    if not ROLE.match(role):
        check.fail("role", "pattern", "role is a Podcasting 2.0 role such as host or guest")
    if not ROLE.match(group):
        check.fail("group", "pattern", "group is a Podcasting 2.0 group such as cast")
    check.raise_if_any()
    if episode_id is not None:
        show_id_of = (await _get(session, PodcastEpisode, episode_id, "episode")).show_id
    else:
        show_id_of = (await _get(session, PodcastShow, show_id, "show")).id
    row = PodcastCredit(person_id=person_id, show_id=show_id, episode_id=episode_id, role=role,
                        group=group, consent_given_at=consent_given_at, position=position)
    session.add(row)
    await session.flush()
    await _bump(session, show_id_of)
    return row


async def record_consent(session: AsyncSession, credit_id: int, now: dt.datetime
                         ) -> PodcastCredit:
    row = await _get(session, PodcastCredit, credit_id, "credit")
    row.consent_given_at, row.consent_withdrawn_at = now, None
    await _bump_for_credit(session, row)
    await session.flush()
    return row


async def withdraw_consent(session: AsyncSession, credit_id: int, now: dt.datetime
                           ) -> PodcastCredit:
    """A guest withdraws consent: the episode leaves the feed at once, and an event says so."""
    row = await _get(session, PodcastCredit, credit_id, "credit")
    if row.episode_id is None:
        raise ValidationError.single("credit", "not_a_guest", "consent is given per episode")
    if row.consent_withdrawn_at is None:
        row.consent_withdrawn_at = now
        await _bump_for_credit(session, row)
        await session.flush()
        await emit(session, "episode.consent_withdrawn", entity="podcast_episode",
                   entity_id=row.episode_id, payload={"credit_id": row.id},
                   change="updated", changed=["consent"])
    return row


async def update_person(session: AsyncSession, person_id: int, **changes: Any) -> PodcastPerson:
    """A partial edit of a host or guest: the feeds they appear in change at once."""
    person = await _get(session, PodcastPerson, person_id, "person")
    check = _Check()
    if "name" in changes:
        check.text(changes, "name", "name", 128, required=True)
    check.url(changes, "img", "img")
    check.url(changes, "href", "href")
    if changes.get("stakeholder_id") is not None and await session.get(
        models.Stakeholder, changes["stakeholder_id"]
    ) is None:
        check.fail("stakeholder", "not_found", "no such stakeholder")
    if changes.get("organisation_id") is not None and await session.get(
        models.Organisation, changes["organisation_id"]
    ) is None:
        check.fail("organisation", "not_found", "no such organisation")
    check.raise_if_any()
    for key, value in changes.items():
        setattr(person, key, value)
    await _bump_shows_of_person(session, person_id)
    await session.flush()
    return person


async def remove_person(session: AsyncSession, person_id: int) -> None:
    """Remove a host or guest and all their credits (their contact email goes with them)."""
    person = await _get(session, PodcastPerson, person_id, "person")
    await _bump_shows_of_person(session, person_id)
    await session.execute(sa.delete(credits_t).where(credits_t.c.person_id == person_id))
    await session.delete(person)
    await session.flush()


async def remove_credit(session: AsyncSession, credit_id: int) -> None:
    """Take a person off a show or an episode (the person stays for other credits)."""
    row = await _get(session, PodcastCredit, credit_id, "credit")
    await _bump_for_credit(session, row)
    await session.delete(row)
    await session.flush()


async def _bump_shows_of_person(session: AsyncSession, person_id: int) -> None:
    shows = set((await session.scalars(sa.select(credits_t.c.show_id).where(
        credits_t.c.person_id == person_id, credits_t.c.show_id.is_not(None)))).all())
    shows |= set((await session.scalars(
        sa.select(episodes_t.c.show_id).join(credits_t, credits_t.c.episode_id == episodes_t.c.id)
        .where(credits_t.c.person_id == person_id))).all())
    for show_id in sorted(shows):
        await _bump(session, show_id)


async def update_season(session: AsyncSession, season_id: int, *, number: int | None = None,
                        title: str | None = None, clear_title: bool = False) -> PodcastSeason:
    """Renumber or retitle a season: its episodes' itunes:season follows."""
    season = await _get(session, PodcastSeason, season_id, "season")
    if number is not None and number != season.number:
        if number <= 0:
            raise ValidationError.single("number", "positive", "a season's number is above 0")
        if await session.scalar(sa.select(PodcastSeason.id).where(
            PodcastSeason.show_id == season.show_id, PodcastSeason.number == number
        )):
            raise ValidationError.single("number", "taken",
                                         f"the show already has season {number}")
        season.number = number
    if title is not None or clear_title:
        season.title = title
    await _bump(session, season.show_id)
    await session.flush()
    return season


async def remove_season(session: AsyncSession, season_id: int) -> None:
    """Remove an empty season. One with episodes is refused: removing it would silently drop
    their itunes:season from the feed, so they are moved (or cleared) first, by the team."""
    season = await _get(session, PodcastSeason, season_id, "season")
    used = await session.scalar(sa.select(sa.func.count()).select_from(episodes_t).where(
        episodes_t.c.season_id == season_id))
    if used:
        raise ValidationError.single(
            "id", "season_in_use",
            f"season {season.number} still has {used} episode(s): move them to another season "
            "(or none) with updatePodcastEpisode first")
    await _bump(session, season.show_id)
    await session.delete(season)
    await session.flush()


async def delete_episode(session: AsyncSession, episode_id: int) -> None:
    """Delete a draft for good. A published (or scheduled, or withheld) episode is refused:
    podcast apps know it by its GUID, so it is unpublished first, deliberately."""
    episode = await _get(session, PodcastEpisode, episode_id, "episode")
    if episode.status == "published":
        raise ValidationError.single(
            "id", "published",
            "only a draft can be deleted: unpublish the episode first "
            "(unpublishPodcastEpisode), then delete it")
    show_id = episode.show_id
    for table in (credits_t, episode_programmes, episode_hubs):
        await session.execute(sa.delete(table).where(table.c.episode_id == episode_id))
    await session.delete(episode)
    await session.flush()
    await _bump(session, show_id)
    await emit(session, "episode.deleted", entity="podcast_episode", entity_id=episode_id,
               change="deleted")


async def _bump_for_credit(session: AsyncSession, row: PodcastCredit) -> None:
    if row.show_id is not None:
        await _bump(session, row.show_id)
    else:
        episode = await _get(session, PodcastEpisode, row.episode_id, "episode")
        await _bump(session, episode.show_id)


async def _bump(session: AsyncSession, show_id: int) -> None:
    await session.execute(
        sa.update(shows_t).where(shows_t.c.id == show_id)
        .values(feed_version=shows_t.c.feed_version + 1, updated_at=utcnow())
    )


async def _get(session: AsyncSession, model: Any, key: Any, name: str) -> Any:
    row = await session.get(model, key) if key is not None else None
    if row is None:
        raise ValidationError.single(name, "not_found", f"no such {name}")
    return row
