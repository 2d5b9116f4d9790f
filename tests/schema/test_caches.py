"""What a repeated request skips: parsing, validation, access and cost checks, compiling SQL.

Proved with the caches' own counters and the statements the database saw, never with timings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from strawberry.extensions.parser_cache import _get_parse_cache

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from tests import builders
from tests.conftest import MakeKey, bearer
from tests.schema.test_statement_count import counting

PAGE = "{ hubs(first: 5) { nodes { name area status } } }"  # public fields: anyone


@pytest.fixture
async def app(settings: Settings, db: Database) -> Starlette:
    async with db.transaction() as s:
        host = await builders.organisation(s)
        for i in range(3):
            await builders.hub(s, host.id, code=f"hub-{i}", name=f"Hub {i}")
    return create_app(settings, database=db)


@contextmanager
def checkouts(db: Database) -> Iterator[list[int]]:
    """Counts connections taken from the pool."""
    taken: list[int] = []

    def record(*_: Any) -> None:
        taken.append(1)

    sa.event.listen(db.engine.sync_engine.pool, "checkout", record)
    try:
        yield taken
    finally:
        sa.event.remove(db.engine.sync_engine.pool, "checkout", record)


async def _post(http: httpx.AsyncClient, query: str, token: str | None = None,
                **variables: Any) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers=headers)
    return response.json()


async def test_a_repeated_document_is_parsed_and_validated_once(
    app: Starlette, http: httpx.AsyncClient, make_key: MakeKey
) -> None:
    """Mutations are answered by resolvers each time; their checks are still cached."""
    token = await make_key(["admin"])
    checked = app.state.graphql.schema.checked
    parse = _get_parse_cache(512)
    # Unique text: the parse cache is shared by every schema in the process.
    mutation = f"""mutation($name: String!) {{ createOrganisation(input: {{name: $name,
      kind: CARE_HOME}}) {{ organisation {{ name }} errors {{ field }} }} }} # {uuid.uuid4()}"""
    before_validations = checked.validations
    before_hits, before_misses = parse.cache_info().hits, parse.cache_info().misses
    for i in range(3):
        body = await _post(http, mutation, token, name=f"Home {i}")
        assert body["data"]["createOrganisation"]["errors"] == []
    assert checked.validations - before_validations == 1
    assert parse.cache_info().misses - before_misses == 1  # parsed once: then from the cache
    assert parse.cache_info().hits - before_hits >= 2


async def test_a_refused_document_is_refused_from_the_cache(
    app: Starlette, http: httpx.AsyncClient
) -> None:
    checked = app.state.graphql.schema.checked
    plans = app.state.graphql.plans
    first = await _post(http, "{ hubs { nodes { nosuchfield } } }")
    validations, hits = checked.validations, plans.hits
    again = await _post(http, "{ hubs { nodes { nosuchfield } } }")
    assert again == first and first["errors"][0]["extensions"]["code"]
    assert checked.validations == validations and plans.hits == hits + 1


async def test_a_repeated_read_skips_straight_to_its_sql(
    app: Starlette, http: httpx.AsyncClient, db: Database, database_url: str
) -> None:
    plans = app.state.graphql.plans
    checked = app.state.graphql.schema.checked
    first = await _post(http, PAGE)
    hits, validations = plans.hits, checked.validations
    with counting(db) as statements:
        again = await _post(http, PAGE)
    assert again == first and len(first["data"]["hubs"]["nodes"]) == 3, first
    assert checked.validations == validations
    if database_url.startswith("postgresql"):  # compiled: the plan holds the SQL
        assert plans.hits == hits + 1
        assert len(statements) == 1 and "json_build_object" in statements[0]


async def test_data_is_read_fresh_though_the_plan_is_cached(
    app: Starlette, http: httpx.AsyncClient, db: Database
) -> None:
    await _post(http, PAGE)
    async with db.transaction() as s:
        host = await builders.organisation(s, name="Another Host")
        await builders.hub(s, host.id, code="hub-new", name="Hub 0 new")
    again = await _post(http, PAGE)
    assert "Hub 0 new" in [n["name"] for n in again["data"]["hubs"]["nodes"]]


async def test_a_schema_check_touches_no_database(
    http: httpx.AsyncClient, db: Database
) -> None:
    for _ in range(2):  # the first answer, then the cached one
        with counting(db) as statements, checkouts(db) as taken:
            body = await _post(http, "{ __typename }")
        assert body == {"data": {"__typename": "Query"}}
        assert statements == [] and taken == []


async def test_a_plan_never_serves_a_caller_with_fewer_scopes(
    http: httpx.AsyncClient, make_key: MakeKey
) -> None:
    private = "{ hubs(first: 2) { nodes { hostOrganisation { name } } } }"
    admin = await make_key(["admin"])
    assert "errors" not in await _post(http, private, admin)
    refused = await _post(http, private)  # anonymous: same document, no plan for it
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    core = await make_key(["read:core"])
    assert "errors" not in await _post(http, private, core)
