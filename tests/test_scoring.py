"""Outcome scoring, as worked examples.

Each test is meant to read as documentation for a partner developer: what goes in, what comes out
and what a rejection looks like. No database is involved.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from imm_graph.errors import FieldError, ValidationError
from imm_graph.reference import Measure
from imm_graph.scoring import (
    MEASURES,
    Change,
    MeasureSpec,
    Score,
    change,
    measure_spec,
    register_measure,
    score,
)

# The Warwick SWEMWBS raw -> metric conversion table, copied by hand from REFERENCE.md so that a
# typo in the module's copy cannot hide behind the same typo here.
SWEMWBS_TABLE = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75,
    14: 15.32, 15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59,
    21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11,
    28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55,
    35: 35.00,
}


def items_summing_to(total: int, count: int, low: int, high: int) -> list[int]:
    """Some valid answers with the given sum (fill from the first item up)."""
    items = [low] * count
    remaining = total - low * count
    for index in range(count):
        step = min(high - low, remaining)
        items[index] += step
        remaining -= step
    assert remaining == 0 and sum(items) == total
    return items


def only_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> FieldError:
    assert len(excinfo.value.errors) == 1, excinfo.value.errors
    return excinfo.value.errors[0]


# --- WHO-5 ----------------------------------------------------------------------------------


def test_who5_all_threes_is_raw_15_and_score_60() -> None:
    result = score(Measure.WHO5, [3, 3, 3, 3, 3])

    assert result == Score(measure=Measure.WHO5, raw=15, score=60, flags=())


def test_who5_best_possible_is_100() -> None:
    result = score("who5", [5, 5, 5, 5, 5])

    assert (result.raw, result.score) == (25, 100)


def test_who5_worst_possible_is_0_and_flags_poor_wellbeing() -> None:
    result = score("who5", [0, 0, 0, 0, 0])

    assert (result.raw, result.score) == (0, 0)
    assert result.flags == ("poor_wellbeing",)


@pytest.mark.parametrize(
    ("items", "flagged"),
    [
        pytest.param([2, 2, 2, 3, 3], True, id="raw 12 is below 13"),
        pytest.param([2, 2, 3, 3, 3], False, id="raw 13 with no item below 2"),
        pytest.param([5, 5, 5, 5, 1], True, id="raw 21 but one item is 1"),
        pytest.param([5, 5, 5, 0, 5], True, id="raw 20 but one item is 0"),
        pytest.param([2, 2, 2, 2, 5], False, id="raw 13, lowest item 2"),
    ],
)
def test_who5_poor_wellbeing_flag(items: list[int], flagged: bool) -> None:
    assert ("poor_wellbeing" in score(Measure.WHO5, items).flags) is flagged


def test_who5_accepts_answers_keyed_by_item_number() -> None:
    by_number = {"item1": 3, "item2": 3, "3": 3, "item_4": 3, "ITEM5": 3}

    assert score(Measure.WHO5, by_number).score == 60


def test_who5_change_of_10_points_is_significant() -> None:
    assert change(Measure.WHO5, pre=60, post=70) == Change(
        difference=10, improved=True, significant=True, deteriorated_significantly=False
    )


def test_who5_change_of_8_points_is_an_improvement_but_not_significant() -> None:
    result = change(Measure.WHO5, pre=60, post=68)

    assert result.improved is True
    assert result.significant is False


def test_who5_fall_of_12_points_is_a_significant_deterioration() -> None:
    result = change(Measure.WHO5, pre=72, post=60)

    assert result.difference == -12
    assert (result.improved, result.significant, result.deteriorated_significantly) == (
        False, False, True,
    )


def test_no_change_is_neither_improvement_nor_deterioration() -> None:
    assert change("who5", 48, 48) == Change(0.0, False, False, False)


# --- UCLA3 (ONS loneliness) -----------------------------------------------------------------


def test_ucla3_bounds() -> None:
    # Hardly ever or never = 1, Some of the time = 2, Often = 3.
    assert score(Measure.UCLA3, [1, 1, 1]).score == 3
    assert score(Measure.UCLA3, [3, 3, 3]).score == 9
    assert score(Measure.UCLA3, [2, 3, 1]).raw == 6


def test_ucla3_has_no_zero_answer() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.UCLA3, [0, 2, 2])

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items[0]", "out_of_range")
    assert "item 1" in error.message and "between 1 and 3" in error.message


def test_ucla3_a_drop_of_2_is_an_improvement_because_lower_is_less_lonely() -> None:
    result = change(Measure.UCLA3, pre=7, post=5)

    assert result == Change(
        difference=-2, improved=True, significant=True, deteriorated_significantly=False
    )


def test_ucla3_a_rise_is_a_deterioration() -> None:
    result = change(Measure.UCLA3, pre=4, post=6)

    assert (result.improved, result.deteriorated_significantly) == (False, True)


def test_ucla3_change_outside_the_3_to_9_range_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        change(Measure.UCLA3, pre=2, post=10)

    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        ("pre", "out_of_range"), ("post", "out_of_range"),
    ]


# --- SWEMWBS --------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "metric"), sorted(SWEMWBS_TABLE.items()))
def test_swemwbs_raw_total_converts_to_the_warwick_metric(raw: int, metric: float) -> None:
    items = items_summing_to(raw, count=7, low=1, high=5)

    result = score(Measure.SWEMWBS, items)

    assert result.raw == raw
    assert result.score == metric


def test_swemwbs_table_covers_every_possible_raw_total() -> None:
    assert sorted(SWEMWBS_TABLE) == list(range(7, 36))


def test_swemwbs_change_is_measured_on_the_metric_not_the_raw_sum() -> None:
    # Raw 17 -> 22 is 16.88 -> 19.98 on the metric: 3.10, a meaningful change (about 3 points).
    pre = score(Measure.SWEMWBS, items_summing_to(17, 7, 1, 5)).score
    post = score(Measure.SWEMWBS, items_summing_to(22, 7, 1, 5)).score

    result = change(Measure.SWEMWBS, pre, post)

    assert result.difference == pytest.approx(3.10)
    assert result.significant is True


def test_swemwbs_change_of_2_is_not_significant() -> None:
    assert change(Measure.SWEMWBS, pre=19.98, post=21.98).significant is False


# --- WEMWBS ---------------------------------------------------------------------------------


def test_wemwbs_bounds() -> None:
    assert score(Measure.WEMWBS, [1] * 14).score == 14
    assert score(Measure.WEMWBS, [5] * 14).score == 70


def test_wemwbs_3_points_is_significant_2_is_not() -> None:
    assert change(Measure.WEMWBS, 40, 43).significant is True
    assert change(Measure.WEMWBS, 40, 42).significant is False


def test_wemwbs_needs_all_14_items() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WEMWBS, [3] * 13)

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items", "wrong_item_count")
    assert "14 items" in error.message and "item 14" in error.message


# --- HEartS (configurable) ------------------------------------------------------------------


def test_hearts_default_is_a_sum_of_8_items_from_1_to_5() -> None:
    assert score(Measure.HEARTS, [1, 2, 3, 4, 5, 1, 2, 3]).score == 21


@pytest.fixture
def restore_hearts() -> Iterator[None]:
    original = MEASURES[Measure.HEARTS]
    yield
    register_measure(original)


@pytest.mark.usefixtures("restore_hearts")
def test_hearts_can_be_reconfigured_through_the_registry() -> None:
    register_measure(MeasureSpec(
        measure=Measure.HEARTS, label="HEartS", item_count=4, item_min=0, item_max=4,
        higher_is_better=True, meaningful_change=1.5,
    ))

    assert score(Measure.HEARTS, [0, 4, 4, 4]).score == 12
    assert change(Measure.HEARTS, 10, 11.5).significant is True
    with pytest.raises(ValidationError):
        score(Measure.HEARTS, [1, 2, 3, 4, 5, 1, 2, 3])


# --- Registry -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "count", "low", "high", "higher_is_better", "meaningful"),
    [
        (Measure.WHO5, 5, 0, 5, True, 10.0),
        (Measure.UCLA3, 3, 1, 3, False, 1.0),
        (Measure.SWEMWBS, 7, 1, 5, True, 3.0),
        (Measure.WEMWBS, 14, 1, 5, True, 3.0),
        (Measure.HEARTS, 8, 1, 5, True, 2.0),
    ],
)
def test_registered_specs(
    measure: Measure, count: int, low: int, high: int, higher_is_better: bool, meaningful: float
) -> None:
    spec = measure_spec(measure)

    assert (spec.item_count, spec.item_min, spec.item_max) == (count, low, high)
    assert spec.higher_is_better is higher_is_better
    assert spec.meaningful_change == meaningful


def test_score_ranges() -> None:
    assert (measure_spec("who5").score_min, measure_spec("who5").score_max) == (0, 100)
    assert (measure_spec("swemwbs").score_min, measure_spec("swemwbs").score_max) == (7, 35)


# --- Rejections: every one names the item ---------------------------------------------------


def test_out_of_range_item_names_the_item_and_the_range() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, [3, 3, 7, 3, 3])

    error = only_error(excinfo)
    assert error == FieldError(
        code="out_of_range", field="items[2]",
        message="WHO-5 item 3 must be between 0 and 5, got 7",
    )


def test_every_bad_item_is_reported_not_just_the_first() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, [-1, 3, 6, 3, 9])

    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        ("items[0]", "out_of_range"), ("items[2]", "out_of_range"), ("items[4]", "out_of_range"),
    ]
    for error, number in zip(excinfo.value.errors, (1, 3, 5), strict=True):
        assert f"item {number} " in error.message


@pytest.mark.parametrize("value", [True, False], ids=["True", "False"])
def test_booleans_are_not_answers(value: bool) -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.UCLA3, [2, value, 2])

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items[1]", "not_an_integer")
    assert "item 2" in error.message and "between 1 and 3" in error.message


@pytest.mark.parametrize("value", [2.0, 2.5, "2"], ids=["float", "fraction", "string"])
def test_non_integers_are_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, [3, 3, 3, value, 3])  # type: ignore[list-item]

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items[3]", "not_an_integer")
    assert "item 4" in error.message


def test_none_is_a_missing_item() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, [3, None, 3, 3, 3])  # type: ignore[list-item]

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items[1]", "missing_item")
    assert "item 2" in error.message


def test_mapping_without_an_item_reports_it_missing() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.UCLA3, {"1": 2, "3": 2})

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items[1]", "missing_item")
    assert "UCLA3 item 2" in error.message


def test_mapping_with_an_unknown_or_repeated_key_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.UCLA3, {"1": 2, "item1": 2, "2": 2, "3": 2, "4": 2})

    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        ("items[0]", "duplicate_item"), ("items.4", "unexpected_item"),
    ]
    assert "item 1" in excinfo.value.errors[0].message
    assert "'4'" in excinfo.value.errors[1].message


@pytest.mark.parametrize(
    ("items", "named"),
    [([3, 3, 3, 3], "item 5 missing"), ([3] * 7, "items 6 to 7 not expected")],
    ids=["too few", "too many"],
)
def test_wrong_item_count(items: list[int], named: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, items)

    error = only_error(excinfo)
    assert (error.field, error.code) == ("items", "wrong_item_count")
    assert named in error.message


def test_items_must_be_a_list_or_mapping() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(Measure.WHO5, "33333")

    assert (only_error(excinfo).field, only_error(excinfo).code) == ("items", "not_a_list")


def test_unknown_measure() -> None:
    with pytest.raises(ValidationError) as excinfo:
        score("phq9", [1, 2, 3])

    error = only_error(excinfo)
    assert (error.field, error.code) == ("measure", "unknown_measure")
    assert "phq9" in error.message


def test_change_rejects_non_numbers() -> None:
    with pytest.raises(ValidationError) as excinfo:
        change(Measure.WHO5, pre=True, post=float("nan"))

    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        ("pre", "not_a_number"), ("post", "not_a_number"),
    ]


def test_validation_error_is_a_value_error() -> None:
    # Callers that only know about ValueError still catch scoring failures.
    with pytest.raises(ValueError, match=r"items\[2\]: WHO-5 item 3"):
        score(Measure.WHO5, [3, 3, 7, 3, 3])


@pytest.mark.parametrize("measure", [None, 5, Measure], ids=["None", "an int", "a class"])
def test_a_measure_that_is_not_text_is_unknown(measure: object) -> None:
    with pytest.raises(ValidationError) as excinfo:
        score(measure, [1, 2, 3])  # type: ignore[arg-type]

    assert only_error(excinfo).code == "unknown_measure"


def test_the_unknown_measure_message_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as excinfo:
        measure_spec(" PHQ9 ")

    assert only_error(excinfo).message == (
        "unknown measure ' PHQ9 '; expected one of who5, ucla3, swemwbs, wemwbs, hearts"
    )
