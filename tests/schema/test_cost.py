"""Query cost and the documented codes of every query limit, fragments included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.schema.build import build_schema
from imm_graph.schema.cost import estimate_cost
from tests.conftest import GraphQLClient, MakeKey, bearer


def cost(query: str, **variables: Any) -> int:
    schema = build_schema(Settings(environment="test"))._schema
    return estimate_cost(schema, parse(query), None, variables, default_page=20, max_page=100)


def test_cost_is_the_objects_a_query_can_return() -> None:
    deep = """{ organisations(first: 50) { totalCount pageInfo { hasNextPage }
        nodes { hubs(first: 20) { edges { node { hostOrganisation { name }
        sessions(first: 10) { nodes { date attendance { total } } } } } } } } }"""
    assert cost(deep) == 50 + 50 * 20 + 50 * 20 + 50 * 20 * 10
    assert cost("{ hubs { nodes { name } } }") == 20  # the default page size
    assert cost("query($n: Int) { hubs(last: $n) { nodes { name } } }", n=7) == 7
    assert cost("{ hubs(first: 5000) { nodes { name } } }") == 100  # capped: that is an error
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }') == 3
    assert cost("{ impact { sessionsDelivered } __typename }") == 0


def test_fragments_count_wherever_they_are_spread() -> None:
    inline = "{ organisations(first: 10) { nodes { hubs(first: 20) { nodes { name } } } } }"
    fragments = """{ organisations(first: 10) { ...Page } }
        fragment Page on OrganisationConnection { nodes { ...Org } }
        fragment Org on Organisation { ... on Organisation { hubs(first: 20) { ...Hubs } } }
        fragment Hubs on HubConnection { nodes { name } }"""
    assert cost(inline) == cost(fragments) == 10 + 200
    # The same fragment spread twice at one level is one selection, as in execution.
    twice = "{ hubs(first: 5) { ...A ...A } } fragment A on HubConnection { nodes { name } }"
    assert cost(twice) == 5


@pytest.fixture
async def strict(
    database_url: str, db: Database, make_key: MakeKey
) -> AsyncIterator[GraphQLClient]:
    settings = Settings(database_url=database_url, environment="test", max_query_cost=100,
                        max_query_depth=4)
    app = create_app(settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        yield GraphQLClient(http, bearer(await make_key(["admin"])))


async def test_a_costly_query_is_refused_with_its_code(strict: GraphQLClient) -> None:
    for query in (
        "{ organisations(first: 10) { nodes { hubs(first: 20) { nodes { name } } } } }",
        """query($n: Int) { organisations(first: $n) { ...O } }
           fragment O on OrganisationConnection { nodes { hubs(first: 20) { nodes { name } } } }""",
    ):
        response = await strict.post(query, n=10)
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 210, "maxCost": 100}
    ok = await strict("query($n: Int) { organisations(first: $n) { nodes { name } } }", n=100)
    assert ok == {"organisations": {"nodes": []}}


async def test_depth_aliases_and_tokens_have_codes(strict: GraphQLClient) -> None:
    deep = """{ hubs { nodes { ...H } } }
        fragment H on Hub { hostOrganisation { hubs { nodes { name } } } }"""
    cases = {
        deep: "QUERY_TOO_DEEP",
        "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }": "TOO_MANY_ALIASES",
        "{ " + " ".join(["__typename"] * 2100) + " }": "QUERY_TOO_LARGE",
    }
    for query, code in cases.items():
        body = await strict.raw(query)
        assert body["errors"][0]["extensions"]["code"] == code, body
        assert body.get("data") is None
