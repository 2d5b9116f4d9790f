"""Malformed and hostile HTTP requests get a clear client error, never a bare 500.

Every answer here still carries the security headers and a request id, and the connection
stays usable: the probe found plain-text 500s that dropped keep-alive connections.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from tests.conftest import GraphQLClient, bearer


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) >= 8
    body = response.json()
    assert body["status"] == status
    return body


async def test_an_unknown_operation_name_is_a_graphql_error(anon_gql: GraphQLClient) -> None:
    response = await anon_gql.http.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "B"}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "'B'" in error["message"]


async def test_a_mutation_over_get_is_405(anon_gql: GraphQLClient) -> None:
    response = await anon_gql.http.get(
        "/graphql", params={"query": "mutation { __typename }"}
    )
    body = assert_problem(response, 405)
    assert response.headers["allow"] == "POST"
    assert body["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "depth limit exceeded"),
        (b'{"query": "{ __typename }", "x": "\\ud800"}', "surrogate"),
        (b"not json", "not valid JSON"),
        (b'["a list"]', "must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 7}', "operationName"),
    ],
)
async def test_unusable_bodies_are_400_problems(
    anon_gql: GraphQLClient, body: bytes, reason: str
) -> None:
    response = await anon_gql.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 400)
    assert reason in str(problem["detail"])


async def test_the_media_type_must_be_json_exactly(anon_gql: GraphQLClient) -> None:
    for content_type in ("text/plain; x=application/json", "application/jsonx", "text/plain"):
        response = await anon_gql.http.post(
            "/graphql", content=b'{"query": "{ __typename }"}',
            headers={"content-type": content_type},
        )
        assert_problem(response, 400)
    ok = await anon_gql.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}',
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert ok.status_code == 200


async def test_parse_and_validation_errors_carry_codes(anon_gql: GraphQLClient) -> None:
    parse = await anon_gql.raw("{ hubs { ")
    assert parse["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    invalid = await anon_gql.raw("{ hubs { nodes { noSuchField } } }")
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    variable = await anon_gql.raw("query($n: Int) { hubs(first: $n) { totalCount } }", n="x")
    assert variable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nul_characters_are_refused_on_every_backend(gql: GraphQLClient) -> None:
    """PostgreSQL refuses NUL in text and SQLite stores it: both refuse it up front."""
    literal = await gql.raw('{ organisations(filter: {search: "a\\u0000b"}) { totalCount } }')
    assert literal["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    variable = await gql.post(
        "query($s: String) { organisations(filter: {search: $s}) { totalCount } }", s="a\x00b"
    )
    assert variable.status_code == 400
    assert variable.json()["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "variables.s",
    }


async def test_a_body_over_the_limit_is_413_before_it_is_read(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 4096}), database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        declared = await http.post(
            "/graphql", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
        assert assert_problem(declared, 413)["code"] == "BODY_TOO_LARGE"

        async def chunks():  # no Content-Length: the limit applies while reading
            for _ in range(10):
                yield b" " * 1000

        streamed = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(streamed, 413)
        small = await http.post("/graphql", json={"query": "{ __typename }"})
        assert small.status_code == 200


async def test_an_unhandled_error_is_a_500_problem_with_headers(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("secret detail that must not reach the client")

    app = create_app(settings, database=db)
    app.add_route("/broken", broken)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://imm.test",
    ) as http:
        response = await http.get("/broken")
    body = assert_problem(response, 500)
    assert "secret detail" not in response.text
    assert response.headers["x-request-id"] in str(body["detail"])


async def test_failed_authentication_is_rate_limited_per_address(
    client: httpx.AsyncClient,
) -> None:
    wrong = bearer("imm_aaaaaaaaaaaa_" + "b" * 43)
    statuses = [
        (await client.post("/graphql", json={"query": "{ __typename }"}, headers=wrong)).status_code
        for _ in range(Settings().auth_failures_per_minute + 1)
    ]
    assert statuses[:-1] == [401] * Settings().auth_failures_per_minute
    assert statuses[-1] == 429
    # Anonymous requests from the same address are not blocked by someone's bad key.
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


async def test_the_access_log_never_holds_the_query_string(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.get("/graphql", params={"query": "{ __typename }", "token": "imm_leaked_secret"})
    # The server's access-log line (the test client's own log shows the URL it sent).
    [line] = [
        line for line in (capsys.readouterr().err + caplog.text).splitlines()
        if "http.request" in line
    ]
    assert "/graphql" in line and "status=200" in line
    assert "imm_leaked_secret" not in line and "__typename" not in line
