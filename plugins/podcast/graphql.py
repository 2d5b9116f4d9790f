"""The podcast plug-in's GraphQL.

Anyone may read published episodes (``podcastShow``, ``podcastEpisodes``, ``Hub.episodes``,
``Programme.episodes``, ``node(id:)``): drafts, scheduled episodes and episodes a guest withdrew
consent for are invisible to them. The campaign team, with the ``publish:podcast`` scope, sees
the whole catalogue and writes it: drafts, edits, scheduling, publish, unpublish, people and
consent. Every mutation returns ``{…, errors { code field message }}`` and writes nothing when
there is an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any

import httpx
import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info
from strawberry.dataloader import DataLoader

from imm_graph.plugin_api import (
    PUBLIC,
    Connection,
    Context,
    Node,
    NodeType,
    Principal,
    UserError,
    ValidationError,
    bounded,
    connection_of,
    decode_pk,
    encode_id,
    nested_connection_of,
    requires,
    user_errors,
    utcnow,
)
from plugins.podcast import catalogue
from plugins.podcast.catalogue import credits_t, episodes_t, persons_t, shows_t, visible
from plugins.podcast.models import PodcastSeason, episode_hubs, episode_programmes
from plugins.podcast.settings import PodcastSettings

PUBLISH = "publish:podcast"
seasons_t = PodcastSeason.__table__
MAX_LISTED = 100


def _can_edit(ctx: Context) -> bool:
    return isinstance(ctx.principal, Principal) and ctx.principal.has(PUBLISH)


def _config(ctx: Context) -> PodcastSettings:
    config = ctx.request.app.state.plugins.config_for(catalogue.NAME) if ctx.request else None
    return config if isinstance(config, PodcastSettings) else PodcastSettings()


def _base_url(ctx: Context) -> str:
    config = _config(ctx)
    if config.public_base_url is not None:
        return str(config.public_base_url).rstrip("/")
    if ctx.request is not None:
        return str(ctx.request.base_url).rstrip("/")
    return "http://127.0.0.1:8000"


# --- types --------------------------------------------------------------------------------------


@strawberry.enum(description="Full episode, trailer or bonus (itunes:episodeType).")
class EpisodeType(Enum):
    FULL = "full"
    TRAILER = "trailer"
    BONUS = "bonus"


@strawberry.enum(description="Where an episode stands.")
class EpisodeState(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHHELD = "withheld"  # published, but a guest withdrew consent: out of the feed


@strawberry.type(description="The audio file: URL, size in bytes, MIME type.")
class PodcastEnclosure:
    url: str
    length: int
    type: str


@strawberry.type(description="A transcript (WebVTT preferred).")
class PodcastTranscript:
    url: str
    type: str
    language: str | None


@strawberry.type(description="A chapter (JSON chapters 1.2).")
class PodcastChapter:
    start_time: float
    title: str
    url: str | None = None
    img: str | None = None


@strawberry.type(description="A host or guest of a show or an episode (podcast:person).")
class PodcastCredit(Node):
    name: str = strawberry.field(metadata=PUBLIC)
    role: str = strawberry.field(metadata=PUBLIC)
    group: str = strawberry.field(metadata=PUBLIC)
    img: str | None = strawberry.field(metadata=PUBLIC)
    href: str | None = strawberry.field(metadata=PUBLIC)
    consent_given_at: dt.datetime | None = strawberry.field(extensions=requires(PUBLISH))
    consent_withdrawn_at: dt.datetime | None = strawberry.field(extensions=requires(PUBLISH))
    stakeholder_id: strawberry.Private[int | None]
    organisation_id: strawberry.Private[int | None]

    @strawberry.field(metadata=PUBLIC, description="The core stakeholder, where known.")
    def stakeholder(self) -> strawberry.ID | None:
        return strawberry.ID(encode_id("Stakeholder", self.stakeholder_id)) \
            if self.stakeholder_id else None

    @strawberry.field(metadata=PUBLIC, description="The core organisation, where known.")
    def organisation(self) -> strawberry.ID | None:
        return strawberry.ID(encode_id("Organisation", self.organisation_id)) \
            if self.organisation_id else None


@strawberry.type(description="A Talking Generations episode (or another show's).")
class PodcastEpisode(Node):
    guid: str = strawberry.field(metadata=PUBLIC,
                                 description="Permanent: given at creation, never changes.")
    title: str = strawberry.field(metadata=PUBLIC)
    summary: str = strawberry.field(metadata=PUBLIC, description="Sanitised HTML show notes.")
    link: str | None = strawberry.field(metadata=PUBLIC)
    enclosure: PodcastEnclosure | None = strawberry.field(metadata=PUBLIC)
    duration_seconds: int | None = strawberry.field(metadata=PUBLIC)
    episode_number: int | None = strawberry.field(metadata=PUBLIC)
    episode_type: EpisodeType = strawberry.field(metadata=PUBLIC)
    explicit: bool = strawberry.field(metadata=PUBLIC)
    published_at: dt.datetime | None = strawberry.field(
        metadata=PUBLIC, description="The pubDate (in the future while scheduled).")
    artwork_url: str | None = strawberry.field(metadata=PUBLIC)
    transcript: PodcastTranscript | None = strawberry.field(metadata=PUBLIC)
    chapters: list[PodcastChapter] = strawberry.field(metadata={**PUBLIC, **bounded(500)})
    show_id: strawberry.Private[int]
    season_id: strawberry.Private[int | None]
    status: strawberry.Private[str]
    publish_at: strawberry.Private[dt.datetime | None]

    @strawberry.field(extensions=requires(PUBLISH),
                      description="Draft, scheduled, published, or withheld (consent withdrawn).")
    async def state(self, info: Info[Context, None]) -> EpisodeState:
        withheld = await _loader(info.context, "withheld", _load_withheld).load(self.pk)
        return _state(self.status, self.publish_at, utcnow(), withheld)

    @strawberry.field(metadata=PUBLIC, description="itunes:season")
    async def season_number(self, info: Info[Context, None]) -> int | None:
        if self.season_id is None:
            return None
        return await _loader(info.context, "seasons", _load_seasons).load(self.season_id)

    @strawberry.field(metadata={**PUBLIC, **bounded(MAX_LISTED)},
                      description="The hosts and guests (podcast:person), consenting only.")
    async def persons(self, info: Info[Context, None]) -> list[PodcastCredit]:
        return await _loader(info.context, "credits", _load_credits).load(self.pk)

    @strawberry.field(metadata={**PUBLIC, **bounded(MAX_LISTED)},
                      description="IDs of the related core programmes.")
    async def programme_ids(self, info: Info[Context, None]) -> list[strawberry.ID]:
        keys = await _loader(info.context, "ep-programmes", _load_links(
            episode_programmes, "programme_id")).load(self.pk)
        return [strawberry.ID(encode_id("Programme", k)) for k in keys]

    @strawberry.field(metadata={**PUBLIC, **bounded(MAX_LISTED)},
                      description="IDs of the related core hubs.")
    async def hub_ids(self, info: Info[Context, None]) -> list[strawberry.ID]:
        keys = await _loader(info.context, "ep-hubs", _load_links(episode_hubs, "hub_id")
                             ).load(self.pk)
        return [strawberry.ID(encode_id("Hub", k)) for k in keys]


@strawberry.type(description="A podcast show and its public feed.")
class PodcastShow(Node):
    slug: str = strawberry.field(metadata=PUBLIC)
    title: str = strawberry.field(metadata=PUBLIC)
    description: str = strawberry.field(metadata=PUBLIC)
    link: str | None = strawberry.field(metadata=PUBLIC)
    language: str | None = strawberry.field(metadata=PUBLIC)
    category: str | None = strawberry.field(metadata=PUBLIC)
    subcategory: str | None = strawberry.field(metadata=PUBLIC)
    explicit: bool = strawberry.field(metadata=PUBLIC)
    author: str | None = strawberry.field(metadata=PUBLIC)
    show_type: str = strawberry.field(metadata=PUBLIC)
    artwork_url: str | None = strawberry.field(metadata=PUBLIC)
    podcast_guid: str = strawberry.field(metadata=PUBLIC,
                                         description="UUIDv5 of the first feed URL; never moves.")
    feed_url: str = strawberry.field(metadata=PUBLIC)

    @strawberry.field(metadata=PUBLIC, description="Published episodes, newest first.")
    async def episodes(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[PodcastEpisode]:
        return await connection_of(
            info, episodes_t, build_episode,
            where=[episodes_t.c.show_id == self.pk, visible(utcnow())],
            order=[("publish_at", True)], first=first, after=after,
        )


def _state(status: str, publish_at: dt.datetime | None, now: dt.datetime, withheld: bool
           ) -> EpisodeState:
    if status != "published":
        return EpisodeState.DRAFT
    if publish_at is not None and publish_at > now:
        return EpisodeState.SCHEDULED
    return EpisodeState.WITHHELD if withheld else EpisodeState.PUBLISHED


def build_episode(row: Any) -> PodcastEpisode:
    enclosure = (PodcastEnclosure(url=row.enclosure_url, length=row.enclosure_length or 0,
                                  type=row.enclosure_type or "")
                 if row.enclosure_url else None)
    transcript = None
    if row.transcript_url:
        transcript = PodcastTranscript(url=row.transcript_url,
                                       type=row.transcript_type or "text/vtt",
                                       language=row.transcript_language)
    chapters = [PodcastChapter(start_time=float(c["startTime"]), title=c["title"],
                               url=c.get("url"), img=c.get("img"))
                for c in (row.chapters or [])]
    return PodcastEpisode(
        pk=row.id, guid=row.guid, title=row.title, summary=row.summary_html, link=row.link,
        enclosure=enclosure, duration_seconds=row.duration_seconds,
        episode_number=row.episode_number, episode_type=EpisodeType(row.episode_type),
        explicit=row.explicit, published_at=row.publish_at if row.status == "published" else None,
        artwork_url=row.artwork_url, transcript=transcript, chapters=chapters,
        show_id=row.show_id, season_id=row.season_id, status=row.status,
        publish_at=row.publish_at,
    )


def build_show(row: Any, base_url: str) -> PodcastShow:
    return PodcastShow(
        pk=row.id, slug=row.slug, title=row.title, description=row.description, link=row.link,
        language=row.language, category=row.category, subcategory=row.subcategory,
        explicit=row.explicit, author=row.author, show_type=row.show_type,
        artwork_url=row.artwork_url, podcast_guid=row.podcast_guid,
        feed_url=row.new_feed_url or catalogue.feed_url(base_url, row.slug),
    )


# --- loaders (one statement per list field, whatever the number of parents) ---------------------


def _loader(ctx: Context, name: str, load: Callable[[Context, Sequence[Any]], Any]
            ) -> DataLoader[Any, Any]:
    return ctx.loader(("podcast", name), lambda: DataLoader(lambda keys: load(ctx, keys)))


async def _load_seasons(ctx: Context, keys: Sequence[int]) -> list[int | None]:
    rows = await ctx.fetch(sa.select(seasons_t.c.id, seasons_t.c.number)
                           .where(seasons_t.c.id.in_(keys)))
    numbers = {row.id: row.number for row in rows}
    return [numbers.get(k) for k in keys]


async def _load_withheld(ctx: Context, keys: Sequence[int]) -> list[bool]:
    rows = await ctx.fetch(sa.select(credits_t.c.episode_id).distinct().where(
        credits_t.c.episode_id.in_(keys), credits_t.c.consent_withdrawn_at.is_not(None)))
    withheld = {row.episode_id for row in rows}
    return [k in withheld for k in keys]


async def _load_credits(ctx: Context, keys: Sequence[int]) -> list[list[PodcastCredit]]:
    editor = _can_edit(ctx)
    query = (
        sa.select(credits_t, persons_t.c.name, persons_t.c.img, persons_t.c.href,
                  persons_t.c.stakeholder_id, persons_t.c.organisation_id)
        .join(persons_t, persons_t.c.id == credits_t.c.person_id)
        .where(credits_t.c.episode_id.in_(keys))
        .order_by(credits_t.c.position, credits_t.c.id)
    )
    if not editor:
        query = query.where(credits_t.c.consent_withdrawn_at.is_(None))
    grouped: dict[int, list[PodcastCredit]] = defaultdict(list)
    for row in await ctx.fetch(query):
        grouped[row.episode_id].append(build_credit(row))
    return [grouped.get(k, [])[:MAX_LISTED] for k in keys]


def build_credit(row: Any) -> PodcastCredit:
    return PodcastCredit(
        pk=row.id, name=row.name, role=row.role, group=row.group, img=row.img, href=row.href,
        consent_given_at=row.consent_given_at, consent_withdrawn_at=row.consent_withdrawn_at,
        stakeholder_id=row.stakeholder_id, organisation_id=row.organisation_id,
    )


def _load_links(table: sa.Table, column: str) -> Callable[[Context, Sequence[int]], Any]:
    async def load(ctx: Context, keys: Sequence[int]) -> list[list[int]]:
        rows = await ctx.fetch(sa.select(table.c.episode_id, table.c[column])
                               .where(table.c.episode_id.in_(keys))
                               .order_by(table.c[column]))
        grouped: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            grouped[row[0]].append(row[1])
        return [grouped.get(k, []) for k in keys]

    return load


async def load_episodes(ctx: Context, keys: Sequence[int]) -> list[PodcastEpisode | None]:
    """For node(id:): public episodes to anyone, every episode to the campaign team."""
    query = sa.select(episodes_t).where(episodes_t.c.id.in_(keys))
    if not _can_edit(ctx):
        query = query.where(visible(utcnow()))
    rows = {row.id: row for row in await ctx.fetch(query)}
    return [build_episode(rows[k]) if k in rows else None for k in keys]


async def load_shows(ctx: Context, keys: Sequence[int]) -> list[PodcastShow | None]:
    rows = {row.id: row for row in await ctx.fetch(
        sa.select(shows_t).where(shows_t.c.id.in_(keys)))}
    base = _base_url(ctx)
    return [build_show(rows[k], base) if k in rows else None for k in keys]


NODES = [NodeType(PodcastEpisode, load_episodes, scope=None),
         NodeType(PodcastShow, load_shows, scope=None)]


async def _linked_episodes(info: Info[Context, None], owner: int, link: sa.Table, column: str,
                           name: str, first: int | None, after: str | None, last: int | None,
                           before: str | None) -> Connection[PodcastEpisode]:
    """Episodes linked to a hub (or programme): public ones, or all for the campaign team.

    Batched: a list of 20 programmes with their episodes is one statement for every page (and
    one for every ``totalCount``), not one per programme.
    """
    editor = _can_edit(info.context)
    # Public callers page by pubDate (never null for them); the campaign team also sees drafts,
    # which have no pubDate, so they page by last change like podcastCatalogue.
    return await nested_connection_of(
        info, owner, episodes_t, build_episode,
        name=f"podcast.{name}.episodes.{'team' if editor else 'public'}",
        parent_column=column, link=link, link_child="episode_id",
        where=[] if editor else [visible(utcnow())],
        order=[("updated_at", True)] if editor else [("publish_at", True)],
        first=first, after=after, last=last, before=before,
    )


@strawberry.type
class HubEpisodes:
    """``Hub.episodes``: a Relay connection of the episodes about this hub."""

    @strawberry.field(metadata=PUBLIC,
                      description="Podcast episodes about this hub, newest first: published "
                      "ones, or every one (drafts too) with publish:podcast.")
    async def episodes(
        self, root: strawberry.Parent[Any], info: Info[Context, None], first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> Connection[PodcastEpisode]:
        return await _linked_episodes(info, root.pk, episode_hubs, "hub_id", "hub",
                                      first, after, last, before)


@strawberry.type
class ProgrammeEpisodes:
    """``Programme.episodes``: a Relay connection of the episodes about this programme."""

    @strawberry.field(metadata=PUBLIC,
                      description="Podcast episodes about this programme, newest first: "
                      "published ones, or every one (drafts too) with publish:podcast.")
    async def episodes(
        self, root: strawberry.Parent[Any], info: Info[Context, None], first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> Connection[PodcastEpisode]:
        return await _linked_episodes(info, root.pk, episode_programmes, "programme_id",
                                      "programme", first, after, last, before)


# --- queries ------------------------------------------------------------------------------------


@strawberry.type
class PodcastQuery:
    @strawberry.field(metadata=PUBLIC, description="A show by its slug (talking-generations).")
    async def podcast_show(self, info: Info[Context, None], slug: str) -> PodcastShow | None:
        rows = await info.context.fetch(sa.select(shows_t).where(shows_t.c.slug == slug))
        return build_show(rows[0], _base_url(info.context)) if rows else None

    @strawberry.field(metadata=PUBLIC, description="A published episode by its GUID.")
    async def podcast_episode(self, info: Info[Context, None], guid: str
                              ) -> PodcastEpisode | None:
        query = sa.select(episodes_t).where(episodes_t.c.guid == guid)
        if not _can_edit(info.context):
            query = query.where(visible(utcnow()))
        rows = await info.context.fetch(query)
        return build_episode(rows[0]) if rows else None

    @strawberry.field(extensions=requires(PUBLISH),
                      description="The whole catalogue of a show for the campaign team: drafts, "
                      "scheduled, published and withheld episodes, newest change first.")
    async def podcast_catalogue(
        self, info: Info[Context, None], show: strawberry.ID, first: int | None = None,
        after: str | None = None,
    ) -> Connection[PodcastEpisode]:
        show_id = decode_pk(show, "PodcastShow", "show")
        return await connection_of(info, episodes_t, build_episode,
                                   where=[episodes_t.c.show_id == show_id],
                                   order=[("updated_at", True)], first=first, after=after)


# --- inputs and mutations -----------------------------------------------------------------------


@strawberry.input
class PodcastShowInput:
    slug: str | None = UNSET
    title: str | None = UNSET
    description: str | None = UNSET
    link: str | None = UNSET
    language: str | None = UNSET
    category: str | None = UNSET
    subcategory: str | None = UNSET
    explicit: bool | None = UNSET
    author: str | None = UNSET
    owner_name: str | None = UNSET
    owner_email: str | None = UNSET
    show_type: str | None = strawberry.field(default=UNSET, name="type")
    artwork_url: str | None = UNSET
    copyright: str | None = UNSET
    funding_url: str | None = UNSET
    funding_text: str | None = UNSET
    locked: bool | None = UNSET
    new_feed_url: str | None = strawberry.field(
        default=UNSET, description="Moving the feed elsewhere: this URL answers 301 to it.")


@strawberry.input
class PodcastEnclosureInput:
    url: str
    length: int
    type: str


@strawberry.input
class PodcastTranscriptInput:
    url: str | None = None
    type: str | None = "text/vtt"
    language: str | None = None
    text: str | None = strawberry.field(default=None,
                                        description="WebVTT text served by this plug-in.")


@strawberry.input
class PodcastChapterInput:
    start_time: float
    title: str
    url: str | None = None
    img: str | None = None


@strawberry.input
class PodcastEpisodeInput:
    title: str | None = UNSET
    summary: str | None = strawberry.field(default=UNSET, description="HTML; sanitised.")
    link: str | None = UNSET
    enclosure: PodcastEnclosureInput | None = UNSET
    duration_seconds: int | None = UNSET
    season: strawberry.ID | None = UNSET
    episode_number: int | None = UNSET
    episode_type: EpisodeType | None = UNSET
    explicit: bool | None = UNSET
    artwork_url: str | None = UNSET
    transcript: PodcastTranscriptInput | None = UNSET
    chapters: list[PodcastChapterInput] | None = UNSET
    programmes: list[strawberry.ID] | None = UNSET
    hubs: list[strawberry.ID] | None = UNSET


_NOT_NULL = {"explicit", "episode_type", "show_type", "locked", "description", "summary_html"}


def _show_changes(data: PodcastShowInput) -> dict[str, Any]:
    changes = {k: v for k, v in vars(data).items() if v is not UNSET}
    for key in _NOT_NULL & changes.keys():
        if changes[key] is None:
            raise ValidationError.single(key, "required", f"{key} may not be null")
    return changes


async def _episode_write(
    ctx: Context, write: Callable[[AsyncSession], Awaitable[Any]]
) -> PodcastEpisodePayload:
    """One episode write in a transaction of the caller's: the episode as it now stands, or
    every refused rule as a user error (nothing written)."""
    try:
        async with ctx.db.transaction(actor=ctx.actor) as session:
            episode = build_episode(await write(session))
    except ValidationError as exc:
        return PodcastEpisodePayload(episode=None, errors=user_errors(exc.errors))
    return PodcastEpisodePayload(episode=episode, errors=[])


def _episode_changes(data: PodcastEpisodeInput) -> tuple[dict[str, Any], dict[str, Any]]:
    """The service's keyword arguments, and the link lists (programme_ids, hub_ids)."""
    out: dict[str, Any] = {}
    links: dict[str, Any] = {}
    for key, value in vars(data).items():
        if value is UNSET:
            continue
        if key == "summary":
            out["summary_html"] = value or ""
        elif key == "enclosure":
            out.update(enclosure_url=value.url if value else None,
                       enclosure_length=value.length if value else None,
                       enclosure_type=value.type if value else None)
        elif key == "transcript":
            out.update(transcript_url=value.url if value else None,
                       transcript_type=(value.type if value else None),
                       transcript_language=value.language if value else None,
                       transcript_text=value.text if value else None)
            if value and value.text and not value.text.lstrip("\ufeff").startswith("WEBVTT"):
                raise ValidationError.single("transcript.text", "webvtt",
                                             "a transcript kept here is WebVTT (starts WEBVTT)")
        elif key == "chapters":
            out["chapters"] = None if value is None else [
                {k: v for k, v in (("startTime", c.start_time), ("title", c.title),
                                   ("url", c.url), ("img", c.img)) if v is not None}
                for c in value
            ]
        elif key == "season":
            out["season_id"] = decode_pk(value, "PodcastSeason", "season") if value else None
        elif key == "episode_type":
            if value is None:
                raise ValidationError.single("episodeType", "required", "episodeType is required")
            out["episode_type"] = value.value
        elif key == "programmes":
            links["programme_ids"] = [decode_pk(v, "Programme", "programmes") for v in value or []]
        elif key == "hubs":
            links["hub_ids"] = [decode_pk(v, "Hub", "hubs") for v in value or []]
        else:
            if key == "explicit" and value is None:
                raise ValidationError.single("explicit", "required", "explicit is true or false")
            out[key] = value
    return out, links


