"""Small pure functions the feed and the catalogue share: GUIDs, HTML summaries, dates."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from email.utils import format_datetime

import nh3

# Podcasting 2.0: podcast:guid is the UUIDv5 of the feed URL in this namespace.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

# What Apple renders in a show notes description; everything else is stripped.
SUMMARY_TAGS = {"p", "br", "a", "b", "strong", "i", "em", "ul", "ol", "li"}
DESCRIPTION_MAX_BYTES = 4000


def podcast_guid(feed_url: str) -> str:
    """The podcast:guid of a feed: UUIDv5 of its URL without the scheme and trailing slashes.

    >>> podcast_guid("https://podnews.net/rss")
    '9b024349-ccf0-5f69-a609-6b82873eab3c'
    """
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _SCHEME.sub("", feed_url.strip()).rstrip("/")))


def sanitise_summary(html: str) -> str:
    """Episode show notes as safe HTML: scripts, styles and event attributes go, links stay.

    Done on the way in (what is stored is what is published), with nh3, a maintained sanitiser
    (the Rust ammonia library), never with our own regular expressions.
    """
    return nh3.clean(
        html,
        tags=SUMMARY_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def rfc2822(moment: dt.datetime) -> str:
    """A timestamp as RSS wants it: ``Tue, 05 Dec 2023 10:00:00 +0000``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return format_datetime(moment.astimezone(dt.UTC))
