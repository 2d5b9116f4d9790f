"""The social_prescribing plug-in's hooks: referral platforms push referrals in, status goes back.

The entry point (``pyproject.toml``) names this module. What each hook does lives in its own
module: `intake` (one validator for both formats), `service` (every write), `routes` (the
signed webhook), `graphql` (staff and platform API), `platforms` (registration and signatures),
`reporting` (figures for nhs_reporting), `demo` (seed rows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    Actor,
    Database,
    DomainEvent,
    JobContext,
    OutboundRequest,
    PeriodicJob,
    PluginRoute,
    RateLimit,
    SchemaContribution,
    ValidationError,
    hookimpl,
    open_database,
    signature_headers,
    utcnow,
)
from plugins.social_prescribing import demo, graphql, platforms, reporting, routes, service
from plugins.social_prescribing.models import SocialPrescribingPlatform, SocialPrescribingReferral
from plugins.social_prescribing.settings import SocialPrescribingSettings

NAME = service.NAME


@hookimpl
def imm_graph_config_schema() -> type[SocialPrescribingSettings]:
    return SocialPrescribingSettings


@hookimpl
def imm_graph_scopes() -> Mapping[str, str]:
    return {
        graphql.READ: "social-prescribing referrals and their status (a platform's key: its own)",
        graphql.WRITE: "submit social-prescribing referrals",
        graphql.TRIAGE: "accept, decline and progress referrals (IMM staff)",
    }


@hookimpl
def imm_graph_models() -> None:
    from plugins.social_prescribing import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def imm_graph_schema() -> SchemaContribution:
    return graphql.CONTRIBUTION


@hookimpl
def imm_graph_routes() -> Sequence[Any]:
    # Platforms send in bursts (a day's referrals at once): a budget of its own.
    return [PluginRoute("/referrals", routes.receive, methods=["POST"], auth="plugin",
                        rate_limit=RateLimit(None))]


@hookimpl
async def imm_graph_on_event(event: DomainEvent, session: AsyncSession) -> None:
    """A session's register: referred people who attended move to first_attended. A withdrawn
    referral_sharing consent stops the person's status updates."""
    if event.name == "session.register_recorded":
        await service.record_attended(session, int(event.entity_id), utcnow())
    elif event.name == "consent.saved" and _may_withdraw_sharing(event.payload):
        await service.consent_changed(session, int(event.entity_id))


def _may_withdraw_sharing(payload: Mapping[str, Any]) -> bool:
    """A consent event's payload names its purpose and, once withdrawn, when: anything but a
    withdrawn referral_sharing consent is skipped without reading the row. (Events stored
    before payloads carried the purpose are checked against the row.)"""
    if "purpose" not in payload:
        return True
    return payload["purpose"] == "referral_sharing" and "withdrawn_at" in payload


@hookimpl
async def imm_graph_outbound_credentials(
    request: OutboundRequest, db: Database
) -> Mapping[str, str]:
    """Status updates are signed with the receiving platform's own (current) secret."""
    if not request.credentials or not request.credentials.startswith("platform:"):
        raise LookupError(f"unknown credentials {request.credentials!r}")
    async with db.sessions() as session:
        platform = await session.get(SocialPrescribingPlatform,
                                     int(request.credentials.split(":", 1)[1]))
    if platform is None:
        raise LookupError("the platform was removed")
    return signature_headers(platform.secret, request.delivery_id, request.timestamp,
                             request.body)


async def flag_overdue(context: JobContext) -> None:
    config: SocialPrescribingSettings = context.config
    async with context.db.transaction(actor=Actor.system(NAME)) as session:
        await service.flag_overdue(session, context.now, config.overdue_days)


@hookimpl
def imm_graph_jobs(config: SocialPrescribingSettings) -> Sequence[PeriodicJob]:
    return [PeriodicJob("flag-overdue", dt.timedelta(minutes=config.overdue_check_minutes),
                        flag_overdue)]


@hookimpl
async def imm_graph_health(db: Database) -> Mapping[str, Any]:
    async with db.sessions() as session:
        platforms_count = await session.scalar(
            sa.select(sa.func.count()).select_from(SocialPrescribingPlatform))
        waiting = await session.scalar(
            sa.select(sa.func.count()).select_from(SocialPrescribingReferral)
            .where(SocialPrescribingReferral.status == "received"))
    return {"status": "ok", "platforms": platforms_count, "awaitingDecision": waiting}


@hookimpl
async def imm_graph_contribute(
    topic: str, params: Mapping[str, Any], session: AsyncSession
) -> Any:
    if topic == "nhs_reporting.referrals":
        return await reporting.referral_figures(session, params)
    if topic == "imm_graph.demo":
        return await demo.seed(session)
    return None


@hookimpl
def imm_graph_cli(app: typer.Typer) -> None:
    app.add_typer(cli_commands(), name="social-prescribing")


def _run(work: Any) -> Any:
    async def run() -> Any:
        db = open_database(None)
        try:
            async with db.transaction(actor=Actor.cli()) as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except ValidationError as exc:
        for error in exc.errors:
            typer.echo(f"error: {error.field}: {error.message} ({error.code})", err=True)
        raise typer.Exit(1) from None


def cli_commands() -> typer.Typer:
    commands = typer.Typer(help="Social-prescribing referral platforms.", no_args_is_help=True)
    platform_cmds = typer.Typer(help="Register the platforms that send referrals.",
                                no_args_is_help=True)
    commands.add_typer(platform_cmds, name="platforms")

    @platform_cmds.command("add")
    def add(
        name: str,
        callback_url: str = typer.Option(None, help="Where status updates go (signed)."),
        format: str = typer.Option("native", help="native or fhir (status updates as Tasks)."),
    ) -> None:
        """Register a platform and print its signing secret (shown once)."""
        async def work(session: AsyncSession) -> str:
            _platform, secret = await platforms.add(session, name, callback_url=callback_url,
                                                    format=format)
            return secret

        secret = _run(work)
        typer.echo(f"platform {name!r} registered; its signing secret (give it to the "
                   f"platform, it is not shown again):\n{secret}")

    @platform_cmds.command("list")
    def list_() -> None:
        """Registered platforms (never their secrets)."""
        async def work(session: AsyncSession) -> list[SocialPrescribingPlatform]:
            return list(await session.scalars(
                sa.select(SocialPrescribingPlatform).order_by(SocialPrescribingPlatform.name)))

        for p in _run(work):
            rotating = " (previous secret still valid)" if p.previous_secret else ""
            typer.echo(f"{p.name}\t{p.format}\t{p.callback_url or '-'}{rotating}")

    @platform_cmds.command("rotate")
    def rotate(name: str) -> None:
        """A new secret; the old one stays valid until the next rotation."""
        secret = _run(lambda session: platforms.rotate(session, name, utcnow()))
        typer.echo(f"new secret for {name!r} (the previous one stays valid until the next "
                   f"rotation):\n{secret}")

    @platform_cmds.command("link")
    def link(name: str, key_id: str) -> None:
        """Link an API key (its public id) to a platform: it then sees only its referrals."""
        _run(lambda session: platforms.link_key(session, name, key_id))
        typer.echo(f"API key {key_id} now acts for platform {name!r}")

    @platform_cmds.command("remove")
    def remove(name: str) -> None:
        """Remove a platform that has sent no referrals."""
        _run(lambda session: platforms.remove(session, name))
        typer.echo(f"platform {name!r} removed")

    return commands
