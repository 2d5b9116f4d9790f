"""The Starlette application factory.

Everything expensive (engine, plug-in manager, GraphQL schema) is built once here at start-up,
never per request; requests only get fresh per-request state such as DataLoaders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route

from imm_graph.config import Settings, get_settings
from imm_graph.db import Database
from imm_graph.gc_tuning import tune_for_serving
from imm_graph.health import health
from imm_graph.logging import configure_logging
from imm_graph.pluginhost import routes as plugin_routes
from imm_graph.pluginhost.events import EventDispatcher
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings
from imm_graph.pluginhost.worker import run_forever
from imm_graph.schema.app import graphql_endpoint, graphql_routes
from imm_graph.schema.build import schema_for_plugins
from imm_graph.security import crypto
from imm_graph.security.gateway import Gateway
from imm_graph.security.keys import ApiKeyBackend
from imm_graph.security.ratelimit import RateLimiter


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
        settings.database_url, echo=settings.sql_echo, event_sink=EventDispatcher(plugins),
        plugins=plugins, statement_timeout=settings.request_budget_seconds,
    )
    if db.event_sink is None:  # a database made elsewhere: writes still tell the plug-ins
        db.attach(event_sink=EventDispatcher(plugins), plugins=plugins)

    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    graphql = graphql_endpoint(settings, schema_for_plugins(settings, plugins))
    routes.extend(graphql_routes(graphql))
    mounts, policies = plugin_routes.mount(plugins)
    routes.extend(mounts)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await plugins.lifespan(app, stack)  # plug-ins' start-up; their shutdown on exit
            if settings.gc_tuning:
                tune_for_serving()
            worker = (
                _start_worker(db, plugins, settings.is_production)
                if settings.in_process_worker else None
            )
            yield
            if worker is not None:
                await worker()
        if database is None:  # an injected database belongs to the caller
            await db.dispose()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=_middleware(settings))
    app.state.settings = settings
    app.state.graphql = graphql  # its schema's validation cache and its plan cache
    app.state.db = db
    app.state.plugins = plugins
    app.state.route_policies = policies
    app.state.actor_hooks = plugins.actor_hooks()
    app.state.auth_backend = ApiKeyBackend(
        db, touch_seconds=settings.api_key_touch_seconds,
        cache_seconds=settings.api_key_cache_seconds,
    )
    app.state.rate_limiter = RateLimiter()
    return app


def _middleware(settings: Settings) -> list[Middleware]:
    """The gateway; CORS in front of it when origins are configured, so refusals carry it too."""
    stack: list[Middleware] = []
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=[
                    "Retry-After", "X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining",
                ],
                max_age=600,
            )
        )
    stack.append(Middleware(Gateway, settings=settings))
    return stack


def _start_worker(
    db: Database, plugins: PluginManager, production: bool
) -> Callable[[], Awaitable[None]]:
    """The outbox worker inside the app process, for single-process deployments.

    Several processes may each run one on PostgreSQL (deliveries are claimed with SKIP LOCKED);
    on SQLite run one process only. Returns the function that stops it.
    """
    stop = asyncio.Event()
    client = httpx.AsyncClient(timeout=OutboxSettings().timeout_seconds, follow_redirects=False)
    task = asyncio.create_task(
        run_forever(db, client, plugins, stop=stop, production=production)
    )

    async def shutdown() -> None:
        stop.set()
        await task
        await client.aclose()

    return shutdown
