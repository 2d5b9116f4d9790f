"""Reporting periods: one parser for what staff type, giving an explicit interval and a label.

NHS commissioners work in financial years starting on 1 April, so a quarter is written with its
year ("FY2024/25 Q3" is 1 October to 31 December 2024). A bare "2024-Q3" is refused: in the
calendar it is July to September, in the NHS year October to December, and a return must not
guess. Months ("2024-11") and custom intervals ("2024-10-01..2024-12-31") are allowed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from imm_graph.plugin_api import ValidationError

_FY_QUARTER = re.compile(r"^FY\s?(\d{4})/(\d{2})\s+Q([1-4])$", re.IGNORECASE)
_FY_YEAR = re.compile(r"^FY\s?(\d{4})/(\d{2})$", re.IGNORECASE)
_BARE_QUARTER = re.compile(r"^(\d{4})[-\s]?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_INTERVAL = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive interval of local dates with the label a commissioner reads."""

    start: dt.date
    end: dt.date
    label: str

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end and self != other


def fy_quarter(fy_start_year: int, quarter: int) -> Period:
    """Quarter 1 of FY2024/25 is April-June 2024; quarter 4 is January-March 2025."""
    first_month = 4 + 3 * (quarter - 1)
    year = fy_start_year + (first_month - 1) // 12
    month = (first_month - 1) % 12 + 1
    end_month = month + 2
    start = dt.date(year, month, 1)
    end = dt.date(year, end_month, calendar.monthrange(year, end_month)[1])
    label = f"FY{fy_start_year}/{(fy_start_year + 1) % 100:02d} Q{quarter}"
    return Period(start, end, label)


def quarter_containing(day: dt.date) -> Period:
    fy = day.year if day.month >= 4 else day.year - 1
    return fy_quarter(fy, (day.month - 4) % 12 // 3 + 1)


def parse_period(text: str, field: str = "period") -> Period:
    """The period ``text`` names, or a ValidationError naming ``field`` and the rule broken."""
    value = " ".join((text or "").split())
    if not value:
        raise ValidationError.single(field, "required", f"{field} is required, e.g. 'FY2024/25 Q3'")
    if match := _FY_QUARTER.match(value):
        year, short, quarter = int(match[1]), int(match[2]), int(match[3])
        _check_fy(field, year, short)
        return fy_quarter(year, quarter)
    if match := _FY_YEAR.match(value):
        year, short = int(match[1]), int(match[2])
        _check_fy(field, year, short)
        return Period(dt.date(year, 4, 1), dt.date(year + 1, 3, 31), f"FY{year}/{short:02d}")
    if match := _BARE_QUARTER.match(value):
        year, quarter = int(match[1]), int(match[2])
        first = dt.date(year, 3 * quarter - 2, 1)
        calendar_quarter = quarter_containing(first)
        financial_quarter = fy_quarter(year, quarter)
        raise ValidationError.single(
            field, "ambiguous_quarter",
            f"{field} '{value}' is ambiguous: the calendar quarter is "
            f"{first.isoformat()}..{calendar_quarter.end.isoformat()} "
            f"('{calendar_quarter.label}'), the NHS financial-year quarter is "
            f"'{financial_quarter.label}' ({financial_quarter.start.isoformat()}.."
            f"{financial_quarter.end.isoformat()}); write one of those",
        )
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValidationError.single(field, "invalid_month",
                                         f"{field} '{value}': the month must be 01 to 12")
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return Period(start, end, start.strftime("%B %Y"))
    if match := _INTERVAL.match(value):
        try:
            start, end = dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
        except ValueError:
            raise ValidationError.single(
                field, "invalid_date", f"{field} '{value}': not a real calendar date"
            ) from None
        if end < start:
            raise ValidationError.single(field, "end_before_start",
                                         f"{field} '{value}': the end is before the start")
        return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")
    raise ValidationError.single(
        field, "unknown_format",
        f"{field} '{value}' is not a period: use 'FY2024/25 Q3', 'FY2024/25', '2024-11' or "
        "'2024-10-01..2024-12-31'",
    )


def _check_fy(field: str, year: int, short: int) -> None:
    if (year + 1) % 100 != short:
        raise ValidationError.single(
            field, "invalid_financial_year",
            f"{field}: a financial year runs over two consecutive years, e.g. "
            f"FY{year}/{(year + 1) % 100:02d}",
        )
