"""Relay paging through GraphQL, as a partner pages: any size, either way, any ordering.

For organisations, hubs and training deliveries, on a small dataset full of ties (equal names,
areas, creation times, dates and trainee counts), Hypothesis picks an ``orderBy`` field and
direction, a page size and a direction of travel (``first``/``after`` or ``last``/``before``).
Walking the cursors to the end must give exactly the oracle's list, each row once: the rows
sorted in Python by (value, id), both reversed for DESC. ``hasNextPage``/``hasPreviousPage``
must say whether the walk has further to go. Every example runs on SQLite; PostgreSQL (where
a second page once failed for CREATED_AT, a timestamp bound as text) runs fewer examples.
The oracle reads the values the test wrote, never the API's answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import GraphQLClient

EXAMPLES = {"sqlite": 40, "postgres": 12}
T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)

# Lowercase ASCII words only: every database collation and Python sort them alike.
ORG_ROWS = [("alder", 0), ("birch", 1), ("alder", 1), ("cedar", 0), ("birch", 1), ("alder", 2),
            ("elm", 0), ("birch", 0)]
HUB_ROWS = [("oak", "west", 2), ("ash", "east", 0), ("oak", "east", 0), ("ash", "west", 2),
            ("yew", "east", 1), ("oak", "north", 0), ("ash", "east", 1)]
TRAINING_ROWS = [("song", dt.date(2024, 5, 1), 4), ("dance", dt.date(2024, 5, 1), 4),
                 ("song", dt.date(2024, 4, 1), 2), ("art", dt.date(2024, 5, 2), 4),
                 ("dance", dt.date(2024, 4, 1), 9), ("song", dt.date(2024, 5, 2), 2)]

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $field: %(type)sOrderField!,
      $direction: Direction!) {
  %(list)s(first: $first, after: $after, last: $last, before: $before,
           orderBy: {field: $field, direction: $direction}) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}
"""


async def seed(db: Database) -> dict[str, tuple[str, dict[str, Callable[[int], Any]], list[int]]]:
    """The three lists: GraphQL type, the sort value of each orderBy field by pk, the pks."""
    async with db.transaction() as session:
        orgs = [(await builders.organisation(session, name=name)).id for name, _ in ORG_ROWS]
        host = orgs[0]
        hubs = [(await builders.hub(session, host, code=f"h{i}{name}", name=name, area=area)).id
                for i, (name, area, _) in enumerate(HUB_ROWS)]
        trainings = [
            (await builders_training(session, title, day, trainees)).id
            for title, day, trainees in TRAINING_ROWS
        ]
        created = {}
        for pk, (_, minutes) in zip(orgs, ORG_ROWS, strict=True):
            created[("o", pk)] = T0 + dt.timedelta(minutes=minutes)
            await session.execute(sa.update(m.Organisation.__table__)
                                  .where(m.Organisation.__table__.c.id == pk)
                                  .values(created_at=created[("o", pk)]))
        for pk, (_, _, minutes) in zip(hubs, HUB_ROWS, strict=True):
            created[("h", pk)] = T0 + dt.timedelta(minutes=minutes)
            await session.execute(sa.update(m.Hub.__table__).where(m.Hub.__table__.c.id == pk)
                                  .values(created_at=created[("h", pk)]))
    org_name = dict(zip(orgs, [n for n, _ in ORG_ROWS], strict=True))
    hub = {pk: row for pk, row in zip(hubs, HUB_ROWS, strict=True)}
    training = {pk: row for pk, row in zip(trainings, TRAINING_ROWS, strict=True)}
    codes = {pk: f"h{i}{row[0]}" for i, (pk, row) in enumerate(hub.items())}
    return {
        "organisations": ("Organisation", {
            "NAME": org_name.__getitem__,
            "CREATED_AT": lambda pk: created[("o", pk)],
            "ID": lambda pk: pk,
        }, orgs),
        "hubs": ("Hub", {
            "NAME": lambda pk: hub[pk][0],
            "CODE": codes.__getitem__,
            "AREA": lambda pk: hub[pk][1],
            "CREATED_AT": lambda pk: created[("h", pk)],
        }, hubs),
        "trainings": ("TrainingDelivery", {
            "TITLE": lambda pk: training[pk][0],
            "DELIVERED_ON": lambda pk: training[pk][1],
            "TRAINEES": lambda pk: training[pk][2],
        }, trainings),
    }


async def builders_training(session: Any, title: str, day: dt.date, trainees: int) -> Any:
    from imm_graph import services

    return await services.create(session, "training", {
        "title": title, "delivered_on": day, "trainees": trainees})


ORDER_TYPE = {"organisations": "Organisation", "hubs": "Hub", "trainings": "Training"}


async def test_any_pages_either_way_in_any_order_are_the_whole_list_once(
    db: Database, gql: GraphQLClient, backend: str
) -> None:
    lists = await seed(db)
    loop = asyncio.get_running_loop()

    def call(query: str, **variables: Any) -> dict[str, Any]:
        return asyncio.run_coroutine_threadsafe(gql(query, **variables), loop).result(60)

    choices = st.sampled_from([(name, field) for name, (_, fields, _) in lists.items()
                               for field in fields])

    @settings(max_examples=EXAMPLES[backend], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(choices, st.sampled_from(["ASC", "DESC"]), st.integers(1, 5), st.booleans())
    def walk(choice: tuple[str, str], direction: str, size: int, backwards: bool) -> None:
        name, field = choice
        type_name, fields, pks = lists[name]
        value = fields[field]
        oracle = sorted(pks, key=lambda pk: (value(pk), pk), reverse=direction == "DESC")
        want = [encode_id(type_name, pk) for pk in oracle]
        query = PAGE % {"type": ORDER_TYPE[name], "list": name}
        got: list[str] = []
        cursor = None
        for _ in range(len(want) + 2):
            if backwards:
                page = call(query, last=size, before=cursor, field=field, direction=direction)
            else:
                page = call(query, first=size, after=cursor, field=field, direction=direction)
            data = page[name]
            ids = [edge["node"]["id"] for edge in data["edges"]]
            got = ids + got if backwards else got + ids
            info = data["pageInfo"]
            assert data["totalCount"] == len(want)
            more = info["hasPreviousPage"] if backwards else info["hasNextPage"]
            back = info["hasNextPage"] if backwards else info["hasPreviousPage"]
            assert back == (cursor is not None), (info, cursor)
            assert more == (len(got) < len(want)), (info, len(got))
            if ids:
                assert (info["startCursor"], info["endCursor"]) == (
                    data["edges"][0]["cursor"], data["edges"][-1]["cursor"])
            if not more:
                break
            cursor = info["startCursor"] if backwards else info["endCursor"]
        assert got == want, (name, field, direction, size, backwards)

    await asyncio.to_thread(walk)
