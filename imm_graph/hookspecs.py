"""The plug-in contract: every way a plug-in can extend imm_graph, and nothing else.

Modelled on Datasette's hookspecs: few hooks, each returning data rather than reaching into the
core. Implement them with ``@hookimpl`` from :mod:`imm_graph.plugin_api` in a module (or an
object) that the plug-in manager registers under the plug-in's name.

An implementation may accept any subset of a hook's arguments (pluggy matches them by name), so
adding an argument here never breaks existing plug-ins. ``config`` is always the validated
settings object of *this* plug-in (from :func:`imm_graph_config_schema`), or ``None`` if it
declares none: the manager calls each plug-in's implementation separately, in the configured
order, which is also what lets one plug-in fail without affecting the others.

None of the hooks are ``firstresult``: every enabled plug-in is asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer
    from pydantic import BaseModel
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.routing import BaseRoute

    from imm_graph.events import DomainEvent
    from imm_graph.plugin_api import SchemaContribution

hookspec = pluggy.HookspecMarker("imm_graph")


@hookspec
def imm_graph_config_schema() -> type[BaseModel] | None:
    """Declare the plug-in's settings as a pydantic model class.

    Called once at start-up, before any other hook. The manager fills the model from environment
    variables ``IMM_PLUGIN_<NAME>_<FIELD>`` (and the optional settings file) and validates it; a
    missing or invalid field stops start-up with an error naming the plug-in and the field, never
    the value. Type secrets as ``pydantic.SecretStr`` so they are not printed by accident.

    Returns the model class (not an instance), or ``None`` when the plug-in has no settings.
    """


@hookspec
def imm_graph_models() -> None:
    """Import the plug-in's SQLAlchemy models so their tables register on ``Base.metadata``.

    Called for every installed plug-in, enabled or not, when migrations compare the database
    with the models (disabling a plug-in must not make autogenerate propose dropping its
    tables), and at start-up for enabled ones. Define tables on ``imm_graph.db.Base``, prefix
    their names with the plug-in's name, and ship migrations for them. Returns nothing.
    """


@hookspec
def imm_graph_schema(config: BaseModel | None) -> SchemaContribution | None:
    """Contribute to the GraphQL schema, which is built once at start-up.

    Returns a :class:`~imm_graph.plugin_api.SchemaContribution`: extra strawberry ``types`` (for
    interfaces/unions the schema cannot reach otherwise), ``queries`` and ``mutations`` (strawberry
    types whose fields are merged into ``Query`` and ``Mutation``). Field names must not clash
    with the core's or another plug-in's: prefix them with the plug-in's name. Resolver errors are
    masked like the core's. Return ``None`` to contribute nothing.
    """


@hookspec
def imm_graph_routes(config: BaseModel | None) -> Sequence[BaseRoute] | None:
    """Contribute Starlette routes, mounted under ``/plugins/<name>/``.

    Return routes with paths relative to the mount (``Route("/referrals", ...)`` is served at
    ``/plugins/<name>/referrals``). Handlers find the database at ``request.app.state.db``.
    Return ``None`` for no routes.
    """


@hookspec
def imm_graph_on_event(
    event: DomainEvent, session: AsyncSession, config: BaseModel | None
) -> Awaitable[None] | None:
    """React to a domain event inside the transaction of the change that caused it.

    ``event`` carries ids and codes only (load what you need through ``session``). Anything the
    hook writes, such as :func:`~imm_graph.plugin_api.enqueue_delivery` rows, commits with the
    change or not at all. Never call HTTP from here: enqueue a delivery instead, so a slow or
    failing partner cannot hold the transaction open. Never commit or roll back ``session``.

    May be ``async def``; the returned awaitable is awaited. Runs inside a SAVEPOINT: if it
    raises, only its own writes are undone, the change is kept and the event is recorded for
    this plug-in and retried later with backoff (the same hook is called again then, in a new
    transaction), so it must be safe to run more than once for the same ``event.id``.
    """


@hookspec
def imm_graph_cli(app: typer.Typer) -> None:
    """Add commands to the ``imm-graph`` command line.

    Add one sub-application named after the plug-in
    (``app.add_typer(sub, name="<name>")``) rather than top-level commands, so plug-ins cannot
    shadow core commands or each other. Returns nothing.
    """
