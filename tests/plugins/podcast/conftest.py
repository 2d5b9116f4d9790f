"""Fixtures for the podcast plug-in's tests: the real app with the plug-in enabled (on SQLite and
PostgreSQL), a campaign-team GraphQL client, a media host serving generated artwork and audio,
and a publishable show built through the catalogue's own functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from imm_graph.db import Database
from plugins.podcast import catalogue
from tests.conftest import GraphQLClient, MakeKey, bearer
from tests.plugins.podcast.media_server import Hosted, MediaServer, image

BASE = "https://api.imm.example"  # the public base URL: never the Host header
ARTWORK = image((1400, 1400))
AUDIO = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    with MediaServer() as server:
        server.add("/art/square-1400.jpg", Hosted(ARTWORK, "image/jpeg"))
        server.add("/audio/ep1.mp3", Hosted(AUDIO, "audio/mpeg"))
        yield server


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only this plug-in, with a public base URL (so URLs in the feed are fixed)."""
    monkeypatch.setenv("IMM_PLUGINS_ENABLED", "podcast")
    monkeypatch.delenv("IMM_PLUGINS_DISABLED", raising=False)
    monkeypatch.setenv("IMM_PLUGIN_PODCAST_PUBLIC_BASE_URL", BASE)


@pytest.fixture
async def editor(http: httpx.AsyncClient, make_key: MakeKey) -> GraphQLClient:
    """IMM's campaign team: a key with publish:podcast only."""
    return GraphQLClient(http, bearer(await make_key(["publish:podcast"])))


@pytest.fixture
def anonymous(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@dataclass(frozen=True)
class Row:
    id: int
    guid: str = ""


@dataclass
class Catalogue:
    show_id: int
    slug: str
    episodes: dict[str, Row]


SHOW: dict[str, Any] = {
    "slug": "talking-generations", "title": "Talking Generations", "language": "en-gb",
    "description": "It starts with a conversation, so let's talk.",
    "category": "Society & Culture", "subcategory": "Relationships",
    "author": "Intergenerational Music Making", "owner_name": "IMM",
    "owner_email": "podcast@imm.example", "explicit": False,
    "artwork_url": "https://media.imm.example/art.jpg",
    "funding_url": "https://imm.example/donate", "funding_text": "Support IMM",
}
T0 = dt.datetime(2024, 2, 6, 7, 0, tzinfo=dt.UTC)


def episode_fields(n: int, **overrides: Any) -> dict[str, Any]:
    fields = {
        "title": f"Episode {n}", "summary_html": f"<p>Notes of episode {n}</p>",
        "enclosure_url": f"https://media.imm.example/tg-{n:03d}.mp3",
        "enclosure_length": 1000 + n, "enclosure_type": "audio/mpeg",
        "duration_seconds": 60 * n + 5, "episode_number": n,
    }
    return {**fields, **overrides}


async def publish_as_of(session: Any, episode: Any, at: dt.datetime) -> None:
    """Published without the network checks (they have tests of their own)."""
    episode.status, episode.publish_at, episode.announced_at = "published", at, at
    await session.flush()


@pytest.fixture
async def catalogue_rows(db: Database) -> Catalogue:
    """A show with a host; two published episodes (one with a guest), a draft, a scheduled one."""
    async with db.transaction() as session:
        show = await catalogue.create_show(session, BASE, **SHOW)
        season = await catalogue.add_season(session, show.id, 2, "Season two")
        host = await catalogue.add_person(session, name="Charlotte Miller",
                                          href="https://imm.example/")
        await catalogue.credit(session, host.id, show_id=show.id, role="host")
        first = await catalogue.create_episode(
            session, show.id, **episode_fields(1, title="Scouts & care homes", season_id=season.id,
                                               chapters=[{"startTime": 0, "title": "Hello"}]))
        second = await catalogue.create_episode(session, show.id, **episode_fields(
            2, episode_type="bonus", explicit=True, artwork_url="https://media.imm.example/e2.png",
            transcript_url="https://media.imm.example/e2.vtt", transcript_type="text/vtt"))
        guest = await catalogue.add_person(session, name="Sami Gichki")
        credit = await catalogue.credit(session, guest.id, episode_id=second.id, role="guest",
                                        consent_given_at=T0)
        draft = await catalogue.create_episode(session, show.id, **episode_fields(3))
        scheduled = await catalogue.create_episode(session, show.id, **episode_fields(4))
        await publish_as_of(session, first, T0)
        await publish_as_of(session, second, T0 + dt.timedelta(days=7))
        await publish_as_of(session, scheduled, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        return Catalogue(show.id, show.slug, {
            **{name: Row(e.id, e.guid) for name, e in (
                ("first", first), ("second", second), ("draft", draft),
                ("scheduled", scheduled))},
            "guest_credit": Row(credit.id),
        })
