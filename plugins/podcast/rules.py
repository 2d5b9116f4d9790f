"""The publishing rules: what must hold before an episode goes public.

Each broken rule is a `FieldError` naming the field and the rule, and every rule is checked
(not just the first), so the campaign team sees everything to fix at once. The rules come from
Apple's podcast RSS requirements and the Podcasting 2.0 namespace (see README.md):

- an audio enclosure with a byte length > 0 and an ``audio/*`` type, its URL used by no other
  episode;
- a description of at most 4,000 bytes;
- the episode's artwork (if any) and the show's: a square JPEG or PNG, RGB, 1400-3000 px, read
  with Pillow from what the host actually serves;
- the show has a category and a language;
- optionally, the audio host answers HEAD, serves byte ranges (206) and reports the same length.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
from PIL import Image, UnidentifiedImageError

from imm_graph.plugin_api import FieldError, OutboundRefused, check_destination
from plugins.podcast.text import DESCRIPTION_MAX_BYTES, utf8_length

ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
ARTWORK_FORMATS = ("JPEG", "PNG")


@dataclass(frozen=True)
class EpisodeFacts:
    """What the rules look at (plain values, so the rules are testable without a database)."""

    title: str
    summary_html: str
    enclosure_url: str | None
    enclosure_length: int | None
    enclosure_type: str | None
    artwork_url: str | None
    enclosure_used_elsewhere: bool


@dataclass(frozen=True)
class ShowFacts:
    category: str | None
    language: str | None
    artwork_url: str | None


def static_errors(episode: EpisodeFacts, show: ShowFacts) -> list[FieldError]:
    """The rules that need no network."""
    errors: list[FieldError] = []
    if not episode.title.strip():
        errors.append(FieldError("required", "title", "an episode needs a title"))
    if not episode.enclosure_url:
        errors.append(FieldError("required", "enclosure.url",
                                 "an episode needs an audio enclosure before it is published"))
    elif episode.enclosure_used_elsewhere:
        errors.append(FieldError("duplicate", "enclosure.url",
                                 "this enclosure URL is already used by another episode; "
                                 "each episode needs its own audio file"))
    if not episode.enclosure_length or episode.enclosure_length <= 0:
        errors.append(FieldError("positive", "enclosure.length",
                                 "the enclosure's length must be its size in bytes, above 0"))
    if not (episode.enclosure_type or "").startswith("audio/"):
        errors.append(FieldError("audio_type", "enclosure.type",
                                 "the enclosure's type must be an audio type such as audio/mpeg "
                                 f"or audio/x-m4a, not {episode.enclosure_type or 'nothing'!r}"))
    size = utf8_length(episode.summary_html)
    if size > DESCRIPTION_MAX_BYTES:
        errors.append(FieldError("too_long", "summary",
                                 f"the description is {size} bytes; at most "
                                 f"{DESCRIPTION_MAX_BYTES} bytes (UTF-8) are allowed"))
    if not show.category:
        errors.append(FieldError("required", "show.category",
                                 "the show needs an Apple Podcasts category before it publishes"))
    if not show.language:
        errors.append(FieldError("required", "show.language",
                                 "the show needs a language (such as en-gb) before it publishes"))
    if not show.artwork_url:
        errors.append(FieldError("required", "show.artworkUrl",
                                 "the show needs artwork before it publishes"))
    return errors


async def artwork_errors(
    client: httpx.AsyncClient, url: str, field: str, *, max_bytes: int, allow_private: bool
) -> list[FieldError]:
    """Fetch the artwork and read it with Pillow: square, 1400-3000 px, JPEG or PNG, RGB."""
    try:
        await check_destination(url, allow_private=allow_private)
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                return [FieldError("artwork_unreachable", field,
                                   f"the artwork could not be fetched (HTTP "
                                   f"{response.status_code})")]
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    return [FieldError("artwork_too_large", field,
                                       f"the artwork is over {max_bytes} bytes")]
    except OutboundRefused as refused:
        return [FieldError("artwork_unreachable", field,
                           f"the artwork cannot be fetched: {refused}")]
    except httpx.HTTPError as failed:
        return [FieldError("artwork_unreachable", field,
                           f"the artwork could not be fetched ({type(failed).__name__})")]
    try:
        with Image.open(io.BytesIO(bytes(data))) as image:
            fmt, mode, (width, height) = image.format, image.mode, image.size
    except (UnidentifiedImageError, OSError):
        return [FieldError("artwork_format", field, "the artwork is not a readable image")]
    errors = []
    if fmt not in ARTWORK_FORMATS:
        errors.append(FieldError("artwork_format", field,
                                 f"the artwork must be a JPEG or PNG, not {fmt}"))
    if mode != "RGB":
        errors.append(FieldError("artwork_colour", field,
                                 f"the artwork must be in the RGB colour space, not {mode}"))
    if width != height:
        errors.append(FieldError("artwork_square", field,
                                 f"the artwork must be square, not {width}x{height} px"))
    if not (ARTWORK_MIN <= width <= ARTWORK_MAX and ARTWORK_MIN <= height <= ARTWORK_MAX):
        errors.append(FieldError("artwork_size", field,
                                 f"the artwork must be {ARTWORK_MIN}-{ARTWORK_MAX} px a side, "
                                 f"not {width}x{height}"))
    return errors


async def enclosure_host_errors(
    client: httpx.AsyncClient, url: str, length: int | None, *, allow_private: bool
) -> list[FieldError]:
    """Apple's host requirements: HEAD answered, byte ranges served (206), the same length."""
    field = "enclosure.url"
    try:
        await check_destination(url, allow_private=allow_private)
        head = await client.head(url)
        if head.status_code >= 400:
            return [FieldError("enclosure_head", field,
                               f"the audio host answered HEAD with HTTP {head.status_code}")]
        ranged = await client.get(url, headers={"Range": "bytes=0-1"})
    except OutboundRefused as refused:
        return [FieldError("enclosure_unreachable", field,
                           f"the audio cannot be fetched: {refused}")]
    except httpx.HTTPError as failed:
        return [FieldError("enclosure_unreachable", field,
                           f"the audio host could not be reached ({type(failed).__name__})")]
    errors = []
    if ranged.status_code != 206:
        errors.append(FieldError("enclosure_ranges", field,
                                 "the audio host must support byte ranges (answer 206 to a "
                                 f"Range request), it answered {ranged.status_code}"))
    served = head.headers.get("content-length")
    total = ranged.headers.get("content-range", "").rpartition("/")[2]
    reported = served if served and served.isdigit() else total if total.isdigit() else None
    if reported is not None and length is not None and int(reported) != length:
        errors.append(FieldError("enclosure_length_mismatch", "enclosure.length",
                                 f"the audio host serves {reported} bytes, the enclosure says "
                                 f"{length}"))
    return errors
