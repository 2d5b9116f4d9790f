"""The access policy on its own, without a database: which scope each field and argument needs.

tests/schema/test_permissions.py checks the rules through HTTP on both databases; these check
`AccessPolicy` directly, fast enough for mutation testing (scripts/mutation, set
``permissions``), with the expected scopes written out here from the rules in the module's
docstring, never computed by the module.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, GraphQLError, parse
from strawberry.extensions import FieldExtension
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.pluginhost.contract import SchemaContribution
from imm_graph.schema.build import build_schema
from imm_graph.schema.permissions import (
    PUBLIC,
    AccessControl,
    AccessPolicy,
    HasScope,
    _camel,
    _pair,
    check_node_type,
    forbidden,
    policy_for,
    requires,
)
from imm_graph.security.principal import ANONYMOUS, Principal
from imm_graph.security.scopes import (
    ADMIN,
    READ_CORE,
    READ_IMPACT,
    READ_PERSONAL,
    SCOPES,
    WRITE_CORE,
)

READ_THINGS, WRITE_THINGS = "read:things", "write:things"
for _scope in (READ_THINGS, WRITE_THINGS):
    SCOPES.declare(_scope, "a test plug-in's scope", owner="test_access_policy")


@strawberry.interface
class Gadget:
    label: str


@strawberry.type
class PlainGadget(Gadget):
    label: str


@strawberry.type
class SecretGadget(Gadget):
    @strawberry.field(extensions=requires(READ_THINGS))
    def label(self) -> str:
        return "secret"


class Passthrough(FieldExtension):
    """A field extension that is not a permission (a plug-in may add its own)."""

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)


@strawberry.type
class ThingQuery:
    @strawberry.field(extensions=[Passthrough()])
    def things_counted(self) -> int:
        return 2

    @strawberry.field(metadata=PUBLIC)
    def gadget(self) -> Gadget:
        return PlainGadget(label="plain")

    @strawberry.field(extensions=requires(READ_THINGS))
    def things_waiting(self) -> int:
        return 3

    @strawberry.field(metadata=PUBLIC)
    def things_title(self) -> str:
        return "Things"

    @strawberry.field
    def things_unmarked(self) -> int:
        return 1


@strawberry.type
class ThingMutation:
    @strawberry.mutation(extensions=requires(WRITE_THINGS))
    def make_thing(self) -> bool:
        return True

    @strawberry.mutation  # declared without a scope: must still need write:core
    def poke_thing(self) -> bool:
        return True


SETTINGS = Settings(environment="test")
SCHEMA = build_schema(SETTINGS, [SchemaContribution(
    queries=[ThingQuery], mutations=[ThingMutation], types=[PlainGadget, SecretGadget])])
POLICY = AccessPolicy.build(SCHEMA._schema, SETTINGS)
FRESH = build_schema(SETTINGS)  # for tests of the policy a schema builds on first use


def fresh_schema() -> Any:
    vars(FRESH).pop("_imm_access_policy", None)
    return FRESH


def key(*scopes: str) -> Principal:
    return Principal(key_id="k1", name="test key", scopes=frozenset(scopes))


def missing(query: str, principal: Principal, variables: dict[str, Any] | None = None,
            policy: AccessPolicy = POLICY) -> dict[str, list[str]]:
    ec = ExecutionContext(query=query, schema=SCHEMA, allowed_operations=None,
                          context=SimpleNamespace(extras={}), variables=variables)
    ec.graphql_document = parse(query)
    return {scope: [name for name, _ in found]
            for scope, found in policy.missing(ec, principal).items()}


# --- required(): one field at a time ----------------------------------------------------------

@pytest.mark.parametrize(
    ("type_name", "field", "scope"),
    [
        # 1. an explicit scope wins over everything else
        ("Participant", "givenName", READ_PERSONAL),
        ("Participant", "nhsNumber", READ_PERSONAL),
        ("Query", "impact", READ_IMPACT),
        ("Query", "auditLog", ADMIN),
        ("Query", "participants", READ_CORE),
        ("Query", "thingsWaiting", READ_THINGS),
        ("Mutation", "makeThing", WRITE_THINGS),
        ("Mutation", "requeueDelivery", ADMIN),
        # Mutation fields are never public; one declared without a scope needs write:core
        ("Mutation", "pokeThing", WRITE_CORE),
        ("Mutation", "createHub", WRITE_CORE),
        # 2. public lists and marks; the rest of Query and Node types need read:core
        ("Query", "hubs", None),
        ("Query", "thingsTitle", None),
        ("Query", "thingsUnmarked", READ_CORE),
        ("Query", "organisations", READ_CORE),
        ("Hub", "name", None),
        ("Hub", "code", READ_CORE),
        ("Hub", "venue", READ_CORE),
        ("Programme", "name", None),
        ("ClinicalCohort", "name", None),  # "ClinicalCohort.*"
        ("StakeholderKind", "code", None),
        ("Organisation", "name", READ_CORE),
        ("Participant", "ref", READ_CORE),
        # 3. what only says an object exists needs what its type needs
        ("Hub", "id", None),
        ("Organisation", "id", READ_CORE),
        ("Participant", "id", READ_CORE),
        ("HubConnection", "totalCount", None),
        ("OrganisationConnection", "totalCount", READ_CORE),
        ("OrganisationConnection", "pageInfo", READ_CORE),
        ("OrganisationConnection", "edges", READ_CORE),
        ("OrganisationConnection", "nodes", READ_CORE),
        ("OrganisationEdge", "cursor", READ_CORE),
        ("OrganisationEdge", "node", READ_CORE),
        ("ProgrammeEdge", "cursor", None),
        # 5. other types take the access of the field that returned them
        ("PageInfo", "hasNextPage", None),
        ("Attendance", "staff", None),
    ],
)
def test_the_scope_each_field_needs(type_name: str, field: str, scope: str | None) -> None:
    assert POLICY.required(type_name, field) == scope


def test_a_connection_field_that_is_not_about_existence_needs_nothing_itself() -> None:
    policy = AccessPolicy.build(SCHEMA._schema, SETTINGS)
    assert policy.connection_nodes["OrganisationConnection"] == "Organisation"
    assert policy.connection_nodes["OrganisationEdge"] == "Organisation"
    assert policy.required("OrganisationConnection", "somethingElse") is None


def test_private_fields_override_public_ones_one_by_one_or_by_type() -> None:
    settings = Settings(environment="test", private_fields=["Hub.name", "Programme"])
    policy = AccessPolicy.build(SCHEMA._schema, settings)
    assert policy.required("Hub", "name") == READ_CORE
    assert policy.required("Hub", "area") is None
    assert policy.required("Programme", "name") == READ_CORE
    assert policy.required("Programme", "code") == READ_CORE
    assert policy.required("Query", "thingsTitle") is None
    # Even listed as private, a scoped field keeps its own scope.
    settings = Settings(environment="test", private_fields=["Participant.givenName"])
    assert AccessPolicy.build(SCHEMA._schema, settings).required(
        "Participant", "givenName") == READ_PERSONAL


def test_public_fields_by_name_or_by_type() -> None:
    settings = Settings(environment="test", public_fields=["Organisation.name", "Stakeholder"])
    policy = AccessPolicy.build(SCHEMA._schema, settings)
    assert policy.required("Organisation", "name") is None
    assert policy.required("Organisation", "odsCode") == READ_CORE
    assert policy.required("Stakeholder", "name") is None
    assert policy.required("Stakeholder", "id") is None
    assert policy.required("Hub", "name") == READ_CORE  # the defaults are replaced
    # A public mark never opens a mutation, nor a scoped field.
    settings = Settings(environment="test", public_fields=["Mutation", "Participant"])
    policy = AccessPolicy.build(SCHEMA._schema, settings)
    assert policy.required("Mutation", "pokeThing") == WRITE_CORE
    assert policy.required("Participant", "givenName") == READ_PERSONAL
    assert policy.required("Participant", "ref") is None


def test_a_plug_in_types_default_applies_to_its_unlisted_fields() -> None:
    policy = AccessPolicy.build(SCHEMA._schema, SETTINGS, {"Hub": READ_THINGS, "Session": None})
    assert policy.required("Hub", "code") == READ_THINGS
    assert policy.required("Hub", "name") is None  # listed public
    assert policy.required("Session", "date") is None
    assert policy.required("Organisation", "name") == READ_CORE
    assert AccessPolicy.build(SCHEMA._schema, SETTINGS).type_defaults == {}


def test_what_knowing_an_object_exists_needs() -> None:
    assert POLICY.type_scope("Hub") is None  # some fields public
    assert POLICY.type_scope("Organisation") == READ_CORE
    assert POLICY.type_scope("PageInfo") is None  # not a Node type
    assert POLICY.type_scope("Nothing") is None
    assert POLICY.type_scope("Query") is None  # guarded, but no object of it is ever listed
    # One scope for all fields: that scope; several: read:core; none needed: nothing.
    policy = AccessPolicy.build(SCHEMA._schema, SETTINGS, {"Hub": READ_THINGS})
    settings = Settings(environment="test", public_fields=[])
    only_things = AccessPolicy.build(SCHEMA._schema, settings, {"Hub": READ_THINGS})
    assert only_things.type_scope("Hub") == READ_THINGS
    assert policy.type_scope("Hub") is None
    mixed = AccessPolicy.build(SCHEMA._schema, settings, {"Participant": READ_THINGS})
    assert mixed.type_scope("Participant") == READ_CORE  # read:things and read:personal
    personal = dataclass_replace(POLICY, node_fields={**POLICY.node_fields,
                                                      "Participant": ("id", "givenName", "sex")})
    assert personal.type_scope("Participant") == READ_PERSONAL
    bare = dataclass_replace(POLICY, node_fields={**POLICY.node_fields, "Organisation": ("id",)})
    assert bare.type_scope("Organisation") is None


def dataclass_replace(policy: AccessPolicy, **changes: Any) -> AccessPolicy:
    import dataclasses

    return dataclasses.replace(policy, **changes)


def test_a_schema_naming_an_unknown_scope_is_refused() -> None:
    @strawberry.type
    class Undeclared:
        @strawberry.field(extensions=requires("read:undeclared-thing"))
        def secret(self) -> int:
            return 1

    schema = build_schema(SETTINGS, [SchemaContribution(queries=[Undeclared])])
    with pytest.raises(ValueError) as refused:
        AccessPolicy.build(schema._schema, SETTINGS)
    assert str(refused.value) == (
        "Query.secret needs the unknown scope 'read:undeclared-thing': declare it first"
    )


def test_a_policy_built_now_knows_the_root_types() -> None:
    policy = AccessPolicy.build(SCHEMA._schema, SETTINGS)
    assert (policy.query, policy.mutation) == ("Query", "Mutation")
    assert "Query" in policy.guarded
    assert policy.required("Query", "thingsUnmarked") == READ_CORE
    assert policy.required("Query", "thingsCounted") == READ_CORE
    assert policy.required("Mutation", "pokeThing") == WRITE_CORE


def test_a_schema_without_mutations_and_a_query_field_named_id() -> None:
    @strawberry.type
    class Small:
        id: strawberry.ID = strawberry.ID("q")
        name: str = "small"

    small = strawberry.Schema(query=Small)
    policy = AccessPolicy.build(small._schema, SETTINGS)
    assert (policy.query, policy.mutation) == ("Small", None)
    # Query's own `id` is a field like any other, not "this object exists".
    assert policy.required("Small", "id") == READ_CORE
    opened = AccessPolicy.build(small._schema, Settings(environment="test",
                                                        public_fields=["Small.name"]))
    assert opened.required("Small", "id") == READ_CORE
    assert opened.required("Small", "name") is None


def test_the_policy_knows_the_root_and_node_types() -> None:
    assert (POLICY.query, POLICY.mutation) == ("Query", "Mutation")
    assert {"Query", "Hub", "Organisation", "Participant"} <= POLICY.guarded
    assert "PageInfo" not in POLICY.guarded and "Mutation" not in POLICY.guarded
    assert "name" in POLICY.node_fields["Hub"] and "id" in POLICY.node_fields["Hub"]
    assert "Query" not in POLICY.node_fields
    assert ("Query", "thingsTitle") in POLICY.public
    assert ("Query", "thingsUnmarked") not in POLICY.public
    assert POLICY.private == frozenset()


def test_the_policy_takes_the_plug_in_node_types_defaults_from_the_schema() -> None:
    schema = fresh_schema()
    recorded = schema._imm_type_scopes
    schema._imm_type_scopes = {"Hub": READ_THINGS}  # what build_schema records for plug-ins
    try:
        policy = policy_for(schema, SETTINGS)
        assert policy.type_defaults == {"Hub": READ_THINGS}
        assert policy.required("Hub", "code") == READ_THINGS
    finally:
        schema._imm_type_scopes = recorded
        fresh_schema()


def test_the_policy_is_built_once_per_schema() -> None:
    schema = fresh_schema()
    first = policy_for(schema, SETTINGS)
    assert policy_for(schema, Settings(environment="test", public_fields=[])) is first
    assert first.required("Hub", "name") is None


# --- missing(): whole operations --------------------------------------------------------------

def test_an_operation_lists_every_field_it_may_not_read_by_scope() -> None:
    query = "{ organisations { totalCount nodes { id name } } hubs { nodes { name code } } }"
    assert missing(query, key()) == {
        READ_CORE: ["Query.organisations", "OrganisationConnection.totalCount",
                    "OrganisationConnection.nodes", "Organisation.id", "Organisation.name",
                    "Hub.code"],
    }
    assert missing(query, key(READ_CORE)) == {}
    assert missing(query, key(ADMIN)) == {}
    assert missing("{ hubs { totalCount nodes { id name } } }", ANONYMOUS) == {}


def test_fragments_are_checked_once_each() -> None:
    query = """
      query { a: hubs { ...H } b: hubs { ...H } }
      fragment H on HubConnection { nodes { code } }
    """
    assert missing(query, key()) == {READ_CORE: ["Hub.code"]}


def test_a_fragment_cycle_is_walked_once_and_left_to_validation() -> None:
    query = """
      query { hubs { ...H } }
      fragment H on HubConnection { nodes { code programme { hubs { ...H } } } }
    """
    assert missing(query, key()) == {READ_CORE: ["Hub.code"]}
    assert missing(query, key(READ_CORE)) == {}


def test_a_named_operation_is_the_one_checked() -> None:
    query = "query A { hubs { totalCount } } query B { organisations { totalCount } }"

    def names(operation: str) -> dict[str, list[str]]:
        ec = ExecutionContext(query=query, schema=SCHEMA, allowed_operations=None,
                              context=SimpleNamespace(extras={}),
                              provided_operation_name=operation)
        ec.graphql_document = parse(query)
        return {s: [n for n, _ in f] for s, f in POLICY.missing(ec, key()).items()}

    assert names("B") == {READ_CORE: ["Query.organisations",
                                      "OrganisationConnection.totalCount"]}
    assert names("A") == {}
    assert names("C") == {}


def test_filters_and_orderings_read_what_they_compare() -> None:
    query = '{ hubs(filter: {search: "x"}, orderBy: {field: CODE}) { nodes { name } } }'
    assert missing(query, key()) == {
        READ_CORE: ["Hub.venue (in hubs arguments)", "Hub.code (in hubs arguments)"],
    }
    # A filter field without a mark reads the field of its own name; public ones need nothing.
    assert missing('{ hubs(filter: {localAuthority: "Ealing"}) { totalCount } }', key()) == {
        READ_CORE: ["Hub.localAuthority (in hubs arguments)"]}
    assert missing('{ hubs(filter: {area: "Ealing"}) { totalCount } }', key()) == {}
    assert missing("{ hubs(filter: {statuses: [ACTIVE]}) { totalCount } }", key()) == {}
    # An empty list or a null compares nothing.
    assert missing("{ hubs(filter: {statuses: [], localAuthority: null}) { totalCount } }",
                   key()) == {}
    assert missing("{ hubs(orderBy: {field: NAME}) { totalCount } }", key()) == {}
    opened = dataclass_replace(POLICY, public=POLICY.public | {("Query", "organisations"),
                                                               ("Organisation", "name")})
    assert missing("{ organisations(filter: {kinds: []}) { totalCount } }", key(),
                   policy=opened) == {}
    assert missing("{ organisations(filter: {kinds: [CHARITY]}) { totalCount } }", key(),
                   policy=opened) == {READ_CORE: ["Organisation.kind (in organisations "
                                                  "arguments)"]}
    assert missing("{ hubs(orderBy: {field: CODE}) { totalCount } }", key(READ_CORE)) == {}


def test_an_ordering_names_the_graphql_field_of_its_column() -> None:
    # Session's DATE sorts by the column session_date, shown as the field `date` (not
    # `sessionDate`): with only `date` public, ordering by it needs nothing.
    query = "{ sessions(orderBy: {field: DATE}) { totalCount } }"
    assert missing(query, key(), policy=dataclass_replace(
        POLICY, public=POLICY.public | {("Query", "sessions"), ("Session", "date")}
    )) == {}
    assert missing(query, key(), policy=dataclass_replace(
        POLICY, public=POLICY.public | {("Query", "sessions"), ("Session", "sessionDate"),
                                        ("Session", "id")}
    )) == {READ_CORE: ["Session.date (in sessions arguments)", "SessionConnection.totalCount"]}
    opened = dataclass_replace(POLICY, public=POLICY.public | {("Query", "organisations"),
                                                               ("Organisation", "name")})
    assert missing("{ organisations(orderBy: {field: CREATED_AT}) { totalCount } }", key(),
                   policy=opened) == {READ_CORE: ["Organisation.createdAt (in organisations "
                                                  "arguments)"]}


def test_arguments_given_as_variables_are_read_too() -> None:
    query = "query($f: HubFilter) { hubs(filter: $f) { totalCount } }"
    assert missing(query, key(), {"f": {"localAuthority": "Ealing"}}) == {
        READ_CORE: ["Hub.localAuthority (in hubs arguments)"]}
    assert missing(query, key(), {"f": {"area": "Ealing"}}) == {}
    # Invalid variables: execution refuses them; nothing is read.
    assert missing(query, key(), {"f": {"nope": 1}}) == {}


def test_a_mutation_payloads_ids_are_the_callers_own() -> None:
    query = ('mutation { createOrganisation(input: {name: "A", kind: CHARITY}) '
             "{ organisation { id name } errors { code } } }")
    assert missing(query, key(WRITE_CORE)) == {READ_CORE: ["Organisation.name"]}
    assert missing(query, key()) == {WRITE_CORE: ["Mutation.createOrganisation"],
                                     READ_CORE: ["Organisation.name"]}
    assert missing("mutation { pokeThing }", key(READ_CORE, READ_THINGS)) == {
        WRITE_CORE: ["Mutation.pokeThing"]}
    assert missing("mutation { pokeThing }", key(WRITE_CORE)) == {}
    # In a query, ids are reads like any other field.
    assert missing("{ organisations { nodes { id } } }", key()) == {
        READ_CORE: ["Query.organisations", "OrganisationConnection.nodes", "Organisation.id"]}


def test_node_by_id_is_left_to_the_run_time_check_but_its_fragments_are_not() -> None:
    query = '{ node(id: "x") { id ... on Organisation { name } ... on Hub { name } } }'
    assert missing(query, key()) == {READ_CORE: ["Organisation.name"]}
    assert missing('{ node(id: "x") { id } }', ANONYMOUS) == {}
    assert missing('{ node(id: "x") { __typename } }', ANONYMOUS) == {}


def test_unknown_fields_are_left_to_validation() -> None:
    assert missing("{ noSuchField { x } hubs { totalCount } }", key()) == {}
    assert missing("{ noSuchField organisations { totalCount } }", key()) == {
        READ_CORE: ["Query.organisations", "OrganisationConnection.totalCount"]}


def test_an_interfaces_field_is_checked_on_every_type_implementing_it() -> None:
    assert missing("{ gadget { label } }", key()) == {READ_THINGS: ["SecretGadget.label"]}
    assert missing("{ gadget { label } }", key(READ_THINGS)) == {}
    assert missing("{ gadget { ... on PlainGadget { label } } }", key()) == {}


def test_no_document_or_no_root_type_reads_nothing() -> None:
    ec = ExecutionContext(query="", schema=SCHEMA, allowed_operations=None,
                          context=SimpleNamespace(extras={}))
    assert ec.graphql_document is None
    assert POLICY.missing(ec, key()) == {}
    # This schema has no Subscription type: validation refuses the operation, not this check.
    assert missing("subscription { organisations { totalCount } }", key()) == {}


# --- the refusal as the caller sees it ---------------------------------------------------------

def execute(query: str, principal: Principal) -> Any:
    ctx = SimpleNamespace(principal=principal, extras={}, settings=SETTINGS)
    return asyncio.run(SCHEMA.execute(query, context_value=ctx))


def test_a_refused_operation_gets_one_error_per_scope_and_no_data() -> None:
    result = execute("{ impact { sessionsDelivered } organisations { totalCount } "
                     "auditLog { totalCount } }", key())
    assert result.data is None
    got = [(e.extensions["scope"], e.extensions["fields"], e.message) for e in result.errors]
    assert got == [
        (ADMIN, ["Query.auditLog"],
         "Forbidden: this API key lacks the admin scope, needed for Query.auditLog"),
        (READ_CORE, ["Query.organisations", "OrganisationConnection.totalCount"],
         "Forbidden: this API key lacks the read:core scope, needed for Query.organisations, "
         "OrganisationConnection.totalCount"),
        (READ_IMPACT, ["Query.impact"],
         "Forbidden: this API key lacks the read:impact scope, needed for Query.impact"),
    ]
    assert all(e.extensions["code"] == "FORBIDDEN" for e in result.errors)
    assert [len(e.locations or ()) for e in result.errors] == [1, 2, 1]  # both places of read:core


def test_the_refusal_names_at_most_five_places_and_each_field_once() -> None:
    query = "{ " + " ".join(f"o{i}: organisations {{ totalCount }}" for i in range(7)) + " }"
    [error] = execute(query, key()).errors
    assert error.extensions["fields"] == ["Query.organisations",
                                          "OrganisationConnection.totalCount"]
    assert len(error.locations) == 5


def test_an_anonymous_caller_is_told_about_public_fields() -> None:
    [error] = execute("{ organisations { totalCount } }", ANONYMOUS).errors
    assert error.message == (
        "Forbidden: Query.organisations, OrganisationConnection.totalCount need(s) the "
        "read:core scope; without an API key only IMM's public fields can be read"
    )


def test_an_admin_key_and_an_allowed_query_are_not_refused() -> None:
    # The extension on its own (executing would need a database for the resolvers).
    for principal, query, refused in (
        (key(ADMIN), "{ auditLog { totalCount } }", False),
        (key(READ_CORE), "{ organisations { totalCount } }", False),
        (ANONYMOUS, "{ hubs { totalCount } }", False),
        (key(READ_CORE), "{ auditLog { totalCount } }", True),
    ):
        ctx = SimpleNamespace(principal=principal, extras={}, settings=SETTINGS)
        ec = ExecutionContext(query=query, schema=SCHEMA, allowed_operations=None, context=ctx)
        ec.graphql_document = parse(query)
        extension = AccessControl(SETTINGS)
        extension.execution_context = ec
        steps = extension.on_execute()
        next(steps)
        assert (ec.result is not None) == refused
        assert bool(ec.pre_execution_errors) == refused
    # The policy comes from the settings the extension was given.
    opened = Settings(environment="test", public_fields=["Query.organisations", "Organisation"])
    for settings, refused in ((opened, False), (SETTINGS, True)):
        query = "{ organisations { totalCount nodes { name } } }"
        ctx = SimpleNamespace(principal=ANONYMOUS, extras={}, settings=SETTINGS)
        ec = ExecutionContext(query=query, schema=fresh_schema(), allowed_operations=None,
                              context=ctx)
        ec.graphql_document = parse(query)
        extension = AccessControl(settings)
        extension.execution_context = ec
        next(extension.on_execute())
        assert (ec.result is not None) == refused
    # A result already decided (an earlier extension refused) is left alone.
    ctx = SimpleNamespace(principal=key(), extras={}, settings=SETTINGS)
    ec = ExecutionContext(query="{ auditLog { totalCount } }", schema=SCHEMA,
                          allowed_operations=None, context=ctx)
    ec.graphql_document = parse(ec.query)
    earlier = ExecutionResult(data=None, errors=[GraphQLError("too deep")])
    ec.result = earlier
    extension = AccessControl(SETTINGS)
    extension.execution_context = ec
    next(extension.on_execute())
    assert ec.result is earlier and not ec.pre_execution_errors


def test_a_long_list_of_fields_is_cut_at_ten() -> None:
    fields = [f"T.f{i}" for i in range(12)]
    error = forbidden(READ_CORE, fields, key())
    assert error.message == ("Forbidden: this API key lacks the read:core scope, needed for "
                             + ", ".join(fields[:10]) + " …")
    assert error.extensions == {"code": "FORBIDDEN", "scope": READ_CORE, "fields": fields}
    error = forbidden(READ_CORE, fields[:10], key())
    assert error.message.endswith("T.f8, T.f9")
    error = forbidden(READ_CORE, fields[:11], key())
    assert error.message.endswith("T.f8, T.f9 …")
    assert isinstance(error, GraphQLError)


# --- the per-field permission and node(id:) -------------------------------------------------

def test_has_scope_checks_the_callers_key() -> None:
    permission = HasScope(READ_PERSONAL)
    assert permission.message == "Forbidden: this field needs the read:personal scope"
    assert permission.error_extensions == {"code": "FORBIDDEN", "scope": READ_PERSONAL}
    info = SimpleNamespace(context=SimpleNamespace(principal=key(READ_PERSONAL)))
    assert permission.has_permission(None, info) is True  # type: ignore[arg-type]
    info = SimpleNamespace(context=SimpleNamespace(principal=key(READ_CORE)))
    assert permission.has_permission(None, info) is False  # type: ignore[arg-type]
    info = SimpleNamespace(context=SimpleNamespace(principal=key(ADMIN)))
    assert permission.has_permission(None, info) is True  # type: ignore[arg-type]
    assert permission.schema_directive.scope == READ_PERSONAL


def test_node_by_id_checks_the_type_it_finds() -> None:
    def info(principal: Principal) -> Any:
        return SimpleNamespace(context=SimpleNamespace(principal=principal, settings=SETTINGS),
                               schema=SCHEMA)

    fresh = fresh_schema()  # its policy is built here, from the request's settings
    check_node_type(SimpleNamespace(context=SimpleNamespace(principal=key(), settings=Settings(
        environment="test", public_fields=["Organisation"])), schema=fresh), "Organisation")
    check_node_type(info(ANONYMOUS), "Hub")
    check_node_type(info(key(READ_CORE)), "Organisation")
    with pytest.raises(GraphQLError) as refused:
        check_node_type(info(key()), "Organisation")
    assert refused.value.extensions == {"code": "FORBIDDEN", "scope": READ_CORE,
                                        "fields": ["Organisation"]}


def test_names_in_settings_and_columns() -> None:
    assert _pair("Hub.name") == ("Hub", "name")
    assert _pair(" Hub.name ") == ("Hub", "name")
    assert _pair("Hub") == ("Hub", "*")
    assert _pair("Hub.") == ("Hub", "*")
    assert _camel("created_at") == "createdAt"
    assert _camel("session_date_local") == "sessionDateLocal"
    assert _camel("name") == "name"
