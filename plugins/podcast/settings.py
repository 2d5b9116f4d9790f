"""The podcast plug-in's settings, read from ``IMM_PLUGIN_PODCAST_<FIELD>``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class PodcastSettings(BaseModel):
    # A typo in the settings file is an error, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_base_url: HttpUrl | None = Field(
        default=None,
        description="The public origin of the API (https://api.example.org). Every absolute URL "
        "in the feed, and the podcast:guid of a new show, is built from it, never from the "
        "request's Host header. Unset: the request's own origin (development).",
    )
    websub_hubs: list[HttpUrl] = Field(
        default_factory=list,
        description="WebSub hubs pinged (form POST hub.mode=publish) through the outbox when an "
        "episode goes public; also advertised in the feed's Link headers.",
    )
    podping_url: HttpUrl | None = Field(
        default=None,
        description="A Podping-style endpoint, pinged like a WebSub hub when an episode goes out.",
    )
    check_enclosure_host: bool = Field(
        default=False,
        description="Before publishing, check the audio host answers HEAD, serves byte ranges "
        "(206) and reports the enclosure's byte length.",
    )
    check_artwork: bool = Field(
        default=True,
        description="Before publishing, fetch the episode's and the show's artwork and check it "
        "is a square 1400-3000 px RGB JPEG or PNG.",
    )
    artwork_max_bytes: int = Field(
        default=10_000_000, ge=1, description="Artwork larger than this is refused unread."
    )
    fetch_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout for artwork and enclosure checks."
    )
    cache_seconds: int = Field(
        default=300, ge=0, description="max-age of the feed's Cache-Control (a few minutes)."
    )
    feed_rate_limit_per_minute: int | None = Field(
        default=600, ge=1,
        description="Per-IP budget for feed requests (directories poll often); unset: none.",
    )
