"""Statistical disclosure control: what leaves IMM is safe to publish below national level.

NHS England's rule for figures below national level (NHS Digital's for HES/ECDS since 2018, also
OpenSAFELY's): a count of 0 stays 0; 1 to 7 becomes ``*``; any other count is rounded to the
nearest 5. A mean, median or share computed from fewer than 8 people is ``*``. Values not about
individuals (sessions delivered, sessions without a register) are shown as they are. Totals are
computed from the unrounded values and then rounded, so a total can differ from the sum of the
cells shown (cells 3, 4, 9 show ``*``, ``*``, 10; their total 16 shows 15).

:func:`disclose` is the one function that does it; every export (CSV, XLSX, JSON, the GraphQL
``cells`` field, a submission) goes through :func:`publish`, which calls it for every cell.
Raw figures are read only with the ``read:reports-raw`` scope, inside IMM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SUPPRESSED = "*"
SMALLEST_SHOWN = 8  # counts below this (and above 0) are suppressed; statistics need 8 people
ROUND_TO = 5

COUNT = "count"  # a number of people (or of their attendances): suppressed and rounded
STATISTIC = "statistic"  # a mean, median or share: suppressed when from fewer than 8 people
NOT_PEOPLE = "not_people"  # not about individuals (sessions): shown unrounded

NONE = "NONE"  # an unused breakdown level, as NHS data sets write it


def disclose(value: float | None, kind: str = COUNT, base: int | None = None,
             decimals: int = 0) -> str:
    """The publishable text of one figure.

    ``kind`` says what it is (:data:`COUNT`, :data:`STATISTIC`, :data:`NOT_PEOPLE`); ``base``
    is how many people a statistic comes from; ``decimals`` how a statistic is printed.
    Half-way cases round away from zero (ROUND_HALF_UP, as NHS England's published tables do);
    whole counts never fall half-way between two multiples of 5.
    """
    if kind == NOT_PEOPLE:
        return _fixed(value if value is not None else 0, decimals)
    if kind == STATISTIC:
        if value is None or base is None or base < SMALLEST_SHOWN:
            return SUPPRESSED
        return _fixed(value, decimals)
    if kind != COUNT:
        raise ValueError(f"unknown kind of figure: {kind!r}")
    count = value or 0
    if count == 0:
        return "0"
    if count < SMALLEST_SHOWN:
        return SUPPRESSED
    fives = (Decimal(str(count)) / ROUND_TO).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str(int(fives) * ROUND_TO)


def _fixed(value: float, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Place:
    """Where a figure stands in a return: section, breakdown, levels and measure. A raw cell
    and its published form share it (and so their key)."""

    section: str
    breakdown: str
    primary_level: str
    primary_description: str
    secondary_level: str
    secondary_description: str
    measure_id: str
    measure_name: str

    @property
    def key(self) -> str:
        return "|".join((self.breakdown, self.primary_level, self.secondary_level,
                         self.measure_id))


@dataclass(frozen=True)
class Cell(Place):
    """One raw figure of a return, in the long format NHS data sets publish.

    ``total_of`` marks a cell whose breakdown splits a total exactly (age bands of the people
    counted, say): it holds the key of that total, so complementary disclosure can be checked.
    """

    value: float | None
    kind: str = COUNT
    base: int | None = None
    decimals: int = 0
    total_of: str | None = None

    def shown(self) -> str:
        return disclose(self.value, self.kind, self.base, self.decimals)

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies, and a return can hold 40,000 cells.
        return {name: getattr(self, name) for name in _CELL_FIELDS}


_CELL_FIELDS = tuple(f.name for f in fields(Cell))
_PLACE_FIELDS = tuple(f.name for f in fields(Place))


def cells_from(rows: Iterable[dict[str, Any]]) -> list[Cell]:
    return [Cell(**row) for row in rows]


@dataclass(frozen=True)
class PublishedCell(Place):
    """A cell as it leaves IMM: the value is the disclosed text, never the raw figure."""

    value: str


def publish(cells: Sequence[Cell]) -> list[PublishedCell]:
    """Every cell through :func:`disclose`: what every export is built from."""
    return [PublishedCell(**{name: getattr(c, name) for name in _PLACE_FIELDS},
                          value=c.shown()) for c in cells]


def complementary_warnings(cells: Sequence[Cell]) -> list[str]:
    """Suppressed cells a reader could work out by subtraction inside this return: the only
    suppressed cell of a breakdown whose total is shown (total minus the other cells)."""
    by_key = {c.key: c for c in cells}
    parts: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell.total_of:  # each breakdown splits the total on its own
            parts[(cell.total_of, cell.breakdown)].append(cell)
    warnings = []
    for (total_key, _breakdown), members in parts.items():
        total = by_key.get(total_key)
        hidden = [c for c in members if c.shown() == SUPPRESSED]
        if total is None or total.shown() == SUPPRESSED or len(hidden) != 1:
            continue
        cell = hidden[0]
        warnings.append(
            f"{cell.measure_name} for {cell.breakdown} '{cell.primary_description}' is "
            f"suppressed but is the only suppressed cell of its breakdown: the total minus the "
            f"other cells estimates it"
        )
    return warnings


def cross_return_warnings(cells: Sequence[Cell], other: Sequence[Cell], label: str,
                          other_label: str) -> list[str]:
    """Counts shown in both this return and another over an overlapping period whose
    difference is 1 to 7 people: subtracting one return from the other reveals a small number."""
    theirs = {c.key: c for c in other}
    warnings = []
    for cell in cells:
        match = theirs.get(cell.key)
        if (cell.kind != COUNT or match is None or cell.shown() == SUPPRESSED
                or match.shown() == SUPPRESSED):
            continue
        gap = abs((cell.value or 0) - (match.value or 0))
        if 0 < gap < SMALLEST_SHOWN:
            warnings.append(
                f"{cell.measure_name} ({cell.breakdown} '{cell.primary_description}'): "
                f"{label} and {other_label} differ by fewer than {SMALLEST_SHOWN} people, "
                f"which subtracting one from the other can reveal"
            )
    return warnings
