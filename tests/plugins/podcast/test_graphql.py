"""The campaign team's GraphQL, used as the team would: draft, edit, publish (refused until every
rule holds), unpublish, schedule, guests and their consent; and what the public sees.

Artwork is fetched from a real local media host (images generated with Pillow).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.ids import encode_id
from plugins.podcast import catalogue
from tests import builders
from tests.conftest import GraphQLClient, MakeKey, bearer
from tests.plugins.podcast.conftest import BASE, SHOW, T0, episode_fields, publish_as_of
from tests.plugins.podcast.media_server import MediaServer
from tests.schema.test_statement_count import counting

FEED = "/plugins/podcast/talking-generations/feed.xml"

CREATE_SHOW = """mutation($input: PodcastShowInput!) { createPodcastShow(input: $input) {
    show { id slug podcastGuid feedUrl } errors { code field message } } }"""
CREATE_EPISODE = """mutation($show: ID!, $input: PodcastEpisodeInput!) {
    createPodcastEpisode(show: $show, input: $input) {
      episode { id guid title summary state } errors { code field message } } }"""
UPDATE_EPISODE = """mutation($id: ID!, $input: PodcastEpisodeInput!) {
    updatePodcastEpisode(id: $id, input: $input) {
      episode { id guid title state enclosure { url length type } } errors { code field } } }"""
PUBLISH = """mutation($id: ID!, $at: DateTime) { publishPodcastEpisode(id: $id, at: $at) {
    episode { guid state publishedAt } errors { code field message } } }"""
UNPUBLISH = """mutation($id: ID!) { unpublishPodcastEpisode(id: $id) {
    episode { state } errors { code field } } }"""
PUBLIC_EPISODE = """query($guid: String!) { podcastEpisode(guid: $guid) { guid title } }"""


async def make_show(editor: GraphQLClient, media: MediaServer, **overrides: Any) -> dict[str, Any]:
    data = await editor(CREATE_SHOW, input={
        "slug": "talking-generations", "title": "Talking Generations", "language": "en-GB",
        "category": "Society & Culture", "description": "Let's talk.",
        "artworkUrl": media.url("/art/square-1400.jpg"), **overrides,
    })
    assert data["createPodcastShow"]["errors"] == []
    return data["createPodcastShow"]["show"]


async def test_draft_refused_with_every_broken_rule_then_published_with_a_stable_guid(
    editor: GraphQLClient, anonymous: GraphQLClient, http: httpx.AsyncClient,
    media: MediaServer, db: Database,
) -> None:
    show = await make_show(editor, media)
    assert show["feedUrl"] == "https://api.imm.example" + FEED  # the public base URL
    created = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "Jess & Norma",
        "summary": '<p onclick="x()">Best friends <script>alert(1)</script>'
                   '<a href="https://imm.example/">more</a></p>',
    }))["createPodcastEpisode"]
    draft = created["episode"]
    assert created["errors"] == [] and draft["state"] == "DRAFT"
    assert draft["summary"] == ('<p>Best friends <a href="https://imm.example/" '
                                'rel="noopener noreferrer">more</a></p>')

    refused = (await editor(PUBLISH, id=draft["id"]))["publishPodcastEpisode"]
    assert refused["episode"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("enclosure.url", "required"), ("enclosure.length", "positive"),
        ("enclosure.type", "audio_type")]
    assert await anonymous(PUBLIC_EPISODE, guid=draft["guid"]) == {"podcastEpisode": None}

    edited = (await editor(UPDATE_EPISODE, id=draft["id"], input={
        "title": "Jess & Norma: best friends",
        "enclosure": {"url": media.url("/audio/ep1.mp3"), "length": 10240, "type": "audio/mpeg"},
        "artworkUrl": media.url("/art/square-1400.jpg"),
    }))["updatePodcastEpisode"]
    assert edited["errors"] == []
    assert edited["episode"]["guid"] == draft["guid"]  # edits never change the GUID

    published = (await editor(PUBLISH, id=draft["id"]))["publishPodcastEpisode"]
    assert published["errors"] == []
    assert published["episode"]["state"] == "PUBLISHED"
    assert await anonymous(PUBLIC_EPISODE, guid=draft["guid"]) == {
        "podcastEpisode": {"guid": draft["guid"], "title": "Jess & Norma: best friends"}}
    assert draft["guid"].encode() in (await http.get(FEED)).content
    async with db.sessions() as session:
        events = list(await session.scalars(
            sa.select(m.DomainEventRecord.name).where(m.DomainEventRecord.name.like("episode.%"))
            .order_by(m.DomainEventRecord.id)))
    assert events == ["episode.saved", "episode.saved", "episode.published"]

    gone = (await editor(UNPUBLISH, id=draft["id"]))["unpublishPodcastEpisode"]
    assert gone["episode"]["state"] == "DRAFT"
    assert await anonymous(PUBLIC_EPISODE, guid=draft["guid"]) == {"podcastEpisode": None}
    assert draft["guid"].encode() not in (await http.get(FEED)).content


async def test_refused_artwork_and_a_reused_enclosure_name_their_fields(
    editor: GraphQLClient, media: MediaServer,
) -> None:
    show = await make_show(editor, media, artworkUrl=media.url("/art/missing.jpg"))
    audio = {"url": "https://media.imm.example/one.mp3", "length": 99, "type": "audio/mpeg"}
    first = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "One", "enclosure": audio}))["createPodcastEpisode"]["episode"]
    refused = (await editor(PUBLISH, id=first["id"]))["publishPodcastEpisode"]["errors"]
    assert [(e["field"], e["code"]) for e in refused] == [("show.artworkUrl",
                                                           "artwork_unreachable")]
    reused = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "Two", "enclosure": audio}))["createPodcastEpisode"]
    assert reused["episode"] is None
    assert [(e["field"], e["code"]) for e in reused["errors"]] == [("enclosure.url", "duplicate")]
    bad = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "", "episodeNumber": 0, "chapters": [
            {"startTime": 10, "title": "b"}, {"startTime": 5, "title": "a"}]}
    ))["createPodcastEpisode"]["errors"]
    assert [(e["field"], e["code"]) for e in bad] == [
        ("title", "required"), ("episodeNumber", "positive"), ("chapters.1.startTime", "ascending")]


async def test_only_the_campaign_team_writes_and_sees_drafts(
    http: httpx.AsyncClient, editor: GraphQLClient, anonymous: GraphQLClient,
    make_key: MakeKey, media: MediaServer,
) -> None:
    show = await make_show(editor, media)
    draft = (await editor(CREATE_EPISODE, show=show["id"], input={"title": "Draft"})
             )["createPodcastEpisode"]["episode"]
    core = GraphQLClient(http, bearer(await make_key(["read:core", "write:core"])))
    for client in (anonymous, core):
        refused = await client.raw(CREATE_EPISODE, show=show["id"], input={"title": "x"})
        assert refused["errors"][0]["extensions"]["scope"] == "publish:podcast"
        catalogue = await client.raw(
            'query($s: ID!) { podcastCatalogue(show: $s) { totalCount } }', s=show["id"])
        assert catalogue["errors"][0]["extensions"]["scope"] == "publish:podcast"
        hidden = await client('query($id: ID!) { node(id: $id) { id } }', id=draft["id"])
        assert hidden == {"node": None}
    seen = await editor("""query($s: ID!, $id: ID!) {
        podcastCatalogue(show: $s) { nodes { title state } }
        node(id: $id) { ... on PodcastEpisode { state } } }""", s=show["id"], id=draft["id"])
    assert seen == {"podcastCatalogue": {"nodes": [{"title": "Draft", "state": "DRAFT"}]},
                    "node": {"state": "DRAFT"}}
    # The state is the team's business, not the public's.
    assert (await anonymous.raw('{ podcastShow(slug: "talking-generations") { episodes {'
                                ' nodes { state } } } }'))["errors"][0]["extensions"]["scope"] \
        == "publish:podcast"


HUB_EPISODES = """query($hub: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $hub) { ... on Hub { episodes(first: $first, after: $after, last: $last,
                                           before: $before) {
      totalCount nodes { title } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } } } }"""


async def test_hubs_and_programmes_page_their_episodes_as_relay_connections(
    editor: GraphQLClient, anonymous: GraphQLClient, db: Database,
) -> None:
    """Four published episodes about a hub (one also about a programme), a draft and a scheduled
    one: the public pages through the four, newest first; the team sees all six."""
    async with db.transaction() as session:
        org = await builders.organisation(session)
        hub = await builders.hub(session, org.id)
        other_hub = await builders.hub(session, org.id, code="southwark", name="Southwark Hub")
        programme = await builders.programme(session)
        show = await catalogue.create_show(session, BASE, **SHOW)
        for n in range(1, 7):
            episode = await catalogue.create_episode(
                session, show.id, hub_ids=[hub.id], programme_ids=[programme.id] if n == 2 else [],
                **episode_fields(n))
            if n <= 4:
                await publish_as_of(session, episode, T0 + dt.timedelta(days=n))
            elif n == 5:
                await publish_as_of(session, episode, dt.datetime.now(dt.UTC)
                                    + dt.timedelta(days=1))
        elsewhere = await catalogue.create_episode(session, show.id, hub_ids=[other_hub.id],
                                                   **episode_fields(7))
        await publish_as_of(session, elsewhere, T0)
    hub_id = encode_id("Hub", hub.id)

    page = (await anonymous(HUB_EPISODES, hub=hub_id, first=3))["node"]["episodes"]
    assert page["totalCount"] == 4
    assert [n["title"] for n in page["nodes"]] == ["Episode 4", "Episode 3", "Episode 2"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await anonymous(HUB_EPISODES, hub=hub_id, first=3,
                            after=page["pageInfo"]["endCursor"]))["node"]["episodes"]
    assert [n["title"] for n in rest["nodes"]] == ["Episode 1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    back = (await anonymous(HUB_EPISODES, hub=hub_id, last=2,
                            before=rest["pageInfo"]["startCursor"]))["node"]["episodes"]
    assert [n["title"] for n in back["nodes"]] == ["Episode 3", "Episode 2"]
    assert back["pageInfo"]["hasPreviousPage"] is True

    # The campaign team sees the draft and the scheduled episode too.
    team = (await editor(HUB_EPISODES, hub=hub_id, first=10))["node"]["episodes"]
    assert team["totalCount"] == 6
    assert sorted(n["title"] for n in team["nodes"]) == [f"Episode {n}" for n in range(1, 7)]

    programme_page = await anonymous("""query($p: ID!) { node(id: $p) { ... on Programme {
        episodes(first: 5) { totalCount nodes { title hubIds } } } } }""",
                                     p=encode_id("Programme", programme.id))
    assert programme_page["node"]["episodes"] == {
        "totalCount": 1, "nodes": [{"title": "Episode 2", "hubIds": [hub_id]}]}


async def test_withdrawn_guest_consent_takes_the_episode_out_of_the_feed(
    editor: GraphQLClient, http: httpx.AsyncClient, media: MediaServer, db: Database,
) -> None:
    show = await make_show(editor, media)
    episode = (await editor(CREATE_EPISODE, show=show["id"], input={
        "title": "#iwill", "enclosure": {"url": "https://media.imm.example/iwill.mp3",
                                         "length": 5, "type": "audio/mpeg"},
    }))["createPodcastEpisode"]["episode"]
    person = (await editor('mutation { addPodcastPerson(name: "Sami Gichki", '
                           'contactEmail: "sami@private.example") { person errors { code } } }')
              )["addPodcastPerson"]["person"]
    credited = (await editor(
        """mutation($p: ID!, $e: ID!) { creditPodcastPerson(person: $p, episode: $e,
             role: "guest") { credit { id name role consentGivenAt } errors { code } } }""",
        p=person, e=episode["id"]))["creditPodcastPerson"]["credit"]
    refused = (await editor(PUBLISH, id=episode["id"]))["publishPodcastEpisode"]["errors"]
    assert [(e["field"], e["code"]) for e in refused] == [("persons", "consent")]

    await editor('mutation($c: ID!) { recordPodcastGuestConsent(credit: $c) { errors { code } } }',
                 c=credited["id"])
    assert (await editor(PUBLISH, id=episode["id"]))["publishPodcastEpisode"]["errors"] == []
    feed = (await http.get(FEED)).content
    assert b"Sami Gichki" in feed and b"private.example" not in feed
    async with db.sessions() as session:  # the contact address is encrypted at rest
        stored = await session.scalar(sa.text("SELECT contact_email FROM podcast_persons"))
    assert "sami@" not in stored

    withdrawn = await editor(
        """mutation($c: ID!) { withdrawPodcastGuestConsent(credit: $c) {
             credit { consentWithdrawnAt } errors { code } } }""", c=credited["id"])
    assert withdrawn["withdrawPodcastGuestConsent"]["credit"]["consentWithdrawnAt"]
    assert episode["guid"].encode() not in (await http.get(FEED)).content
    state = await editor('query($id: ID!) { node(id: $id) { ... on PodcastEpisode { state } } }',
                         id=episode["id"])
    assert state == {"node": {"state": "WITHHELD"}}
    async with db.sessions() as session:
        event = await session.scalar(sa.select(m.DomainEventRecord).where(
            m.DomainEventRecord.name == "episode.consent_withdrawn"))
    assert event is not None and event.entity == "podcast_episode"


async def test_lists_of_episodes_read_their_people_and_seasons_in_one_statement_each(
    anonymous: GraphQLClient, db: Database,
) -> None:
    """No N+1: five episodes' guests, seasons and hubs are three statements, not fifteen."""
    async with db.transaction() as session:
        show = await catalogue.create_show(session, BASE, **SHOW)
        season = await catalogue.add_season(session, show.id, 1, None)
        for n in range(1, 6):
            episode = await catalogue.create_episode(
                session, show.id, **episode_fields(n, season_id=season.id))
            guest = await catalogue.add_person(session, name=f"Guest {n}")
            await catalogue.credit(session, guest.id, episode_id=episode.id, role="guest",
                                   consent_given_at=T0)
            await publish_as_of(session, episode, T0 + dt.timedelta(days=n))
    with counting(db) as statements:
        data = await anonymous("""{ podcastShow(slug: "talking-generations") {
            episodes(first: 10) { nodes { title seasonNumber hubIds persons { name } } } } }""")
    nodes = data["podcastShow"]["episodes"]["nodes"]
    assert [node["persons"] for node in nodes] == [
        [{"name": f"Guest {n}"}] for n in range(5, 0, -1)]
    assert {node["seasonNumber"] for node in nodes} == {1}
    # The table each statement reads first (a subquery's tables do not count).
    read = [m[1] for s in statements if (m := re.match(r"\s*SELECT .*?\sFROM (\w+)", s, re.S))]
    for table in ("podcast_credits", "podcast_seasons", "podcast_episode_hubs"):
        assert read.count(table) == 1, (table, read)


