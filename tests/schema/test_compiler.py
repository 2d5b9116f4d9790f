"""The SQL compiler answers exactly as the resolvers do, in one statement (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph import services
from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import MakeKey, bearer
from tests.schema.test_statement_count import counting

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

QUERIES = {
    "deep lists": """{
      organisations(first: 6) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id __typename name kind odsCode localAuthority createdAt updatedAt
          hubs(first: 2) { totalCount nodes { id name status startedOn catchment
            hostOrganisation { name } programme { code arm }
            cohorts { code name description }
            partners { totalCount nodes { name } }
            sessions(first: 3) { pageInfo { hasNextPage endCursor }
              edges { cursor node { date venue attendance { olderPeople childrenYoungPeople total }
                cohorts { code } hub { code } project { code } } } } } } } }
      }
    }""",
    "aliases and fragments": """
      query Named { a: hubs(first: 2, orderBy: {field: CODE, direction: DESC}) { ...Page }
                    b: hubs(last: 2) { ...Page } __typename }
      fragment Page on HubConnection {
        nodes { ...HubFields } pageInfo { hasPreviousPage hasNextPage }
      }
      fragment HubFields on Hub { code area name2: name }
    """,
    "filters": """{
      hubs(filter: {cohort: "dementia", statuses: [ACTIVE]}) { totalCount nodes { code } }
      organisations(filter: {kinds: [PRIMARY_SCHOOL, CARE_HOME], search: "o"}) { nodes { name } }
      sessions(filter: {dateFrom: "2024-01-03", dateTo: "2024-01-05"}) { totalCount nodes { date } }
      projects { nodes { code weeks startDate endDate cohorts { code } programme { name }
                 sessions(first: 2) { nodes { cohorts { code } } } } }
    }""",
    "reference data": """{
      clinicalCohorts(first: 3) { nodes { id code hubs { totalCount } projects { totalCount } } }
      stakeholderKinds(last: 2) { nodes { code name } }
    }""",
    "empty and backwards": """{
      hubs(filter: {area: "Nowhere"}) { totalCount nodes { code }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
      sessions(last: 3) {
        edges { cursor node { date } } pageInfo { startCursor endCursor hasPreviousPage }
      }
    }""",
}


@pytest.fixture
async def data(db: Database) -> None:
    async with db.transaction() as s:
        prog = await builders.programme(s)
        school = await builders.organisation(
            s, name="Northside Primary School", kind="primary_school"
        )
        for o in range(5):
            org = await builders.organisation(s, name=f"Care Home {o}", local_authority="Enfield")
            for h in range(3):
                hub = await builders.hub(
                    s,
                    org.id,
                    code=f"h{o}{h}",
                    name=f"Hub {o}{h}",
                    partner_ids=(school.id,),
                    programme_id=prog.id if h else None,
                    cohort_codes=("dementia", "cyp") if h % 2 else ("older_people",),
                )
                # Two districts a hub: a list of the wrong column (or of nulls) shows.
                await s.execute(
                    sa.insert(m.hub_catchments),
                    [{"hub_id": hub.id, "postcode_district": f"N{o}{h}"},
                     {"hub_id": hub.id, "postcode_district": f"TW{h}"}],
                )
                for d in range(4):
                    await builders.session_at(
                        s, hub.id, dt.date(2024, 1, 1 + d + h), older_people=d
                    )
        project = await builders.project(s, prog.id, cohort_codes=("send",))
        await services.create(
            s, "session", {"project_id": project.id, "session_date": dt.date(2024, 1, 4)}
        )
        # Timestamps print without microseconds when they have none: both paths must agree.
        await s.execute(
            sa.update(m.Organisation)
            .where(m.Organisation.id == school.id)
            .values(created_at=dt.datetime(2024, 1, 1, 9, 30, tzinfo=dt.UTC))
        )


@pytest.fixture
async def admin(make_key: MakeKey) -> dict[str, str]:
    return bearer(await make_key(["admin"]))


async def _run(
    db: Database, url: str, compiler: bool, query: str, headers: dict[str, str]
) -> tuple[Any, list[str]]:
    """Answer ``query`` with the compiler on or off; the SQL statements it ran, key lookup aside."""
    settings = Settings(database_url=url, environment="test", sql_compiler=compiler)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
        await http.post("/graphql", json={"query": "{ __typename }"})
        with counting(db) as statements:
            body = (await http.post("/graphql", json={"query": query})).json()
    return body, [s for s in statements if "api_keys" not in s]


@pytest.mark.parametrize("name", QUERIES)
async def test_compiled_answer_equals_resolvers(
    db: Database, database_url: str, data: None, name: str, admin: dict[str, str]
) -> None:
    compiled, compiled_statements = await _run(db, database_url, True, QUERIES[name], admin)
    resolved, _ = await _run(db, database_url, False, QUERIES[name], admin)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    # The whole answer came from one SQL statement that built the JSON.
    assert len(compiled_statements) == 1 and "json_build_object" in compiled_statements[0]


async def test_cursors_from_either_path_page_the_same(
    db: Database, database_url: str, data: None, admin: dict[str, str]
) -> None:
    first, _ = await _run(
        db, database_url, True, "{ hubs(first: 4) { pageInfo { endCursor } } }", admin
    )
    cursor = first["data"]["hubs"]["pageInfo"]["endCursor"]
    query = f'{{ hubs(first: 4, after: "{cursor}") {{ nodes {{ code }} }} }}'
    compiled, _ = await _run(db, database_url, True, query, admin)
    resolved, _ = await _run(db, database_url, False, query, admin)
    assert compiled == resolved and len(compiled["data"]["hubs"]["nodes"]) == 4


async def test_node_lookups_compile_and_answer_as_the_resolvers(
    db: Database, database_url: str, data: None, admin: dict[str, str]
) -> None:
    listed, _ = await _run(
        db, database_url, True,
        "{ hubs(first: 2) { nodes { id } } organisations(first: 1) { nodes { id } }"
        " sessions(first: 1) { nodes { id } } }",
        admin,
    )
    hub, other_hub = (n["id"] for n in listed["data"]["hubs"]["nodes"])
    organisation = listed["data"]["organisations"]["nodes"][0]["id"]
    session = listed["data"]["sessions"]["nodes"][0]["id"]
    missing = encode_id("Hub", 999_999)  # well formed, no such row
    query = f"""{{
      one: node(id: "{hub}") {{ id __typename ... on Hub {{ code hostOrganisation {{ name }} }}
                               ... on Organisation {{ kind }} }}
      many: nodes(ids: ["{organisation}", "{session}", "{other_hub}", "{missing}"]) {{
        __typename id ...Named ... on Session {{ date hub {{ code }} }} }}
    }}
    fragment Named on Organisation {{ name }}"""
    compiled, statements = await _run(db, database_url, True, query, admin)
    resolved, _ = await _run(db, database_url, False, query, admin)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert resolved["data"]["one"]["code"] and "kind" not in resolved["data"]["one"]
    assert [n and n["__typename"] for n in resolved["data"]["many"]] == [
        "Organisation", "Session", "Hub", None
    ]
    assert len(statements) == 1 and "json_build_object" in statements[0]


@pytest.mark.parametrize(
    "query",
    [
        "{ assessments { nodes { flags } } }",  # computed in Python
        '{ node(id: "not-an-id") { id } }',  # an input error: the resolver reports it
        # A personal field: its read is audited by its resolver
        '{ node(id: "UGFydGljaXBhbnQ6MQ") { id ... on Participant { givenName } } }',
        "{ hubs(first: 1000) { totalCount } }",  # an input error: the resolvers report it
        "{ hubs { nodes { code @skip(if: true) name } } }",  # directives
    ],
)
async def test_what_it_cannot_compile_goes_to_the_resolvers(
    db: Database, database_url: str, data: None, query: str, admin: dict[str, str]
) -> None:
    compiled, statements = await _run(db, database_url, True, query, admin)
    resolved, _ = await _run(db, database_url, False, query, admin)
    assert compiled == resolved
    assert not any("json_build_object" in statement for statement in statements)


async def test_permissions_hold_on_the_compiled_path(
    db: Database, database_url: str, data: None, make_key: MakeKey
) -> None:
    public = "{ hubs(first: 3) { nodes { name area status cohorts { code } } } }"
    anonymous, statements = await _run(db, database_url, True, public, {})
    assert anonymous == (await _run(db, database_url, False, public, {}))[0]
    assert "errors" not in anonymous and len(statements) == 1  # public, and compiled

    private = "{ hubs { nodes { name hostOrganisation { name } } } }"
    refused, statements = await _run(db, database_url, True, private, {})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert statements == []  # refused before any SQL ran

    personal = "{ participants { nodes { ref givenName } } }"
    core_only = bearer(await make_key(["read:core"]))
    refused, statements = await _run(db, database_url, True, personal, core_only)
    assert refused["errors"][0]["extensions"]["scope"] == "read:personal"
    assert statements == []


async def test_timestamps_print_as_the_resolvers_print_them(
    db: Database, database_url: str, data: None, admin: dict[str, str]
) -> None:
    query = '{ organisations(filter: {search: "Northside"}) { nodes { createdAt } } }'
    compiled, statements = await _run(db, database_url, True, query, admin)
    assert len(statements) == 1
    assert compiled["data"]["organisations"]["nodes"] == [
        {"createdAt": "2024-01-01T09:30:00+00:00"}
    ]


@pytest.mark.parametrize(
    "query",
    [
        "{ impact { peopleEngaged sessionsDelivered hubsWithSessions staffTrained"
        " trainingDeliveries attendance { __typename olderPeople total } __typename } }",
        '{ a: impact(filter: {cohort: "dementia", dateFrom: "2024-01-02", dateTo: "2024-01-04"})'
        " { sessionsDelivered attendance { total } } b: impact { peopleEngaged } }",
        "{ impact { __typename } hubs(first: 1) { totalCount } }",
    ],
)
async def test_impact_compiles_and_answers_as_the_resolver(
    db: Database, database_url: str, data: None, query: str, admin: dict[str, str]
) -> None:
    compiled, statements = await _run(db, database_url, True, query, admin)
    resolved, _ = await _run(db, database_url, False, query, admin)
    assert "errors" not in resolved, resolved
    assert compiled == resolved
    assert len(statements) == 1 and "json_build_object" in statements[0]


async def test_impact_outcomes_stay_with_the_resolver(
    db: Database, database_url: str, data: None, admin: dict[str, str]
) -> None:
    """Whether a pair improved is `scoring.change`'s to judge, in Python, not SQL's."""
    query = "{ impact { sessionsDelivered outcomes { measure pairs } } }"
    compiled, statements = await _run(db, database_url, True, query, admin)
    assert compiled == (await _run(db, database_url, False, query, admin))[0]
    assert not any("json_build_object" in statement for statement in statements)


async def test_a_typename_only_query_answers_without_sql(
    db: Database, database_url: str, admin: dict[str, str]
) -> None:
    query = "{ __typename kind: __typename }"
    compiled, statements = await _run(db, database_url, True, query, admin)
    resolved, _ = await _run(db, database_url, False, query, admin)
    assert compiled == resolved == {"data": {"__typename": "Query", "kind": "Query"}}
    assert statements == []
