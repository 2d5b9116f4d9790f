"""Every field the SQL compiler compiles answers exactly as its resolver does (PostgreSQL).

The cases are generated from the compiler's own specs (which it reads off the schema's field
metadata), so a field that becomes compilable gets its parity test without anyone writing one.
Each case reaches its type from a root list by the shortest chain of relations, selects the one
field under test, and compares the compiled answer with the resolvers' on the demo data plus
registers and consents. The data must make the field say something (not all nulls, not all
empty; booleans both ways), so a wrong column or a wrong relation shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph import services
from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.demo import seed_demo
from imm_graph.schema import compiler
from imm_graph.schema import relations as r
from imm_graph.schema.mapping import (
    Connects,
    Embeds,
    Follows,
    IsNull,
    Lists,
    ListsEither,
    Values,
)
from imm_graph.schema.queries import ROOT_LISTS
from imm_graph.schema.types import NODE_TYPES
from imm_graph.security.audit import Actor
from imm_graph.security.keys import create_api_key
from imm_graph.services import api
from tests.conftest import (
    POSTGRES_URL,
    _admin,
    _postgres_reachable,
    _run,
    _with_database,
    bearer,
)
from tests.schema.test_statement_count import counting

ROOT_PAGE = 100  # the server's largest page: the root lists reach deep enough into the data
NESTED_PAGE = 3


@dataclass(frozen=True)
class Step:
    field: str
    paged: bool  # a connection: select through `(first:) { nodes { … } }`


def _targets(spec: compiler.ObjectSpec) -> Iterator[tuple[str, str, bool]]:
    for name, mapping in spec.mapped.items():
        if isinstance(mapping, (Follows, Lists, ListsEither)):
            yield name, mapping.target, False
        elif isinstance(mapping, Connects):
            yield name, mapping.target, True


def _paths() -> dict[str, tuple[Step, ...]]:
    """The shortest chain of fields from a root list to each compiled type."""
    paths: dict[str, tuple[Step, ...]] = {}
    queue: deque[str] = deque()
    for root, spec in ROOT_LISTS.items():
        name = spec.cls.__name__
        if name not in paths:
            paths[name] = (Step(root, True),)
            queue.append(name)
    while queue:
        type_name = queue.popleft()
        for field_name, target, paged in _targets(compiler.SPECS[type_name]):
            if target not in paths:
                paths[target] = (*paths[type_name], Step(field_name, paged))
                queue.append(target)
    return paths


def _routes() -> dict[str, list[tuple[Step, ...]]]:
    """Every way into each type: its root lists, and each relation field that leads to it
    (after the shortest chain to that field's type). A consent reached from stakeholders
    never has a participant: only all the ways together give the data something to say."""
    shortest = _paths()
    routes: dict[str, list[tuple[Step, ...]]] = {name: [] for name in shortest}
    for root, spec in ROOT_LISTS.items():
        routes[spec.cls.__name__].append((Step(root, True),))
    for parent, spec in compiler.SPECS.items():
        for field_name, target, paged in _targets(spec):
            if parent in shortest and parent != target:
                routes[target].append((*shortest[parent], Step(field_name, paged)))
    return routes


def _brief(type_name: str) -> str:
    """A selection that identifies an object of ``type_name``."""
    spec = compiler.SPECS[type_name]
    if type_name in NODE_TYPES:
        return "__typename id"
    return "__typename " + " ".join(sorted(spec.scalars))


def _selection(spec: compiler.ObjectSpec, name: str) -> str:
    mapping = spec.mapped.get(name)
    if isinstance(mapping, (Follows, Lists, ListsEither)):
        return f"{name} {{ {_brief(mapping.target)} }}"
    if isinstance(mapping, Connects):
        return (
            f"{name}(first: {NESTED_PAGE}) {{ totalCount"
            " pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
            f" edges {{ cursor node {{ {_brief(mapping.target)} }} }} }}"
        )
    if isinstance(mapping, Embeds):
        return f"{name} {{ __typename {' '.join([*mapping.columns, *mapping.sums])} }}"
    return name  # a column, an ID, a list of values, a boolean


def _query(type_name: str, name: str) -> str:
    """One root field per route into the type, each aliased ``r0``, ``r1`` …"""
    selection = _selection(compiler.SPECS[type_name], name)
    parts = []
    for i, route in enumerate(ROUTES[type_name]):
        inner = selection
        for depth, step in reversed(list(enumerate(route))):
            size = ROOT_PAGE if depth == 0 else NESTED_PAGE
            if step.paged:
                inner = f"{step.field}(first: {size}) {{ nodes {{ {inner} }} }}"
            else:
                inner = f"{step.field} {{ {inner} }}"
        parts.append(f"r{i}: {inner}")
    return "{ " + "\n  ".join(parts) + " }"


def _values(data: Any, type_name: str, name: str) -> list[Any]:
    """The values of the field under test, along every route."""
    out: list[Any] = []
    for i, route in enumerate(ROUTES[type_name]):
        found: list[Any] = [data[f"r{i}"]]
        for depth, step in enumerate(route):
            nxt: list[Any] = []
            for value in found:
                if value is None:
                    continue
                inner = value if depth == 0 else value[step.field]
                items = inner["nodes"] if step.paged else inner
                nxt.extend(items if isinstance(items, list) else [items])
            found = nxt
        out.extend(value[name] for value in found if value is not None)
    return out


def _says_something(values: list[Any]) -> bool:
    meaningful = [v for v in values if v not in (None, [], "")]
    if any(isinstance(v, bool) for v in meaningful):
        return {True, False} <= set(meaningful)
    if meaningful and all(isinstance(v, dict) and "totalCount" in v for v in meaningful):
        return any(v["totalCount"] for v in meaningful)
    return bool(meaningful)


ROUTES = _routes()
CASES = sorted(
    (type_name, name)
    for type_name, spec in compiler.SPECS.items()
    if ROUTES.get(type_name)
    for name in ("id", *spec.scalars, *spec.mapped)
    if name != "id" or type_name in NODE_TYPES
)


def test_every_compiled_type_is_reachable_and_every_field_has_a_case() -> None:
    assert {name for name, routes in ROUTES.items() if routes} == set(compiler.SPECS)
    fields = {(t, f) for t, spec in compiler.SPECS.items() for f in (*spec.scalars, *spec.mapped)}
    assert fields <= set(CASES)


async def _extras(db: Database) -> None:
    """What the demo leaves out: registers, consents both in force and withdrawn, people who
    left, project enrolments, and the optional columns it leaves empty."""
    async with db.transaction(actor=Actor.system("test")) as s:
        people = list(await s.scalars(sa.select(m.Participant.id).order_by(m.Participant.ref)))
        organisations = list(await s.scalars(sa.select(m.Organisation.id).order_by(
            m.Organisation.name, m.Organisation.id)))
        projects = list(await s.scalars(sa.select(m.Project.id).order_by(
            m.Project.start_date.desc(), m.Project.id.desc())))
        for i, organisation in enumerate(organisations[:3]):
            await services.update(s, "organisation", organisation, {
                "address": f"{i + 1} Chiswick High Road, London", "postcode": f"W4 {i}AA",
            })
        for i, person in enumerate(people[:4]):
            await services.update(s, "participant", person, {"postcode": f"TW{i + 1} 1AA"})
        for project in projects[:2]:
            await services.update(s, "project", project, {"end_date": dt.date(2025, 12, 19)})
        for person in people[:2]:
            enrolment = await api.enrol(
                s, person, project_id=projects[0], enrolled_on=dt.date(2025, 9, 1)
            )
            await services.update(s, "enrolment", enrolment.id, {"left_on": dt.date(2025, 11, 1)})
        sessions = list(await s.scalars(
            sa.select(m.Session.id).order_by(m.Session.session_date.desc(), m.Session.id.desc())
        ))
        stakeholder = await s.scalar(sa.select(m.Stakeholder.id).order_by(m.Stakeholder.name))
        for session_id in sessions[:3]:
            await services.update(s, "session", session_id, {"notes": "Sang sea shanties."})
        for i, session_id in enumerate(sessions[:6]):
            await api.record_attendance(
                s, session_id, attended=people[i : i + 3], did_not_attend=people[i + 3 : i + 4],
                cancelled=people[i + 4 : i + 5],
            )
        given = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
        for i, person in enumerate(people[:6]):
            consent = await api.record_consent(
                s, participant_id=person, purpose="participation" if i % 2 else "data_processing",
                given_at=given + dt.timedelta(days=i), given_by="self",
            )
            if i % 3 == 0:
                await api.withdraw_consent(
                    s, consent.id, withdrawn_at=given + dt.timedelta(days=30),
                    reason="moved away" if i == 0 else None,  # a reason is optional
                )
        for purpose in ("media", "participation"):
            consent = await api.record_consent(
                s, stakeholder_id=stakeholder, purpose=purpose, given_at=given, given_by="self"
            )
        await api.withdraw_consent(s, consent.id, withdrawn_at=given + dt.timedelta(days=1))


@pytest.fixture(scope="module")
def demo(postgres_template: str) -> Iterator[tuple[str, str]]:
    """A database with the demo data, shared by this module's read-only cases; and a key."""
    if not _postgres_reachable():
        pytest.skip("the compiler runs on PostgreSQL only")
    name = f"imm_parity_{uuid.uuid4().hex[:8]}"
    url = _with_database(POSTGRES_URL, name)
    token: list[str] = []

    async def prepare() -> None:
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
        db = Database(url)
        await seed_demo(db)
        await _extras(db)
        async with db.transaction() as s:
            token.append((await create_api_key(s, name="parity", scopes=["admin"])).token)
        await db.dispose()

    _run(prepare())
    yield url, token[0]
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def answer(
    url: str, token: str, query: str | dict[str, Any], *, compiled: bool
) -> tuple[Any, list[str]]:
    db = Database(url)
    app = create_app(
        Settings(database_url=url, environment="test", sql_compiler=compiled), database=db
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=bearer(token)
        ) as http:
            with counting(db) as statements:
                payload = query if isinstance(query, dict) else {"query": query}
                body = (await http.post("/graphql", json=payload)).json()
    finally:
        await db.dispose()
    return body, [s for s in statements if "api_keys" not in s]


async def parity(url: str, token: str, type_name: str, name: str) -> tuple[Any, Any, list[str]]:
    query = _query(type_name, name)
    resolved, _ = await answer(url, token, query, compiled=False)
    compiled, statements = await answer(url, token, query, compiled=True)
    assert "errors" not in resolved, (query, resolved)
    return resolved, compiled, statements


@pytest.mark.parametrize(("type_name", "name"), CASES, ids=[f"{t}.{f}" for t, f in CASES])
async def test_compiled_field_answers_as_its_resolver(
    demo: tuple[str, str], type_name: str, name: str
) -> None:
    resolved, compiled, statements = await parity(*demo, type_name, name)
    assert _says_something(_values(resolved["data"], type_name, name)), (
        f"the test data leaves {type_name}.{name} empty: the comparison would prove nothing"
    )
    assert compiled == resolved
    assert len(statements) == 1 and "json_build_object" in statements[0]  # it was compiled


@pytest.mark.parametrize(
    ("type_name", "name", "wrong"),
    [
        ("Organisation", "hubs", Connects(r.ORGANISATION_PARTNER_HUBS, "Hub")),  # wrong relation
        ("Hub", "programme", Follows("Programme", "host_organisation_id")),  # wrong column
        ("Session", "cohorts", ListsEither(
            (("hub_id", r.HUB_COHORTS),), "ClinicalCohort"
        )),  # project sessions forgotten
        ("Consent", "active", IsNull("withdrawal_reason")),  # a plausible, wrong column
        ("Hub", "catchment", Values(r.HUB_CATCHMENT, "hub_id")),
        ("Hub", "cohorts", Lists(r.PROJECT_COHORTS, "ClinicalCohort")),
    ],
)
async def test_a_wrong_mapping_fails_parity(
    demo: tuple[str, str], monkeypatch: pytest.MonkeyPatch, type_name: str, name: str,
    wrong: Any,
) -> None:
    monkeypatch.setitem(compiler.SPECS[type_name].mapped, name, wrong)
    resolved, compiled, _ = await parity(*demo, type_name, name)
    assert compiled != resolved


async def test_a_wrong_column_fails_parity(
    demo: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(compiler.SPECS["Hub"].scalars, "name", ("venue", None))
    resolved, compiled, _ = await parity(*demo, "Hub", "name")
    assert compiled != resolved


@pytest.mark.parametrize(
    "filter_",
    [
        "",
        '(filter: {cohort: "dementia"})',
        '(filter: {dateFrom: "2024-04-01", dateTo: "2025-03-31"})',
        '(filter: {area: "Hounslow", dateFrom: "2024-01-01"})',
        "(filter: {programme: $programme})",
    ],
)
async def test_impact_compiled_answers_as_its_resolver(
    demo: tuple[str, str], filter_: str
) -> None:
    url, token = demo
    listed, _ = await answer(url, token, "{ programmes(first: 1) { nodes { id } } }",
                             compiled=False)
    programme = listed["data"]["programmes"]["nodes"][0]["id"]
    declared = "($programme: ID)" if "$programme" in filter_ else ""
    query = (
        f"query{declared} {{ impact{filter_}" + " { peopleEngaged sessionsDelivered"
        " hubsWithSessions staffTrained trainingDeliveries"
        " attendance { childrenYoungPeople olderPeople staff volunteers families total } } }"
    )
    body = {"query": query, "variables": {"programme": programme} if declared else {}}
    resolved, _ = await answer(url, token, body, compiled=False)
    compiled, statements = await answer(url, token, body, compiled=True)
    assert "errors" not in resolved, resolved
    figures = resolved["data"]["impact"]
    assert figures["sessionsDelivered"] and figures["peopleEngaged"], figures  # data to compare
    assert compiled == resolved
    assert len(statements) == 1 and "json_build_object" in statements[0]
