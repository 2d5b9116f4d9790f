"""Mounting GraphQL into the Starlette app."""

from __future__ import annotations

import strawberry
from starlette.routing import BaseRoute, Route

from imm_graph.config import Settings
from imm_graph.schema.http import GraphQLEndpoint


def graphql_endpoint(settings: Settings, schema: strawberry.Schema) -> GraphQLEndpoint:
    return GraphQLEndpoint(
        schema, graphiql=settings.graphiql_enabled, budget_seconds=settings.request_budget_seconds
    )


def graphql_routes(endpoint: GraphQLEndpoint) -> list[BaseRoute]:
    return [Route("/graphql", endpoint.handle, methods=["GET", "POST"])]
