"""Security headers on every response (errors included) and CORS only for configured origins."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from strawberry.http.ides import get_graphql_ide_html

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.security.crypto import new_fernet_key

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _get(
    settings: Settings, db: Database, *requests: tuple[str, str, dict[str, str]]
) -> list[httpx.Response]:
    app = create_app(settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        return [await http.request(method, path, headers=h) for method, path, h in requests]


async def test_every_response_carries_the_headers(settings: Settings, db: Database) -> None:
    health, unauthorized, graphql = await _get(
        settings, db,
        ("GET", "/health", {}),
        ("POST", "/graphql", {"Authorization": "Bearer nope"}),
        ("GET", "/graphql?query={__typename}", {}),
    )
    assert unauthorized.status_code == 401
    for response in (health, unauthorized, graphql):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # not outside production


async def test_graphiql_gets_a_csp_that_lets_it_run(settings: Settings, db: Database) -> None:
    [page] = await _get(settings, db, ("GET", "/graphql", {"accept": "text/html"}))
    csp = page.headers["content-security-policy"]
    assert page.status_code == 200 and "https://unpkg.com" in csp
    inline = re.findall(r"<script>(.*?)</script>", get_graphql_ide_html(), flags=re.S)
    for body in inline:  # allowed by hash, not by 'unsafe-inline'
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "script-src 'self' https://unpkg.com 'sha256-" in csp


async def test_production_adds_hsts(database_url: str, db: Database) -> None:
    settings = Settings(database_url=database_url, environment="production",
                        secret_key="s" * 32, encryption_keys=new_fernet_key())
    [health] = await _get(settings, db, ("GET", "/health", {}))
    assert health.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_cors_only_for_configured_origins(database_url: str, db: Database) -> None:
    preflight = {"Origin": "https://app.partner.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    [closed] = await _get(
        Settings(database_url=database_url, environment="test"), db,
        ("OPTIONS", "/graphql", preflight),
    )
    assert "access-control-allow-origin" not in closed.headers
    open_ = Settings(database_url=database_url, environment="test",
                     cors_origins=["https://app.partner.example"])
    allowed, simple, other = await _get(
        open_, db,
        ("OPTIONS", "/graphql", preflight),
        ("GET", "/health", {"Origin": "https://app.partner.example"}),
        ("GET", "/health", {"Origin": "https://evil.example"}),
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.partner.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert simple.headers["access-control-allow-origin"] == "https://app.partner.example"
    assert "retry-after" in simple.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
