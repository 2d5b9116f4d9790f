"""Schema-driven fuzzing: schemathesis generates queries and mutations from the schema and sends
them to a real server, in production settings, with a key of each scope and without one.

Each answer is checked against an oracle, not just for "no crash":
- never a 5xx, and never an error without a code (a masked internal error is a bug too);
- the refusals are exactly those the access policy predicts for that caller and document:
  ``FORBIDDEN`` when a scope is missing, never when it is not.

``IMM_FUZZ_EXAMPLES`` sets the examples per root field and caller (5 in CI, a few seconds a
field; `SECURITY.md` documents the long run).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.schema.build import schema_for_plugins
from imm_graph.schema.context import Context
from imm_graph.schema.permissions import AccessPolicy, policy_for
from imm_graph.security.crypto import Keyring, new_fernet_key, using
from imm_graph.security.keys import create_api_key
from imm_graph.security.principal import ANONYMOUS, Principal
from imm_graph.security.scopes import CORE_SCOPES
from tests import builders
from tests.servers import ServerProcess

EXAMPLES = int(os.environ.get("IMM_FUZZ_EXAMPLES", "5"))

# Plug-ins take free-form JSON (podcast chapters, referral payloads): any JSON literal will do.
schemathesis.graphql.scalar("JSON", st.one_of(
    st.text(max_size=20).map(nodes.String), st.integers(-10**6, 10**6).map(nodes.Int),
    st.booleans().map(nodes.Boolean),
))
SECRET, FERNET = "fuzz-secret-" + "x" * 32, new_fernet_key()
CALLERS: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "read:core": frozenset({"read:core"}),
    "write:core": frozenset({"write:core"}),
    "read:impact+personal": frozenset({"read:impact", "read:personal", "read:core"}),
    "admin": frozenset({"admin"}),
}


@dataclass
class Server:
    url: str
    tokens: dict[str, str]  # caller -> API key


async def _prepare(url: str) -> dict[str, str]:
    """Some data to find, and a key per caller, hashed with the server's production secret."""
    ring = Keyring([FERNET.encode()], SECRET.encode())
    db = Database(url)
    try:
        with using(ring):
            async with db.transaction() as session:
                org = await builders.organisation(session)
                hub = await builders.hub(session, org.id)
                person = await builders.participant(session)
                await builders.assessment(session, person.id, [3, 3, 3, 3, 3], hub_id=hub.id)
                tokens = {}
                for name, scopes in CALLERS.items():
                    if scopes:
                        new = await create_api_key(session, name=name, scopes=scopes)
                        tokens[name] = new.token
    finally:
        await db.dispose()
    return tokens


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    tokens = asyncio.run(_prepare(database_url))
    with ServerProcess(
        database_url, tmp_path, IMM_ENVIRONMENT="production", IMM_SECRET_KEY=SECRET,
        IMM_ENCRYPTION_KEYS=FERNET, IMM_LOG_LEVEL="ERROR",
    ) as process:
        yield Server(process.url, tokens)


def _expected_refusal(policy: AccessPolicy, query: str, variables: Any, scopes: frozenset[str]
                      ) -> bool:
    """Does the access policy refuse this document to this caller? (The oracle.)"""
    strawberry_schema = _schema()
    principal = Principal(key_id="k", scopes=scopes) if scopes else ANONYMOUS
    context = Context(db=None, settings=Settings(environment="test"))  # type: ignore[arg-type]
    ec = ExecutionContext(query=query, schema=strawberry_schema, allowed_operations=(),
                          context=context, variables=variables or {})
    ec.graphql_document = parse(query)
    return bool(policy.missing(ec, principal)) and "admin" not in scopes


_SCHEMA: list[Any] = []


def _schema() -> Any:
    if not _SCHEMA:  # the server's schema: the core and the installed plug-ins
        _SCHEMA.append(schema_for_plugins(Settings(environment="test"), PluginManager.load()))
    return _SCHEMA[0]


def test_fuzzing_finds_no_crash_no_unmasked_error_and_no_scope_escape(server: Server) -> None:
    api = schemathesis.graphql.from_url(server.url + "/graphql")
    policy = policy_for(_schema(), Settings(environment="test"))  # plug-in types' scopes too
    seen: dict[str, int] = {"requests": 0, "refused": 0}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for result in api.get_all_operations():
            operation = result.ok()

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def probe(case: Any) -> None:
                body = case.body if isinstance(case.body, dict) else {"query": case.body}
                for caller, scopes in CALLERS.items():
                    token = server.tokens.get(caller)
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = http.post("/graphql", json=body, headers=headers)
                    seen["requests"] += 1
                    _check(response, policy, body, caller, scopes, seen)

            probe()
    assert seen["requests"] >= EXAMPLES * len(CALLERS) * 20  # every root field was exercised
    assert seen["refused"] > 0  # the callers without scopes were refused somewhere
    assert seen.get("OK", 0) > 0  # and some generated requests were answered with data


def _check(response: httpx.Response, policy: AccessPolicy, body: dict[str, Any], caller: str,
           scopes: frozenset[str], seen: dict[str, int]) -> None:
    where = f"{caller}: {body['query'][:300]}"
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.text}"
    payload = response.json()
    errors = payload.get("errors", []) if isinstance(payload, dict) else []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", f"an internal error for {where}: {error}"
        assert error["message"] != "Unexpected error.", where
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    for code in codes or {"OK"}:
        seen[code] = seen.get(code, 0) + 1
    if response.status_code >= 400 and "errors" not in payload:
        return  # a problem document for the HTTP request itself (e.g. a too-large body)
    if codes - {"FORBIDDEN"}:
        return  # refused for another reason first (validation, input, cost …)
    refused = _expected_refusal(policy, body["query"], body.get("variables"), scopes)
    assert ("FORBIDDEN" in codes) == refused, f"access decision differs from the policy: {where}"
    seen["refused"] += refused


def test_every_core_scope_is_one_of_the_fuzzed_callers() -> None:
    covered = set().union(*CALLERS.values())
    assert set(CORE_SCOPES) <= covered
