"""Keyset paging (`imm_graph.schema.pagination`) against a list sorted in Python.

In-memory SQLite and plain SQLAlchemy, no application database: fast enough for mutation
testing (scripts/mutation, set ``pagination``). The oracle is Python's own sort of the rows by
(column, id), both reversed for a descending order; walking the pages forwards with ``after``
or backwards with ``before``, at any page size, must give exactly that list, each row once,
with ``hasNextPage`` / ``hasPreviousPage`` telling the truth. The data has many ties, so the
tie-breaker is what decides most positions. tests/properties/test_relay_paging_properties.py
checks the same through GraphQL on the real schema and both databases.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from imm_graph.errors import ValidationError
from imm_graph.schema.pagination import (
    INT32_MAX,
    Order,
    PageArgs,
    connection,
    encode_cursor,
    nested_page_query,
    page_from_rows,
    page_query,
)

metadata = sa.MetaData()
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("parent", sa.Integer, nullable=False),
    sa.Column("name", sa.String(20), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
)
codes = sa.Table(
    "codes", metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False),
)
ENGINE = sa.create_engine("sqlite://")
metadata.create_all(ENGINE)

# Rows: (parent, name, score); ids are given in an order unrelated to either column.
rows_strategy = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from(["a", "b", "B", "c"]), st.integers(0, 3)),
    min_size=0, max_size=14,
)
ORDERINGS = [("name", False), ("name", True), ("score", False), ("score", True),
             ("id", False), ("id", True)]


def load(rows: list[tuple[int, str, int]]) -> list[dict[str, Any]]:
    # Ids descend as rows are added, so "by id" and "as inserted" are different orders.
    data = [{"id": 1000 - 7 * i, "parent": p, "name": n, "score": s}
            for i, (p, n, s) in enumerate(rows)]
    with ENGINE.begin() as conn:
        conn.execute(items.delete())
        if data:
            conn.execute(items.insert(), data)
    return data


def order_of(column: str, desc: bool) -> Order:
    if column == "id":
        return Order(((items.c.id, desc),))
    return Order(((items.c[column], desc), (items.c.id, desc)))


def expected(data: list[dict[str, Any]], column: str, desc: bool) -> list[int]:
    ranked = sorted(data, key=lambda r: (r[column], r["id"]), reverse=desc)
    return [r["id"] for r in ranked]


def fetch(query: sa.Select[Any]) -> list[Any]:
    with ENGINE.connect() as conn:
        return list(conn.execute(query))


def walk(order: Order, size: int, backwards: bool) -> Iterator[tuple[list[int], Any]]:
    """Every page of the list, first to last (or last to first), with its page info."""
    cursor: str | None = None
    for _ in range(100):
        args = (PageArgs(last=size, before=cursor) if backwards
                else PageArgs(first=size, after=cursor))
        page = page_from_rows(fetch(page_query(sa.select(items), order, args)), args)
        conn = connection(page, order, lambda row: row.id, lambda: None)  # type: ignore[arg-type,return-value]
        yield [edge.node for edge in conn.edges], conn.page_info
        more = conn.page_info.has_previous_page if backwards else conn.page_info.has_next_page
        if not more:
            return
        cursor = conn.page_info.start_cursor if backwards else conn.page_info.end_cursor
    raise AssertionError("paging did not end")


@given(rows_strategy, st.sampled_from(ORDERINGS), st.integers(1, 5), st.booleans())
def test_the_pages_make_the_whole_list_once_in_order(
    rows: list[tuple[int, str, int]], ordering: tuple[str, bool], size: int, backwards: bool
) -> None:
    data = load(rows)
    column, desc = ordering
    want = expected(data, column, desc)
    pages = list(walk(order_of(column, desc), size, backwards))
    if backwards:
        pages.reverse()
    got = [node for ids, _ in pages for node in ids]
    assert got == want
    # Every page is full but the one at the far end; the flags tell the truth.
    for i, (ids, info) in enumerate(pages):
        last_read = i == 0 if backwards else i == len(pages) - 1
        assert len(ids) == size or (last_read and len(ids) <= size)
        if ids:
            assert info.start_cursor == encode_cursor(ids[0])
            assert info.end_cursor == encode_cursor(ids[-1])
        else:
            assert info.start_cursor is None and info.end_cursor is None
        if backwards:
            assert info.has_previous_page == (i > 0)
            assert info.has_next_page == (i < len(pages) - 1)
        else:
            assert info.has_next_page == (i < len(pages) - 1)
            assert info.has_previous_page == (i > 0)


@given(rows_strategy.filter(bool), st.sampled_from(ORDERINGS), st.data())
def test_after_and_before_any_row_are_the_rows_strictly_beyond_it(
    rows: list[tuple[int, str, int]], ordering: tuple[str, bool], data: st.DataObject
) -> None:
    table = load(rows)
    column, desc = ordering
    order = order_of(column, desc)
    want = expected(table, column, desc)
    at = data.draw(st.integers(0, len(want) - 1))
    cursor = encode_cursor(want[at])
    size = data.draw(st.integers(0, len(want) + 1))
    after = PageArgs(first=size, after=cursor)
    page = page_from_rows(fetch(page_query(sa.select(items), order, after)), after)
    assert [r.id for r in page.rows] == want[at + 1:at + 1 + size]
    assert page.has_next == (len(want) - at - 1 > size)
    assert page.has_previous is True
    before = PageArgs(last=size, before=cursor)
    page = page_from_rows(fetch(page_query(sa.select(items), order, before)), before)
    assert [r.id for r in page.rows] == want[max(0, at - size):at]
    assert page.has_previous == (at > size)
    assert page.has_next is True
    # Between two rows: both bounds apply.
    end = data.draw(st.integers(at, len(want) - 1))
    both = PageArgs(first=len(want), after=cursor, before=encode_cursor(want[end]))
    page = page_from_rows(fetch(page_query(sa.select(items), order, both)), both)
    assert [r.id for r in page.rows] == want[at + 1:end]


@given(rows_strategy, st.sampled_from(ORDERINGS), st.integers(0, 4), st.booleans(), st.data())
def test_nested_pages_rank_rows_within_each_parent(
    rows: list[tuple[int, str, int]], ordering: tuple[str, bool], size: int, backwards: bool,
    data: st.DataObject,
) -> None:
    table = load(rows)
    column, desc = ordering
    order = order_of(column, desc)
    parents = data.draw(st.lists(st.integers(1, 4), unique=True, max_size=4))
    args = PageArgs(last=size) if backwards else PageArgs(first=size)
    found = fetch(nested_page_query(sa.select(items), items.c.parent, parents, order, args))
    by_parent: dict[int, list[Any]] = {}
    for row in found:
        by_parent.setdefault(row.parent_key_, []).append(row)
    assert [r.parent_key_ for r in found] == sorted(r.parent_key_ for r in found)
    for parent in parents:
        want = expected([r for r in table if r["parent"] == parent], column, desc)
        if backwards:
            want = want[::-1]
        mine = by_parent.pop(parent, [])
        assert [r.id for r in mine] == want[:size + 1]
        assert [r.rank_ for r in mine] == list(range(1, len(mine) + 1))
        page = page_from_rows(mine, args)
        shown = want[:size][::-1] if backwards else want[:size]
        assert [r.id for r in page.rows] == shown
        if backwards:
            assert (page.has_previous, page.has_next) == (len(want) > size, False)
        else:
            assert (page.has_next, page.has_previous) == (len(want) > size, False)
    assert by_parent == {}


def test_nested_pages_are_ordered_by_parent_then_rank() -> None:
    # SQL promises no order without ORDER BY: SQLite happens to keep the window's, others need not.
    query = nested_page_query(sa.select(items), items.c.parent, [1, 2], order_of("name", False),
                              PageArgs(first=2))
    order_by = [str(c) for c in query._order_by_clauses]
    assert [c.rsplit(".", 1)[-1] for c in order_by] == ["parent_key_", "rank_"]


def test_a_page_reads_one_row_more_than_it_shows() -> None:
    order = order_of("name", False)
    assert page_query(sa.select(items), order, PageArgs(first=2))._limit == 3
    assert page_query(sa.select(items), order, PageArgs(last=0))._limit == 1


@given(rows_strategy, st.integers(1, 4), st.booleans())
def test_an_order_of_three_columns_pages_as_well(
    rows: list[tuple[int, str, int]], size: int, backwards: bool
) -> None:
    data = load(rows)
    order = Order(((items.c.score, True), (items.c.name, False), (items.c.id, False)))
    want = [r["id"] for r in sorted(data, key=lambda r: (-r["score"], r["name"], r["id"]))]
    pages = list(walk(order, size, backwards))
    if backwards:
        pages.reverse()
    assert [node for ids, _ in pages for node in ids] == want


def test_a_connection_keeps_its_count_and_flags() -> None:
    async def count() -> int:
        return 7

    page = page_from_rows([], PageArgs(first=2, after=encode_cursor(3)))
    made = connection(page, order_of("name", False), lambda row: row, count)
    assert made.count_loader is count
    assert made.edges == [] and made.nodes() == []
    assert (made.page_info.has_next_page, made.page_info.has_previous_page) == (False, True)
    assert (made.page_info.start_cursor, made.page_info.end_cursor) == (None, None)


def test_a_text_key_pages_as_well_as_a_number() -> None:
    with ENGINE.begin() as conn:
        conn.execute(codes.delete())
        conn.execute(codes.insert(), [{"code": c, "rank": r} for c, r in
                                      [("b", 1), ("a", 1), ("d", 0), ("c", 1), ("é", 0)]])
    order = Order(((codes.c.rank, True), (codes.c.code, True)))
    want = ["c", "b", "a", "é", "d"]
    got: list[str] = []
    cursor = None
    while True:
        args = PageArgs(first=2, after=cursor)
        page = page_from_rows(fetch(page_query(sa.select(codes), order, args)), args)
        got += [r.code for r in page.rows]
        if not page.has_next:
            break
        cursor = order.cursor(page.rows[-1])
    assert got == want
    assert order.decode(encode_cursor("é"), "after") == "é"


# --- arguments and cursors --------------------------------------------------------------------

def refused(call: Any) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    [error] = caught.value.errors
    return error.field, error.code, error.message


def test_page_arguments_are_checked() -> None:
    assert PageArgs().checked(20, 100) == PageArgs(first=20)
    assert PageArgs(after="x", before="y").checked(7, 100) == PageArgs(7, "x", None, "y")
    assert PageArgs(first=0).checked(20, 100) == PageArgs(first=0)
    assert PageArgs(first=100).checked(20, 100) == PageArgs(first=100)
    assert PageArgs(last=100, before="y").checked(20, 100) == PageArgs(last=100, before="y")
    assert refused(lambda: PageArgs(first=1, last=1).checked(20, 100)) == (
        "first", "conflicting_arguments", "give first or last, not both")
    assert refused(lambda: PageArgs(first=101).checked(20, 100)) == (
        "first", "out_of_range", "first must be between 0 and 100, got 101")
    assert refused(lambda: PageArgs(first=-1).checked(20, 100)) == (
        "first", "out_of_range", "first must be between 0 and 100, got -1")
    assert refused(lambda: PageArgs(last=101).checked(20, 100)) == (
        "last", "out_of_range", "last must be between 0 and 100, got 101")
    assert refused(lambda: PageArgs(last=-1).checked(20, 100)) == (
        "last", "out_of_range", "last must be between 0 and 100, got -1")


def test_page_size_and_direction() -> None:
    assert (PageArgs(first=3).size, PageArgs(last=4).size, PageArgs().size) == (3, 4, 0)
    assert PageArgs(first=3, last=0).size == 0
    assert (PageArgs(first=3).backwards, PageArgs(last=0).backwards) == (False, True)


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%", "", "not base64!", cursor_of({"id": 1}), cursor_of([]), cursor_of([1, 2]),
        cursor_of([0]), cursor_of([-1]), cursor_of([INT32_MAX + 1]), cursor_of([True]),
        cursor_of(["1"]), cursor_of([1.0]), cursor_of([None]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(), cursor_of("[1]"),
        base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
    ],
    # Plain, stable ids: mutmut passes test ids to pytest.
    ids=lambda cursor: "c" + hashlib.sha256(cursor.encode()).hexdigest()[:8],
)
def test_a_number_keys_cursor_holds_exactly_one_key_in_range(cursor: str) -> None:
    order = order_of("name", False)
    assert refused(lambda: order.decode(cursor, "before")) == (
        "before", "invalid_cursor", "before is not a cursor of this list")


def test_a_bad_cursor_is_named_by_its_argument() -> None:
    order = order_of("name", False)
    for args, field in ((PageArgs(first=1, after="%%%"), "after"),
                        (PageArgs(last=1, before="%%%"), "before"),
                        (PageArgs(first=1, after=encode_cursor(1), before="e30"), "before")):
        assert refused(lambda a=args: page_query(sa.select(items), order, a)) == (
            field, "invalid_cursor", f"{field} is not a cursor of this list")


@pytest.mark.parametrize("key", [1, 2, 123, 12345, INT32_MAX])
def test_a_number_key_survives_its_cursor(key: int) -> None:
    order = order_of("score", True)
    assert order.decode(encode_cursor(key), "after") == key
    assert order.decode(encode_cursor(key) + "==", "after") == key
    assert encode_cursor(key) == cursor_of([key]).replace(" ", "")


@pytest.mark.parametrize("key", ["", "x" * 201, "a\x00b", 1, None, ["a"]],
                         ids=["empty", "long", "nul", "number", "null", "list"])
def test_a_text_keys_cursor_is_refused_unless_it_is_short_text(key: Any) -> None:
    order = Order(((codes.c.code, False),))
    assert refused(lambda: order.decode(cursor_of([key]), "after"))[1] == "invalid_cursor"


@pytest.mark.parametrize("key", ["a", "x" * 200, "é€"], ids=["a", "long", "accented"])
def test_a_text_key_survives_its_cursor(key: str) -> None:
    order = Order(((codes.c.code, False),))
    assert order.decode(encode_cursor(key), "after") == key
    assert "=" not in encode_cursor(key)
    assert base64.urlsafe_b64decode(encode_cursor(key) + "==").decode() == json.dumps(
        [key], separators=(",", ":"), ensure_ascii=False)


def test_an_order_puts_its_key_last_and_reverses_for_backward_pages() -> None:
    order = order_of("name", True)
    assert order.key is items.c.id
    sql = [str(c) for c in order.clauses()]
    assert sql == ["items.name DESC", "items.id DESC"]
    assert [str(c) for c in order.clauses(reverse=True)] == ["items.name ASC", "items.id ASC"]
    ascending = order_of("name", False)
    assert [str(c) for c in ascending.clauses(reverse=True)] == ["items.name DESC",
                                                                 "items.id DESC"]
