"""Defects found trying the API as a new user would (issue 14), each pinned through GraphQL.

- A participant created and enrolled through the API counts in ``peopleEngaged`` (there was no
  enrolment mutation, so such participants counted 0 while their assessments counted).
- A reference to a missing record names the GraphQL field and the global ID the client sent,
  not ``participantId: no record with key 999999``.
- A duplicate says what clashes, not ``assessedOn is already taken``.
- A mutation a plug-in declares without a scope still needs ``write:core``: a caller without
  it is refused before the resolver runs.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import strawberry

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.pluginhost.contract import SchemaContribution
from imm_graph.schema.app import graphql_endpoint, graphql_routes
from imm_graph.schema.build import build_schema
from tests.conftest import GraphQLClient, MakeKey

CREATE_PARTICIPANT = """mutation($ref: String!) { createParticipant(input: {ref: $ref,
  generation: OLDER_PERSON}) { participant { id } errors { code field message } } }"""
ENROL = """mutation($input: EnrolParticipantInput!) { enrolParticipant(input: $input) {
  enrolment { id } errors { code field message } } }"""
RECORD = """mutation($input: RecordAssessmentInput!) { recordAssessment(input: $input) {
  assessment { id } errors { code field message } } }"""
IMPACT = "{ impact { peopleEngaged outcomes { measure pairs } } }"


async def _hub(gql: GraphQLClient) -> str:
    org = await gql("""mutation { createOrganisation(input: {name: "Host", kind: CHARITY})
        { organisation { id } } }""")
    host = org["createOrganisation"]["organisation"]["id"]
    hub = await gql("""mutation($host: ID!) { createHub(input: {code: "h1", name: "Hub One",
        venue: "Hall", area: "Ealing", hostOrganisation: $host}) { hub { id } errors { message } }
        }""", host=host)
    return str(hub["createHub"]["hub"]["id"])


async def test_a_participant_enrolled_through_the_api_is_engaged(gql: GraphQLClient) -> None:
    hub = await _hub(gql)
    people = []
    for ref in ("P-000001", "P-000002"):
        made = await gql(CREATE_PARTICIPANT, ref=ref)
        people.append(made["createParticipant"]["participant"]["id"])
    for day, items in (("2024-01-10", [2, 2, 2, 2, 2]), ("2024-03-10", [4, 4, 4, 4, 4])):
        timepoint = "PRE" if day < "2024-02" else "POST"
        done = await gql(RECORD, input={"participant": people[0], "measure": "WHO5",
                                        "timepoint": timepoint, "assessedOn": day,
                                        "items": items, "hub": hub})
        assert done["recordAssessment"]["errors"] == []
    before = (await gql(IMPACT))["impact"]
    assert before == {"peopleEngaged": 0, "outcomes": [{"measure": "WHO5", "pairs": 1}]}

    enrolled = await gql(ENROL, input={"participant": people[0], "hub": hub,
                                       "enrolledOn": "2024-01-01"})
    assert enrolled["enrolParticipant"]["errors"] == []
    assert enrolled["enrolParticipant"]["enrolment"]["id"]
    assert (await gql(IMPACT))["impact"]["peopleEngaged"] == 1
    await gql(ENROL, input={"participant": people[1], "hub": hub, "enrolledOn": "2024-01-01"})
    assert (await gql(IMPACT))["impact"]["peopleEngaged"] == 2


async def test_a_missing_record_is_named_by_its_field_and_global_id(gql: GraphQLClient) -> None:
    hub = await _hub(gql)
    missing = encode_id("Participant", 999999)
    result = await gql(ENROL, input={"participant": missing, "hub": hub,
                                     "enrolledOn": "2024-01-01"})
    [error] = result["enrolParticipant"]["errors"]
    assert error["code"] == "not_found"
    assert error["message"] == f"participant: no Participant has the ID {missing}"
    assert "999999" not in error["message"]
    assert "participantId" not in error["message"] and "no record" not in error["message"]


async def test_a_duplicate_assessment_says_what_clashes(gql: GraphQLClient) -> None:
    made = await gql(CREATE_PARTICIPANT, ref="P-000003")
    person = made["createParticipant"]["participant"]["id"]
    one = {"participant": person, "measure": "WHO5", "timepoint": "PRE",
           "assessedOn": "2024-01-10", "items": [3, 3, 3, 3, 3]}
    assert (await gql(RECORD, input=one))["recordAssessment"]["errors"] == []
    [error] = (await gql(RECORD, input=one))["recordAssessment"]["errors"]
    assert error["code"] == "duplicate"
    # The same words on both databases (PostgreSQL's key list is in asyncpg's detail, which
    # was once missed: "the database refused the change", code "integrity").
    assert error["message"] == (
        "another OutcomeAssessment has the same participant, measure, timepoint and assessedOn"
    )
    assert error["field"] == "assessedOn"
    # Another day is no clash.
    other = await gql(RECORD, input={**one, "assessedOn": "2024-01-11"})
    assert other["recordAssessment"]["errors"] == []


# --- a plug-in's mutation declared without a scope ----------------------------------------------

POKED: list[str] = []


@strawberry.type
class UnscopedMutation:
    @strawberry.mutation(description="A plug-in mutation that forgot to declare its scope.")
    def poke_widget(self) -> bool:
        POKED.append("poked")
        return True


@pytest.fixture
async def plugin_client(settings: Settings, db: Database) -> Any:
    app = create_app(settings, database=db)
    schema = build_schema(settings, [SchemaContribution(mutations=[UnscopedMutation])])
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != "/graphql"
    ] + graphql_routes(graphql_endpoint(settings, schema))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        yield GraphQLClient(http)


async def test_a_plug_in_mutation_without_a_scope_needs_write_core(
    plugin_client: GraphQLClient, make_key: MakeKey
) -> None:
    POKED.clear()
    for scopes in ([], ["read:core"], ["read:core", "read:impact", "read:personal"]):
        caller = plugin_client.with_key(await make_key(scopes) if scopes else None)
        body = await caller.raw("mutation { pokeWidget }")
        assert body.get("data") is None, body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["extensions"]["scope"] == "write:core"
        assert error["extensions"]["fields"] == ["Mutation.pokeWidget"]
    assert POKED == []  # refused before it ran
    writer = plugin_client.with_key(await make_key(["write:core"]))
    assert await writer("mutation { pokeWidget }") == {"pokeWidget": True}
    assert POKED == ["poked"]
