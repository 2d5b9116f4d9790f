"""The podcast feed of a show with 500 episodes: a 304 and a full render, through the real app.

    .venv/bin/python -m benchmarks.podcast_feed [--episodes 500] [--requests 300]

Builds a temporary SQLite database (or IMM_DATABASE_URL's PostgreSQL), migrates it, adds one
show with N published episodes (each with a guest, chapters and a season), then calls
``GET /plugins/podcast/<show>/feed.xml`` in-process through httpx's ASGI transport:

- ``304``: with a matching ``If-None-Match`` (what directories send when polling);
- ``200 cached``: the full body, render cached (the data did not change);
- ``render``: a fresh render each time (the cache is cleared before every request);
- ``build``: feed.load + feed.render alone, without HTTP.

Prints p50/p95 in milliseconds. The issue's target: a 304 in under 5 ms p50.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

import httpx

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, create_engine, utcnow
from imm_graph.migrate import upgrade
from plugins.podcast import catalogue, feed

BASE = "https://api.imm.example"


async def populate(db: Database, episodes: int) -> None:
    start = dt.datetime(2020, 1, 1, 7, tzinfo=dt.UTC)
    async with db.transaction() as session:
        show = await catalogue.create_show(
            session, BASE, slug="talking-generations", title="Talking Generations",
            language="en-gb", category="Society & Culture", description="Let's talk.",
            artwork_url="https://media.imm.example/art.jpg", author="IMM",
            owner_email="podcast@imm.example",
        )
        season = await catalogue.add_season(session, show.id, 1, None)
        host = await catalogue.add_person(session, name="Charlotte Miller")
        await catalogue.credit(session, host.id, show_id=show.id)
        for n in range(1, episodes + 1):
            episode = await catalogue.create_episode(
                session, show.id, title=f"Episode {n}: generations & music",
                summary_html=f"<p>Show notes for episode {n}. " + "Words. " * 60 + "</p>",
                enclosure_url=f"https://media.imm.example/{n}.mp3",
                enclosure_length=20_000_000 + n, enclosure_type="audio/mpeg",
                duration_seconds=1800 + n, episode_number=n, season_id=season.id,
                chapters=[{"startTime": 0, "title": "Intro"}, {"startTime": 60, "title": "Talk"}],
            )
            guest = await catalogue.add_person(session, name=f"Guest {n}")
            await catalogue.credit(session, guest.id, episode_id=episode.id, role="guest",
                                   consent_given_at=start)
            episode.status, episode.publish_at = "published", start + dt.timedelta(days=n)
        await session.flush()


async def timed(label: str, n: int, call: Callable[[], Awaitable[object]]) -> None:
    for _ in range(10):
        await call()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    print(f"{label:<14} p50 {statistics.median(samples):7.2f} ms   "
          f"p95 {samples[int(len(samples) * 0.95) - 1]:7.2f} ms   (n={n})")


async def main(episodes: int, requests: int) -> None:
    url = os.environ.get("IMM_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.mkdtemp()
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    os.environ.setdefault("IMM_PLUGINS_ENABLED", "podcast")
    os.environ.setdefault("IMM_PLUGIN_PODCAST_PUBLIC_BASE_URL", BASE)
    # One client makes every request: lift the per-IP feed budget for the run.
    os.environ.setdefault("IMM_PLUGIN_PODCAST_FEED_RATE_LIMIT_PER_MINUTE", "1000000")
    db = Database(url)
    await populate(db, episodes)
    app = create_app(Settings(database_url=url, environment="test"), database=db)
    path = "/plugins/podcast/talking-generations/feed.xml"
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.test"
    ) as http:
        first = await http.get(path)
        etag = first.headers["etag"]
        print(f"{episodes} episodes: {len(first.content):,} bytes, ETag {etag}")

        async def not_modified() -> None:
            answer = await http.get(path, headers={"If-None-Match": etag})
            assert answer.status_code == 304

        async def cached() -> None:
            assert (await http.get(path)).status_code == 200

        async def fresh() -> None:
            app.state.podcast_feeds.clear()
            assert (await http.get(path)).status_code == 200

        async def build() -> None:
            async with db.engine.connect() as conn:
                show = await feed.show_row(conn, "talking-generations", utcnow())
                feed.render(await feed.load(conn, show, utcnow()), BASE)

        await timed("304", requests, not_modified)
        await timed("200 cached", requests, cached)
        await timed("render", max(20, requests // 10), fresh)
        await timed("build", max(20, requests // 10), build)
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.episodes, arguments.requests))
