"""A return's files: CSV (long format), XLSX, JSON and the CSV's ``datapackage.json``.

Everything here is built from published (disclosure-controlled) cells and the return's own
stored facts (commissioner, period, status, generation time), never from the clock: the same
return renders to the same bytes, which is what its SHA-256 at sign-off relies on.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from plugins.nhs_reporting.disclosure import PublishedCell
from plugins.nhs_reporting.figures import SECTION_TITLES, SECTIONS

COLUMNS = (
    "REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "STATUS", "BREAKDOWN", "PRIMARY_LEVEL",
    "PRIMARY_LEVEL_DESCRIPTION", "SECONDARY_LEVEL", "SECONDARY_LEVEL_DESCRIPTION", "MEASURE_ID",
    "MEASURE_NAME", "MEASURE_VALUE",
)
SUPPRESSION_NOTE = (
    "Statistical disclosure control (NHS England's rule below national level): 0 is shown as 0; "
    "counts of 1 to 7 are shown as *; other counts are rounded to the nearest 5; means, medians "
    "and shares from fewer than 8 people are shown as *. Totals are computed from unrounded "
    "values and then rounded, so they may differ from the sum of the cells shown. Sessions are "
    "not about individuals and are shown unrounded."
)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "json": "application/json",
           "datapackage": "application/json"}


@dataclass(frozen=True)
class Header:
    """The facts of a return every file states."""

    commissioner_ods: str
    commissioner_name: str
    commissioner_kind: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    version: int
    status: str  # Provisional (a draft) or Final (signed off)
    generated_at: dt.datetime
    referrals_available: bool

    @property
    def stem(self) -> str:
        return (f"imm-{self.commissioner_ods}-{self.period_start.isoformat()}-"
                f"{self.period_end.isoformat()}-v{self.version}").lower()


def csv_bytes(header: Header, cells: Sequence[PublishedCell]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for c in cells:
        writer.writerow((header.period_start.isoformat(), header.period_end.isoformat(),
                         header.status, c.breakdown, c.primary_level, c.primary_description,
                         c.secondary_level, c.secondary_description, c.measure_id,
                         c.measure_name, c.value))
    return out.getvalue().encode("utf-8")


def datapackage(header: Header) -> dict[str, Any]:
    """A Frictionless data package describing the CSV, so a commissioner's tools validate it."""
    text = {"type": "string", "constraints": {"required": True}}
    return {
        "name": header.stem,
        "title": f"IMM return to {header.commissioner_name}, {header.period_label}",
        "licenses": [{"name": "OGL-UK-3.0"}],
        "resources": [{
            "name": "return",
            "path": f"{header.stem}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": {
                "fields": [
                    {"name": "REPORTING_PERIOD_START", "type": "date", "format": "%Y-%m-%d",
                     "constraints": {"required": True}},
                    {"name": "REPORTING_PERIOD_END", "type": "date", "format": "%Y-%m-%d",
                     "constraints": {"required": True}},
                    {"name": "STATUS", "type": "string",
                     "constraints": {"required": True, "enum": ["Provisional", "Final"]}},
                    {"name": "BREAKDOWN", **text},
                    {"name": "PRIMARY_LEVEL", **text},
                    {"name": "PRIMARY_LEVEL_DESCRIPTION", **text},
                    {"name": "SECONDARY_LEVEL", **text},
                    {"name": "SECONDARY_LEVEL_DESCRIPTION", **text},
                    {"name": "MEASURE_ID", **text},
                    {"name": "MEASURE_NAME", **text},
                    {"name": "MEASURE_VALUE", "type": "number",
                     "description": "* = suppressed by disclosure control"},
                ],
                # '*' is a suppressed value: a tool reads it as missing, not as an error.
                "missingValues": ["*"],
            },
        }],
    }


