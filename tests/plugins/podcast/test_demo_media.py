"""The demo's own artwork and audio: served by the plug-in, they pass the same publishing checks
as real media (Apple's artwork rules, an audio host with HEAD and byte ranges) in development,
and are refused in production, where media must be on public addresses."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from imm_graph.db import Database
from plugins.podcast import demo, demo_media, rules
from tests.plugins.podcast.conftest import BASE

ART = "/plugins/podcast/demo-media/artwork.png"
AUDIO = "/plugins/podcast/demo-media/tg-001.mp3"


async def test_the_demo_artwork_and_audio_pass_the_publishing_checks_in_development(
    http: httpx.AsyncClient,
) -> None:
    art = await http.get(ART)
    assert art.status_code == 200 and art.headers["content-type"] == "image/png"
    assert len(art.content) < 100_000  # small: drawn once, compressed
    assert await rules.artwork_errors(http, f"{http.base_url}{ART}", "show.artworkUrl",
                                      max_bytes=10_000_000, allow_private=True) == []
    size = len(demo_media.silent_mp3())
    assert await rules.enclosure_host_errors(http, f"{http.base_url}{AUDIO}", size,
                                             allow_private=True) == []
    # A wrong length is noticed: the check reads the served size.
    [mismatch] = await rules.enclosure_host_errors(http, f"{http.base_url}{AUDIO}", size + 1,
                                                   allow_private=True)
    assert mismatch.code == "enclosure_length_mismatch"


async def test_in_production_the_loopback_demo_media_is_refused(http: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:8000{ART}"
    [refused] = await rules.artwork_errors(http, url, "show.artworkUrl", max_bytes=10_000_000,
                                           allow_private=False)
    assert refused.code == "artwork_unreachable" and "not a public address" in refused.message


async def test_the_audio_answers_ranges_head_and_only_mp3_names(http: httpx.AsyncClient) -> None:
    whole = (await http.get(AUDIO)).content
    # Valid MPEG-1 Layer III frames, 104 bytes each, ten seconds' worth.
    assert len(whole) % 104 == 0 and len(whole) // 104 == 383
    assert all(whole[i:i + 4] == b"\xff\xfb\x50\xc0" for i in range(0, len(whole), 104))
    part = await http.get(AUDIO, headers={"Range": "bytes=100-203"})
    assert part.status_code == 206 and part.content == whole[100:204]
    assert part.headers["content-range"] == f"bytes 100-203/{len(whole)}"
    tail = await http.get(AUDIO, headers={"Range": "bytes=-4"})
    assert tail.content == whole[-4:]
    assert (await http.get(AUDIO, headers={"Range": f"bytes={len(whole)}-"})).status_code == 416
    head = await http.head(AUDIO)
    assert head.content == b"" and head.headers["content-length"] == str(len(whole))
    assert (await http.get("/plugins/podcast/demo-media/../hooks.py")).status_code == 404
    assert (await http.get("/plugins/podcast/demo-media/notes.txt")).status_code == 404


async def test_the_demo_show_points_at_its_own_media(db: Database) -> None:
    async with db.transaction() as session:
        await demo.seed(session, BASE)
    async with db.sessions() as session:
        artwork = await session.scalar(sa.text("SELECT artwork_url FROM podcast_shows"))
        enclosures = (await session.execute(sa.text(
            "SELECT enclosure_url, enclosure_length FROM podcast_episodes "
            "WHERE enclosure_url IS NOT NULL ORDER BY enclosure_url"))).all()
    assert artwork == BASE + ART
    assert [tuple(row) for row in enclosures] == [
        (f"{BASE}/plugins/podcast/demo-media/tg-00{n}.mp3", len(demo_media.silent_mp3()))
        for n in (1, 2, 3)]
