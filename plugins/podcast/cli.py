"""``imm-graph podcast …``: the campaign team's catalogue from a terminal.

``shows`` and ``episodes`` read; ``publish`` and ``unpublish`` write through the same catalogue
functions as the GraphQL mutations, so the same publishing rules hold (every broken rule is
printed, nothing is written) and the same events and WebSub pings follow. Episodes are named by
their GUID, which never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import httpx
import sqlalchemy as sa
import typer
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import Actor, Database, ValidationError, utcnow, with_database
from plugins.podcast import catalogue
from plugins.podcast.catalogue import episodes_t, shows_t, visible
from plugins.podcast.settings import PodcastSettings

T = TypeVar("T")


class _Environment(BaseSettings):
    """The deployment's ``IMM_ENVIRONMENT`` (read as the core reads it): outside production,
    artwork on loopback (the demo's own route) may be fetched; in production never."""

    model_config = SettingsConfigDict(env_prefix="IMM_", env_file=".env", extra="ignore")
    environment: Literal["development", "production", "test"] = "development"


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` in one transaction: all of it or nothing. A refusal prints every rule, exit 1."""

    async def run(db: Database) -> T:
        async with db.transaction(actor=Actor.cli()) as session:
            return await work(session)

    try:  # with the plug-ins loaded, so they hear episode.published like after a mutation
        return with_database(run)
    except ValidationError as exc:
        for error in exc.errors:
            typer.echo(f"error: {error.field}: {error.message} ({error.code})", err=True)
        raise typer.Exit(1) from None


async def _episode_id(session: AsyncSession, guid: str) -> int:
    found = await session.scalar(sa.select(episodes_t.c.id).where(episodes_t.c.guid == guid))
    if found is None:
        raise ValidationError.single("guid", "not_found", f"no episode with GUID {guid}")
    return int(found)


def _state(row: Any, now: dt.datetime, public: bool) -> str:
    if row.status != "published":
        return "draft"
    if row.publish_at is not None and row.publish_at > now:
        return "scheduled"
    return "published" if public else "withheld"


def build(config: PodcastSettings, base_url: str) -> typer.Typer:
    commands = typer.Typer(help="Podcast shows and episodes (Talking Generations).",
                           no_args_is_help=True)

    @commands.command("shows")
    def shows() -> None:
        """Every show: slug, public episodes, all episodes, title and feed URL."""
        async def work(session: AsyncSession) -> list[Any]:
            now = utcnow()
            public = sa.select(sa.func.count()).where(
                episodes_t.c.show_id == shows_t.c.id, visible(now)).scalar_subquery()
            total = sa.select(sa.func.count()).where(
                episodes_t.c.show_id == shows_t.c.id).scalar_subquery()
            return list((await session.execute(
                sa.select(shows_t, public.label("public"), total.label("total"))
                .order_by(shows_t.c.slug))).all())

        for row in _run(work):
            feed = row.new_feed_url or catalogue.feed_url(base_url, row.slug)
            typer.echo(f"{row.slug}\t{row.public} public / {row.total}\t{row.title}\t{feed}")

    @commands.command("episodes")
    def episodes(
        show: str = typer.Argument(help="The show's slug, e.g. talking-generations."),
    ) -> None:
        """A show's episodes, newest first: GUID, state, pubDate, title."""
        async def work(session: AsyncSession) -> list[tuple[Any, bool]]:
            show_id = await session.scalar(sa.select(shows_t.c.id).where(shows_t.c.slug == show))
            if show_id is None:
                raise ValidationError.single("show", "not_found", f"no podcast show {show!r}")
            now = utcnow()
            rows = (await session.execute(
                sa.select(episodes_t, visible(now).label("public"))
                .where(episodes_t.c.show_id == show_id)
                .order_by(episodes_t.c.publish_at.desc().nulls_first(), episodes_t.c.id.desc())
            )).all()
            return [(row, bool(row.public)) for row in rows]

        now = utcnow()
        for row, public in _run(work):
            when = row.publish_at.isoformat() if row.publish_at else "-"
            typer.echo(f"{row.guid}\t{_state(row, now, public)}\t{when}\t{row.title}")

    @commands.command("publish")
    def publish(
        guid: str,
        at_text: str | None = typer.Option(
            None, "--at", help="Schedule instead: a time with its offset, "
            "2026-12-01T07:00:00+00:00."),
    ) -> None:
        """Publish an episode now (or schedule it): refused with every broken rule."""
        try:
            at = dt.datetime.fromisoformat(at_text) if at_text else None
        except ValueError:
            at = None
        if at_text and (at is None or at.tzinfo is None):
            typer.echo("error: at: give an ISO 8601 time with its UTC offset (timezone)",
                       err=True)
            raise typer.Exit(1)

        async def work(session: AsyncSession) -> Any:
            async with httpx.AsyncClient(timeout=config.fetch_timeout_seconds,
                                         follow_redirects=True) as client:
                publishing = catalogue.PublishContext(
                    config=config, client=client,
                    allow_private=_Environment().environment != "production",
                )
                episode = await catalogue.publish_episode(
                    session, await _episode_id(session, guid), publishing, base_url, at)
                return episode.publish_at

        when = _run(work)
        verb = "scheduled for" if when > utcnow() else "published at"
        typer.echo(f"{guid} {verb} {when.isoformat()}")

    @commands.command("unpublish")
    def unpublish(guid: str) -> None:
        """Back to a draft: it leaves the feed at once (its GUID stays)."""
        async def work(session: AsyncSession) -> None:
            await catalogue.unpublish_episode(session, await _episode_id(session, guid))

        _run(work)
        typer.echo(f"{guid} is a draft again, out of the feed")

    return commands
