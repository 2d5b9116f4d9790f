"""Each publishing rule refuses an episode with an error naming the field and the rule.

Artwork and audio are fetched from a real HTTP server on 127.0.0.1 (tests/plugins/podcast/
media_server.py), serving images generated with Pillow that break exactly one property each.
No database here: the rules work on plain facts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from imm_graph.plugin_api import FieldError
from plugins.podcast.rules import (
    EpisodeFacts,
    ShowFacts,
    artwork_errors,
    enclosure_host_errors,
    static_errors,
)
from tests.plugins.podcast.media_server import Hosted, MediaServer, image

GOOD_EPISODE = EpisodeFacts(
    title="Jess & Norma", summary_html="<p>Best friends</p>",
    enclosure_url="https://media.imm.example/jess-and-norma.mp3", enclosure_length=29_408_000,
    enclosure_type="audio/mpeg", artwork_url=None, enclosure_used_elsewhere=False,
)
GOOD_SHOW = ShowFacts(category="Society & Culture", language="en-gb",
                      artwork_url="https://media.imm.example/art.jpg")


def rules_broken(errors: list[FieldError]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in errors]


def with_(**changes: object) -> EpisodeFacts:
    return EpisodeFacts(**{**GOOD_EPISODE.__dict__, **changes})  # type: ignore[arg-type]


def test_a_complete_episode_breaks_no_rule() -> None:
    assert static_errors(GOOD_EPISODE, GOOD_SHOW) == []


@pytest.mark.parametrize(("episode", "broken"), [
    (with_(enclosure_url=None), ("enclosure.url", "required")),
    (with_(enclosure_used_elsewhere=True), ("enclosure.url", "duplicate")),
    (with_(enclosure_length=0), ("enclosure.length", "positive")),
    (with_(enclosure_length=None), ("enclosure.length", "positive")),
    (with_(enclosure_type="video/mp4"), ("enclosure.type", "audio_type")),
    (with_(enclosure_type=None), ("enclosure.type", "audio_type")),
    (with_(title="  "), ("title", "required")),
])
def test_each_enclosure_and_title_rule(episode: EpisodeFacts, broken: tuple[str, str]) -> None:
    assert rules_broken(static_errors(episode, GOOD_SHOW)) == [broken]


def test_the_description_limit_is_4000_bytes_not_characters() -> None:
    at_limit = "<p>" + "a" * (4000 - 7) + "</p>"
    assert static_errors(with_(summary_html=at_limit), GOOD_SHOW) == []
    # 1,000 four-byte characters are 1,000 characters but 4,000 bytes, plus the tags: too long.
    errors = static_errors(with_(summary_html="<p>" + "😀" * 1000 + "</p>"), GOOD_SHOW)
    assert rules_broken(errors) == [("summary", "too_long")]
    assert "4007 bytes" in errors[0].message


def test_the_show_needs_a_category_language_and_artwork() -> None:
    errors = static_errors(GOOD_EPISODE, ShowFacts(category=None, language="", artwork_url=None))
    assert rules_broken(errors) == [("show.category", "required"), ("show.language", "required"),
                                    ("show.artworkUrl", "required")]


def test_every_broken_rule_is_reported_at_once() -> None:
    errors = static_errors(with_(enclosure_url=None, enclosure_length=None,
                                 enclosure_type=None), GOOD_SHOW)
    assert [e.field for e in errors] == ["enclosure.url", "enclosure.length", "enclosure.type"]


@pytest.fixture(scope="module")
def host() -> MediaServer:
    with MediaServer() as server:
        for path, body, ctype in [
            ("/ok-1400.jpg", image((1400, 1400)), "image/jpeg"),
            ("/ok-3000.png", image((3000, 3000), "PNG"), "image/png"),
            ("/small-1399.jpg", image((1399, 1399)), "image/jpeg"),
            ("/big-3001.png", image((3001, 3001), "PNG"), "image/png"),
            ("/wide.jpg", image((1600, 1400)), "image/jpeg"),
            ("/cmyk.jpg", image((1400, 1400), mode="CMYK"), "image/jpeg"),
            ("/alpha.png", image((1400, 1400), "PNG", mode="RGBA"), "image/png"),
            ("/art.gif", image((1400, 1400), "GIF", mode="P"), "image/gif"),
            ("/not-an-image.jpg", b"<html>not found</html>", "image/jpeg"),
        ]:
            server.add(path, Hosted(body, ctype))
        server.add("/ranged.mp3", Hosted(b"x" * 5000, "audio/mpeg"))
        server.add("/no-ranges.mp3", Hosted(b"x" * 5000, "audio/mpeg", ranges=False))
        server.add("/no-head.mp3", Hosted(b"x" * 5000, "audio/mpeg", head_status=405))
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


@pytest.mark.parametrize(("path", "codes"), [
    ("/ok-1400.jpg", []),
    ("/ok-3000.png", []),
    ("/small-1399.jpg", ["artwork_size"]),
    ("/big-3001.png", ["artwork_size"]),
    ("/wide.jpg", ["artwork_square"]),  # 1600x1400: each side in range, not square
    ("/cmyk.jpg", ["artwork_colour"]),
    ("/alpha.png", ["artwork_colour"]),
    ("/art.gif", ["artwork_format", "artwork_colour"]),
    ("/not-an-image.jpg", ["artwork_format"]),
    ("/missing.jpg", ["artwork_unreachable"]),
])
async def test_artwork_is_read_with_pillow_from_what_the_host_serves(
    host: MediaServer, client: httpx.AsyncClient, path: str, codes: list[str]
) -> None:
    errors = await artwork_errors(client, host.url(path), "artworkUrl", max_bytes=10_000_000,
                                  allow_private=True)
    assert [e.code for e in errors] == codes
    assert all(e.field == "artworkUrl" for e in errors)


async def test_oversized_artwork_is_refused_unread(
    host: MediaServer, client: httpx.AsyncClient
) -> None:
    errors = await artwork_errors(client, host.url("/ok-3000.png"), "show.artworkUrl",
                                  max_bytes=1000, allow_private=True)
    assert rules_broken(errors) == [("show.artworkUrl", "artwork_too_large")]


async def test_artwork_on_a_private_address_is_refused_in_production(
    host: MediaServer, client: httpx.AsyncClient
) -> None:
    errors = await artwork_errors(client, host.url("/ok-1400.jpg"), "artworkUrl",
                                  max_bytes=10_000_000, allow_private=False)
    assert rules_broken(errors) == [("artworkUrl", "artwork_unreachable")]


@pytest.mark.parametrize(("path", "length", "broken"), [
    ("/ranged.mp3", 5000, []),
    ("/ranged.mp3", 4999, [("enclosure.length", "enclosure_length_mismatch")]),
    ("/no-ranges.mp3", 5000, [("enclosure.url", "enclosure_ranges")]),
    ("/no-head.mp3", 5000, [("enclosure.url", "enclosure_head")]),
    ("/missing.mp3", 5000, [("enclosure.url", "enclosure_head")]),
])
async def test_the_optional_enclosure_host_check(
    host: MediaServer, client: httpx.AsyncClient, path: str, length: int,
    broken: list[tuple[str, str]],
) -> None:
    errors = await enclosure_host_errors(client, host.url(path), length, allow_private=True)
    assert rules_broken(errors) == broken
