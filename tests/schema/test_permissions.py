"""Scopes on fields, public fields for anonymous callers, and no way around them.

Every scope is enforced on at least one query or mutation: the core's own fields for the core
scopes, and fields of a plug-in-style schema contribution for the plug-ins' scopes (referrals,
reports, podcast), which is how those plug-ins declare them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette

from imm_graph.app import create_app
from imm_graph.config import DEFAULT_PUBLIC_FIELDS, Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.pluginhost.contract import SchemaContribution
from imm_graph.schema import types as core_types
from imm_graph.schema.app import graphql_endpoint, graphql_routes
from imm_graph.schema.build import build_schema
from imm_graph.schema.context import Context
from imm_graph.schema.mutations import Mutation
from imm_graph.schema.permissions import PUBLIC, requires
from imm_graph.schema.queries import Query
from imm_graph.security import scopes as auth
from imm_graph.security.principal import Principal
from imm_graph.security.scopes import CORE_SCOPES, SCOPES
from tests import builders, people
from tests.conftest import GraphQLClient, MakeKey

# Scopes a plug-in declares (as the referral, reporting and podcast plug-ins do), under names
# no real plug-in uses.
READ_WIDGETS, WRITE_WIDGETS, READ_GADGETS, WRITE_GADGETS, PUBLISH_WIDGETS = (
    "read:widgets", "write:widgets", "read:gadgets", "write:gadgets", "publish:widgets"
)
for _scope in (READ_WIDGETS, WRITE_WIDGETS, READ_GADGETS, WRITE_GADGETS, PUBLISH_WIDGETS):
    SCOPES.declare(_scope, "a test plug-in's scope", owner="test_permissions")


@strawberry.type
class PluginQuery:
    """What the referrals, reporting and podcast plug-ins contribute, reduced to the scopes."""

    @strawberry.field(extensions=requires(READ_WIDGETS))
    def referrals_waiting(self) -> int:
        return 3

    @strawberry.field(extensions=requires(READ_GADGETS))
    def reports_ready(self) -> int:
        return 1

    @strawberry.field(metadata=PUBLIC, description="Published episodes are public.")
    def podcast_title(self) -> str:
        return "Talking Generations"


@strawberry.type
class PluginMutation:
    @strawberry.mutation(extensions=requires(WRITE_WIDGETS))
    def submit_referral(self) -> bool:
        return True

    @strawberry.mutation(extensions=requires(WRITE_GADGETS))
    def generate_report(self) -> bool:
        return True

    @strawberry.mutation(extensions=requires(PUBLISH_WIDGETS))
    def publish_episode(self) -> bool:
        return True


def app_with_plugins(settings: Settings, db: Database) -> Starlette:
    """The real app (middleware, endpoint), its schema extended as the plug-in manager does."""
    app = create_app(settings, database=db)
    schema = build_schema(
        settings, [SchemaContribution(queries=[PluginQuery], mutations=[PluginMutation])]
    )
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != "/graphql"
    ] + graphql_routes(graphql_endpoint(settings, schema))
    return app


@pytest.fixture
async def plugin_gql(settings: Settings, db: Database) -> Any:
    app = app_with_plugins(settings, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        yield GraphQLClient(http)


# scope -> (an operation that needs it, scopes the key needs besides)
CASES: dict[str, tuple[str, list[str]]] = {
    auth.READ_CORE: ("{ organisations { totalCount } }", []),
    auth.WRITE_CORE: (
        'mutation { createProgramme(input: {code: "sing", name: "Sing & Grow", arm: COMMUNITY})'
        " { errors { code } } }",
        [],
    ),
    auth.READ_IMPACT: ("{ impact { sessionsDelivered } }", []),
    auth.READ_PERSONAL: ("{ participants { nodes { ref givenName } } }", [auth.READ_CORE]),
    auth.ADMIN: ("{ auditLog { totalCount } }", [auth.READ_CORE]),
    READ_WIDGETS: ("{ referralsWaiting }", []),
    WRITE_WIDGETS: ("mutation { submitReferral }", []),
    READ_GADGETS: ("{ reportsReady }", []),
    WRITE_GADGETS: ("mutation { generateReport }", []),
    PUBLISH_WIDGETS: ("mutation { publishEpisode }", []),
}


def test_every_scope_has_a_case() -> None:
    assert set(CORE_SCOPES) | {READ_WIDGETS, WRITE_WIDGETS, READ_GADGETS, WRITE_GADGETS,
                               PUBLISH_WIDGETS} == set(CASES)


def _forbidden(body: dict[str, Any], scope: str) -> dict[str, Any]:
    assert body.get("data") is None, body
    [error] = [e for e in body["errors"] if e["extensions"].get("scope") == scope]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert scope in error["message"]
    return error


@pytest.mark.parametrize("scope", list(CASES))
async def test_each_scope_is_enforced(
    plugin_gql: GraphQLClient, make_key: MakeKey, scope: str
) -> None:
    query, besides = CASES[scope]
    other = auth.READ_IMPACT if scope != auth.READ_IMPACT else auth.READ_CORE
    without = await make_key(besides or [other])
    with_scope = await make_key([*besides, scope])
    refused = await plugin_gql.with_key(without).post(query)
    assert refused.status_code == 403
    _forbidden(refused.json(), scope)
    assert "errors" not in (await plugin_gql.with_key(with_scope).raw(query))
    # admin implies every scope
    assert "errors" not in (await plugin_gql.with_key(await make_key([auth.ADMIN])).raw(query))


async def test_anonymous_callers_read_public_fields_only(
    plugin_gql: GraphQLClient, db: Database
) -> None:
    async with db.transaction() as session:
        org = await builders.organisation(session)
        prog = await builders.programme(session)
        await builders.hub(session, org.id, programme_id=prog.id)
    data = await plugin_gql(
        "{ hubs { nodes { id name area schedule status cohorts { code name }"
        " programme { name arm } } } programmes { nodes { name hubs { nodes { name } } } }"
        " clinicalCohorts(first: 2) { nodes { code name } } stakeholderKinds { totalCount }"
        " podcastTitle }"
    )
    assert data["hubs"]["nodes"][0]["programme"]["name"] == "Together with Music"
    assert data["podcastTitle"] == "Talking Generations"

    for query, field in [
        ("{ organisations { totalCount } }", "Query.organisations"),
        ("{ hubs { nodes { venue } } }", "Hub.venue"),
        ("{ hubs { nodes { ...H } } } fragment H on Hub { hostOrganisation { name } }",
         "Hub.hostOrganisation"),
        ("{ hubs { nodes { ... on Hub { sessions { totalCount } } } } }", "Hub.sessions"),
        ("{ programmes { nodes { projects { totalCount } } } }", "Programme.projects"),
        ("{ referralsWaiting }", "Query.referralsWaiting"),
        ("mutation { createProgramme(input: {code: \"x\", name: \"X\", arm: COMMUNITY})"
         " { errors { code } } }", "Mutation.createProgramme"),
    ]:
        response = await plugin_gql.post(query)
        assert response.status_code == 403, query
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN" and field in error["extensions"]["fields"]
        assert "without an API key" in error["message"]


async def test_node_lookups_cannot_bypass_scopes(
    anon_gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    async with db.transaction() as session:
        org = await builders.organisation(session)
        hub = await builders.hub(session, org.id)
        person = await people.referred(session, "P-000001", people.MARGARET)
    org_id, hub_id = encode_id("Organisation", org.id), encode_id("Hub", hub.id)
    person_id = encode_id("Participant", person.id)

    # A public type through node(): fine, public fields only.
    query = "query($id: ID!) { node(id: $id) { id ... on Hub { name } } }"
    data = await anon_gql(query, id=hub_id)
    assert data["node"] == {"id": hub_id, "name": "Enfield Hub"}

    # The type is known only from the id: the node resolver itself refuses.
    body = await anon_gql.raw("query($id: ID!) { node(id: $id) { id __typename } }", id=org_id)
    assert body["data"] == {"node": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["node"]
    body = await anon_gql.raw(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=[hub_id, org_id]
    )
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    impact_only = anon_gql.with_key(await make_key([auth.READ_IMPACT]))
    body = await impact_only.raw("query($id: ID!) { node(id: $id) { id } }", id=person_id)
    assert body["data"] == {"node": None}
    assert body["errors"][0]["extensions"]["scope"] == auth.READ_CORE

    # Personal fields hidden in fragments under node() are still seen before anything runs.
    core = anon_gql.with_key(await make_key([auth.READ_CORE]))
    query = """query($id: ID!) { node(id: $id) { ... on Participant { ref ...Who } } }
               fragment Who on Participant { ...Deeper }
               fragment Deeper on Participant { nhsNumber }"""
    error = _forbidden(await core.raw(query, id=person_id), auth.READ_PERSONAL)
    assert error["extensions"]["fields"] == ["Participant.nhsNumber"]
    query = "query($id: ID!) { node(id: $id) { ... on Participant { ref } } }"
    data = await core(query, id=person_id)
    assert data["node"] == {"ref": "P-000001"}


async def test_a_key_without_read_personal_sees_pseudonymous_fields_only(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    async with db.transaction() as session:
        await people.referred(session, "P-000001", people.MARGARET)
    core = gql.with_key(await make_key([auth.READ_CORE]))
    data = await core("{ participants { nodes { ref ageBand generation cohorts { code } } } }")
    assert data["participants"]["nodes"][0]["ref"] == "P-000001"
    body = await core.raw("{ participants { nodes { ref givenName familyName dateOfBirth } } }")
    error = _forbidden(body, auth.READ_PERSONAL)
    assert error["extensions"]["fields"] == [
        "Participant.givenName", "Participant.familyName", "Participant.dateOfBirth",
    ]
    assert "Margarethe" not in str(body)


async def test_public_fields_are_configurable_but_scoped_fields_stay_scoped(
    database_url: str, db: Database
) -> None:
    settings = Settings(
        database_url=database_url, environment="test",
        public_fields=[*DEFAULT_PUBLIC_FIELDS, "Query.organisations", "Organisation.name",
                       "Query.participants", "Participant.*"],
        private_fields=["Query.podcastTitle", "Hub.schedule", "ClinicalCohort.description"],
    )
    async with db.transaction() as session:
        await builders.organisation(session)
    app = app_with_plugins(settings, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        anon = GraphQLClient(http)
        assert await anon("{ organisations { nodes { name } } }") == {
            "organisations": {"nodes": [{"name": "Catherine Lodge Care Home"}]}
        }
        _forbidden(await anon.raw("{ organisations { nodes { odsCode } } }"), auth.READ_CORE)
        # IMM_PRIVATE_FIELDS wins over a plug-in's PUBLIC and over the defaults.
        _forbidden(await anon.raw("{ podcastTitle }"), auth.READ_CORE)
        _forbidden(await anon.raw("{ hubs { nodes { schedule } } }"), auth.READ_CORE)
        # … and over a "Type.*" entry.
        await anon("{ clinicalCohorts { nodes { code name } } }")
        _forbidden(await anon.raw("{ clinicalCohorts { nodes { description } } }"), auth.READ_CORE)
        # A field's own scope wins over any configuration.
        _forbidden(await anon.raw("{ participants { totalCount } }"), auth.READ_CORE)


async def test_permission_classes_hold_even_without_the_pre_check(
    settings: Settings, db: Database
) -> None:
    """Defence in depth: the fields' own HasScope permissions refuse, field by field."""
    async with db.transaction() as session:
        await people.referred(session, "P-000001", people.MARGARET)
    bare = strawberry.Schema(query=Query, mutation=Mutation, types=list(core_types.NODE_CLASSES))
    ctx = Context(db=db, settings=settings)
    ctx.principal = Principal(key_id="k", scopes=frozenset({auth.READ_CORE}))
    try:
        result = await bare.execute(
            "{ participants { nodes { ref givenName } } }", context_value=ctx
        )
    finally:
        await ctx.close()
    assert result.data == {"participants": {"nodes": [{"ref": "P-000001", "givenName": None}]}}
    [error] = result.errors or []
    assert error.extensions == {"code": "FORBIDDEN", "scope": auth.READ_PERSONAL}
    assert error.path == ["participants", "nodes", 0, "givenName"]


async def test_the_schema_file_shows_each_fields_scope(settings: Settings) -> None:
    sdl = build_schema(settings).as_str()
    assert 'givenName: String @requiresScope(scope: "read:personal")' in sdl
    assert '@requiresScope(scope: "write:core")' in sdl



def test_public_fields_come_from_the_environment_as_a_comma_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMM_PUBLIC_FIELDS", "Query.hubs, Hub.name,Hub.venue")
    monkeypatch.setenv("IMM_PRIVATE_FIELDS", '["Hub.venue"]')
    settings = Settings(environment="test")
    assert settings.public_fields == ["Query.hubs", "Hub.name", "Hub.venue"]
    assert settings.private_fields == ["Hub.venue"]
