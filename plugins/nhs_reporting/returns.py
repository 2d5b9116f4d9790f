"""Returns as a service: define commissioners, generate, sign off, submit, render and diff.

GraphQL, the download route, the command line and the periodic job all call these functions, in
the caller's transaction (a failure half-way leaves nothing written). Validation errors name the
field and the rule (``ValidationError``), as the core's do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import ValidationError, enqueue_delivery, models
from plugins.nhs_reporting import render
from plugins.nhs_reporting.disclosure import (
    Cell,
    PublishedCell,
    complementary_warnings,
    cross_return_warnings,
    publish,
)
from plugins.nhs_reporting.figures import Figures, Scope, compute
from plugins.nhs_reporting.models import (
    DRAFT,
    KIND_NAMES,
    KINDS,
    SIGNED_OFF,
    SUBMITTED,
    NhsCommissioner,
    NhsReturn,
)
from plugins.nhs_reporting.periods import Period

NAME = "nhs_reporting"
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def define_commissioner(
    session: AsyncSession, *, ods_code: str, kind: str, name: str,
    hub_codes: Sequence[str] | None = None, submission_url: str | None = None,
) -> NhsCommissioner:
    """Add a commissioner, or update the one with this ODS code."""
    ods = (ods_code or "").strip().upper()
    if not ODS_CODE.match(ods):
        raise ValidationError.single("odsCode", "invalid_ods_code",
                                     "odsCode must be 3 to 10 letters or digits, e.g. QRV")
    if kind not in KINDS:
        raise ValidationError.single("kind", "unknown_kind",
                                     f"kind must be one of {', '.join(KINDS)}")
    if not (name or "").strip():
        raise ValidationError.single("name", "required", "name is required")
    if submission_url is not None and not re.match(r"^https?://[^\s/]+", submission_url):
        raise ValidationError.single("submissionUrl", "invalid_url",
                                     "submissionUrl must be an absolute http(s) URL")
    hub_ids = None
    if hub_codes is not None:
        rows = {code: hub_id for code, hub_id in (await session.execute(
            sa.select(models.Hub.code, models.Hub.id).where(models.Hub.code.in_(hub_codes))
        )).all()}
        unknown = sorted(set(hub_codes) - set(rows))
        if unknown:
            raise ValidationError.single("hubCodes", "unknown_hub",
                                         f"hubCodes: no hub with code {', '.join(unknown)}")
        hub_ids = sorted(rows.values())
    found = await session.scalar(sa.select(NhsCommissioner).where(
        NhsCommissioner.ods_code == ods))
    commissioner = found or NhsCommissioner(ods_code=ods)
    commissioner.kind, commissioner.name = kind, name.strip()
    commissioner.hub_ids, commissioner.submission_url = hub_ids, submission_url
    session.add(commissioner)
    await session.flush()
    return commissioner


async def commissioner_by_ods(session: AsyncSession, ods_code: str,
                              field: str = "commissioner") -> NhsCommissioner:
    found = await session.scalar(sa.select(NhsCommissioner).where(
        NhsCommissioner.ods_code == (ods_code or "").strip().upper()))
    if found is None:
        raise ValidationError.single(field, "unknown_commissioner",
                                     f"{field}: no commissioner with ODS code '{ods_code}'")
    return found


def scope_of(commissioner: NhsCommissioner, period: Period, within_days: int) -> Scope:
    hub_ids = tuple(commissioner.hub_ids) if commissioner.hub_ids is not None else None
    return Scope(period, hub_ids, within_days)


def period_of(ret: NhsReturn) -> Period:
    return Period(ret.period_start, ret.period_end, ret.period_label)


async def versions(session: AsyncSession, commissioner_id: int, period: Period) -> list[NhsReturn]:
    """Every version of a commissioner's return for a period, newest first."""
    return list((await session.scalars(
        sa.select(NhsReturn).where(
            NhsReturn.commissioner_id == commissioner_id,
            NhsReturn.period_start == period.start, NhsReturn.period_end == period.end)
        .order_by(NhsReturn.version.desc())
    )).all())