@strawberry.type
class PodcastShowPayload:
    show: PodcastShow | None
    errors: list[UserError]


@strawberry.type
class PodcastEpisodePayload:
    episode: PodcastEpisode | None
    errors: list[UserError]


@strawberry.type
class PodcastSeasonPayload:
    season: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class PodcastPersonPayload:
    person: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class PodcastCreditPayload:
    credit: PodcastCredit | None
    errors: list[UserError]


async def _change_consent(
    info: Info[Context, None], credit: strawberry.ID,
    change: Callable[[AsyncSession, int, dt.datetime], Awaitable[Any]],
) -> PodcastCreditPayload:
    """Record or withdraw a guest's consent now, and answer with the credit as it became."""
    ctx = info.context
    try:
        credit_id = decode_pk(credit, "PodcastCredit", "credit")
        async with ctx.db.transaction(actor=ctx.actor) as session:
            await change(session, credit_id, utcnow())
            result = await _credit_of(session, credit_id)
    except ValidationError as exc:
        return PodcastCreditPayload(credit=None, errors=user_errors(exc.errors))
    return PodcastCreditPayload(credit=result, errors=[])


async def _credit_of(session: Any, credit_id: int) -> PodcastCredit:
    row = (await session.execute(
        sa.select(credits_t, persons_t.c.name, persons_t.c.img, persons_t.c.href,
                  persons_t.c.stakeholder_id, persons_t.c.organisation_id)
        .join(persons_t, persons_t.c.id == credits_t.c.person_id)
        .where(credits_t.c.id == credit_id)
    )).first()
    return build_credit(row)


