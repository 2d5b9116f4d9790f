"""API keys through the real app: who gets in, who gets 401, and what the key table holds."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, utcnow
from imm_graph.security.crypto import ConfigurationError
from imm_graph.security.guards import require_scope
from imm_graph.security.keys import parse_key
from imm_graph.security.scopes import READ_CORE, SCOPES
from tests.conftest import GraphQLClient, MakeKey, bearer

ORGS = "{ organisations { totalCount } }"
WRITE_WIDGETS = "write:widgets"  # a plug-in's scope (tests/schema/test_permissions declares it)
SCOPES.declare(WRITE_WIDGETS, "a test plug-in's scope", owner="test_permissions")


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    return str(body["detail"])


async def test_a_valid_key_reads_and_its_secret_is_not_stored(
    anon_gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    token = await make_key([READ_CORE])
    response = await anon_gql.with_key(token).post(ORGS)
    assert response.status_code == 200 and response.json() == {
        "data": {"organisations": {"totalCount": 0}}
    }
    key_id, secret = parse_key(token) or ("", "")
    async with db.engine.connect() as conn:
        row = (await conn.execute(sa.text("SELECT * FROM api_keys"))).one()._mapping
    assert row["key_id"] == key_id
    assert secret not in " ".join(str(v) for v in row.values())  # only the keyed hash
    assert row["last_used_at"] is not None


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer imm_aaaaaaaaaaaa_" + "A" * 43, "unknown API key"),
        ("Bearer not-a-key", "not an imm_graph API key"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer ", "Bearer"),
    ],
)
async def test_unknown_or_malformed_keys_get_401(
    client: httpx.AsyncClient, header: str, detail: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": ORGS}, headers={"Authorization": header}
    )
    assert detail in _problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Bearer realm="imm_graph"')


async def test_a_right_key_id_with_a_wrong_secret_is_unknown(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    token = await make_key([READ_CORE])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = await client.post("/graphql", json={"query": ORGS}, headers=bearer(forged))
    assert _problem(response, 401) == "unknown API key"


async def test_expired_key_gets_401(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    token = await make_key([READ_CORE], expires_at=utcnow() - dt.timedelta(minutes=1))
    response = await client.post("/graphql", json={"query": ORGS}, headers=bearer(token))
    assert "expired" in _problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_revoked_key_gets_401(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    token = await make_key([READ_CORE], revoked=True)
    response = await client.post("/graphql", json={"query": ORGS}, headers=bearer(token))
    assert "revoked" in _problem(response, 401)


async def test_a_key_that_expires_later_still_works(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    token = await make_key([READ_CORE], expires_at=utcnow() + dt.timedelta(days=1))
    response = await client.post("/graphql", json={"query": ORGS}, headers=bearer(token))
    assert response.status_code == 200


async def test_no_header_is_anonymous_and_sees_public_data(anon_gql: GraphQLClient) -> None:
    data = await anon_gql(
        "{ hubs { nodes { name area schedule status } } programmes { totalCount }"
        " clinicalCohorts { totalCount } stakeholderKinds { nodes { code } } }"
    )
    assert data["clinicalCohorts"]["totalCount"] == 15
    assert len(data["stakeholderKinds"]["nodes"]) == 18


async def test_request_ids_are_returned_and_kept_when_well_formed(
    client: httpx.AsyncClient,
) -> None:
    mine = await client.get("/health", headers={"X-Request-ID": "partner-trace-0001"})
    assert mine.headers["x-request-id"] == "partner-trace-0001"
    odd = await client.get("/health", headers={"X-Request-ID": "bad id\n"})
    assert odd.headers["x-request-id"] != "bad id\n" and len(odd.headers["x-request-id"]) == 32


async def test_plain_http_routes_answer_403_for_a_missing_scope(
    settings: Settings, db: Database, make_key: MakeKey
) -> None:
    """Plug-ins' routes use `require_scope`: problem+json 403 naming the scope."""

    async def submit(request: Request) -> Response:
        if (denied := require_scope(request, WRITE_WIDGETS)) is not None:
            return denied
        return JSONResponse({"ok": True})

    app = create_app(settings, database=db)
    app.add_route("/plugins/test/referrals", submit, methods=["POST"])
    allowed, other = await make_key([WRITE_WIDGETS]), await make_key([READ_CORE])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        ok = await http.post("/plugins/test/referrals", headers=bearer(allowed))
        refused = await http.post("/plugins/test/referrals", headers=bearer(other))
        anonymous = await http.post("/plugins/test/referrals")
    assert ok.status_code == 200
    assert WRITE_WIDGETS in _problem(refused, 403)
    assert WRITE_WIDGETS in _problem(anonymous, 403)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_production_refuses_to_start_without_its_keys(database_url: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        create_app(Settings(database_url=database_url, environment="production"))
    assert "IMM_SECRET_KEY" in str(refused.value) and "IMM_ENCRYPTION_KEYS" in str(refused.value)
    with pytest.raises(ConfigurationError) as malformed:
        create_app(Settings(
            database_url=database_url, environment="production", secret_key="s" * 40,
            encryption_keys="not-a-fernet-key-but-secret",
        ))
    assert "not-a-fernet-key" not in str(malformed.value)  # names the setting, not the value
