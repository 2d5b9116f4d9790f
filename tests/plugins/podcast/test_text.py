"""podcast:guid, the show-notes sanitiser and RFC 2822 dates (pure functions, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.podcast.text import podcast_guid, rfc2822, sanitise_summary


@pytest.mark.parametrize("feed_url", [
    "https://podnews.net/rss", "http://podnews.net/rss", "podnews.net/rss",
    "https://podnews.net/rss/", "https://podnews.net/rss//",
])
def test_podcast_guid_is_the_specs_uuid5_whatever_the_scheme_and_trailing_slashes(
    feed_url: str,
) -> None:
    # The Podcasting 2.0 specification's own example.
    assert podcast_guid(feed_url) == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_podcast_guid_differs_per_feed() -> None:
    assert podcast_guid("https://podnews.net/rss2") != podcast_guid("https://podnews.net/rss")


def test_the_sanitiser_removes_scripts_and_event_attributes_and_keeps_links() -> None:
    dirty = ('<p onclick="steal()">Jess &amp; Norma <script>alert(1)</script>'
             '<a href="https://imm.example/" onmouseover="x()">listen</a>'
             '<a href="javascript:alert(1)">bad</a><img src="x" onerror="y()"></p>'
             '<style>p{}</style>')
    assert sanitise_summary(dirty) == (
        '<p>Jess &amp; Norma <a href="https://imm.example/" rel="noopener noreferrer">listen</a>'
        '<a rel="noopener noreferrer">bad</a></p>'
    )


def test_rfc2822_dates_are_utc_with_a_numeric_zone() -> None:
    london_summer = dt.datetime(2024, 7, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rfc2822(london_summer) == "Mon, 01 Jul 2024 08:30:00 +0000"
