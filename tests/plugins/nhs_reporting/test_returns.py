"""A quarterly return over a hand-counted fixture, on SQLite and PostgreSQL: its cells, its
three formats, and its lifecycle (sign-off freezes it; a correction is a new version)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import frictionless
import openpyxl
import orjson
import pytest

from imm_graph.plugin_api import Database, ValidationError, hookimpl
from imm_graph.pluginhost.manager import PluginManager, PluginSettings
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.models import ImmutableReturn, NhsReturn
from plugins.nhs_reporting.periods import parse_period
from tests import builders
from tests.plugins.nhs_reporting.fixture import Scenario, build

Q3 = parse_period("FY2024/25 Q3")
SIGNED_AT = dt.datetime(2025, 1, 10, 9, 30, tzinfo=dt.UTC)
OTHERS = ["podcast", "social_prescribing"]  # this file tests nhs_reporting on its own


class FakeReferrals:
    """Stands in for social_prescribing: answers the referrals topic with raw figures."""

    asked: ClassVar[list[dict[str, Any]]] = []

    @hookimpl
    async def imm_graph_contribute(self, topic: str, params: dict[str, Any]) -> Any:
        if topic != "nhs_reporting.referrals":
            return None
        self.asked.append(dict(params))
        return {
            "received": [{"source": "Joy", "snomed_code": "871731000000106", "count": 12},
                         {"source": "Elemental", "snomed_code": "871731000000106", "count": 3}],
            "accepted": 11,
            "declined": [{"reason": "out_of_area", "count": 2},
                         {"reason": "declined_by_person", "count": 2}],
            # 15 decisions: 13 within 14 days. Median of the sorted values is the 8th: 5.
            "days_to_decision": [0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 9, 12, 14, 15, 30],
            # 7 first attendances: too few people for a median or a share.
            "days_to_first_attendance": [7, 9, 10, 12, 14, 20, 21],
        }


def database(url: str, *extra: tuple[str, object]) -> Database:
    manager = PluginManager.load(PluginSettings(disabled=OTHERS), extra=list(extra))
    return Database(url, plugins=manager)


@pytest.fixture
async def plain(database_url: str) -> AsyncIterator[Database]:
    db = database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
async def scenario(plain: Database) -> Scenario:
    return await build(plain)


async def generate(db: Database, scenario: Scenario, period: Any = Q3, **kw: Any) -> NhsReturn:
    async with db.transaction() as session:
        commissioner = await returns.commissioner_by_ods(session, "QRV")
        return await returns.generate(session, commissioner, period, by="test", within_days=14,
                                      now=kw.get("now", dt.datetime(2025, 1, 6, tzinfo=dt.UTC)))


def shown(ret: NhsReturn) -> dict[str, str]:
    return {c.key: c.value for c in returns.published(ret)}


async def test_the_quarter_is_counted_by_hand_and_disclosed_cell_by_cell(
    plain: Database, scenario: Scenario
) -> None:
    cells = shown(await generate(plain, scenario))
    expected = {
        # Activity: four sessions (not about people: unrounded), 34 attendances -> 35.
        "Total|Total|NONE|ACT01": "4",
        "Total|Total|NONE|ACT02": "35",
        "Total|Total|children_young_people|ACT03": "20",  # 21
        "Total|Total|older_people|ACT03": "15",  # 13
        "Total|Total|staff|ACT03": "0",
        "Total|Total|NONE|ACT04": "10",
        "Hub|HSL-LVA|NONE|ACT01": "3", "Hub|HSL-LVA|NONE|ACT02": "25",
        "Hub|HSL-HTC|NONE|ACT01": "1", "Hub|HSL-HTC|NONE|ACT02": "10",  # 9
        "Programme|harmony|NONE|ACT01": "3",
        # People: ten, split exactly by age band, generation and sex.
        "Total|Total|NONE|PEO01": "10",
        "Age band|75-84|NONE|PEO01": "10", "Age band|5-10|NONE|PEO01": "*",
        "Generation|older_person|NONE|PEO01": "10", "Generation|child|NONE|PEO01": "*",
        "Sex|2|NONE|PEO01": "*", "Sex|1|NONE|PEO01": "*", "Sex|NOT_RECORDED|NONE|PEO01": "*",
        "Ethnic category|NOT_RECORDED|NONE|PEO01": "10",
        "Clinical cohort|dementia|NONE|PEO01": "*",
        # Outcomes: eight WHO-5 pairs, enough for means and a share.
        "Measure|who5|NONE|OUT01": "10",
        "Measure|who5|NONE|OUT02": "40.00",
        "Measure|who5|NONE|OUT03": "54.00",
        "Measure|who5|NONE|OUT04": "14.00",
        "Measure|who5|NONE|OUT05": "62.5",
        # Data quality.
        "Total|Total|NONE|DQ01": "*",  # one pre score without a post
        "Total|Total|NONE|DQ02": "3",  # sessions without a register: not about people
        "Total|Total|NONE|DQ03": "*",  # seven people without a cohort
    }
    assert {k: cells.get(k) for k in expected} == expected
    # Nothing from Woking, nothing from a project, no referral figures (nobody answered).
    assert not [k for k in cells if "WOK" in k or k.startswith("Project|") or "REF" in k]


async def test_a_lone_suppressed_cell_under_a_shown_total_is_warned_about(
    plain: Database, scenario: Scenario
) -> None:
    ret = await generate(plain, scenario)
    assert len(ret.warnings) == 2, ret.warnings  # the 5-10 age band and the child generation
    assert any("Age band '5-10'" in w for w in ret.warnings)
    assert any("Generation 'Child'" in w for w in ret.warnings)


async def test_the_return_reads_back_in_all_three_formats(
    plain: Database, scenario: Scenario, tmp_path: Path
) -> None:
    ret = await generate(plain, scenario)
    async with plain.sessions() as session:
        commissioner = await returns.commissioner_by_ods(session, "QRV")
    files = {fmt: returns.files(ret, commissioner, fmt)
             for fmt in ("csv", "xlsx", "json", "datapackage")}

    # CSV: the NHS long format, ISO dates, '*' for suppressed; valid against its datapackage.
    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8"))))
    older = next(r for r in rows if r["MEASURE_ID"] == "ACT03"
                 and r["SECONDARY_LEVEL"] == "older_people")
    assert older == {
        "REPORTING_PERIOD_START": "2024-10-01", "REPORTING_PERIOD_END": "2024-12-31",
        "STATUS": "Provisional", "BREAKDOWN": "Total", "PRIMARY_LEVEL": "Total",
        "PRIMARY_LEVEL_DESCRIPTION": "Total", "SECONDARY_LEVEL": "older_people",
        "SECONDARY_LEVEL_DESCRIPTION": "Older people", "MEASURE_ID": "ACT03",
        "MEASURE_NAME": "Attendances by generation", "MEASURE_VALUE": "15",
    }
    package = orjson.loads(files["datapackage"])
    (tmp_path / package["resources"][0]["path"]).write_bytes(files["csv"])
    (tmp_path / "datapackage.json").write_bytes(files["datapackage"])
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # A broken value is caught by the same schema (the check can fail).
    (tmp_path / package["resources"][0]["path"]).write_bytes(
        files["csv"].replace(b",Older people,ACT03,Attendances by generation,15",
                             b",Older people,ACT03,Attendances by generation,fifteen"))
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid

    # XLSX: a cover sheet, then one sheet per section; numbers are numbers, '*' is text.
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    # Stamped with the return's generation time, not the clock: the same return, the same bytes.
    with zipfile.ZipFile(io.BytesIO(files["xlsx"])) as archive:
        assert b">2025-01-06T00:00:00Z</dcterms:modified>" in archive.read("docProps/core.xml")
        assert {i.date_time for i in archive.infolist()} == {(2025, 1, 6, 0, 0, 0)}
    assert book.sheetnames == ["Cover", "Activity", "People", "Outcomes", "Data quality"]
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Commissioner"] == "NHS North West London Integrated Care Board"
    assert cover["ODS code"] == "QRV" and cover["Period"] == "FY2024/25 Q3"
    assert cover["Generated"] == "2025-01-06T00:00:00Z"
    assert "rounded to the nearest 5" in cover["Suppression"]
    assert cover["Referrals"].startswith("not available")
    people = list(book["People"].iter_rows(values_only=True))
    assert people[0][0] == "BREAKDOWN"
    assert people[2][:2] == ("Age band", "5-10") and people[2][-1] == "*"
    assert people[1][:2] == ("Total", "Total") and people[1][-1] == 10

    # JSON: the same cells by section, and referrals marked not available.
    doc = orjson.loads(files["json"])
    assert doc["period"] == {"start": "2024-10-01", "end": "2024-12-31", "label": "FY2024/25 Q3"}
    assert doc["sections"]["referrals"] == {"available": False, "cells": []}
    outcome = doc["sections"]["outcomes"]["cells"][4]
    assert (outcome["measureId"], outcome["value"]) == ("OUT05", "62.5")


async def test_referral_figures_come_from_whoever_answers_the_topic(
    database_url: str, scenario: Scenario
) -> None:
    FakeReferrals.asked.clear()
    db = database(database_url, ("fake_referrals", FakeReferrals()))
    try:
        cells = shown(await generate(db, scenario))
    finally:
        await db.dispose()
    assert FakeReferrals.asked == [{"start": Q3.start, "end": Q3.end,
                                    "hub_ids": sorted([scenario.lva, scenario.htc]),
                                    "within_days": 14}]
    assert {k: v for k, v in cells.items() if "REF" in k} == {
        "Total|Total|NONE|REF01": "15",
        "Source and SNOMED code|Elemental|871731000000106|REF01": "*",
        "Source and SNOMED code|Joy|871731000000106|REF01": "10",
        "Total|Total|NONE|REF02": "10",  # 11
        "Total|Total|NONE|REF03": "*",  # 4
        "Decline reason|declined_by_person|NONE|REF03": "*",
        "Decline reason|out_of_area|NONE|REF03": "*",
        "Total|Total|NONE|REF04": "5.0",
        "Total|Total|NONE|REF05": "86.7",  # 13 of 15
        "Total|Total|NONE|REF06": "*",  # 7 people
        "Total|Total|NONE|REF07": "*",
    }


async def test_a_signed_off_return_is_frozen_and_renders_to_its_sha256_after_new_data(
    plain: Database, scenario: Scenario
) -> None:
    draft = await generate(plain, scenario)
    async with plain.transaction() as session:
        ret = await session.get(NhsReturn, draft.id)
        assert ret is not None
        await returns.sign_off(session, ret, by="key:lead", now=SIGNED_AT)
        digest = ret.content_sha256
        with pytest.raises(ValidationError) as again:
            await returns.sign_off(session, ret, by="key:lead")
        assert again.value.errors[0].code == "already_signed_off"
    # Even code that bypasses the service cannot rewrite it.
    async with plain.transaction() as session:
        ret = await session.get(NhsReturn, draft.id)
        assert ret is not None
        ret.figures = {**ret.figures, "cells": []}
        with pytest.raises(ImmutableReturn):
            await session.flush()

    # New data arrives: eight older people at the HTC hub's session in December.
    async with plain.transaction() as session:
        await builders.session_at(session, scenario.htc, dt.date(2024, 12, 4), older_people=8)
    async with plain.sessions() as session:
        ret = await session.get(NhsReturn, draft.id)
        assert ret is not None
        commissioner = await returns.commissioner_by_ods(session, "QRV")
        csv_now = returns.files(ret, commissioner, "csv")
        # As of its sign-off it renders to the same bytes it was signed with ...
        assert returns.render.sha256(csv_now) == digest
        assert b",Final," in csv_now
        assert returns.files(ret, commissioner, "xlsx") == returns.files(ret, commissioner,
                                                                          "xlsx")
        # ... and regenerating now shows exactly what the new session changes, as published.
        changes = await returns.changes_since(session, ret, 14)
    assert [(c.key, c.before, c.after) for c in changes] == [
        ("Total|Total|NONE|ACT01", "4", "5"),
        ("Total|Total|NONE|ACT02", "35", "40"),  # 34 -> 42
        ("Total|Total|older_people|ACT03", "15", "20"),  # 13 -> 21
        ("Hub|HSL-HTC|NONE|ACT01", "1", "2"),
        ("Hub|HSL-HTC|NONE|ACT02", "10", "15"),  # 9 -> 17
        ("Hub|HSL-HTC|older_people|ACT03", "0", "10"),  # 0 -> 8
        ("Total|Total|NONE|DQ02", "3", "4"),  # the new session has no register
    ]

    # A correction is a new version of the same period: both kept, the newest current.
    corrected = await generate(plain, scenario, now=dt.datetime(2025, 1, 20, tzinfo=dt.UTC))
    async with plain.sessions() as session:
        all_versions = await returns.versions(session, corrected.commissioner_id, Q3)
    assert [(r.version, r.status, r.is_current, r.content_sha256 == digest)
            for r in all_versions] == [(2, "draft", True, False), (1, "signed_off", False, True)]
    assert shown(corrected)["Total|Total|NONE|ACT01"] == "5"
