"""The feed as a podcast app reads it: GET /plugins/podcast/<show>/feed.xml, parsed back with lxml
(every tag, value and namespace) and with feedparser (well-formed, no bozo).

feedparser 6.0.14 reads itunes:explicit true/false and podcast:locked wrongly, so those are
checked with lxml only.
"""

from __future__ import annotations

import datetime as dt
import email.utils

import feedparser
import httpx
import sqlalchemy as sa
from lxml import etree

from imm_graph.db import Database
from plugins.podcast import catalogue
from plugins.podcast.models import PodcastEpisode
from plugins.podcast.text import podcast_guid
from tests.plugins.podcast.conftest import BASE, Catalogue

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
NS = {"itunes": ITUNES, "podcast": PODCAST, "atom": "http://www.w3.org/2005/Atom"}
FEED = "/plugins/podcast/talking-generations/feed.xml"


async def fetch(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await http.get(FEED, headers=headers)


async def test_channel_has_every_required_element_with_its_value(
    http: httpx.AsyncClient, catalogue_rows: Catalogue
) -> None:
    answer = await fetch(http)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    root = etree.fromstring(answer.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap == {"itunes": ITUNES, "podcast": PODCAST, "atom": NS["atom"]}
    channel = root.find("channel")

    def text(path: str) -> str | None:
        return channel.findtext(path, namespaces=NS)

    assert text("title") == "Talking Generations"
    assert text("language") == "en-gb"
    assert text("description") == "It starts with a conversation, so let's talk."
    assert text("itunes:author") == "Intergenerational Music Making"
    assert text("itunes:owner/itunes:email") == "podcast@imm.example"
    assert text("itunes:explicit") == "false"
    assert text("itunes:type") == "episodic"
    assert channel.find("itunes:image", NS).get("href") == "https://media.imm.example/art.jpg"
    category = channel.find("itunes:category", NS)
    assert category.get("text") == "Society & Culture"  # written &amp; in the bytes
    assert category.find("itunes:category", NS).get("text") == "Relationships"
    assert b'text="Society &amp; Culture"' in answer.content
    # podcast:guid is the UUIDv5 of the feed URL on the public base URL, not on the Host header.
    feed_url = f"{BASE}{FEED}"
    assert text("podcast:guid") == podcast_guid(feed_url)
    assert channel.find("atom:link", NS).get("href") == feed_url
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "podcast@imm.example")
    funding = channel.find("podcast:funding", NS)
    assert (funding.get("url"), funding.text) == ("https://imm.example/donate", "Support IMM")
    hosts = channel.findall("podcast:person", NS)
    assert [(p.text, p.get("role"), p.get("group")) for p in hosts] == [
        ("Charlotte Miller", "host", "cast")
    ]


async def test_items_are_the_public_episodes_newest_first_and_feedparser_agrees(
    http: httpx.AsyncClient, catalogue_rows: Catalogue
) -> None:
    answer = await fetch(http)
    root = etree.fromstring(answer.content)
    items = root.findall("channel/item")
    # The draft and the episode scheduled for tomorrow are absent.
    assert [i.findtext("title") for i in items] == ["Episode 2", "Scouts & care homes"]
    second, first = items
    guid = second.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (catalogue_rows.episodes["second"].guid,
                                                    "false")
    enclosure = second.find("enclosure")
    assert dict(enclosure.attrib) == {"url": "https://media.imm.example/tg-002.mp3",
                                      "length": "1002", "type": "audio/mpeg"}
    assert second.findtext("pubDate") == "Tue, 13 Feb 2024 07:00:00 +0000"
    assert email.utils.parsedate_to_datetime(second.findtext("pubDate")) == dt.datetime(
        2024, 2, 13, 7, tzinfo=dt.UTC)
    assert second.findtext("itunes:duration", namespaces=NS) == "125"  # seconds, not h:mm:ss
    assert second.findtext("itunes:episodeType", namespaces=NS) == "bonus"
    assert second.findtext("itunes:explicit", namespaces=NS) == "true"
    assert second.findtext("itunes:episode", namespaces=NS) == "2"
    assert second.find("itunes:season", NS) is None  # no season given
    assert first.findtext("itunes:season", namespaces=NS) == "2"
    assert first.findtext("itunes:explicit", namespaces=NS) == "false"
    assert second.find("itunes:image", NS).get("href") == "https://media.imm.example/e2.png"
    transcript = second.find("podcast:transcript", NS)
    assert dict(transcript.attrib) == {"url": "https://media.imm.example/e2.vtt",
                                       "type": "text/vtt"}
    chapters = first.find("podcast:chapters", NS)
    assert chapters.get("type") == "application/json+chapters"
    assert chapters.get("url") == (f"{BASE}/plugins/podcast/talking-generations/episodes/"
                                   f"{catalogue_rows.episodes['first'].guid}/chapters.json")
    # An item's podcast:person list replaces the channel's: the host is repeated on the guest
    # episode; an episode without its own people inherits the channel's (none written).
    assert [(p.text, p.get("role")) for p in second.findall("podcast:person", NS)] == [
        ("Charlotte Miller", "host"), ("Sami Gichki", "guest")]
    assert first.findall("podcast:person", NS) == []
    assert first.findtext("title") == "Scouts & care homes"

    # feedparser, as many apps parse feeds: well-formed, nothing it would complain about.
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert (parsed.version, parsed.feed.title) == ("rss20", "Talking Generations")
    assert [e.title for e in parsed.entries] == ["Episode 2", "Scouts & care homes"]
    assert parsed.entries[0].id == catalogue_rows.episodes["second"].guid
    assert parsed.entries[0].guidislink is False
    assert parsed.entries[0].enclosures[0].href == "https://media.imm.example/tg-002.mp3"
    assert parsed.entries[0].itunes_duration == "125"


async def test_conditional_requests_same_bytes_304_and_a_new_etag_after_an_edit(
    http: httpx.AsyncClient, app: object, db: Database, catalogue_rows: Catalogue
) -> None:
    full = await fetch(http)
    app.state.podcast_feeds.clear()  # type: ignore[attr-defined]  (a fresh render, not the cache)
    again = await fetch(http)
    assert again.content == full.content  # same data, same bytes, same ETag
    assert again.headers["etag"] == full.headers["etag"]
    etag, last_modified = full.headers["etag"], full.headers["last-modified"]
    assert full.headers["cache-control"] == "public, max-age=300"

    same = await fetch(http, **{"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    assert same.headers["cache-control"] == "public, max-age=300"
    assert (await fetch(http, **{"If-None-Match": f'"other", W/{etag}'})).status_code == 304

    # A stale ETag gets the feed even though If-Modified-Since alone would have said 304.
    stale = await fetch(http, **{"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
    assert stale.status_code == 200 and stale.content == full.content
    # Without If-None-Match, If-Modified-Since is used: not modified since then, or since before.
    assert (await fetch(http, **{"If-Modified-Since": last_modified})).status_code == 304
    earlier = email.utils.format_datetime(
        email.utils.parsedate_to_datetime(last_modified) - dt.timedelta(seconds=1), usegmt=True)
    assert (await fetch(http, **{"If-Modified-Since": earlier})).status_code == 200

    # An edit: a new render, a new ETag.
    before = full
    async with db.transaction() as session:
        await catalogue.update_episode(session, catalogue_rows.episodes["first"].id,
                                       title="Scouts, Brownies & care homes")
    after = await fetch(http, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert b"<title>Scouts, Brownies &amp; care homes</title>" in after.content


async def test_a_scheduled_episode_appears_once_its_time_has_passed(
    http: httpx.AsyncClient, db: Database, catalogue_rows: Catalogue
) -> None:
    before = await fetch(http)
    assert b"Episode 4" not in before.content
    # Time passes (its publish time is moved into the past: nothing else about the show changes).
    async with db.transaction() as session:
        await session.execute(
            sa.update(PodcastEpisode)
            .where(PodcastEpisode.id == catalogue_rows.episodes["scheduled"].id)
            .values(publish_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    after = await fetch(http, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200  # the cached render was not reused
    titles = [i.findtext("title") for i in etree.fromstring(after.content).findall("channel/item")]
    assert titles[0] == "Episode 4"


async def test_a_moved_feed_answers_301_and_keeps_its_podcast_guid_unknown_ones_404(
    http: httpx.AsyncClient, db: Database, catalogue_rows: Catalogue
) -> None:
    guid = etree.fromstring((await fetch(http)).content).findtext("channel/podcast:guid",
                                                                  namespaces=NS)
    async with db.transaction() as session:
        await catalogue.update_show(session, catalogue_rows.show_id, slug="talking-gens")
    old = await fetch(http)
    assert old.status_code == 301
    new_url = f"{BASE}/plugins/podcast/talking-gens/feed.xml"
    assert old.headers["location"] == new_url
    moved = etree.fromstring((await http.get("/plugins/podcast/talking-gens/feed.xml")).content)
    assert moved.findtext("channel/podcast:guid", namespaces=NS) == guid
    assert moved.findtext("channel/itunes:new-feed-url", namespaces=NS) == new_url

    async with db.transaction() as session:  # moved to another host altogether
        await catalogue.update_show(session, catalogue_rows.show_id,
                                    new_feed_url="https://feeds.example.net/tg.xml")
    elsewhere = await http.get("/plugins/podcast/talking-gens/feed.xml")
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (
        301, "https://feeds.example.net/tg.xml")

    unknown = await http.get("/plugins/podcast/nothing-here/feed.xml")
    assert unknown.status_code == 404 and unknown.json()["code"] == "show_not_found"


async def test_chapters_and_transcripts_carry_cors_headers(
    http: httpx.AsyncClient, db: Database, catalogue_rows: Catalogue
) -> None:
    first = catalogue_rows.episodes["first"]
    async with db.transaction() as session:
        await catalogue.update_episode(session, first.id, transcript_text="WEBVTT\n\n",
                                       chapters=[{"startTime": 0, "title": "Hello"},
                                                 {"startTime": 61.5, "title": "Scouts"}])
    base = f"/plugins/podcast/talking-generations/episodes/{first.guid}"
    chapters = await http.get(f"{base}/chapters.json", headers={"Origin": "https://player.fm"})
    assert chapters.headers["access-control-allow-origin"] == "*"
    assert chapters.headers["content-type"] == "application/json+chapters"
    assert chapters.json() == {"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Hello"}, {"startTime": 61.5, "title": "Scouts"}]}
    transcript = await http.get(f"{base}/transcript.vtt")
    assert transcript.headers["access-control-allow-origin"] == "*"
    assert transcript.text == "WEBVTT\n\n"
    assert transcript.headers["content-type"].startswith("text/vtt")
    # A draft's files are not public.
    draft = catalogue_rows.episodes["draft"]
    hidden = await http.get(f"/plugins/podcast/talking-generations/episodes/{draft.guid}/"
                            "chapters.json")
    assert hidden.status_code == 404