@strawberry.type
class PodcastMutation:
    @strawberry.mutation(extensions=requires(PUBLISH))
    async def create_podcast_show(self, info: Info[Context, None], input: PodcastShowInput
                                  ) -> PodcastShowPayload:
        ctx = info.context
        try:
            base = _base_url(ctx)
            async with ctx.db.transaction(actor=ctx.actor) as session:
                row = await catalogue.create_show(session, base, **_show_changes(input))
                show = build_show(row, base)
        except ValidationError as exc:
            return PodcastShowPayload(show=None, errors=user_errors(exc.errors))
        return PodcastShowPayload(show=show, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Edit a show; a new slug moves the feed (the old address "
                         "answers 301, podcast:guid stays).")
    async def update_podcast_show(self, info: Info[Context, None], id: strawberry.ID,
                                  input: PodcastShowInput) -> PodcastShowPayload:
        ctx = info.context
        try:
            show_id = decode_pk(id, "PodcastShow", "id")
            base = _base_url(ctx)
            async with ctx.db.transaction(actor=ctx.actor) as session:
                row = await catalogue.update_show(session, show_id, **_show_changes(input))
                show = build_show(row, base)
        except ValidationError as exc:
            return PodcastShowPayload(show=None, errors=user_errors(exc.errors))
        return PodcastShowPayload(show=show, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH))
    async def add_podcast_season(self, info: Info[Context, None], show: strawberry.ID,
                                 number: int, title: str | None = None) -> PodcastSeasonPayload:
        ctx = info.context
        try:
            show_id = decode_pk(show, "PodcastShow", "show")
            async with ctx.db.transaction(actor=ctx.actor) as session:
                season = await catalogue.add_season(session, show_id, number, title)
                season_id = strawberry.ID(encode_id("PodcastSeason", season.id))
        except ValidationError as exc:
            return PodcastSeasonPayload(season=None, errors=user_errors(exc.errors))
        return PodcastSeasonPayload(season=season_id, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="A draft episode; its GUID is given now and never changes.")
    async def create_podcast_episode(self, info: Info[Context, None], show: strawberry.ID,
                                     input: PodcastEpisodeInput) -> PodcastEpisodePayload:
        async def write(session: AsyncSession) -> Any:
            data, links = _episode_changes(input)
            return await catalogue.create_episode(
                session, decode_pk(show, "PodcastShow", "show"), **links, **data)

        return await _episode_write(info.context, write)

    @strawberry.mutation(extensions=requires(PUBLISH))
    async def update_podcast_episode(self, info: Info[Context, None], id: strawberry.ID,
                                     input: PodcastEpisodeInput) -> PodcastEpisodePayload:
        async def write(session: AsyncSession) -> Any:
            data, links = _episode_changes(input)
            return await catalogue.update_episode(
                session, decode_pk(id, "PodcastEpisode", "id"), **links, **data)

        return await _episode_write(info.context, write)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Publish now, or schedule with `at` (a time with its "
                         "offset). Refused, with every broken publishing rule, before anything "
                         "goes public.")
    async def publish_podcast_episode(
        self, info: Info[Context, None], id: strawberry.ID, at: dt.datetime | None = None
    ) -> PodcastEpisodePayload:
        ctx = info.context
        config = _config(ctx)
        async with httpx.AsyncClient(timeout=config.fetch_timeout_seconds,
                                     follow_redirects=True) as client:
            publishing = catalogue.PublishContext(
                config=config, client=client, allow_private=not ctx.settings.is_production,
            )

            async def write(session: AsyncSession) -> Any:
                return await catalogue.publish_episode(
                    session, decode_pk(id, "PodcastEpisode", "id"), publishing, _base_url(ctx),
                    at)

            return await _episode_write(ctx, write)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Back to a draft: it leaves the feed at once.")
    async def unpublish_podcast_episode(self, info: Info[Context, None], id: strawberry.ID
                                        ) -> PodcastEpisodePayload:
        async def write(session: AsyncSession) -> Any:
            return await catalogue.unpublish_episode(session, decode_pk(id, "PodcastEpisode", "id"))

        return await _episode_write(info.context, write)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="A host or guest, linked to a core stakeholder and "
                         "organisation where known; the contact email is encrypted and never "
                         "returned.")
    async def add_podcast_person(
        self, info: Info[Context, None], name: str, img: str | None = None,
        href: str | None = None, stakeholder: strawberry.ID | None = None,
        organisation: strawberry.ID | None = None, contact_email: str | None = None,
    ) -> PodcastPersonPayload:
        ctx = info.context
        try:
            data = {"name": name, "img": img, "href": href, "contact_email": contact_email,
                    "stakeholder_id": decode_pk(stakeholder, "Stakeholder", "stakeholder")
                    if stakeholder else None,
                    "organisation_id": decode_pk(organisation, "Organisation", "organisation")
                    if organisation else None}
            async with ctx.db.transaction(actor=ctx.actor) as session:
                person = await catalogue.add_person(session, **data)
                person_id = strawberry.ID(encode_id("PodcastPerson", person.id))
        except ValidationError as exc:
            return PodcastPersonPayload(person=None, errors=user_errors(exc.errors))
        return PodcastPersonPayload(person=person_id, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Put a person on a show (channel) or an episode. A guest's "
                         "consent is recorded with `consentGiven`.")
    async def credit_podcast_person(
        self, info: Info[Context, None], person: strawberry.ID,
        show: strawberry.ID | None = None, episode: strawberry.ID | None = None,
        role: str = "host", group: str = "cast", consent_given: bool = False,
        position: int = 0,
    ) -> PodcastCreditPayload:
        ctx = info.context
        try:
            person_id = decode_pk(person, "PodcastPerson", "person")
            show_id = decode_pk(show, "PodcastShow", "show") if show else None
            episode_id = decode_pk(episode, "PodcastEpisode", "episode") if episode else None
            async with ctx.db.transaction(actor=ctx.actor) as session:
                row = await catalogue.credit(
                    session, person_id, show_id=show_id, episode_id=episode_id, role=role,
                    group=group, consent_given_at=utcnow() if consent_given else None,
                    position=position,
                )
                credit = await _credit_of(session, row.id)
        except ValidationError as exc:
            return PodcastCreditPayload(credit=None, errors=user_errors(exc.errors))
        return PodcastCreditPayload(credit=credit, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH))
    async def record_podcast_guest_consent(self, info: Info[Context, None],
                                           credit: strawberry.ID) -> PodcastCreditPayload:
        return await _change_consent(info, credit, catalogue.record_consent)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="A guest withdraws consent: the episode leaves the feed "
                         "at once and `episode.consent_withdrawn` is emitted.")
    async def withdraw_podcast_guest_consent(self, info: Info[Context, None],
                                             credit: strawberry.ID) -> PodcastCreditPayload:
        return await _change_consent(info, credit, catalogue.withdraw_consent)

    # --- edits and removals -------------------------------------------------------------------

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Edit a host or guest (only the fields given). Every feed "
                         "they appear in changes at once.")
    async def update_podcast_person(self, info: Info[Context, None], id: strawberry.ID,
                                    input: PodcastPersonInput) -> PodcastPersonPayload:
        ctx = info.context
        try:
            person_id = decode_pk(id, "PodcastPerson", "id")
            changes = _person_changes(input)
            async with ctx.db.transaction(actor=ctx.actor) as session:
                await catalogue.update_person(session, person_id, **changes)
        except ValidationError as exc:
            return PodcastPersonPayload(person=None, errors=user_errors(exc.errors))
        return PodcastPersonPayload(person=id, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Remove a host or guest with all their credits (and their "
                         "encrypted contact email).")
    async def remove_podcast_person(self, info: Info[Context, None], id: strawberry.ID
                                    ) -> PodcastRemovalPayload:
        return await _remove(info, id, "PodcastPerson", catalogue.remove_person)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Take a person off a show or an episode.")
    async def remove_podcast_credit(self, info: Info[Context, None], id: strawberry.ID
                                    ) -> PodcastRemovalPayload:
        return await _remove(info, id, "PodcastCredit", catalogue.remove_credit)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Renumber or retitle a season (its episodes follow).")
    async def update_podcast_season(self, info: Info[Context, None], id: strawberry.ID,
                                    input: PodcastSeasonInput) -> PodcastSeasonPayload:
        ctx = info.context
        try:
            season_id = decode_pk(id, "PodcastSeason", "id")
            if input.number is None:
                raise ValidationError.single("number", "required", "a season has a number")
            number = input.number if input.number is not UNSET else None
            title = input.title if input.title is not UNSET else None
            async with ctx.db.transaction(actor=ctx.actor) as session:
                await catalogue.update_season(session, season_id, number=number, title=title,
                                              clear_title=input.title is None)
        except ValidationError as exc:
            return PodcastSeasonPayload(season=None, errors=user_errors(exc.errors))
        return PodcastSeasonPayload(season=id, errors=[])

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Remove an empty season; one with episodes is refused "
                         "(code season_in_use).")
    async def remove_podcast_season(self, info: Info[Context, None], id: strawberry.ID
                                    ) -> PodcastRemovalPayload:
        return await _remove(info, id, "PodcastSeason", catalogue.remove_season)

    @strawberry.mutation(extensions=requires(PUBLISH),
                         description="Delete a draft for good. A published, scheduled or "
                         "withheld episode is refused (code published): unpublish it first.")
    async def delete_podcast_episode(self, info: Info[Context, None], id: strawberry.ID
                                     ) -> PodcastRemovalPayload:
        return await _remove(info, id, "PodcastEpisode", catalogue.delete_episode)


