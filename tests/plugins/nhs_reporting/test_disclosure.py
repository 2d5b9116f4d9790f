"""Disclosure control on its edges: what a commissioner may be shown of each figure."""

from __future__ import annotations

import pytest

from plugins.nhs_reporting.disclosure import (
    COUNT,
    NOT_PEOPLE,
    STATISTIC,
    Cell,
    complementary_warnings,
    cross_return_warnings,
    disclose,
    publish,
)


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0"),        # nothing to hide
    (1, "*"),        # the smallest count that could identify someone
    (7, "*"),        # the largest suppressed
    (8, "10"),       # the smallest shown, rounded to the nearest 5
    (12, "10"),      # 12 is nearer 10
    (13, "15"),      # 13 is nearer 15
    (1232, "1230"),
    (1234, "1235"),
    (1237.5, "1240"),  # a half-way value (never a whole count) rounds up, ROUND_HALF_UP
])
def test_a_count_is_suppressed_below_8_and_otherwise_rounded_to_the_nearest_5(
    count: float, shown: str
) -> None:
    assert disclose(count, COUNT) == shown


def test_a_mean_of_7_people_is_suppressed_and_of_8_is_shown() -> None:
    seven = [40, 52, 60, 64, 68, 72, 80]
    eight = [*seven, 84]
    assert disclose(sum(seven) / 7, STATISTIC, base=7, decimals=2) == "*"
    assert disclose(sum(eight) / 8, STATISTIC, base=8, decimals=2) == "65.00"
    assert disclose(None, STATISTIC, base=0) == "*"


def test_a_total_is_rounded_from_the_unrounded_cells_not_summed_from_the_shown_ones() -> None:
    cells = [3, 4, 9]
    assert [disclose(c) for c in cells] == ["*", "*", "10"]
    assert disclose(sum(cells)) == "15"  # 16 rounded; the shown cells would not add up to it


def test_sessions_are_not_about_people_and_are_shown_unrounded() -> None:
    assert disclose(3, NOT_PEOPLE) == "3"
    assert disclose(1234, NOT_PEOPLE) == "1234"


def _cell(level: str, value: int, total_of: str | None = "Total|Total|NONE|PEO01") -> Cell:
    return Cell("people", "Sex" if total_of else "Total", level, level, "NONE", "NONE",
                "PEO01", "Unique participants", value, total_of=total_of)


def test_publishing_never_lets_a_raw_figure_through() -> None:
    shown = publish([_cell("Total", 16, None), _cell("1", 3), _cell("2", 13)])
    assert [c.value for c in shown] == ["15", "*", "15"]


def test_the_only_suppressed_cell_of_a_breakdown_with_its_total_shown_is_warned_about() -> None:
    lone = [_cell("Total", 30, None), _cell("1", 3), _cell("2", 27)]
    warnings = complementary_warnings(lone)
    assert len(warnings) == 1 and "Sex '1'" in warnings[0]
    # Two suppressed cells protect each other: the total minus the rest gives only their sum.
    assert complementary_warnings([_cell("Total", 30, None), _cell("1", 3), _cell("2", 4),
                                   _cell("9", 23)]) == []


def test_two_returns_that_differ_by_fewer_than_8_people_are_warned_about() -> None:
    quarter = [_cell("Total", 40, None)]
    assert len(cross_return_warnings(quarter, [_cell("Total", 33, None)], "Q3", "Oct")) == 1
    assert cross_return_warnings(quarter, [_cell("Total", 32, None)], "Q3", "Oct") == []
    assert cross_return_warnings(quarter, [_cell("Total", 40, None)], "Q3", "Oct") == []
