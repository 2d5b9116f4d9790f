"""What an anonymous caller must not learn, not even indirectly.

The probe read non-public data without reading a non-public field: through cursors (which
encoded the sort key: a hub's code, a project's name), through ids and counts of nested
connections below public fields, and through filters and orderings used as oracles.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import GraphQLClient


@pytest.fixture
async def hubs(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        host = await builders.organisation(session, name="Secret Host Care Home")
        programme = await builders.programme(session)
        project = await builders.project(session, programme.id, name="Confidential Pilot",
                                         cohort_codes=("dementia",))
        first = await builders.hub(session, host.id, code="zz-hidden-code", name="Alpha Hub",
                                   venue="Private Venue", local_authority="Hounslow",
                                   programme_id=programme.id, cohort_codes=("dementia",))
        second = await builders.hub(session, host.id, code="aa-other-code", name="Beta Hub",
                                    venue="Another Venue", local_authority="Enfield",
                                    programme_id=programme.id)
        await builders.session_at(session, first.id, dt.date(2024, 5, 1), older_people=4)
    return {"first": first.id, "second": second.id, "project": project.id, "host": host.id}


def _decoded(cursor: str) -> object:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


async def test_cursors_carry_only_the_row_id(anon_gql: GraphQLClient, hubs: dict[str, int]) -> None:
    data = await anon_gql("{ hubs(first: 1) { edges { cursor node { name } } } }")
    [edge] = data["hubs"]["edges"]
    assert _decoded(edge["cursor"]) == [hubs["first"]]
    # Paging with it still works: the sort values are looked up from the id.
    following = await anon_gql(
        "query($c: String) { hubs(first: 5, after: $c) { nodes { name } } }", c=edge["cursor"]
    )
    assert following["hubs"]["nodes"] == [{"name": "Beta Hub"}]


async def test_ordering_by_a_private_field_is_refused(anon_gql: GraphQLClient, hubs: dict) -> None:
    body = await anon_gql.raw("{ hubs(orderBy: {field: CODE}) { nodes { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Hub.code (in hubs arguments)" in body["errors"][0]["extensions"]["fields"]
    assert "errors" not in await anon_gql.raw("{ hubs(orderBy: {field: NAME}) { nodes { name } } }")


@pytest.mark.parametrize(
    ("filter", "field"),
    [
        ('{localAuthority: "Hounslow"}', "Hub.localAuthority"),
        ('{search: "Private Venue"}', "Hub.venue"),
        ("{hostOrganisation: $host}", "Hub.hostOrganisation"),
    ],
)
async def test_filters_on_private_fields_are_refused(
    anon_gql: GraphQLClient, hubs: dict[str, int], filter: str, field: str
) -> None:
    if "$host" in filter:
        query = f"query($host: ID) {{ hubs(filter: {filter}) {{ totalCount }} }}"
        body = await anon_gql.raw(query, host=encode_id("Organisation", hubs["host"]))
    else:
        body = await anon_gql.raw(f"{{ hubs(filter: {filter}) {{ totalCount }} }}")
    assert body.get("data") is None
    assert field + " (in hubs arguments)" in body["errors"][0]["extensions"]["fields"]


async def test_filters_on_public_fields_still_work(
    anon_gql: GraphQLClient, hubs: dict[str, int]
) -> None:
    data = await anon_gql('{ hubs(filter: {area: "London", cohort: "dementia"}) { totalCount } }')
    assert data["hubs"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        # A cohort is public; the projects delivered for it are not, not even their number …
        ("{ clinicalCohorts { nodes { projects { totalCount } } } }",
         "ProjectConnection.totalCount"),
        # … nor their ids, nor cursors pointing at them.
        ("{ clinicalCohorts { nodes { projects { nodes { id } } } } }", "Project.id"),
        ("{ clinicalCohorts { nodes { projects { edges { cursor } } } } }",
         "ProjectConnection.edges"),
        ("{ clinicalCohorts { nodes { projects { pageInfo { hasNextPage } } } } }",
         "ProjectConnection.pageInfo"),
    ],
)
async def test_nested_connections_do_not_reveal_private_rows(
    anon_gql: GraphQLClient, hubs: dict[str, int], query: str, field: str
) -> None:
    response = await anon_gql.post(query)
    assert response.status_code == 403
    assert field in response.json()["errors"][0]["extensions"]["fields"]


async def test_a_key_with_read_core_sees_what_anonymous_callers_cannot(
    gql: GraphQLClient, hubs: dict[str, int]
) -> None:
    data = await gql(
        '{ hubs(filter: {localAuthority: "Hounslow"}, orderBy: {field: CODE}) { nodes { code } }'
        " clinicalCohorts { nodes { code projects { totalCount nodes { name } } } } }"
    )
    assert data["hubs"]["nodes"] == [{"code": "zz-hidden-code"}]
    dementia = next(c for c in data["clinicalCohorts"]["nodes"] if c["code"] == "dementia")
    assert dementia["projects"] == {"totalCount": 1, "nodes": [{"name": "Confidential Pilot"}]}
