"""The hook implementations: the only module the ``imm_graph.plugins`` entry point names.

Each function is marked with ``@hookimpl`` and named after a hook of the contract (see
``docs/plugins.md``); it may take any subset of that hook's arguments. ``config`` is this
plug-in's validated ``ExampleSettings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    Actor,
    DeliveryResult,
    DomainEvent,
    JobContext,
    OutboundRequest,
    PeriodicJob,
    PluginRoute,
    Principal,
    RateLimit,
    SchemaContribution,
    enqueue_delivery,
    hookimpl,
)
from tests.example_plugin import graphql, routes
from tests.example_plugin.models import ExampleDeliveryLog, ExampleJobRun
from tests.example_plugin.settings import ExampleSettings

NAME = routes.NAME  # the entry point's name; also the outbox's ``plugin`` column
# What the lifespan hook opened (a real plug-in would open an HTTP client or a cache here).
LIFESPAN_EVENTS: list[str] = []


@hookimpl
def imm_graph_config_schema() -> type[ExampleSettings]:
    return ExampleSettings


@hookimpl
def imm_graph_scopes() -> Mapping[str, str]:
    return {graphql.READ: "the example plug-in's notes", graphql.WRITE: "add example notes"}


@hookimpl
def imm_graph_models() -> None:
    from tests.example_plugin import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def imm_graph_schema() -> SchemaContribution:
    return SchemaContribution(
        queries=[graphql.ExampleQuery], mutations=[graphql.ExampleMutation],
        extend={"Hub": [graphql.HubExampleNotes]}, nodes=[graphql.NODE],
    )


@hookimpl
def imm_graph_routes() -> Sequence[Any]:
    return [
        PluginRoute("/status", routes.status),
        PluginRoute("/hello", routes.hello, auth="public", rate_limit=RateLimit(per_minute=3)),
        PluginRoute("/inbound", routes.inbound, methods=["POST"], auth="plugin"),
    ]


@hookimpl
def imm_graph_actor_from_request(
    headers: Mapping[str, str], config: ExampleSettings
) -> Principal | None:
    """A partner sending its own token header reads the notes without an API key."""
    token = headers.get("x-example-token")
    expected = config.partner_token.get_secret_value() if config.partner_token else None
    if token and expected and token == expected:
        return Principal(via=NAME, name="partner", scopes=frozenset({graphql.READ}))
    return None


@hookimpl
async def imm_graph_on_event(
    event: DomainEvent, session: AsyncSession, config: ExampleSettings
) -> None:
    """Tell the partner about each recorded session: ids only, in order per hub, signed."""
    if event.name not in config.notify_on:
        return
    hub = event.payload.get("hub_id")
    await enqueue_delivery(
        session,
        plugin=NAME,
        url=str(config.endpoint_url),
        payload={
            "event": event.name, "eventId": event.id, "entity": event.entity,
            "id": event.entity_id, "change": event.change, "changed": list(event.changed),
            "occurredAt": event.occurred_at.isoformat(),
        },
        event_id=event.id,
        # Stable per event: if this hook runs again (a retry), no second delivery is queued.
        idempotency_key=f"{event.name}:{event.id}",
        ordering_key=f"hub:{hub}" if hub is not None else None,
        secret_ref="webhook_secret",  # the *name* of the setting; the value is never stored
        credentials="partner-api",  # imm_graph_outbound_credentials fills it in when sending
    )


@hookimpl
def imm_graph_outbound_credentials(
    request: OutboundRequest, config: ExampleSettings
) -> Mapping[str, str]:
    """Fetched at send time and never stored (a real plug-in would get an OAuth token)."""
    assert request.credentials == "partner-api"
    return {"Authorization": "Bearer example-send-time-token"}


@hookimpl
async def imm_graph_delivery_result(result: DeliveryResult, session: AsyncSession) -> None:
    session.add(ExampleDeliveryLog(
        delivery_id=result.delivery_id, outcome=result.outcome, status_code=result.status_code
    ))


async def note_the_time(context: JobContext) -> None:
    async with context.db.transaction(actor=Actor.system(NAME)) as session:
        session.add(ExampleJobRun(ran_at=context.now))


@hookimpl
def imm_graph_jobs() -> Sequence[PeriodicJob]:
    return [PeriodicJob("note-the-time", dt.timedelta(hours=1), note_the_time)]


@hookimpl
def imm_graph_lifespan(app: Any) -> Any:
    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        LIFESPAN_EVENTS.append("started")
        yield
        LIFESPAN_EVENTS.append("stopped")

    return lifespan()


@hookimpl
async def imm_graph_health(db: Any) -> Mapping[str, Any]:
    async with db.sessions() as session:
        runs = await session.scalar(sa.select(sa.func.count()).select_from(ExampleJobRun))
    return {"status": "ok", "jobRuns": runs}


@hookimpl
async def imm_graph_contribute(
    topic: str, params: Mapping[str, Any], session: AsyncSession
) -> Any:
    """Answers "example.counts" (another plug-in asks without importing this one)."""
    if topic != "example.counts":
        return None
    notes = await session.scalar(sa.select(sa.func.count()).select_from(graphql.notes))
    return {"notes": notes, "asked": dict(params)}


@hookimpl
def imm_graph_cli(app: typer.Typer, config: ExampleSettings) -> None:
    commands = typer.Typer(help="The example plug-in's commands.", no_args_is_help=True)

    @commands.command()
    def hello() -> None:
        """Say hello, and where notifications go (proves the command and its config)."""
        typer.echo(f"hello from the example plug-in, sending to {config.endpoint_url}")

    app.add_typer(commands, name=NAME)
