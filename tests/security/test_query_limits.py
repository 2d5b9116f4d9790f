"""Queries built to exhaust the server are refused in time linear in their size.

The first probe found that one anonymous request of 1.7 KB hung the server for good: a chain of
fragments where each spreads the next twice made the depth and alias limiters expand the tree
exponentially. These tests attack on purpose; their bound on time is a count of the steps the
limits take, never a clock.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
import strawberry
from graphql import parse

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, create_engine
from imm_graph.plugin_api import SchemaContribution, hookimpl
from imm_graph.pluginhost.manager import PluginManager, PluginSettings
from imm_graph.schema.build import build_schema
from imm_graph.schema.cost import estimate_cost
from imm_graph.schema.limits import MAX_REPEATS, measure
from imm_graph.schema.metadata import PUBLIC
from imm_graph.schema.walk import Walk
from tests.conftest import GraphQLClient


def doubling_chain(links: int) -> str:
    """The probe's query: fragment i spreads fragment i+1 twice, ``links`` times over."""
    chain = "".join(
        f"fragment F{i} on Hub {{ ...F{i + 1} ...F{i + 1} name }} " for i in range(links)
    )
    return "{ hubs { nodes { ...F0 } } } " + chain + f"fragment F{links} on Hub {{ name }}"


def nested_doubling_chain(links: int) -> str:
    """Each fragment selects a nested object and spreads the next one twice inside it."""
    chain = "".join(
        f"fragment F{i} on Hub {{ programme {{ hubs {{ nodes {{ ...F{n} ...F{n} }} }} }} }} "
        for i, n in ((i, i + 1) for i in range(links))
    )
    return "{ hubs { nodes { ...F0 } } } " + chain + f"fragment F{links} on Hub {{ name }}"


def steps(query: str) -> int:
    walk = Walk(parse(query))
    for definition in walk.named.values():
        walk.fields(definition.selection_set)
    measure(parse(query), None)
    return walk.steps


def test_limits_take_linear_steps_however_the_fragments_multiply() -> None:
    # Naive expansion visits 2**links selections: 2**40 ≈ 10**12 would never finish.
    small, large = steps(doubling_chain(10)), steps(doubling_chain(40))
    assert large <= 4 * small + 20
    assert large < 200


def test_depth_through_a_fragment_chain_is_counted_not_expanded() -> None:
    shape, _ = measure(parse(nested_doubling_chain(40)), None)
    # hubs, nodes, then programme/hubs/nodes per link: the real depth, found without expanding.
    assert shape.depth == 2 + 3 * 40


async def test_the_probe_query_is_answered_at_once(anon_gql: GraphQLClient) -> None:
    response = await anon_gql.post(doubling_chain(40))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    # Forty `name` fields share one response key: refused before graphql-core's validation,
    # whose pairwise field comparison is what a repeated key makes expensive.
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # Just below the limit, the same shape is a valid query and is answered.
    ok = await anon_gql.post(doubling_chain(MAX_REPEATS - 2))
    assert ok.status_code == 200, ok.json()
    # And the health check answers while such requests come in.
    assert (await anon_gql.http.get("/health")).status_code in (200, 503)


async def test_a_nested_chain_is_refused_for_its_depth(anon_gql: GraphQLClient) -> None:
    body = await anon_gql.raw(nested_doubling_chain(40))
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_repeated_top_level_fields_are_refused_before_validation(
    anon_gql: GraphQLClient,
) -> None:
    query = "{ " + " ".join(["hubs { nodes { name } }"] * (MAX_REPEATS + 1)) + " }"
    body = await anon_gql.raw(query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # At the limit it is fine: GraphQL merges fields with the same response key.
    query = "{ " + " ".join(["hubs { nodes { name } }"] * MAX_REPEATS) + " }"
    assert "errors" not in await anon_gql.raw(query)


def _cost(query: str, variables: dict[str, object] | None = None) -> int:
    schema = build_schema(Settings(environment="test"))._schema
    return estimate_cost(schema, parse(query), None, variables or {}, 20, 100)


async def test_variable_defaults_count_towards_the_cost(gql: GraphQLClient) -> None:
    """The probe: `first: $n` with `$n = 100` left out of the request ran at 100×100×100."""
    query = """query($n: Int = 100) { organisations(first: $n) { nodes {
        hubs(first: $n) { nodes { sessions(first: $n) { nodes { date } } } } } } }"""
    body = await gql.raw(query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert body["errors"][0]["extensions"]["cost"] == 100 + 100**2 + 100**3
    # The same with a small value sent explicitly is cheap and runs.
    assert "errors" not in await gql.raw(query, n=2)


async def test_anonymous_callers_cannot_multiply_through_cohort_lists(
    anon_gql: GraphQLClient,
) -> None:
    """programmes → hubs → cohorts → hubs: a cohort list holds up to 15 cohorts, not one."""
    query = """{ programmes(first: 100) { nodes { hubs(first: 100) { nodes {
        cohorts { hubs(first: 100) { nodes { name } } } } } } } }"""
    assert _cost(query) == 100 + 100 * 100 + 100 * 100 * 15 * (1 + 100)
    body = await anon_gql.raw(query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # A key may ask for more than an anonymous caller, but not for this.
    assert body["errors"][0]["extensions"]["maxCost"] == Settings().anonymous_max_query_cost


def test_an_unbounded_list_costs_the_maximum_page() -> None:
    query = "{ outboxDeliveries(first: 10) { nodes { attemptLog { attemptNo } } } }"
    assert _cost(query) == 10  # attempts are not nodes: they cost nothing by themselves


@strawberry.type
class NeverAnswers:
    """A plug-in field whose resolver waits for something that never happens."""

    @strawberry.field(metadata=PUBLIC)
    async def stuck(self) -> bool:
        await asyncio.Event().wait()
        return True


class StuckPlugin:
    @hookimpl
    def imm_graph_schema(self) -> SchemaContribution:
        return SchemaContribution(queries=[NeverAnswers])


async def test_a_request_past_its_budget_is_stopped(database_url: str, db: Database) -> None:
    settings = Settings(database_url=database_url, environment="test", request_budget_seconds=0.2)
    plugins = PluginManager.load(
        PluginSettings(enabled=["stuck"]),
        extra=[("stuck", StuckPlugin())],
    )
    app = create_app(settings, database=db, plugins=plugins)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        response = await http.post("/graphql", json={"query": "{ stuck }"})
        assert response.status_code == 503
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "TIMEOUT", "budgetSeconds": 0.2}
        # The server goes on answering.
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


@pytest.mark.postgres
async def test_postgres_cancels_a_statement_past_the_budget(
    database_url: str, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("a statement timeout is PostgreSQL's; SQLite runs in the process")
    engine = create_engine(database_url, statement_timeout=0.2)
    try:
        async with engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError, match="statement timeout"):
                await conn.execute(sa.text("SELECT pg_sleep(30)"))
    finally:
        await engine.dispose()
