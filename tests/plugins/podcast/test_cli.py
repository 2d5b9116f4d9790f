"""``imm-graph podcast shows|episodes|publish|unpublish`` as the campaign team runs it: the same
catalogue and publishing rules as GraphQL, episodes named by their GUID."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner, Result

from imm_graph.cli.plugins import register
from imm_graph.db import Database
from imm_graph.pluginhost.manager import PluginManager
from plugins.podcast import catalogue
from tests.plugins.podcast.conftest import BASE, Catalogue
from tests.plugins.podcast.media_server import MediaServer

FEED = BASE + "/plugins/podcast/talking-generations/feed.xml"


@pytest.fixture
def podcast_cli(app_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch
                ) -> typer.Typer:
    monkeypatch.setenv("IMM_DATABASE_URL", database_url)
    cli = typer.Typer()
    register(cli, manager=PluginManager.load())
    return cli


async def invoke(cli: typer.Typer, *args: str) -> Result:
    """The command as a terminal runs it: in its own thread, with its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, cli, ["podcast", *args])


async def test_shows_and_episodes_list_the_catalogue_with_states(
    podcast_cli: typer.Typer, catalogue_rows: Catalogue,
) -> None:
    shows = await invoke(podcast_cli, "shows")
    assert shows.exit_code == 0, shows.output
    assert shows.output == f"talking-generations\t2 public / 4\tTalking Generations\t{FEED}\n"

    listed = await invoke(podcast_cli, "episodes", "talking-generations")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.splitlines()]
    e = catalogue_rows.episodes
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (e["draft"].guid, "draft", "Episode 3"),
        (e["scheduled"].guid, "scheduled", "Episode 4"),
        (e["second"].guid, "published", "Episode 2"),
        (e["first"].guid, "published", "Scouts & care homes"),
    ]
    assert rows[3][2] == "2024-02-06T07:00:00+00:00"
    unknown = await invoke(podcast_cli, "episodes", "no-such-show")
    assert unknown.exit_code == 1 and "no podcast show 'no-such-show' (not_found)" in unknown.output


async def test_publish_checks_every_rule_then_publishes_and_unpublish_takes_it_back(
    podcast_cli: typer.Typer, catalogue_rows: Catalogue, media: MediaServer, db: Database,
) -> None:
    draft = catalogue_rows.episodes["draft"].guid
    async with db.transaction() as session:  # the show's artwork is not reachable yet
        await session.execute(sa.update(catalogue.shows_t).values(
            artwork_url="http://127.0.0.1:9/nothing-listens-here.jpg"))
        await session.execute(sa.update(catalogue.episodes_t).where(
            catalogue.episodes_t.c.guid == draft).values(enclosure_type="text/plain"))
    refused = await invoke(podcast_cli, "publish", draft)
    assert refused.exit_code == 1
    assert "error: enclosure.type:" in refused.output and "(audio_type)" in refused.output
    assert "error: show.artworkUrl:" in refused.output and "(artwork_unreachable)" in refused.output

    async with db.transaction() as session:
        await session.execute(sa.update(catalogue.shows_t).values(
            artwork_url=media.url("/art/square-1400.jpg")))
        await session.execute(sa.update(catalogue.episodes_t).where(
            catalogue.episodes_t.c.guid == draft).values(enclosure_type="audio/mpeg"))
    done = await invoke(podcast_cli, "publish", draft)
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"{draft} published at ")
    assert "3 public / 4" in (await invoke(podcast_cli, "shows")).output

    assert (await invoke(podcast_cli, "unpublish", draft)).output == \
        f"{draft} is a draft again, out of the feed\n"
    assert "2 public / 4" in (await invoke(podcast_cli, "shows")).output

    naive = await invoke(podcast_cli, "publish", draft, "--at", "2030-01-01T07:00:00")
    assert naive.exit_code == 1 and "UTC offset" in naive.output
    later = await invoke(podcast_cli, "publish", draft, "--at", "2030-01-01T07:00:00+00:00")
    assert later.output == f"{draft} scheduled for 2030-01-01T07:00:00+00:00\n"
    missing = await invoke(podcast_cli, "unpublish", "no-such-guid")
    assert missing.exit_code == 1 and "(not_found)" in missing.output
