"""The podcast plug-in's hook implementations (the module the ``imm_graph.plugins`` entry
point names). ``config`` is this plug-in's validated `PodcastSettings`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    Actor,
    JobContext,
    PeriodicJob,
    PluginRoute,
    RateLimit,
    SchemaContribution,
    hookimpl,
    utcnow,
)
from plugins.podcast import catalogue, demo, demo_media, graphql, routes
from plugins.podcast.settings import PodcastSettings

NAME = catalogue.NAME
DEVELOPMENT_BASE_URL = "http://127.0.0.1:8000"  # where ./scripts/serve-demo listens


def base_url(config: PodcastSettings | None) -> str:
    """Where the feed lives when there is no request to ask (jobs, the demo seeder)."""
    if config is not None and config.public_base_url is not None:
        return str(config.public_base_url).rstrip("/")
    return DEVELOPMENT_BASE_URL


@hookimpl
def imm_graph_config_schema() -> type[PodcastSettings]:
    return PodcastSettings


@hookimpl
def imm_graph_scopes() -> Mapping[str, str]:
    return {graphql.PUBLISH: "edit, schedule, publish and unpublish podcast episodes and shows"}


@hookimpl
def imm_graph_models() -> None:
    from plugins.podcast import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def imm_graph_schema() -> SchemaContribution:
    return SchemaContribution(
        queries=[graphql.PodcastQuery],
        mutations=[graphql.PodcastMutation],
        types=[graphql.PodcastCredit],
        extend={"Hub": [graphql.HubEpisodes], "Programme": [graphql.ProgrammeEpisodes]},
        nodes=graphql.NODES,
    )


@hookimpl
def imm_graph_routes(config: PodcastSettings) -> Sequence[Any]:
    # Directories and CDNs poll feeds: their own budget, not the anonymous 60 a minute.
    feed_limit = RateLimit(per_minute=config.feed_rate_limit_per_minute)
    return [
        PluginRoute("/{show}/feed.xml", routes.feed_xml, auth="public", rate_limit=feed_limit),
        PluginRoute("/{show}/episodes/{guid}/chapters.json", routes.chapters_json,
                    auth="public", rate_limit=feed_limit),
        PluginRoute("/{show}/episodes/{guid}/transcript.vtt", routes.transcript_vtt,
                    auth="public", rate_limit=feed_limit),
        # The demo show's artwork and audio (see demo_media: reachable in development only).
        PluginRoute(demo_media.PREFIX + "/artwork.png", demo_media.artwork,
                    methods=("GET", "HEAD"), auth="public", rate_limit=feed_limit),
        PluginRoute(demo_media.PREFIX + "/{name}", demo_media.audio,
                    methods=("GET", "HEAD"), auth="public", rate_limit=feed_limit),
    ]


async def announce_scheduled(context: JobContext) -> None:
    """Scheduled episodes whose time has come: ``episode.published`` once, and the pings."""
    config = context.config
    async with context.db.transaction(actor=Actor.system(NAME)) as session:
        await catalogue.announce_due(session, config, base_url(config), context.now)


@hookimpl
def imm_graph_cli(app: Any, config: PodcastSettings) -> None:
    """``imm-graph podcast shows|episodes|publish|unpublish``."""
    from plugins.podcast import cli

    app.add_typer(cli.build(config, base_url(config)), name="podcast")


@hookimpl
def imm_graph_jobs() -> Sequence[PeriodicJob]:
    return [PeriodicJob("announce-scheduled-episodes", dt.timedelta(minutes=1),
                        announce_scheduled)]


@hookimpl
async def imm_graph_health(db: Any) -> Mapping[str, Any]:
    """Shows, public episodes, and scheduled episodes the job has not announced yet although
    their time has passed by more than five minutes (the worker is not running)."""
    now = utcnow()
    async with db.sessions() as session:
        shows = await session.scalar(sa.select(sa.func.count()).select_from(catalogue.shows_t))
        public = await session.scalar(
            sa.select(sa.func.count()).select_from(catalogue.episodes_t)
            .where(catalogue.visible(now))
        )
        overdue = await session.scalar(
            sa.select(sa.func.count()).select_from(catalogue.episodes_t).where(
                catalogue.visible(now - dt.timedelta(minutes=5)),
                catalogue.episodes_t.c.announced_at.is_(None),
            )
        )
    return {"status": "degraded" if overdue else "ok", "shows": shows,
            "publicEpisodes": public, "unannounced": overdue}


@hookimpl
async def imm_graph_contribute(
    topic: str, session: AsyncSession, config: PodcastSettings
) -> Any:
    """``imm_graph.demo``: the Talking Generations show with its real episodes."""
    if topic != "imm_graph.demo":
        return None
    return await demo.seed(session, base_url(config))
