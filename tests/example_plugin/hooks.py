"""The hook implementations: the only module the ``imm_graph.plugins`` entry point names.

Each function is marked with ``@hookimpl`` and named after a hook in ``imm_graph.hookspecs``;
it may take any subset of that hook's arguments. ``config`` is this plug-in's validated
``ExampleSettings``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import typer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from imm_graph.models import OutboxDelivery
from imm_graph.plugin_api import DomainEvent, SchemaContribution, enqueue_delivery, hookimpl
from tests.example_plugin.graphql import ExampleQuery
from tests.example_plugin.settings import ExampleSettings

NAME = "example"  # the entry point's name; also the outbox's ``plugin`` column


@hookimpl
def imm_graph_config_schema() -> type[ExampleSettings]:
    return ExampleSettings


@hookimpl
def imm_graph_schema() -> SchemaContribution:
    return SchemaContribution(queries=[ExampleQuery])


async def status(request: Request) -> JSONResponse:
    """GET /plugins/example/status: how many of our deliveries are still waiting."""
    async with request.app.state.db.sessions() as session:
        waiting = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxDelivery)
            .where(OutboxDelivery.plugin == NAME, OutboxDelivery.delivered_at.is_(None))
        )
    return JSONResponse({"plugin": NAME, "waitingDeliveries": waiting})


@hookimpl
def imm_graph_routes() -> Sequence[BaseRoute]:
    return [Route("/status", status, methods=["GET"])]


@hookimpl
async def imm_graph_on_event(
    event: DomainEvent, session: AsyncSession, config: ExampleSettings
) -> None:
    """Tell the partner about each recorded session: ids only, signed, sent by the worker."""
    if event.name not in config.notify_on:
        return
    await enqueue_delivery(
        session,
        plugin=NAME,
        url=str(config.endpoint_url),
        payload={
            "event": event.name,
            "eventId": event.id,
            "entity": event.entity,
            "id": event.entity_id,
            "occurredAt": event.occurred_at.isoformat(),
        },
        event_id=event.id,
        # Stable per event: if this hook runs again (a retry), no second delivery is queued.
        idempotency_key=f"{event.name}:{event.id}",
        secret_ref="webhook_secret",  # the *name* of the setting; the value is never stored
    )


@hookimpl
def imm_graph_cli(app: typer.Typer) -> None:
    commands = typer.Typer(help="The example plug-in's commands.", no_args_is_help=True)

    @commands.command()
    def hello() -> None:
        """Say hello (proves the command was registered)."""
        typer.echo("hello from the example plug-in")

    app.add_typer(commands, name=NAME)
