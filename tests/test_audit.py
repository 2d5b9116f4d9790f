"""The audit log records who changed what and who read personal data: ids, never values."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.security.keys import parse_key
from imm_graph.security.scopes import ADMIN, READ_CORE, READ_PERSONAL, WRITE_CORE
from tests import builders, people
from tests.conftest import GraphQLClient, MakeKey

CREATE = """mutation($name: String!) {
  createOrganisation(input: {name: $name, kind: CARE_HOME}) {
    organisation { id } errors { code }
  }
}"""
AUDIT_LOG = """query($filter: AuditFilter) {
  auditLog(filter: $filter) {
    totalCount
    nodes { id at actor keyId action objectType objectIds fields requestId }
  }
}"""


async def _entries(db: Database, action: str | None = None) -> list[m.AuditEntry]:
    query = sa.select(m.AuditEntry).order_by(m.AuditEntry.id)
    if action is not None:
        query = query.where(m.AuditEntry.action == action)
    async with db.sessions() as session:
        return list(await session.scalars(query))


async def _key_pk(db: Database, token: str) -> int:
    key_id, _ = parse_key(token) or ("", "")
    async with db.sessions() as session:
        pk = await session.scalar(sa.select(m.ApiKey.id).where(m.ApiKey.key_id == key_id))
    assert pk is not None
    return pk


async def test_a_mutation_records_who_did_what_to_which_object(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    writer = await make_key([WRITE_CORE], name="Hounslow data team")
    response = await gql.with_key(writer).post(
        CREATE, name="Catherine Lodge", headers={"X-Request-ID": "trace-create-0001"}
    )
    created = response.json()["data"]["createOrganisation"]["organisation"]["id"]
    async with db.sessions() as session:
        org_id = await session.scalar(sa.select(m.Organisation.id))
    assert created == encode_id("Organisation", org_id)

    [entry] = await _entries(db)
    key_id, _ = parse_key(writer) or ("", "")
    assert entry.api_key_id == await _key_pk(db, writer)
    assert entry.actor == f"key:{key_id}"
    assert (entry.action, entry.object_type, entry.object_ids) == (
        "organisation.create", "Organisation", [str(org_id)]
    )
    assert entry.request_id == "trace-create-0001" and entry.at.tzinfo is not None

    # A refused write changes nothing and so records nothing.
    duplicate = await gql.with_key(writer).raw(
        'mutation { createOrganisation(input: {name: " ", kind: CARE_HOME}) { errors { code } } }'
    )
    assert duplicate["data"]["createOrganisation"]["errors"]
    assert len(await _entries(db)) == 1


async def test_personal_reads_record_ids_and_fields_not_values(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    async with db.transaction() as session:
        margaret = await people.referred(session, "P-000001", people.MARGARET)
        desmond = await people.referred(session, "P-000002", people.DESMOND)
    reader_token = await make_key([READ_CORE, READ_PERSONAL])
    reader = gql.with_key(reader_token)

    await reader("{ participants { nodes { ref ageBand } } }")
    assert await _entries(db, "read:personal") == []  # pseudonymous reads are not audited

    data = await reader("{ participants { nodes { ref givenName nhsNumber } } }")
    assert [n["givenName"] for n in data["participants"]["nodes"]] == ["Margarethe", "Desmondo"]
    [entry] = await _entries(db, "read:personal")  # one row for the whole page
    assert entry.action == "read:personal" and entry.object_type == "Participant"
    assert entry.object_ids == [str(margaret.id), str(desmond.id)]
    assert entry.fields == ["givenName", "nhsNumber"]
    assert entry.api_key_id == await _key_pk(db, reader_token)

    query = "query($id: ID!) { node(id: $id) { ... on Participant { email } } }"
    await reader(query, id=encode_id("Participant", desmond.id))
    latest = (await _entries(db, "read:personal"))[-1]
    assert (latest.object_ids, latest.fields) == ([str(desmond.id)], ["email"])

    async with db.engine.connect() as conn:
        everything = str((await conn.execute(sa.text("SELECT * FROM audit_entries"))).all())
    for value in [*people.searchable(people.MARGARET), *people.searchable(people.DESMOND)]:
        assert value not in everything


async def test_no_audit_row_no_personal_data(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    """If the audit log cannot be written, personal values are not returned."""
    async with db.transaction() as session:
        await people.referred(session, "P-000001", people.MARGARET)
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("DROP TABLE audit_entries"))
    reader = gql.with_key(await make_key([READ_CORE, READ_PERSONAL]))
    body = await reader.raw("{ participants { nodes { ref givenName } } }")
    assert body["errors"] and "Margarethe" not in str(body)


async def test_admins_query_the_audit_log(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    async with db.transaction() as session:
        person = await people.referred(session, "P-000001", people.MARGARET)
        other = await builders.participant(session, ref="P-000002")
    writer = await make_key([WRITE_CORE])
    await gql.with_key(writer)(CREATE, name="Catherine Lodge")
    reader = gql.with_key(await make_key([READ_CORE, READ_PERSONAL]))
    await reader("{ participants { nodes { familyName } } }")

    # The set-up's own writes are audited too (as system:unattributed): look at the API's.
    api_actions = {"actions": ["organisation.create", "read:personal"]}
    everything = (await gql(AUDIT_LOG, filter=api_actions))["auditLog"]
    assert everything["totalCount"] == 2
    latest, first = everything["nodes"]  # latest first
    assert latest["action"] == "read:personal" and latest["fields"] == ["familyName"]
    assert encode_id("Participant", person.id) in latest["objectIds"]
    assert first["action"] == "organisation.create"
    assert first["keyId"] == (parse_key(writer) or ("", ""))[0]

    about = await gql(AUDIT_LOG, filter={"object": encode_id("Participant", person.id)})
    assert [n["action"] for n in about["auditLog"]["nodes"]] == [
        "read:personal", "participant.create",
    ]
    # P-000002 has no personal data but its (null) fields were read, so it is listed too;
    # an id that merely contains another (1 in 12) must not match.
    assert (await gql(AUDIT_LOG, filter={"object": encode_id("Participant", 12)}))[
        "auditLog"]["totalCount"] == 0
    assert encode_id("Participant", other.id) in latest["objectIds"]
    by_key: dict[str, Any] = await gql(
        AUDIT_LOG, filter={"keyId": first["keyId"], "actions": ["organisation.create"]}
    )
    assert by_key["auditLog"]["totalCount"] == 1

    non_admin = await gql.with_key(await make_key([READ_CORE, READ_PERSONAL])).post(AUDIT_LOG)
    assert non_admin.status_code == 403
    assert non_admin.json()["errors"][0]["extensions"]["scope"] == ADMIN
