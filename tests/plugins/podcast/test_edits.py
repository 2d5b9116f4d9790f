"""Editing and removing people and seasons, and deleting drafts, as the campaign team does it.

The catalogue fixture has a host on the show, a published episode in season 2, a published
episode with a guest, a draft and a scheduled episode; each test reads the public feed after
the change, since that is what podcast apps see.
"""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests.conftest import GraphQLClient
from tests.plugins.podcast.conftest import Catalogue

FEED = "/plugins/podcast/talking-generations/feed.xml"
ERRORS = "removed errors { code field message }"


def _id(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


async def _person_ids(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        rows = (await session.execute(sa.text("SELECT name, id FROM podcast_persons"))).all()
    return {name: pk for name, pk in rows}


async def test_a_host_renamed_is_renamed_in_the_feed_and_a_bad_link_is_refused_by_name(
    editor: GraphQLClient, http: httpx.AsyncClient, catalogue_rows: Catalogue, db: Database,
) -> None:
    host = _id("PodcastPerson", (await _person_ids(db))["Charlotte Miller"])
    update = """mutation($id: ID!, $input: PodcastPersonInput!) {
        updatePodcastPerson(id: $id, input: $input) { person errors { code field } } }"""
    refused = await editor(update, id=host, input={"name": "  ", "href": "ftp://imm.example"})
    assert refused["updatePodcastPerson"] == {"person": None, "errors": [
        {"code": "required", "field": "name"}, {"code": "url", "field": "href"}]}
    assert b"Charlotte Miller" in (await http.get(FEED)).content  # nothing written

    done = await editor(update, id=host, input={"name": "Charlotte Miller-Jones"})
    assert done["updatePodcastPerson"] == {"person": host, "errors": []}
    feed = (await http.get(FEED)).content
    assert b"Charlotte Miller-Jones" in feed and b'href="https://imm.example/"' in feed


async def test_a_removed_guest_leaves_the_feed_with_their_credits_and_contact(
    editor: GraphQLClient, http: httpx.AsyncClient, catalogue_rows: Catalogue, db: Database,
) -> None:
    assert b"Sami Gichki" in (await http.get(FEED)).content
    guest = _id("PodcastPerson", (await _person_ids(db))["Sami Gichki"])
    removed = await editor(f"mutation($id: ID!) {{ removePodcastPerson(id: $id) {{ {ERRORS} }} }}",
                           id=guest)
    assert removed["removePodcastPerson"] == {"removed": guest, "errors": []}
    assert b"Sami Gichki" not in (await http.get(FEED)).content
    assert set(await _person_ids(db)) == {"Charlotte Miller"}
    async with db.sessions() as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM podcast_credits")) == 1
    again = await editor(f"mutation($id: ID!) {{ removePodcastPerson(id: $id) {{ {ERRORS} }} }}",
                         id=guest)
    assert again["removePodcastPerson"]["errors"][0]["code"] == "not_found"


async def test_a_credit_removed_takes_the_person_off_that_episode_only(
    editor: GraphQLClient, http: httpx.AsyncClient, catalogue_rows: Catalogue, db: Database,
) -> None:
    credit = _id("PodcastCredit", catalogue_rows.episodes["guest_credit"].id)
    removed = await editor(f"mutation($id: ID!) {{ removePodcastCredit(id: $id) {{ {ERRORS} }} }}",
                           id=credit)
    assert removed["removePodcastCredit"] == {"removed": credit, "errors": []}
    assert b"Sami Gichki" not in (await http.get(FEED)).content
    assert "Sami Gichki" in await _person_ids(db)  # the person stays for later credits


async def test_seasons_are_renumbered_and_only_an_empty_one_is_removed(
    editor: GraphQLClient, http: httpx.AsyncClient, catalogue_rows: Catalogue, db: Database,
) -> None:
    async with db.sessions() as session:
        season_pk = await session.scalar(sa.text("SELECT id FROM podcast_seasons"))
    season = _id("PodcastSeason", season_pk)
    assert b"<itunes:season>2</itunes:season>" in (await http.get(FEED)).content
    update = """mutation($id: ID!, $input: PodcastSeasonInput!) {
        updatePodcastSeason(id: $id, input: $input) { season errors { code field } } }"""
    assert (await editor(update, id=season, input={"number": 0}))["updatePodcastSeason"][
        "errors"] == [{"code": "positive", "field": "number"}]
    assert (await editor(update, id=season, input={"number": 3, "title": None}))[
        "updatePodcastSeason"] == {"season": season, "errors": []}
    feed = (await http.get(FEED)).content
    assert b"<itunes:season>3</itunes:season>" in feed
    assert b"<itunes:season>2</itunes:season>" not in feed

    remove = f"mutation($id: ID!) {{ removePodcastSeason(id: $id) {{ {ERRORS} }} }}"
    refused = (await editor(remove, id=season))["removePodcastSeason"]
    assert refused["removed"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("season_in_use", "id")]
    assert "season 3 still has 1 episode(s)" in refused["errors"][0]["message"]

    first = _id("PodcastEpisode", catalogue_rows.episodes["first"].id)
    await editor("""mutation($id: ID!) { updatePodcastEpisode(id: $id, input: {season: null}) {
        errors { code } } }""", id=first)
    assert (await editor(remove, id=season))["removePodcastSeason"] == {
        "removed": season, "errors": []}
    assert b"itunes:season" not in (await http.get(FEED)).content


async def test_only_a_draft_is_deleted_a_published_one_is_unpublished_first(
    editor: GraphQLClient, http: httpx.AsyncClient, catalogue_rows: Catalogue, db: Database,
) -> None:
    delete = f"mutation($id: ID!) {{ deletePodcastEpisode(id: $id) {{ {ERRORS} }} }}"
    rows = catalogue_rows.episodes
    for name in ("first", "scheduled"):  # published, and published for later: both refused
        refused = (await editor(delete, id=_id("PodcastEpisode", rows[name].id)))[
            "deletePodcastEpisode"]
        assert refused["removed"] is None
        assert refused["errors"][0]["code"] == "published"
        assert "unpublish the episode first" in refused["errors"][0]["message"]
    assert rows["first"].guid.encode() in (await http.get(FEED)).content

    draft = _id("PodcastEpisode", rows["draft"].id)
    assert (await editor(delete, id=draft))["deletePodcastEpisode"] == {
        "removed": draft, "errors": []}
    first = _id("PodcastEpisode", rows["first"].id)
    await editor('mutation($id: ID!) { unpublishPodcastEpisode(id: $id) { errors { code } } }',
                 id=first)
    assert (await editor(delete, id=first))["deletePodcastEpisode"]["errors"] == []
    async with db.sessions() as session:
        left = (await session.scalars(sa.text("SELECT id FROM podcast_episodes ORDER BY id"))
                ).all()
        events = (await session.scalars(sa.text(
            "SELECT name FROM domain_events WHERE name = 'episode.deleted'"))).all()
    assert left == sorted([rows["second"].id, rows["scheduled"].id])
    assert len(events) == 2
    assert rows["first"].guid.encode() not in (await http.get(FEED)).content