def json_document(header: Header, cells: Sequence[PublishedCell],
                  warnings: Sequence[str]) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    for section in SECTIONS:
        rows = [c for c in cells if c.section == section]
        if section == "referrals" and not header.referrals_available:
            sections[section] = {"available": False, "cells": []}
            continue
        sections[section] = {"available": True, "cells": [
            {"breakdown": c.breakdown, "primaryLevel": c.primary_level,
             "primaryLevelDescription": c.primary_description,
             "secondaryLevel": c.secondary_level,
             "secondaryLevelDescription": c.secondary_description,
             "measureId": c.measure_id, "measureName": c.measure_name, "value": c.value}
            for c in rows]}
    return {
        "commissioner": {"odsCode": header.commissioner_ods, "name": header.commissioner_name,
                         "kind": header.commissioner_kind},
        "period": {"start": header.period_start.isoformat(),
                   "end": header.period_end.isoformat(), "label": header.period_label},
        "version": header.version,
        "status": header.status,
        "generatedAt": _iso(header.generated_at),
        "suppression": SUPPRESSION_NOTE,
        "warnings": list(warnings),
        "sections": sections,
    }


def json_bytes(header: Header, cells: Sequence[PublishedCell], warnings: Sequence[str]) -> bytes:
    return orjson.dumps(json_document(header, cells, warnings), option=orjson.OPT_INDENT_2)


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _number(value: str) -> Any:
    """Numbers as numbers in the spreadsheet (so they sum and chart); '*' stays text."""
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def xlsx_bytes(header: Header, cells: Sequence[PublishedCell], warnings: Sequence[str]) -> bytes:
    """A cover sheet, then one sheet per section (referrals only when available). Written in
    openpyxl's streaming mode: a return for all of IMM's hubs has tens of thousands of rows."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def label(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(cover, value=text)
        cell.font = bold
        return cell

    cover = wb.create_sheet("Cover")
    cover.column_dimensions["A"].width = 20
    cover.column_dimensions["B"].width = 100
    title = WriteOnlyCell(cover, value="Intergenerational Music Making: return to commissioner")
    title.font = Font(bold=True, size=14)
    cover.append([title])
    for name, value in (
        ("Commissioner", header.commissioner_name),
        ("ODS code", header.commissioner_ods),
        ("Commissioner kind", header.commissioner_kind),
        ("Period", header.period_label),
        ("Period start", header.period_start.isoformat()),
        ("Period end", header.period_end.isoformat()),
        ("Version", header.version),
        ("Status", header.status),
        ("Generated", _iso(header.generated_at)),
        ("Suppression", SUPPRESSION_NOTE),
        ("Referrals", "included" if header.referrals_available else
         "not available (no referral service is connected)"),
        *(("Warning", warning) for warning in warnings),
    ):
        cover.append([label(name), value])
    by_section: dict[str, list[PublishedCell]] = {s: [] for s in SECTIONS}
    for c in cells:
        by_section[c.section].append(c)
    for section in SECTIONS:
        if section == "referrals" and not header.referrals_available:
            continue
        sheet = wb.create_sheet(SECTION_TITLES[section])
        for letter, width in zip("ABCDEFGH", (18, 18, 40, 22, 30, 11, 50, 14), strict=True):
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A2"
        heading = []
        for name in COLUMNS[3:]:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            heading.append(cell)
        sheet.append(heading)
        for c in by_section[section]:
            sheet.append([c.breakdown, c.primary_level, c.primary_description, c.secondary_level,
                          c.secondary_description, c.measure_id, c.measure_name,
                          _number(c.value)])
    moment = header.generated_at.replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "imm_graph nhs_reporting"
    wb.properties.created = moment
    wb.properties.modified = moment
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip(raw.getvalue(), moment)


def _fixed_zip(data: bytes, moment: dt.datetime) -> bytes:
    """The same workbook as the same bytes: every zip entry stamped with the return's time
    (openpyxl stamps entries with the clock)."""
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute,
             moment.second - moment.second % 2)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                                 + rb"\g<2>", content)
            target.writestr(entry, content)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
