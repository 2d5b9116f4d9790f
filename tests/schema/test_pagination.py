"""Cursor pagination, as a partner walks a list: forwards, backwards, no gaps, no duplicates."""

from __future__ import annotations

import datetime as dt

from imm_graph.db import Database
from tests import builders
from tests.conftest import GraphQLClient

ORGANISATIONS = """
query Page($first: Int, $after: String, $last: Int, $before: String) {
  organisations(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}
"""


async def _many_organisations(db: Database, n: int) -> list[str]:
    names = [f"Care Home {i:02d}" for i in range(n)]
    async with db.transaction() as session:
        # Two with the same name: ordering must still be total (ties broken by id).
        for name in [*names, "Care Home 05"]:
            await builders.organisation(session, name=name)
    return sorted([*names, "Care Home 05"])


async def test_forwards_then_backwards_without_gaps_or_duplicates(
    db: Database, gql: GraphQLClient
) -> None:
    expected = await _many_organisations(db, 23)

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = (await gql(ORGANISATIONS, first=5, after=after))["organisations"]
        assert data["totalCount"] == len(expected)
        seen += [e["node"]["name"] for e in data["edges"]]
        pages += 1
        assert data["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == expected
    assert pages == 5

    back: list[str] = []
    before = None
    while True:
        data = (await gql(ORGANISATIONS, last=7, before=before))["organisations"]
        back = [e["node"]["name"] for e in data["edges"]] + back
        if not data["pageInfo"]["hasPreviousPage"]:
            break
        before = data["pageInfo"]["startCursor"]
    assert back == expected


async def test_page_size_default_and_maximum(db: Database, gql: GraphQLClient) -> None:
    await _many_organisations(db, 30)
    data = (await gql(ORGANISATIONS))["organisations"]
    assert len(data["edges"]) == 20  # the default page size
    body = await gql.raw(ORGANISATIONS, first=1000)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "first"


async def test_a_bad_cursor_is_a_clear_error(db: Database, gql: GraphQLClient) -> None:
    body = await gql.raw(ORGANISATIONS, first=2, after="not-a-cursor")
    [error] = body["errors"]
    assert error["extensions"]["fieldErrors"][0] == {
        "code": "invalid_cursor", "field": "after", "message": "after is not a cursor of this list",
    }


async def test_nested_lists_page_per_parent(db: Database, gql: GraphQLClient) -> None:
    async with db.transaction() as session:
        host = await builders.organisation(session)
        hub_a = await builders.hub(session, host.id, code="a", name="A")
        hub_b = await builders.hub(session, host.id, code="b", name="B")
        for day in range(1, 8):
            await builders.session_at(session, hub_a.id, dt.date(2024, 1, day), older_people=day)
        for day in range(1, 3):
            await builders.session_at(session, hub_b.id, dt.date(2024, 2, day))
    query = """
    query($after: String) { hubs { nodes { name sessions(first: 3, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { date } } } } }
    """
    hubs = (await gql(query))["hubs"]["nodes"]
    a, b = hubs
    assert [s["date"] for s in a["sessions"]["nodes"]] == ["2024-01-07", "2024-01-06", "2024-01-05"]
    assert a["sessions"]["totalCount"] == 7 and a["sessions"]["pageInfo"]["hasNextPage"]
    assert [s["date"] for s in b["sessions"]["nodes"]] == ["2024-02-02", "2024-02-01"]
    assert not b["sessions"]["pageInfo"]["hasNextPage"]

    # Walk hub A's sessions to the end with its cursors.
    dates = [s["date"] for s in a["sessions"]["nodes"]]
    after = a["sessions"]["pageInfo"]["endCursor"]
    while after:
        page = (await gql(query, after=after))["hubs"]["nodes"][0]["sessions"]
        dates += [s["date"] for s in page["nodes"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert dates == [f"2024-01-0{d}" for d in range(7, 0, -1)]
