"""`imm-graph keys …` and `imm-graph audit list`, run as staff run them: in their own process."""

from __future__ import annotations

import re

import httpx

from imm_graph.db import Database
from tests import builders
from tests.conftest import bearer
from tests.test_cli import imm_graph

TOKEN = re.compile(r"^imm_([a-z0-9]{12})_[A-Za-z0-9_-]{43}$", re.M)
QUERY = {"query": "{ organisations { totalCount } }"}


async def test_create_list_use_and_revoke_a_key(
    database_url: str, db: Database, client: httpx.AsyncClient
) -> None:
    async with db.transaction() as session:
        council = await builders.organisation(
            session, name="Hounslow Council", kind="local_authority"
        )
    created = imm_graph(
        "keys", "create", "--name", "Hounslow data team", "--organisation-id", str(council.id),
        "--scope", "read:core", "--scope", "read:impact", "--expires-in-days", "30",
        database_url=database_url,
    )
    assert created.returncode == 0, created.stderr
    match = TOKEN.search(created.stdout)
    assert match is not None, created.stdout
    token, key_id = match.group(0), match.group(1)
    assert "shown only once" in created.stderr

    listed = imm_graph("keys", "list", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert key_id in listed.stdout and "Hounslow data team" in listed.stdout
    assert "read:core read:impact" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout  # the secret is never shown again

    works = await client.post("/graphql", json=QUERY, headers=bearer(token))
    assert works.status_code == 200 and works.json()["data"]["organisations"]["totalCount"] == 1
    write = (
        'mutation { createProgramme(input: {code: "x", name: "X", arm: TRAINING}) { __typename } }'
    )
    forbidden = await client.post("/graphql", json={"query": write}, headers=bearer(token))
    assert forbidden.status_code == 403  # the key's scopes, as created on the command line
    assert forbidden.json()["errors"][0]["extensions"]["scope"] == "write:core"

    revoked = imm_graph("keys", "revoke", key_id, database_url=database_url)
    assert revoked.returncode == 0, revoked.stderr
    refused = await client.post("/graphql", json=QUERY, headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    assert key_id not in imm_graph("keys", "list", database_url=database_url).stdout
    everything = imm_graph("keys", "list", "--all", database_url=database_url).stdout
    assert key_id in everything and "revoked" in everything

    audit = imm_graph("audit", "list", database_url=database_url)
    assert audit.returncode == 0, audit.stderr
    assert "keys.create" in audit.stdout and "keys.revoke" in audit.stdout
    assert "cli" in audit.stdout and key_id in audit.stdout


async def test_bad_input_is_refused_clearly(database_url: str) -> None:
    unknown = imm_graph(
        "keys", "create", "--name", "x", "--scope", "read:everything", database_url=database_url
    )
    assert unknown.returncode == 2 and "unknown scope(s) read:everything" in unknown.stderr
    missing = imm_graph("keys", "revoke", "nosuchkey000", database_url=database_url)
    assert missing.returncode == 2 and "no API key" in missing.stderr


async def test_new_encryption_key_prints_a_fernet_key(database_url: str) -> None:
    result = imm_graph("keys", "new-encryption-key", database_url=database_url)
    assert result.returncode == 0 and re.fullmatch(r"[A-Za-z0-9_-]{43}=\n", result.stdout)
