"""Scheduling: an episode scheduled through GraphQL stays out of the feed until its time; the
periodic job then emits ``episode.published`` once, and the WebSub hub gets its ping (a form POST
``hub.mode=publish&hub.url=<feed>``) through the outbox, to a real local HTTP server.

Also the demo data: ``seed --demo`` gives the Talking Generations feed at once, and seeding twice
adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.pluginhost.jobs import run_due_jobs
from imm_graph.pluginhost.outbox import run_once
from plugins.podcast import catalogue, demo
from tests.conftest import GraphQLClient
from tests.http_receiver import Receiver
from tests.plugins.podcast.conftest import BASE, SHOW, episode_fields, publish_as_of
from tests.plugins.podcast.media_server import MediaServer
from tests.plugins.podcast.test_graphql import CREATE_EPISODE, PUBLISH, make_show

FEED = "/plugins/podcast/talking-generations/feed.xml"


@pytest.fixture
def websub_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with Receiver() as hub:
        monkeypatch.setenv("IMM_PLUGIN_PODCAST_WEBSUB_HUBS", f'["{hub.url}"]')
        yield hub


async def test_a_scheduled_episode_goes_out_when_due_announced_once_with_a_websub_ping(
    websub_hub: Receiver, editor: GraphQLClient, anonymous: GraphQLClient,
    http: httpx.AsyncClient, media: MediaServer, db: Database, app: object,
) -> None:
    show = await make_show(editor, media)
    episode = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "Next week", "enclosure": {"url": "https://media.imm.example/next.mp3",
                                            "length": 7, "type": "audio/mpeg"},
    }))["createPodcastEpisode"]["episode"]
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    scheduled = (await editor(PUBLISH, id=episode["id"], at=at.isoformat())
                 )["publishPodcastEpisode"]
    assert scheduled["errors"] == [] and scheduled["episode"]["state"] == "SCHEDULED"
    assert b"Next week" not in (await http.get(FEED)).content
    feed = await http.get(FEED)
    assert f'<{websub_hub.url}>; rel="hub"' in feed.headers["link"]

    health = (await http.get("/health")).json()["plugins"]["podcast"]
    assert health == {"status": "ok", "shows": 1, "publicEpisodes": 0, "unannounced": 0}

    plugins = app.state.plugins  # type: ignore[attr-defined]
    await run_due_jobs(db, plugins, at - dt.timedelta(minutes=1))  # not yet
    async with db.sessions() as session:
        count = sa.select(sa.func.count()).where(m.DomainEventRecord.name == "episode.published")
        assert await session.scalar(count) == 0
    await run_due_jobs(db, plugins, at + dt.timedelta(minutes=1))
    await run_due_jobs(db, plugins, at + dt.timedelta(minutes=3))  # a later turn: no second one
    async with db.sessions() as session:
        assert await session.scalar(count) == 1

    async with httpx.AsyncClient() as client:
        report = await run_once(db, client, plugins=plugins, now=at + dt.timedelta(minutes=2))
    assert report.delivered == 1, report
    [ping] = websub_hub.requests
    assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(ping.body.decode()) == {
        "hub.mode": ["publish"], "hub.url": ["https://api.imm.example" + FEED]}


async def test_the_demo_has_the_talking_generations_feed_and_seeding_twice_adds_nothing(
    http: httpx.AsyncClient, db: Database,
) -> None:
    # What `imm-graph seed --demo` asks of the plug-in (the core's own demo rows are left out
    # here: they take seconds, and the podcast's rows link to them only where they exist).
    for _ in range(2):
        async with db.transaction() as session:
            await demo.seed(session, BASE)
    async with db.sessions() as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM podcast_shows")) == 1
        assert await session.scalar(sa.text("SELECT count(*) FROM podcast_episodes")) == 4
    root = etree.fromstring((await http.get(FEED)).content)
    items = root.findall("channel/item")
    assert len(items) == 3  # the draft is not in the feed
    guests = {p.text for p in root.iterfind(
        "channel/item/{https://podcastindex.org/namespace/1.0}person") if p.get("role") == "guest"}
    assert guests == {"Sami Gichki", "Sarah Atkins", "Anna Maddox", "Jess & Norma"}


async def test_health_is_degraded_while_a_due_episode_waits_more_than_five_minutes_for_the_job(
    http: httpx.AsyncClient, db: Database, app: object,
) -> None:
    """The worker not running shows on /health: an episode due six minutes ago and never
    announced makes the plug-in "degraded"; one due four minutes ago does not (the job runs every
    minute, so that is normal); the job's next turn makes it "ok" again."""
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as session:
        show = await catalogue.create_show(session, BASE, **SHOW)
        for n, minutes_ago in ((1, 6), (2, 4)):
            episode = await catalogue.create_episode(session, show.id, **episode_fields(n))
            episode.status = "published"
            episode.publish_at = now - dt.timedelta(minutes=minutes_ago)
        announced = await catalogue.create_episode(session, show.id, **episode_fields(3))
        await publish_as_of(session, announced, now - dt.timedelta(days=1))

    health = (await http.get("/health")).json()
    assert health["plugins"]["podcast"] == {
        "status": "degraded", "shows": 1, "publicEpisodes": 3, "unannounced": 1}

    await run_due_jobs(db, app.state.plugins, now)  # type: ignore[attr-defined]
    health = (await http.get("/health")).json()
    assert health["plugins"]["podcast"] == {
        "status": "ok", "shows": 1, "publicEpisodes": 3, "unannounced": 0}
