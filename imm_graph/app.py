"""The Starlette application factory.

Everything expensive (engine, plug-in manager, GraphQL schema) is built once here at start-up,
never per request; requests only get fresh per-request state such as DataLoaders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from imm_graph import crypto
from imm_graph.auth import Authenticator
from imm_graph.config import Settings, get_settings
from imm_graph.db import Database
from imm_graph.health import health
from imm_graph.logging import configure_logging
from imm_graph.ratelimit import RateLimiter
from imm_graph.security_headers import security_middleware


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Starlette:
    settings = settings or get_settings()
    configure_logging(json=settings.json_logs, level=settings.log_level)
    crypto.configure(settings)  # production without its keys stops here, naming the settings
    db = database or Database(settings.database_url, echo=settings.sql_echo)

    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    from imm_graph.schema.app import graphql_routes
    from imm_graph.schema.build import build_schema

    routes.extend(graphql_routes(settings, build_schema(settings)))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if database is None:  # an injected database belongs to the caller
            await db.dispose()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=security_middleware(settings))
    app.state.settings = settings
    app.state.db = db
    app.state.authenticator = Authenticator(touch_seconds=settings.api_key_touch_seconds)
    app.state.rate_limiter = RateLimiter()
    return app
