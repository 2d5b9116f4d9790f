"""Hostile ids, cursors and strings are the client's error on both databases, never a 500.

The probe sent huge integers (an integer overflow on PostgreSQL), digits of other scripts
(``Hub:١``), cursors decoding to nested JSON and strings PostgreSQL refuses; each raised an
internal error or was quietly accepted. In production settings, on the PostgreSQL compiled
path too, none may return the driver's message or the generated SQL.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.security.crypto import new_fernet_key
from tests import builders
from tests.conftest import GraphQLClient, MakeKey, bearer

PRODUCTION = {"secret_key": "s" * 40, "encryption_keys": new_fernet_key()}


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
async def production(
    database_url: str, db: Database, make_key: MakeKey
) -> AsyncIterator[GraphQLClient]:
    """The API in production settings (masked errors; the SQL compiler on PostgreSQL)."""
    async with db.transaction() as session:
        org = await builders.organisation(session)
        await builders.hub(session, org.id)
    settings = Settings(database_url=database_url, environment="production", **PRODUCTION)
    app = create_app(settings, database=db)  # the production keys hash the key made next
    token = await make_key(["read:core"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        yield GraphQLClient(http, bearer(token))


BAD_IDS = [
    b64("Hub:99999999999999999999"),  # past PostgreSQL's integer range
    b64("Hub:2147483648"),  # one past it
    "SHViOtmh",  # "Hub:١" (an Arabic-Indic digit one)
    b64("Hub:０１"),  # fullwidth digits
    b64("Hub:-1"),
    b64("Hub:1 "),
    b64("NotAType:1"),
    "%%%not-base64",
]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_bad_ids_are_bad_user_input(production: GraphQLClient, bad: str) -> None:
    for query in (
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { hubs(filter: {programme: $id}) { totalCount } }",
    ):
        body = await production.raw(query, id=bad)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (bad, body)
        assert "SELECT" not in str(body) and "Unexpected error" not in str(body)


BAD_CURSORS = [
    b64('[{"id": 1}]'),  # an object where a key goes
    b64('[[1]]'),
    b64("[1, 2]"),
    b64('["1"]'),  # a string where an integer key goes
    b64("[true]"),
    b64("[99999999999999]"),
    b64('{"a": ' * 50 + "1" + "}" * 50),
    "!!",
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
async def test_bad_cursors_are_bad_user_input(production: GraphQLClient, cursor: str) -> None:
    body = await production.raw(
        "query($c: String) { hubs(first: 2, after: $c) { nodes { name } } }", c=cursor
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", (cursor, body)
    assert error["extensions"]["fieldErrors"][0]["code"] == "invalid_cursor"


async def test_nul_and_surrogates_never_reach_the_database(production: GraphQLClient) -> None:
    literal = await production.raw('{ hubs(filter: {search: "\\u0000"}) { totalCount } }')
    assert literal["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # GraphQL's own lexer refuses an unpaired surrogate escape …
    surrogate = await production.raw('{ hubs(filter: {search: "\\ud800"}) { totalCount } }')
    assert surrogate["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    # … and the JSON parser one sent as a variable.
    response = await production.http.post(
        "/graphql", content=b'{"query": "query($s: String) { hubs(filter: {search: $s})'
        b' { totalCount } }", "variables": {"s": "\\ud800"}}',
        headers={**production.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400 and "surrogate" in response.json()["detail"]


async def test_a_database_failure_on_the_compiled_path_is_masked(
    production: GraphQLClient, db: Database
) -> None:
    """Whatever goes wrong inside, production answers "Unexpected error." and nothing more."""
    async with db.engine.begin() as conn:  # break the schema under the running app
        await conn.execute(sa.text("DROP TABLE hub_cohorts"))
    body = await production.raw("{ hubs { nodes { name cohorts { code } } } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hub_cohorts" not in str(body) and "SELECT" not in str(body)


async def test_an_id_of_the_wrong_type_is_named_in_the_message(production: GraphQLClient) -> None:
    body = await production.raw(
        "query($id: ID!) { hubs(filter: {hostOrganisation: $id}) { totalCount } }",
        id=encode_id("Hub", 1),
    )
    [detail] = body["errors"][0]["extensions"]["fieldErrors"]
    assert detail["message"] == (
        "filter.hostOrganisation must be the ID of an Organisation, not of a Hub"
    )
