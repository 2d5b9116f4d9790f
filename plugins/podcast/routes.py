"""The public HTTP routes: the feed, and the chapters and transcripts it points to.

``GET /plugins/podcast/<show>/feed.xml`` answers conditional requests (RFC 9110): a matching
``If-None-Match`` gets a 304 with the ETag and Cache-Control; ``If-Modified-Since`` counts only
without ``If-None-Match``. The render is cached per app and reused while the show's
``feed_version`` and its number of public episodes are unchanged, so a poll that changes nothing
costs one small query. An old feed address (the show's slug changed) answers 301; a feed moved
elsewhere (``newFeedUrl``) answers 301 to there.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from imm_graph.plugin_api import problem, utcnow
from plugins.podcast import feed
from plugins.podcast.catalogue import NAME, episodes_t, feed_url, shows_t, visible
from plugins.podcast.models import PodcastFeedAlias
from plugins.podcast.settings import PodcastSettings

RSS = "application/rss+xml; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD",
        "Timing-Allow-Origin": "*"}
aliases_t = PodcastFeedAlias.__table__
CACHE_ENTRIES = 64  # renders kept per process (shows x base URLs)


def settings_of(request: Request) -> PodcastSettings:
    config = request.app.state.plugins.config_for(NAME)
    assert isinstance(config, PodcastSettings)
    return config


def base_url_of(request: Request, config: PodcastSettings) -> str:
    """The configured public origin; the request's own only when none is configured."""
    if config.public_base_url is not None:
        return str(config.public_base_url).rstrip("/")
    return str(request.base_url).rstrip("/")


def _not_found(slug: str) -> Response:
    return problem(404, "Not Found", f"no podcast show {slug!r}", code="show_not_found")


async def feed_xml(request: Request) -> Response:
    """GET /plugins/podcast/{show}/feed.xml"""
    config = settings_of(request)
    slug = request.path_params["show"]
    base = base_url_of(request, config)
    now = utcnow()
    async with request.app.state.db.engine.connect() as conn:
        show = await feed.show_row(conn, slug, now)
        if show is None:
            moved_to = await conn.scalar(
                sa.select(shows_t.c.slug).join(aliases_t, aliases_t.c.show_id == shows_t.c.id)
                .where(aliases_t.c.slug == slug)
            )
            if moved_to is None:
                return _not_found(slug)
            return RedirectResponse(feed_url(base, moved_to), status_code=301)
        if show.new_feed_url:
            return RedirectResponse(show.new_feed_url, status_code=301)
        hubs = tuple(str(hub) for hub in config.websub_hubs)
        cache: dict[Any, Any] = request.app.state.__dict__.setdefault("podcast_feeds", {})
        key = (show.id, base, hubs)
        fingerprint = (show.feed_version, show.public_count, show.updated_at)
        cached = cache.get(key)
        if cached is None or cached[0] != fingerprint:
            data = await feed.load(conn, show, now)
            moved = await conn.scalar(
                sa.select(sa.func.count()).select_from(aliases_t)
                .where(aliases_t.c.show_id == show.id)
            )
            cached = (fingerprint, feed.render(data, base, hubs, moved=bool(moved)))
            if len(cache) >= CACHE_ENTRIES:  # without a public base URL, Host headers vary
                cache.clear()
            cache[key] = cached
    rendered: feed.Rendered = cached[1]
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
        "Cache-Control": f"public, max-age={config.cache_seconds}",
        "Link": ", ".join([f'<{hub}>; rel="hub"' for hub in hubs]
                          + [f'<{feed_url(base, slug)}>; rel="self"']),
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, rendered):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=RSS, headers=headers)


def _not_modified(request: Request, rendered: feed.Rendered) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # then If-Modified-Since is ignored (RFC 9110 §13.1.3)
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or rendered.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return rendered.last_modified <= since
    return False


async def _public_episode(request: Request) -> Any:
    slug, guid = request.path_params["show"], request.path_params["guid"]
    async with request.app.state.db.engine.connect() as conn:
        result = await conn.execute(
            sa.select(episodes_t.c.chapters, episodes_t.c.transcript_text,
                      episodes_t.c.updated_at)
            .join(shows_t, shows_t.c.id == episodes_t.c.show_id)
            .where(shows_t.c.slug == slug, episodes_t.c.guid == guid, visible(utcnow()))
        )
        return result.first()


async def chapters_json(request: Request) -> Response:
    """GET /plugins/podcast/{show}/episodes/{guid}/chapters.json (CORS: web players load it)."""
    episode = await _public_episode(request)
    if episode is None or not episode.chapters:
        return problem(404, "Not Found", "no chapters for this episode", code="not_found",
                       headers=CORS)
    body = orjson.dumps(feed.chapters_document(episode.chapters))
    return Response(body, media_type="application/json+chapters",
                    headers={**CORS, "Cache-Control": "public, max-age=300"})


async def transcript_vtt(request: Request) -> Response:
    """GET /plugins/podcast/{show}/episodes/{guid}/transcript.vtt (WebVTT, with CORS)."""
    episode = await _public_episode(request)
    if episode is None or not episode.transcript_text:
        return problem(404, "Not Found", "no transcript for this episode", code="not_found",
                       headers=CORS)
    return Response(episode.transcript_text, media_type="text/vtt; charset=utf-8",
                    headers={**CORS, "Cache-Control": "public, max-age=300"})
