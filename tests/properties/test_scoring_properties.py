"""Every scoring measure against an oracle written here from the published scoring rules.

REFERENCE.md: WHO-5 5 items 0-5, raw x 4 (a 10-point change is significant; "raw < 13 (or any
item 0-1) flags poor well-being"); UCLA-3 3 items 1-3, 3-9, lower is better; SWEMWBS 7 items
1-5, raw converted by the Warwick table; WEMWBS 14 items 1-5, 14-70; HEartS a configurable item
sum (IMM default 8 items 1-5).

Change is judged on exact hundredths: every reported score has at most two decimals, so the
oracle works in integers and cannot share a floating-point mistake with the module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from imm_graph.errors import ValidationError
from imm_graph.reference import Measure
from imm_graph.scoring import MEASURES, Change, MeasureSpec, change, register_measure, score

# Warwick's SWEMWBS raw -> metric table, typed from REFERENCE.md independently of the module.
WARWICK = dict(zip(range(7, 36), (
    "7.00", "9.51", "11.25", "12.40", "13.33", "14.08", "14.75", "15.32", "15.84", "16.36",
    "16.88", "17.43", "17.98", "18.59", "19.25", "19.98", "20.73", "21.54", "22.35", "23.21",
    "24.11", "25.03", "26.02", "27.03", "28.13", "29.31", "30.70", "32.55", "35.00",
), strict=True))


@dataclass(frozen=True)
class Rule:
    label: str
    count: int
    low: int
    high: int
    lower_is_better: bool
    threshold_hundredths: int  # the meaningful change, in hundredths of a score point
    hundredths: Callable[[int], int]  # raw sum -> reported score, in hundredths

    def score(self, raw: int) -> float:
        return self.hundredths(raw) / 100

    def reachable(self) -> list[int]:
        """Every reported score the measure can produce, in hundredths."""
        raws = range(self.count * self.low, self.count * self.high + 1)
        return [self.hundredths(raw) for raw in raws]


RULES = {
    Measure.WHO5: Rule("WHO-5", 5, 0, 5, False, 1000, lambda raw: raw * 400),
    Measure.UCLA3: Rule("UCLA3", 3, 1, 3, True, 100, lambda raw: raw * 100),
    Measure.SWEMWBS: Rule(
        "SWEMWBS", 7, 1, 5, False, 300, lambda raw: int(WARWICK[raw].replace(".", ""))
    ),
    Measure.WEMWBS: Rule("WEMWBS", 14, 1, 5, False, 300, lambda raw: raw * 100),
    Measure.HEARTS: Rule("HEartS", 8, 1, 5, False, 200, lambda raw: raw * 100),
}
measures = st.sampled_from(list(RULES))


def poor_wellbeing(items: list[int]) -> bool:
    return sum(items) < 13 or min(items) <= 1


def answers(rule: Rule, count: int | None = None) -> st.SearchStrategy[list[int]]:
    n = rule.count if count is None else count
    return st.lists(st.integers(rule.low, rule.high), min_size=n, max_size=n)


def refusal(measure: Measure, items: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as excinfo:
        score(measure, items)  # type: ignore[arg-type]
    return [(e.field, e.code, e.message) for e in excinfo.value.errors]


@pytest.fixture(autouse=True)
def registry_untouched() -> Iterator[None]:
    """Tests that re-register a measure put the original back."""
    before = dict(MEASURES)
    yield
    MEASURES.clear()
    MEASURES.update(before)


# --- scores ---------------------------------------------------------------------------------


@given(measures, st.data())
def test_valid_answers_score_as_the_published_rules_say(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))

    result = score(measure, items)

    assert result.measure == measure
    assert result.raw == sum(items)
    assert result.score == rule.score(sum(items))
    flagged = measure == Measure.WHO5 and poor_wellbeing(items)
    assert result.flags == (("poor_wellbeing",) if flagged else ())


@given(answers(RULES[Measure.WHO5]))
@example([2, 2, 3, 3, 3])  # raw 13, lowest 2: not flagged
@example([2, 2, 2, 3, 3])  # raw 12: flagged
@example([5, 5, 5, 5, 1])  # raw 21 but an item of 1: flagged
@example([5, 5, 5, 5, 2])  # an item of 2 is not low
def test_who5_flags_poor_wellbeing_below_13_or_with_any_item_0_or_1(items: list[int]) -> None:
    assert ("poor_wellbeing" in score(Measure.WHO5, items).flags) is poor_wellbeing(items)


@given(measures, st.data())
def test_answers_keyed_by_item_number_score_like_the_list(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))
    styles = st.sampled_from(["{}", "item{}", "item_{}", "ITEM{}", "Item_{}", " {} "])
    keyed = {data.draw(styles).format(i + 1): value for i, value in enumerate(items)}
    shuffled = dict(data.draw(st.permutations(list(keyed.items()))))

    assert score(measure, shuffled) == score(measure, items)
    assert score(measure.value.upper(), tuple(items)) == score(measure, items)


@given(measures, st.data())
def test_out_of_range_answers_are_refused_naming_each_item(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))
    bad = data.draw(st.sets(st.integers(0, rule.count - 1), min_size=1))
    out_of_range = st.integers(max_value=rule.low - 1) | st.integers(min_value=rule.high + 1)
    for index in bad:
        items[index] = data.draw(out_of_range)

    assert refusal(measure, items) == [
        (
            f"items[{i}]", "out_of_range",
            f"{rule.label} item {i + 1} must be between {rule.low} and {rule.high}, "
            f"got {items[i]}",
        )
        for i in sorted(bad)
    ]


@given(measures, st.data())
def test_answers_just_inside_the_range_are_accepted(measure: Measure, data: st.DataObject) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))
    index = data.draw(st.integers(0, rule.count - 1))
    for edge in (rule.low, rule.high):
        items[index] = edge
        assert score(measure, items).raw == sum(items)


@given(measures, st.data())
def test_a_wrong_number_of_answers_is_refused_naming_the_items(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    given_count = data.draw(st.integers(0, rule.count + 6).filter(lambda n: n != rule.count))
    items = data.draw(answers(rule, given_count))

    [(field, code, message)] = refusal(measure, items)

    assert (field, code) == ("items", "wrong_item_count")
    assert message.startswith(f"{rule.label} has {rule.count} items, got {given_count} (")
    if given_count < rule.count:
        first, last, state = given_count + 1, rule.count, "missing"
    else:
        first, last, state = rule.count + 1, given_count, "not expected"
    named = f"item {first}" if first == last else f"items {first} to {last}"
    assert message.endswith(f"({named} {state})")


@given(measures, st.data())
def test_too_few_answers_are_checked_as_well_as_counted(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule, rule.count - 1))
    index = data.draw(st.integers(0, rule.count - 2)) if rule.count > 1 else None
    assume(index is not None)
    items[index] = rule.high + 1

    assert [(f, c) for f, c, _ in refusal(measure, items)] == [
        ("items", "wrong_item_count"), (f"items[{index}]", "out_of_range"),
    ]


@given(measures, st.data(), st.sampled_from([None, True, False, 2.0, "3", 2.5]))
def test_answers_that_are_not_whole_numbers_are_refused(
    measure: Measure, data: st.DataObject, value: object
) -> None:
    rule = RULES[measure]
    items: list[object] = list(data.draw(answers(rule)))
    index = data.draw(st.integers(0, rule.count - 1))
    items[index] = value

    [(field, code, message)] = refusal(measure, items)

    assert field == f"items[{index}]"
    assert code == ("missing_item" if value is None else "not_an_integer")
    assert f"{rule.label} item {index + 1} " in message
    assert f"between {rule.low} and {rule.high}" in message


@given(measures, st.data())
def test_a_mapping_missing_items_reports_each_missing_one(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))
    missing = data.draw(st.sets(st.integers(0, rule.count - 1), min_size=1))
    keyed = {str(i + 1): v for i, v in enumerate(items) if i not in missing}

    assert [(f, c) for f, c, _ in refusal(measure, keyed)] == [
        (f"items[{i}]", "missing_item") for i in sorted(missing)
    ]


@given(measures, st.data())
def test_a_mapping_with_unknown_or_repeated_items_is_refused(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    items = data.draw(answers(rule))
    keyed: dict[str, object] = {str(i + 1): v for i, v in enumerate(items)}
    beyond = data.draw(st.integers(rule.count + 1, rule.count + 50))
    keyed[f"item{beyond}"] = rule.low
    keyed["item0"] = rule.low
    repeated = data.draw(st.integers(1, rule.count))
    keyed[f"item_{repeated}"] = rule.low

    assert [(f, c) for f, c, _ in refusal(measure, keyed)] == [
        (f"items.item{beyond}", "unexpected_item"),
        ("items.item0", "unexpected_item"),
        (f"items[{repeated - 1}]", "duplicate_item"),
    ]


@pytest.mark.parametrize("key", ["item\u0661", "\uff11", "\u0131tem1", "\u0130tem1"])
def test_item_keys_are_ascii(key: str) -> None:
    # An Arabic-Indic 1, a fullwidth 1, a dotless and a dotted capital I: none names an item.
    keyed = {key: 2, "2": 2, "3": 2}

    assert [(f, c) for f, c, _ in refusal(Measure.UCLA3, keyed)] == [
        (f"items.{key}", "unexpected_item"), ("items[0]", "missing_item"),
    ]


@pytest.mark.parametrize("items", ["33333", b"\x03\x03\x03\x03\x03", 33333, None])
def test_answers_must_be_a_list_or_a_mapping(items: object) -> None:
    [(field, code, message)] = refusal(Measure.WHO5, items)

    assert (field, code) == ("items", "not_a_list")
    assert "WHO-5 items must be a list of 5 answers" in message


# --- change ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    difference: Fraction
    improved: bool
    significant: bool
    deteriorated_significantly: bool


def oracle(rule: Rule, pre: int, post: int) -> Verdict:
    """The rule on exact hundredths: at least the threshold in the better direction."""
    gain = (pre - post) if rule.lower_is_better else (post - pre)
    return Verdict(
        difference=Fraction(post - pre, 100),
        improved=gain > 0,
        significant=gain >= rule.threshold_hundredths,
        deteriorated_significantly=-gain >= rule.threshold_hundredths,
    )


def verdict(measure: Measure, pre: float, post: float) -> Verdict:
    result = change(measure, pre, post)
    return Verdict(
        Fraction(repr(result.difference)), result.improved, result.significant,
        result.deteriorated_significantly,
    )


@given(measures, st.data())
def test_change_between_any_two_reachable_scores_follows_the_rule(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    pre = data.draw(st.sampled_from(rule.reachable()))
    post = data.draw(st.sampled_from(rule.reachable()))

    assert verdict(measure, pre / 100, post / 100) == oracle(rule, pre, post)


@pytest.mark.parametrize(("pre", "post"), [(16.88, 19.98), (19.98, 22.98), (22.98, 19.98)])
def test_swemwbs_changes_that_float_subtraction_gets_wrong(pre: float, post: float) -> None:
    # In binary floating point 22.98 - 19.98 is 2.9999999999999964: short of the threshold 3.
    hundredths = round(pre * 100), round(post * 100)

    assert verdict(Measure.SWEMWBS, pre, post) == oracle(RULES[Measure.SWEMWBS], *hundredths)


@given(measures, st.data(), st.sampled_from([1, -1]))
def test_a_change_of_exactly_the_threshold_counts(
    measure: Measure, data: st.DataObject, direction: int
) -> None:
    """direction 1: the better way (up, or down for UCLA3); -1: the worse way."""
    rule = RULES[measure]
    low, high = min(rule.reachable()), max(rule.reachable())
    step = rule.threshold_hundredths * direction * (-1 if rule.lower_is_better else 1)
    pre = data.draw(st.integers(max(low, low - step), min(high, high - step)))
    post = pre + step

    result = change(measure, pre / 100, post / 100)

    assert Fraction(repr(result.difference)) == Fraction(post - pre, 100)
    assert (result.improved, result.significant, result.deteriorated_significantly) == (
        (True, True, False) if direction == 1 else (False, False, True)
    )


def hair_short(measure: Measure, pre: int, direction: int, hair: int) -> Change:
    """The change from ``pre`` hundredths that misses the threshold by ``hair`` 1e-12ths."""
    rule = RULES[measure]
    step = Fraction(rule.threshold_hundredths * direction, 100)
    step = -step if rule.lower_is_better else step
    short = step - Fraction(hair, 10**12) * (1 if step > 0 else -1)
    post = float(Fraction(pre, 100) + short)
    assume(Fraction(repr(post)) == Fraction(pre, 100) + short)  # the float reads as typed
    return change(measure, pre / 100, post)


@given(
    measures, st.data(), st.sampled_from([1, -1]),
    st.sampled_from([1, 10, 1000, 10**5, 10**8, 10**10]),
)
def test_a_change_a_hair_short_of_the_threshold_does_not_count(
    measure: Measure, data: st.DataObject, direction: int, hair: int
) -> None:
    """``hair`` is how many 1e-12ths of a point the change falls short by (1e-12 to 0.01)."""
    rule = RULES[measure]
    low, high = min(rule.reachable()), max(rule.reachable())
    step = rule.threshold_hundredths * direction * (-1 if rule.lower_is_better else 1)
    pre = data.draw(st.integers(max(low, low - step), min(high, high - step)))

    result = hair_short(measure, pre, direction, hair)

    assert (result.significant, result.deteriorated_significantly) == (False, False)
    assert result.improved is (direction == 1)


def test_who5_60_to_69_9999999_is_not_a_10_point_change() -> None:
    assert change(Measure.WHO5, 60, 69.9999999) == Change(9.9999999, True, False, False)
    assert change(Measure.UCLA3, 7, 6.0000001).significant is False


@given(measures, st.floats(min_value=0, max_value=100, allow_nan=False))
def test_no_change_is_never_an_improvement_nor_a_deterioration(
    measure: Measure, value: float
) -> None:
    rule = RULES[measure]
    assume(min(rule.reachable()) <= value * 100 <= max(rule.reachable()))

    assert change(measure, value, value) == Change(0.0, False, False, False)


@given(measures, st.data())
def test_scores_outside_the_measure_range_are_refused(
    measure: Measure, data: st.DataObject
) -> None:
    rule = RULES[measure]
    low, high = min(rule.reachable()) / 100, max(rule.reachable()) / 100
    outside = data.draw(
        st.floats(max_value=low, exclude_max=True) | st.floats(min_value=high, exclude_min=True),
        label="outside",
    )
    assume(math.isfinite(outside))
    inside = data.draw(st.sampled_from(rule.reachable())) / 100

    with pytest.raises(ValidationError) as excinfo:
        change(measure, outside, inside)
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("pre", "out_of_range")]
    assert f"between {low:g} and {high:g}" in excinfo.value.errors[0].message

    with pytest.raises(ValidationError) as excinfo:
        change(measure, inside, outside)
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("post", "out_of_range")]

    assert change(measure, low, high).difference == high - low  # the edges themselves are fine


@given(measures, st.sampled_from([math.nan, math.inf, -math.inf, True, "60", None]))
def test_change_refuses_what_is_not_a_number(measure: Measure, value: object) -> None:
    inside = RULES[measure].reachable()[0] / 100
    with pytest.raises(ValidationError) as excinfo:
        change(measure, value, inside)  # type: ignore[arg-type]

    [error] = excinfo.value.errors
    assert (error.field, error.code) == ("pre", "not_a_number")
    assert error.message == f"{RULES[measure].label} pre score must be a number, got {value!r}"


# --- a measure configured at run time (how HEartS is set up) --------------------------------


@st.composite
def specs(draw: st.DrawFn) -> tuple[MeasureSpec, bool]:
    low = draw(st.integers(-3, 5))
    high = draw(st.integers(low, low + 6))
    higher_is_better = draw(st.booleans())
    spec = MeasureSpec(
        measure=Measure.HEARTS, label="HEartS", item_count=draw(st.integers(1, 12)),
        item_min=low, item_max=high, higher_is_better=higher_is_better,
        meaningful_change=draw(st.integers(1, 400)) / 100,
    )
    return spec, higher_is_better


@given(specs(), st.data())
def test_a_reconfigured_measure_scores_and_judges_change_by_its_new_spec(
    spec_and_direction: tuple[MeasureSpec, bool], data: st.DataObject
) -> None:
    spec, higher_is_better = spec_and_direction
    register_measure(spec)
    n, low, high = spec.item_count, spec.item_min, spec.item_max
    items = data.draw(st.lists(st.integers(low, high), min_size=n, max_size=n))

    assert score("hearts", items).score == sum(items)
    assert (spec.raw_min, spec.raw_max, spec.score_min, spec.score_max) == (
        n * low, n * high, n * low, n * high,
    )
    threshold = round(spec.meaningful_change * 100)
    rule = Rule("HEartS", n, low, high, not higher_is_better, threshold, lambda raw: raw * 100)
    pre, post = (data.draw(st.integers(n * low * 100, n * high * 100)) for _ in range(2))
    assert verdict(Measure.HEARTS, pre / 100, post / 100) == oracle(rule, pre, post)


@pytest.mark.parametrize(
    ("count", "low", "high", "meaningful", "problem"),
    [
        (0, 1, 5, 1.0, "item_count must be at least 1"),
        (3, 4, 3, 1.0, "item_min must not exceed item_max"),
        (3, 1, 5, 0.0, "meaningful_change must be positive"),
        (3, 1, 5, -1.0, "meaningful_change must be positive"),
    ],
)
def test_a_broken_spec_is_a_programming_error(
    count: int, low: int, high: int, meaningful: float, problem: str
) -> None:
    with pytest.raises(ValueError, match=f"^HEartS: {problem}$"):
        MeasureSpec(
            measure=Measure.HEARTS, label="HEartS", item_count=count, item_min=low,
            item_max=high, higher_is_better=True, meaningful_change=meaningful,
        )


def test_the_smallest_sound_spec_is_accepted() -> None:
    spec = MeasureSpec(
        measure=Measure.HEARTS, label="HEartS", item_count=1, item_min=2, item_max=2,
        higher_is_better=True, meaningful_change=0.01,
    )

    assert (spec.raw_min, spec.raw_max) == (2, 2)
