"""Outcome scoring: turn a participant's questionnaire answers into the numbers IMM reports.

Pure Python and free of I/O, so the GraphQL layer, importers, reports and plug-ins all score
answers the same way, and a partner developer can check a number by hand.

Every measure IMM uses is an item sum. What differs is the item range, the number of items, the
direction (lower is better for loneliness) and how the raw sum becomes the reported ``score``:

- WHO-5: 5 items 0-5; score = raw x 4, a 0-100 percentage; meaningful change 10 points.
- UCLA3: 3 items 1-3; score = raw, 3-9, higher = lonelier; 1 point (no official cut-off).
- SWEMWBS: 7 items 1-5; score = Rasch metric from the Warwick table; 3 points.
- WEMWBS: 14 items 1-5; score = raw, 14-70; 3 points.
- HEARTS: 8 items 1-5 by default; score = raw; 2 points (an IMM placeholder). Configurable.

The measures live in the registry :data:`MEASURES`; :func:`register_measure` replaces an entry,
which is how a deployment configures HEartS (or corrects any measure) without a code change here.

Items may be given as a sequence in questionnaire order, or as a mapping keyed by the 1-based item
number (``"1"``, ``"item1"`` or ``"item_1"``). Whatever the input form, errors name the field as
``items[i]`` with a 0-based index and the message names the 1-based item number a person sees on
the form, e.g. ``items[2]``: "WHO-5 item 3 must be between 0 and 5, got 7".

Error codes raised (always inside :class:`~imm_graph.errors.ValidationError`):

- ``unknown_measure`` (field ``measure``): the measure is not one IMM scores.
- ``wrong_item_count`` (field ``items``): a list with too few or too many answers.
- ``not_a_list`` (field ``items``): items is neither a list nor a mapping.
- ``missing_item``: an answer is ``None`` or a mapping lacks that item.
- ``not_an_integer``: an answer is not a whole number (booleans and floats are refused).
- ``out_of_range``: an answer is outside the measure's item range.
- ``unexpected_item`` / ``duplicate_item`` (mapping input): a key that is not an item number of the
  measure, or two keys naming the same item.
- ``not_a_number`` / ``out_of_range`` (fields ``pre`` / ``post``) from :func:`change`.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from imm_graph.errors import FieldError, ValidationError
from imm_graph.reference import Measure

__all__ = [
    "MEASURES",
    "SWEMWBS_METRIC",
    "Change",
    "MeasureSpec",
    "Score",
    "change",
    "measure_spec",
    "register_measure",
    "score",
]

# SWEMWBS raw total (7-35) -> Rasch-transformed metric score. The raw sum of SWEMWBS is not on an
# interval scale, so Warwick Medical School (WEMWBS researchers' guidance) publishes this
# conversion table; reports and change scores must use the metric, never the raw sum.
# Copied exactly from REFERENCE.md ("Outcome measures").
SWEMWBS_METRIC: dict[int, float] = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75,
    14: 15.32, 15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59,
    21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11,
    28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55,
    35: 35.00,
}

def _raw_as_score(raw: int) -> float:
    """Measures whose reported score is the raw item sum."""
    return float(raw)


def _who5_percentage(raw: int) -> float:
    # WHO-5 (WHO Collaborating Centre, Psychiatric Research Unit, Frederiksborg, 1998): the raw
    # 0-25 total is multiplied by 4 to give the 0-100 percentage score that is reported.
    return float(raw * 4)


def _swemwbs_metric(raw: int) -> float:
    return SWEMWBS_METRIC[raw]


def _no_flags(items: Sequence[int], raw: int) -> tuple[str, ...]:
    return ()


def _who5_flags(items: Sequence[int], raw: int) -> tuple[str, ...]:
    # WHO-5 guidance (Psychiatric Research Unit, 1998): a raw score below 13, or an answer of 0 or
    # 1 to any item, indicates poor well-being and is a reason to screen for depression.
    if raw < 13 or any(item <= 1 for item in items):
        return ("poor_wellbeing",)
    return ()


@dataclass(frozen=True)
class MeasureSpec:
    """How one measure is scored: an item sum with a fixed item count and range.

    ``to_score`` maps the raw item sum to the reported score; ``meaningful_change`` is on that
    reported scale. ``flags`` returns clinical flags from the validated items and the raw sum.
    """

    measure: Measure
    label: str
    item_count: int
    item_min: int
    item_max: int
    higher_is_better: bool
    meaningful_change: float
    to_score: Callable[[int], float] = _raw_as_score
    flags: Callable[[Sequence[int], int], tuple[str, ...]] = _no_flags

    def __post_init__(self) -> None:
        # A broken spec is a programming error, not bad user input, hence plain ValueError.
        if self.item_count < 1:
            raise ValueError(f"{self.label}: item_count must be at least 1")
        if self.item_min > self.item_max:
            raise ValueError(f"{self.label}: item_min must not exceed item_max")
        if self.meaningful_change <= 0:
            raise ValueError(f"{self.label}: meaningful_change must be positive")

    @property
    def raw_min(self) -> int:
        return self.item_count * self.item_min

    @property
    def raw_max(self) -> int:
        return self.item_count * self.item_max

    @property
    def score_min(self) -> float:
        return self.to_score(self.raw_min)

    @property
    def score_max(self) -> float:
        return self.to_score(self.raw_max)


MEASURES: dict[Measure, MeasureSpec] = {}


def register_measure(spec: MeasureSpec) -> MeasureSpec:
    """Add or replace the scoring spec of a measure (e.g. to configure HEartS) and return it."""
    MEASURES[spec.measure] = spec
    return spec


register_measure(MeasureSpec(
    measure=Measure.WHO5, label="WHO-5", item_count=5, item_min=0, item_max=5,
    higher_is_better=True,
    # WHO-5 guidance: a 10-point change on the 0-100 percentage scale is significant.
    meaningful_change=10.0,
    to_score=_who5_percentage, flags=_who5_flags,
))
register_measure(MeasureSpec(
    # ONS loneliness indicators (UCLA 3-item scale): "lack companionship", "left out", "isolated
    # from others"; Hardly ever or never = 1, Some of the time = 2, Often = 3; higher = lonelier.
    measure=Measure.UCLA3, label="UCLA3", item_count=3, item_min=1, item_max=3,
    higher_is_better=False,
    # There is no official cut-off or minimal important change for the 3-item scale (ONS);
    # 1 point, the smallest possible change of the total, is IMM's working threshold.
    meaningful_change=1.0,
))
register_measure(MeasureSpec(
    # Short Warwick-Edinburgh Mental Wellbeing Scale (Warwick Medical School): 7 items 1-5.
    measure=Measure.SWEMWBS, label="SWEMWBS", item_count=7, item_min=1, item_max=5,
    higher_is_better=True,
    # On the metric scale 1 SEM is about 1 point; 2.77 SEM (about 3 points) is a meaningful
    # individual change (Shah et al. 2018, Health Qual Life Outcomes 16:239).
    meaningful_change=3.0,
    to_score=_swemwbs_metric,
))
register_measure(MeasureSpec(
    # Warwick-Edinburgh Mental Wellbeing Scale (Warwick Medical School): 14 items 1-5, 14-70.
    measure=Measure.WEMWBS, label="WEMWBS", item_count=14, item_min=1, item_max=5,
    higher_is_better=True,
    # Warwick guidance: a meaningful individual change is about 3 points.
    meaningful_change=3.0,
))
register_measure(MeasureSpec(
    # HEartS (Health, Engagement, Arts), used by IMM with children. Treated as a plain item sum
    # whose shape depends on the version in use: re-register with register_measure() to change
    # the item count, range or threshold. meaningful_change has no published basis: placeholder.
    measure=Measure.HEARTS, label="HEartS", item_count=8, item_min=1, item_max=5,
    higher_is_better=True,
    meaningful_change=2.0,
))


@dataclass(frozen=True)
class Score:
    """A scored questionnaire: ``raw`` is the item sum, ``score`` the number to report."""

    measure: Measure
    raw: float
    score: float
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """Pre/post change on a measure's reported scale, read in the measure's better direction."""

    difference: float  # post - pre, on the score scale (positive = went up, whatever that means)
    improved: bool  # moved in the better direction at all
    significant: bool  # improved by at least the measure's meaningful change
    deteriorated_significantly: bool  # worsened by at least the measure's meaningful change


def measure_spec(measure: Measure | str) -> MeasureSpec:
    """The registered spec of ``measure`` (a :class:`Measure` or its code, e.g. ``"who5"``)."""
    try:
        key = Measure(measure.strip().lower() if isinstance(measure, str) else measure)
        return MEASURES[key]
    except (ValueError, KeyError):
        known = ", ".join(m.value for m in MEASURES)
        raise ValidationError.single(
            "measure", "unknown_measure", f"unknown measure {measure!r}; expected one of {known}"
        ) from None


# ASCII only: \d and IGNORECASE would otherwise also read "item١" or a Kelvin sign as keys.
_ITEM_KEY = re.compile(r"^(?:item_?)?([0-9]+)$", re.IGNORECASE | re.ASCII)


def _field(index: int) -> str:
    return f"items[{index}]"


def _items_from_mapping(
    spec: MeasureSpec, items: Mapping[str, object], errors: list[FieldError]
) -> list[object]:
    """Order a mapping keyed by 1-based item number; missing items become ``None``."""
    ordered: list[object] = [None] * spec.item_count
    seen: set[int] = set()
    for key, value in items.items():
        match = _ITEM_KEY.match(str(key).strip())
        number = int(match.group(1)) if match else 0
        if not 1 <= number <= spec.item_count:
            errors.append(FieldError(
                code="unexpected_item", field=f"items.{key}",
                message=f"{spec.label} has items 1 to {spec.item_count}; "
                        f"{key!r} is not one of them",
            ))
            continue
        if number in seen:
            errors.append(FieldError(
                code="duplicate_item", field=_field(number - 1),
                message=f"{spec.label} item {number} is given more than once",
            ))
            continue
        seen.add(number)
        ordered[number - 1] = value
    return ordered


def _check_item(spec: MeasureSpec, index: int, value: object) -> FieldError | None:
    number = index + 1
    allowed = f"between {spec.item_min} and {spec.item_max}"
    if value is None:
        return FieldError(
            code="missing_item", field=_field(index),
            message=f"{spec.label} item {number} is missing; it must be {allowed}",
        )
    # bool is an int subclass: True would silently score as 1, so it is refused explicitly.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return FieldError(
            code="not_an_integer", field=_field(index),
            message=f"{spec.label} item {number} must be a whole number {allowed}, "
                    f"got {value!r}",
        )
    if not spec.item_min <= int(value) <= spec.item_max:
        return FieldError(
            code="out_of_range", field=_field(index),
            message=f"{spec.label} item {number} must be {allowed}, got {int(value)}",
        )
    return None


def _count_error(spec: MeasureSpec, given: int) -> FieldError | None:
    """Name the items a list lacks or has too many, in form numbering ("items 6 to 7")."""
    # At most one of the two ranges is non-empty; both are empty when the count is right.
    missing = range(given + 1, spec.item_count + 1)
    extra = range(spec.item_count + 1, given + 1)
    which = missing or extra
    if not which:
        return None
    named = f"item {which[0]}" if len(which) == 1 else f"items {which[0]} to {which[-1]}"
    return FieldError(
        code="wrong_item_count", field="items",
        message=f"{spec.label} has {spec.item_count} items, got {given} "
                f"({named} {'missing' if missing else 'not expected'})",
    )


def score(measure: Measure | str, items: Sequence[int] | Mapping[str, int]) -> Score:
    """Validate the answers to one questionnaire and score them.

    Every problem is reported at once (one :class:`FieldError` per bad item) so a form can
    highlight all of them; nothing is scored unless every item is valid, because a partial sum
    would look like a real, lower, score.
    """
    spec = measure_spec(measure)
    errors: list[FieldError] = []

    values: list[object]
    if isinstance(items, Mapping):
        values = _items_from_mapping(spec, items, errors)
    elif isinstance(items, Sequence) and not isinstance(items, str | bytes):
        values = list(items)
        error = _count_error(spec, len(values))
        if error is not None:
            errors.append(error)
            values = values[: spec.item_count]
    else:
        raise ValidationError.single(
            "items", "not_a_list",
            f"{spec.label} items must be a list of {spec.item_count} answers "
            f"or a mapping keyed by item number",
        )

    for index, value in enumerate(values):
        error = _check_item(spec, index, value)
        if error is not None:
            errors.append(error)
    if errors:
        raise ValidationError(errors)

    answers = [int(value) for value in values if isinstance(value, numbers.Integral)]
    raw = sum(answers)
    return Score(
        measure=spec.measure,
        raw=float(raw),
        score=spec.to_score(raw),
        flags=spec.flags(answers, raw),
    )


def _check_score(spec: MeasureSpec, field: str, value: float) -> FieldError | None:
    low, high = spec.score_min, spec.score_max
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
    ):
        return FieldError(
            code="not_a_number", field=field,
            message=f"{spec.label} {field} score must be a number, got {value!r}",
        )
    if not low <= float(value) <= high:
        return FieldError(
            code="out_of_range", field=field,
            message=f"{spec.label} {field} score must be between {low:g} and {high:g}, "
                    f"got {value:g}",
        )
    return None


def _decimal(value: float) -> Decimal:
    """The number as written: 19.98 is 19.98, not the binary float nearest to it.

    Scores have at most two decimals, but their float difference does not (19.98 - 16.88 is
    3.1000000000000014, and 22.98 - 19.98 is 2.9999999999999964, which would miss a threshold of
    3). Subtracting the shortest decimal forms instead is exact, so a change of exactly the
    threshold counts and one a hair below it does not, with no tolerance to tune.
    """
    return Decimal(repr(float(value)))


def change(measure: Measure | str, pre: float, post: float) -> Change:
    """Compare two reported scores (``Score.score``, not raw sums) of the same measure.

    Direction-aware: for UCLA3 a fall is an improvement. "Significant" means an improvement of
    at least the measure's ``meaningful_change``; smaller movements are within measurement noise
    for one person and should not be reported as change. No change is never an improvement.
    """
    spec = measure_spec(measure)
    errors = [
        error
        for field, value in (("pre", pre), ("post", post))
        if (error := _check_score(spec, field, value)) is not None
    ]
    if errors:
        raise ValidationError(errors)

    difference = _decimal(post) - _decimal(pre)
    gain = difference if spec.higher_is_better else -difference
    threshold = _decimal(spec.meaningful_change)
    return Change(
        difference=float(difference),
        improved=gain > 0,
        significant=gain >= threshold,
        deteriorated_significantly=-gain >= threshold,
    )