@strawberry.input(description="Only the fields given change; null clears an optional one.")
class PodcastPersonInput:
    name: str | None = UNSET
    img: str | None = UNSET
    href: str | None = UNSET
    stakeholder: strawberry.ID | None = UNSET
    organisation: strawberry.ID | None = UNSET
    contact_email: str | None = strawberry.field(
        default=UNSET, description="Encrypted at rest, never returned.")


@strawberry.input(description="Only the fields given change; a null title clears it.")
class PodcastSeasonInput:
    number: int | None = UNSET
    title: str | None = UNSET


@strawberry.type
class PodcastRemovalPayload:
    removed: strawberry.ID | None = strawberry.field(description="The ID removed, if it was.")
    errors: list[UserError]


def _person_changes(data: PodcastPersonInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in vars(data).items():
        if value is UNSET:
            continue
        if key == "stakeholder":
            changes["stakeholder_id"] = decode_pk(value, "Stakeholder", "stakeholder") \
                if value else None
        elif key == "organisation":
            changes["organisation_id"] = decode_pk(value, "Organisation", "organisation") \
                if value else None
        else:
            changes[key] = value
    return changes


async def _remove(info: Info[Context, None], id: strawberry.ID, type_name: str,
                  remove: Callable[[Any, int], Any]) -> PodcastRemovalPayload:
    """One removal in one transaction: refused (nothing written) or done."""
    ctx = info.context
    try:
        pk = decode_pk(id, type_name, "id")
        async with ctx.db.transaction(actor=ctx.actor) as session:
            await remove(session, pk)
    except ValidationError as exc:
        return PodcastRemovalPayload(removed=None, errors=user_errors(exc.errors))
    return PodcastRemovalPayload(removed=id, errors=[])
