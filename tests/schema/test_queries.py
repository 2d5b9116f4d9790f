"""Filters, ordering and node lookup, from a partner developer's point of view."""

from __future__ import annotations

import datetime as dt

import pytest

from imm_graph import services
from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import GraphQLClient


@pytest.fixture
async def places(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        lodge = await builders.organisation(session)
        surgery = await builders.organisation(
            session,
            name="Riverside Surgery",
            kind="gp_practice",
            ods_code="A81001",
            local_authority="Hounslow",
        )
        school = await builders.organisation(
            session,
            name="Northside Primary School",
            kind="primary_school",
            local_authority="Barnet",
        )
        enfield = await builders.hub(session, lodge.id)
        hounslow = await builders.hub(
            session,
            surgery.id,
            code="HSL-LVA",
            name="Harmony Generations: LVA Hub",
            area="Hounslow (TW4)",
            local_authority="Hounslow",
            cohort_codes=("families",),
            status="paused",
        )
        for day in (1, 8, 15, 22):
            await builders.session_at(session, enfield.id, dt.date(2024, 1, day), older_people=10)
        await builders.session_at(session, hounslow.id, dt.date(2024, 2, 5), families=6)
    return {
        "lodge": lodge.id,
        "surgery": surgery.id,
        "school": school.id,
        "enfield": enfield.id,
        "hounslow": hounslow.id,
    }


async def _names(gql: GraphQLClient, query: str, **variables: object) -> list[str]:
    data = await gql(query, **variables)
    [connection] = data.values()
    return [n["name"] for n in connection["nodes"]]


async def test_organisation_filters(gql: GraphQLClient, places: dict[str, int]) -> None:
    q = "query($f: OrganisationFilter) { organisations(filter: $f) { nodes { name } } }"
    assert await _names(gql, q, f={"kinds": ["GP_PRACTICE"]}) == ["Riverside Surgery"]
    assert await _names(gql, q, f={"odsCode": "a81001"}) == ["Riverside Surgery"]
    assert await _names(gql, q, f={"localAuthority": "barnet"}) == ["Northside Primary School"]
    assert await _names(gql, q, f={"search": "LODGE"}) == ["Catherine Lodge Care Home"]
    assert await _names(gql, q, f={"search": "%"}) == []  # wildcards are literal text


async def test_organisation_ordering(gql: GraphQLClient, places: dict[str, int]) -> None:
    q = """query($o: OrganisationOrder) { organisations(orderBy: $o) { nodes { name } } }"""
    names = await _names(gql, q, o={"field": "NAME", "direction": "DESC"})
    assert names == sorted(names, reverse=True) and len(names) == 3


async def test_hub_filters(gql: GraphQLClient, places: dict[str, int]) -> None:
    q = "query($f: HubFilter) { hubs(filter: $f) { nodes { name } } }"
    hounslow = ["Harmony Generations: LVA Hub"]
    assert await _names(gql, q, f={"area": "hounslow"}) == hounslow
    assert await _names(gql, q, f={"statuses": ["PAUSED"]}) == hounslow
    assert await _names(gql, q, f={"cohort": "families"}) == hounslow
    host = encode_id("Organisation", places["lodge"])
    assert await _names(gql, q, f={"hostOrganisation": host}) == ["Enfield Hub"]


async def test_session_date_range(gql: GraphQLClient, places: dict[str, int]) -> None:
    data = await gql(
        """query($f: SessionFilter) { sessions(filter: $f) { totalCount nodes { date } } }""",
        f={"dateFrom": "2024-01-08", "dateTo": "2024-01-22"},
    )
    assert data["sessions"]["totalCount"] == 3
    assert [n["date"] for n in data["sessions"]["nodes"]] == [
        "2024-01-22",
        "2024-01-15",
        "2024-01-08",
    ]


async def test_node_and_nodes(gql: GraphQLClient, places: dict[str, int]) -> None:
    hub_id = encode_id("Hub", places["enfield"])
    data = await gql(
        """query($id: ID!, $ids: [ID!]!) {
             node(id: $id) { id ... on Hub { name area } }
             nodes(ids: $ids) { __typename ... on Organisation { name } }
           }""",
        id=hub_id,
        ids=[encode_id("Organisation", places["surgery"]), encode_id("Hub", 9999)],
    )
    assert data["node"] == {"id": hub_id, "name": "Enfield Hub", "area": "London"}
    # A well-formed ID of a row that does not exist is null, as Relay expects.
    assert data["nodes"] == [{"__typename": "Organisation", "name": "Riverside Surgery"}, None]


async def test_a_malformed_id_is_an_input_error_naming_its_position(gql: GraphQLClient) -> None:
    body = await gql.raw(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }",
        ids=[encode_id("Hub", 1), "garbage"],
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "ids[1]"


async def test_reference_data_is_listed(gql: GraphQLClient) -> None:
    data = await gql(
        "{ clinicalCohorts(first: 50) { totalCount nodes { code name } } "
        "stakeholderKinds(first: 50) { totalCount } }"
    )
    assert data["clinicalCohorts"]["totalCount"] == 15
    assert data["stakeholderKinds"]["totalCount"] == 18
    cohort = await gql(
        "query($id: ID!) { node(id: $id) { ... on ClinicalCohort { name } } }",
        id=encode_id("ClinicalCohort", "dementia"),
    )
    assert cohort["node"]["name"] == "Dementia"


async def test_every_root_list_can_be_ordered(gql: GraphQLClient, db: Database) -> None:
    async with db.transaction() as session:
        for title, trainees in (("Care staff", 12), ("Teachers", 30), ("Volunteers", 8)):
            await services.create(
                session,
                "training",
                {"title": title, "delivered_on": dt.date(2024, 2, 1), "trainees": trainees},
            )
    query = """query($o: TrainingOrder, $after: String) {
      trainings(orderBy: $o, first: 2, after: $after) {
        nodes { title } pageInfo { endCursor hasNextPage } } }"""
    order = {"field": "TRAINEES", "direction": "DESC"}
    first = (await gql(query, o=order))["trainings"]
    assert [n["title"] for n in first["nodes"]] == ["Teachers", "Care staff"]
    rest = (await gql(query, o=order, after=first["pageInfo"]["endCursor"]))["trainings"]
    assert [n["title"] for n in rest["nodes"]] == ["Volunteers"]
    assert not rest["pageInfo"]["hasNextPage"]
    by_title = await gql(
        "{ trainings(orderBy: {field: TITLE, direction: ASC}) { nodes { title } } }"
    )
    assert [n["title"] for n in by_title["trainings"]["nodes"]] == [
        "Care staff",
        "Teachers",
        "Volunteers",
    ]
