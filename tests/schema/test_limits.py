"""Production safety: depth, token and alias limits (fragments included), masked errors."""

from __future__ import annotations

import logging

import httpx
import pytest

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.security.crypto import new_fernet_key
from tests.conftest import GraphQLClient

# Production refuses to start without its keys (see tests/test_crypto.py).
PRODUCTION_KEYS = {"secret_key": "test-secret-" + "x" * 32, "encryption_keys": new_fernet_key()}

# Depth hidden inside fragments: limiters have been known to undercount these.
DEEP_VIA_FRAGMENTS = """
query { hubs { nodes { ...H } } }
fragment H on Hub { hostOrganisation { hubs { nodes { ...H2 } } } }
fragment H2 on Hub { hostOrganisation { hubs { nodes { ...H3 } } } }
fragment H3 on Hub { hostOrganisation { hubs { nodes { name } } } }
"""


async def test_depth_limit_counts_fragments(gql: GraphQLClient) -> None:
    body = await gql.raw(DEEP_VIA_FRAGMENTS)
    assert body["errors"][0]["message"].startswith("'anonymous' exceeds maximum operation depth")
    assert "data" not in body or body["data"] is None


async def test_shallow_query_passes(gql: GraphQLClient) -> None:
    await gql("query { hubs { nodes { ...H } } } fragment H on Hub { name }")


async def test_token_limit(gql: GraphQLClient) -> None:
    fields = " ".join(["__typename"] * 2100)
    body = await gql.raw("{ " + fields + " }")
    assert "token" in body["errors"][0]["message"].lower()


async def test_alias_limit(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(40))
    body = await gql.raw("{ " + aliases + " }")
    assert "alias" in body["errors"][0]["message"].lower()


async def test_internal_errors_are_masked_in_production(database_url: str, db: Database) -> None:
    settings = Settings(database_url=database_url, environment="production", **PRODUCTION_KEYS)
    app = create_app(settings, database=db)
    await db.dispose()
    broken = Database("sqlite+aiosqlite:////nonexistent/dir/imm.db")
    app.state.db = broken  # an unreachable database: an internal failure, not the client's fault
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        body = (await http.post("/graphql", json={"query": "{ hubs { totalCount } }"})).json()
        client_error = (
            await http.post("/graphql", json={"query": "{ hubs(first: 5000) { totalCount } }"})
        ).json()
    await broken.dispose()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "nonexistent" not in str(body)
    # Errors the client can act on are not masked.
    assert client_error["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphiql_only_when_enabled(database_url: str, db: Database) -> None:
    for environment, expected in (("development", 200), ("production", 404)):
        settings = Settings(database_url=database_url, environment=environment, **PRODUCTION_KEYS)
        app = create_app(settings, database=db)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
        ) as http:
            response = await http.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == expected


async def test_client_errors_are_answered_not_logged(
    gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = await gql.raw("{ hubs(first: 5000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
