"""The Starlette application factory.

Everything expensive (engine, plug-in manager, GraphQL schema) is built once here at start-up,
never per request; requests only get fresh per-request state such as DataLoaders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from imm_graph import crypto
from imm_graph.auth import Authenticator
from imm_graph.config import Settings, get_settings
from imm_graph.db import Database
from imm_graph.health import health
from imm_graph.logging import configure_logging
from imm_graph.plugins import PluginManager
from imm_graph.ratelimit import RateLimiter
from imm_graph.security_headers import security_middleware


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    plugins: PluginManager | None = None,
) -> Starlette:
    """Build the app. Bad plug-in settings stop start-up here, naming the plug-in and field."""
    settings = settings or get_settings()
    configure_logging(json=settings.json_logs, level=settings.log_level)
    crypto.configure(settings)  # production without its keys stops here, naming the settings
    plugins = plugins or PluginManager.load()
    db = database or Database(
        settings.database_url, echo=settings.sql_echo, event_sink=plugins.event_dispatcher()
    )

    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    from imm_graph.schema.app import graphql_routes
    from imm_graph.schema.build import schema_for_plugins

    routes.extend(graphql_routes(settings, schema_for_plugins(settings, plugins)))
    routes.extend(plugins.routes())

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        worker = _start_worker(db, plugins) if settings.in_process_worker else None
        yield
        if worker is not None:
            await worker()
        if database is None:  # an injected database belongs to the caller
            await db.dispose()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=security_middleware(settings))
    app.state.settings = settings
    app.state.db = db
    app.state.plugins = plugins
    app.state.authenticator = Authenticator(touch_seconds=settings.api_key_touch_seconds)
    app.state.rate_limiter = RateLimiter()
    return app


def _start_worker(db: Database, plugins: PluginManager) -> Callable[[], Awaitable[None]]:
    """The outbox worker inside the app process, for single-process deployments.

    Several processes may each run one on PostgreSQL (deliveries are claimed with SKIP LOCKED);
    on SQLite run one process only. Returns the function that stops it.
    """
    from imm_graph.outbox import OutboxSettings, run_forever

    stop = asyncio.Event()
    client = httpx.AsyncClient(timeout=OutboxSettings().timeout_seconds, follow_redirects=False)
    task = asyncio.create_task(run_forever(db, client, plugins=plugins, stop=stop))

    async def shutdown() -> None:
        stop.set()
        await task
        await client.aclose()

    return shutdown
