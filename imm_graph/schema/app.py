"""Mounting GraphQL into the Starlette app."""

from __future__ import annotations

import strawberry
from starlette.routing import BaseRoute, Route

from imm_graph.config import Settings
from imm_graph.schema.http import GraphQLEndpoint


def graphql_routes(settings: Settings, schema: strawberry.Schema) -> list[BaseRoute]:
    endpoint = GraphQLEndpoint(schema, graphiql=settings.graphiql_enabled)
    return [Route("/graphql", endpoint.handle, methods=["GET", "POST"])]
