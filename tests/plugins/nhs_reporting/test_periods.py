"""Reporting periods as staff type them: NHS financial-year quarters by default."""

from __future__ import annotations

import datetime as dt

import pytest

from imm_graph.plugin_api import ValidationError
from plugins.nhs_reporting.periods import Period, parse_period, quarter_containing

D = dt.date


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("FY2024/25 Q3", D(2024, 10, 1), D(2024, 12, 31), "FY2024/25 Q3"),
    ("FY2024/25 Q1", D(2024, 4, 1), D(2024, 6, 30), "FY2024/25 Q1"),
    ("fy2024/25  q4", D(2025, 1, 1), D(2025, 3, 31), "FY2024/25 Q4"),
    ("FY2023/24 Q4", D(2024, 1, 1), D(2024, 3, 31), "FY2023/24 Q4"),
    ("FY2024/25", D(2024, 4, 1), D(2025, 3, 31), "FY2024/25"),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "February 2024"),
    ("2024-10-01..2024-11-15", D(2024, 10, 1), D(2024, 11, 15), "2024-10-01 to 2024-11-15"),
])
def test_periods_are_explicit_intervals_with_a_label(
    text: str, start: dt.date, end: dt.date, label: str
) -> None:
    assert parse_period(text) == Period(start, end, label)


@pytest.mark.parametrize(("text", "code"), [
    ("2024-Q3", "ambiguous_quarter"),
    ("2024 Q3", "ambiguous_quarter"),
    ("FY2024/26 Q1", "invalid_financial_year"),
    ("2024-13", "invalid_month"),
    ("2024-02-30..2024-03-01", "invalid_date"),
    ("2024-12-31..2024-10-01", "end_before_start"),
    ("last quarter", "unknown_format"),
    ("", "required"),
])
def test_a_period_that_is_ambiguous_or_wrong_is_refused_naming_the_field_and_rule(
    text: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_period(text, field="period")
    error = refused.value.errors[0]
    assert (error.field, error.code) == ("period", code)


def test_a_bare_quarter_is_refused_with_the_two_readings_it_could_mean() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_period("2024-Q3")
    message = refused.value.errors[0].message
    assert "2024-07-01..2024-09-30 ('FY2024/25 Q2')" in message  # the calendar reading
    assert "'FY2024/25 Q3' (2024-10-01..2024-12-31)" in message  # the NHS reading


def test_the_quarter_containing_a_day_follows_the_nhs_year() -> None:
    assert quarter_containing(D(2025, 2, 14)).label == "FY2024/25 Q4"
    assert quarter_containing(D(2024, 4, 1)).label == "FY2024/25 Q1"
    assert quarter_containing(D(2024, 3, 31)).label == "FY2023/24 Q4"