PROGRAMMES_EPISODES = """query($n: Int!, $first: Int, $after: String, $last: Int,
                               $before: String) {
    programmes(first: $n, orderBy: {field: NAME}) { nodes { name
      episodes(first: $first, after: $after, last: $last, before: $before) {
        totalCount nodes { title } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }"""


async def test_twenty_programmes_page_their_episodes_in_a_constant_number_of_statements(
    http: httpx.AsyncClient, make_key: MakeKey, db: Database,
) -> None:
    """No N+1 below a core list: 20 programmes' episodes cost what 2 programmes' do, one
    statement for every page and one for every totalCount; paging both ways stays right."""
    async with db.transaction() as session:
        programmes = [await builders.programme(session, code=f"p{i:02}", name=f"P{i:02}")
                      for i in range(20)]
        show = await catalogue.create_show(session, BASE, **SHOW)
        linked = [p.id for p in programmes[1:]]  # P00 has no episode at all
        for n in range(1, 6):
            episode = await catalogue.create_episode(session, show.id, programme_ids=linked,
                                                     **episode_fields(n))
            if n <= 4:  # Episode 5 stays a draft
                await publish_as_of(session, episode, T0 + dt.timedelta(days=n))
    reader = GraphQLClient(http, bearer(await make_key(["read:core"])))
    team = GraphQLClient(http, bearer(await make_key(["read:core", "publish:podcast"])))

    def episode_statements(statements: list[str]) -> list[str]:
        return [s for s in statements if "podcast_episode_programmes" in s]

    with counting(db) as few:
        await reader(PROGRAMMES_EPISODES, n=2, first=2)
    with counting(db) as many:
        data = await reader(PROGRAMMES_EPISODES, n=20, first=2)
    def reads(statements: list[str]) -> list[str]:  # the key lookup and last-use stamp aside
        return [s for s in statements if s.lstrip().startswith("SELECT") and "api_keys" not in s]

    assert len(reads(many)) == len(reads(few)) == 3  # programmes, episode pages, totals
    assert len(episode_statements(many)) == 2  # the pages, the totals
    lists = [p["episodes"] for p in data["programmes"]["nodes"]]
    assert len(lists) == 20
    assert lists[0] == {"totalCount": 0, "nodes": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "endCursor": None}}
    for page in lists[1:]:
        assert page["totalCount"] == 4
        assert [n["title"] for n in page["nodes"]] == ["Episode 4", "Episode 3"]
        assert page["pageInfo"]["hasNextPage"] is True

    # Without totalCount, only the pages are read.
    with counting(db) as untotalled:
        await reader("""{ programmes(first: 20) { nodes { episodes(first: 2) {
            nodes { title } } } } }""")
    assert len(episode_statements(untotalled)) == 1

    cursor = lists[1]["pageInfo"]["endCursor"]
    onward = await reader(PROGRAMMES_EPISODES, n=20, first=2, after=cursor)
    for page in onward["programmes"]["nodes"][1:]:
        assert [n["title"] for n in page["episodes"]["nodes"]] == ["Episode 2", "Episode 1"]
        assert page["episodes"]["pageInfo"]["hasNextPage"] is False
        assert page["episodes"]["pageInfo"]["hasPreviousPage"] is True
    back = await reader(PROGRAMMES_EPISODES, n=20, last=1, before=cursor)
    for page in back["programmes"]["nodes"][1:]:
        assert [n["title"] for n in page["episodes"]["nodes"]] == ["Episode 4"]
        assert page["episodes"]["pageInfo"]["hasPreviousPage"] is False
        assert page["episodes"]["pageInfo"]["hasNextPage"] is True

    # The campaign team sees the draft too, still in one statement for every programme.
    with counting(db) as statements:
        everything = await team(PROGRAMMES_EPISODES, n=20, first=10)
    assert len(episode_statements(statements)) == 2
    for page in everything["programmes"]["nodes"][1:]:
        assert page["episodes"]["totalCount"] == 5
        assert sorted(n["title"] for n in page["episodes"]["nodes"]) == [
            f"Episode {n}" for n in range(1, 6)]