async def generate(
    session: AsyncSession, commissioner: NhsCommissioner, period: Period, *, by: str,
    within_days: int, now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> NhsReturn:
    """The return's figures computed now: a draft is refreshed in place; once the current
    version is signed off, a correction becomes a new version (both kept, the new one current)."""
    now = now or utcnow()
    figures = await compute(session, scope_of(commissioner, period, within_days), progress)
    existing = await versions(session, commissioner.id, period)
    latest = existing[0] if existing else None
    if latest is not None and latest.status == DRAFT:
        ret = latest
    else:
        if latest is not None:
            latest.is_current = False
        ret = NhsReturn(commissioner_id=commissioner.id, period_start=period.start,
                        period_end=period.end, version=(latest.version + 1 if latest else 1),
                        is_current=True, status=DRAFT)
    ret.period_label = period.label
    ret.figures = figures.as_json()
    ret.generated_at, ret.generated_by = now, by
    ret.warnings = await _warnings(session, commissioner, period, figures.cells)
    session.add(ret)
    await session.flush()
    return ret


async def _warnings(session: AsyncSession, commissioner: NhsCommissioner, period: Period,
                    cells: Sequence[Cell]) -> list[str]:
    """Complementary disclosure inside the return and against the commissioner's other current
    returns over overlapping periods."""
    warnings = complementary_warnings(cells)
    others = (await session.scalars(sa.select(NhsReturn).where(
        NhsReturn.commissioner_id == commissioner.id, NhsReturn.is_current.is_(True),
        NhsReturn.period_start <= period.end, NhsReturn.period_end >= period.start,
        sa.not_(sa.and_(NhsReturn.period_start == period.start,
                        NhsReturn.period_end == period.end)),
    ).order_by(NhsReturn.period_start, NhsReturn.id))).all()
    for other in others:
        warnings += cross_return_warnings(
            cells, Figures.from_json(other.figures).cells, f"'{period.label}'",
            f"the return for '{other.period_label}'")
    return warnings


def _refuse(code: str, message: str) -> ValidationError:
    return ValidationError.single("return", code, message)


async def sign_off(session: AsyncSession, ret: NhsReturn, *, by: str,
                   now: dt.datetime | None = None) -> NhsReturn:
    """Draft → signed off: from now on the return is immutable, and its CSV's SHA-256 and the
    figures as of this moment are kept with it."""
    if ret.status != DRAFT:
        raise _refuse("already_signed_off",
                      f"return: version {ret.version} is {ret.status.replace('_', ' ')} and "
                      "cannot change; generate it again for a corrected version")
    commissioner = await session.get(NhsCommissioner, ret.commissioner_id)
    assert commissioner is not None
    # No query between these lines: they reach the database in one flush, as one change.
    ret.status = SIGNED_OFF
    ret.signed_off_at, ret.signed_off_by = now or utcnow(), by
    ret.content_sha256 = render.sha256(files(ret, commissioner, "csv"))
    await session.flush()
    return ret


async def submit(session: AsyncSession, ret: NhsReturn, *, by: str, signed: bool,
                 now: dt.datetime | None = None) -> NhsReturn:
    """Signed off → submitted. With a submission URL the CSV goes through the outbox (retried
    until delivered, never lost); without one the return is marked for download."""
    if ret.status != SIGNED_OFF:
        raise _refuse("not_signed_off" if ret.status == DRAFT else "already_submitted",
                      f"return: only a signed-off return can be submitted; this one is "
                      f"{ret.status.replace('_', ' ')}")
    commissioner = await session.get(NhsCommissioner, ret.commissioner_id)
    assert commissioner is not None
    ret.status = SUBMITTED
    ret.submitted_at, ret.submitted_by = now or utcnow(), by
    if commissioner.submission_url:
        header = header_of(ret, commissioner)
        delivery = await enqueue_delivery(
            session, plugin=NAME, url=commissioner.submission_url,
            body=files(ret, commissioner, "csv"), content_type=render.FORMATS["csv"],
            headers={"Content-Disposition": f'attachment; filename="{header.stem}.csv"',
                     "X-IMM-Content-SHA256": ret.content_sha256 or ""},
            idempotency_key=f"return:{ret.id}",
            ordering_key=f"commissioner:{commissioner.id}",
            secret_ref="submission_secret" if signed else None,
        )
        ret.submitted_via, ret.delivery_id = "outbox", delivery.delivery_id
    else:
        ret.submitted_via = "download"
    await session.flush()
    return ret


def header_of(ret: NhsReturn, commissioner: NhsCommissioner) -> render.Header:
    return render.Header(
        commissioner_ods=commissioner.ods_code, commissioner_name=commissioner.name,
        commissioner_kind=KIND_NAMES[commissioner.kind], period_start=ret.period_start,
        period_end=ret.period_end, period_label=ret.period_label, version=ret.version,
        status="Provisional" if ret.status == DRAFT else "Final",
        generated_at=ret.generated_at,
        referrals_available=bool(ret.figures.get("referrals_available")),
    )


def published(ret: NhsReturn) -> list[PublishedCell]:
    """The return's cells after disclosure control: what leaves IMM."""
    return publish(Figures.from_json(ret.figures).cells)


def files(ret: NhsReturn, commissioner: NhsCommissioner, fmt: str) -> bytes:
    """One of the return's files, from its stored figures (the same bytes every time)."""
    header = header_of(ret, commissioner)
    cells = published(ret)
    if fmt == "csv":
        return render.csv_bytes(header, cells)
    if fmt == "xlsx":
        return render.xlsx_bytes(header, cells, ret.warnings)
    if fmt == "json":
        return render.json_bytes(header, cells, ret.warnings)
    if fmt == "datapackage":
        import orjson

        return orjson.dumps(render.datapackage(header), option=orjson.OPT_INDENT_2)
    raise ValidationError.single("format", "unknown_format",
                                 f"format must be one of {', '.join(render.FORMATS)}")


@dataclass(frozen=True)
class CellChange:
    """One published cell that differs between the stored return and the figures now."""

    key: str
    breakdown: str
    primary_level: str
    secondary_level: str
    measure_id: str
    measure_name: str
    before: str | None  # None: not in the stored return
    after: str | None  # None: gone from the figures now


async def changes_since(
    session: AsyncSession, ret: NhsReturn, within_days: int
) -> list[CellChange]:
    """Cell by cell, what regenerating the return now would change in what is published."""
    commissioner = await session.get(NhsCommissioner, ret.commissioner_id)
    assert commissioner is not None
    stored = {c.key: c for c in published(ret)}
    now_figures = await compute(session, scope_of(commissioner, period_of(ret),
                                                  int(ret.figures.get("within_days",
                                                                      within_days))))
    fresh = {c.key: c for c in publish(now_figures.cells)}
    out = []
    for key in [*stored, *(k for k in fresh if k not in stored)]:
        before, after = stored.get(key), fresh.get(key)
        if before is not None and after is not None and before.value == after.value:
            continue
        cell: Any = before or after
        out.append(CellChange(key, cell.breakdown, cell.primary_level, cell.secondary_level,
                              cell.measure_id, cell.measure_name,
                              before.value if before else None, after.value if after else None))
    return out


async def returns_for(session: AsyncSession, commissioner_id: int | None = None,
                      period: Period | None = None, current_only: bool = False) -> list[NhsReturn]:
    query = sa.select(NhsReturn)
    if commissioner_id is not None:
        query = query.where(NhsReturn.commissioner_id == commissioner_id)
    if period is not None:
        query = query.where(NhsReturn.period_start == period.start,
                            NhsReturn.period_end == period.end)
    if current_only:
        query = query.where(NhsReturn.is_current.is_(True))
    query = query.order_by(NhsReturn.period_start.desc(), NhsReturn.commissioner_id,
                           NhsReturn.version.desc())
    return list((await session.scalars(query)).all())

