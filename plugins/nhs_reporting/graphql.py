"""GraphQL for IMM staff: commissioners, returns, and the return lifecycle.

Scopes (declared by the plug-in): ``read:reports`` reads returns as they leave IMM (after
disclosure control); ``write:reports`` defines commissioners, generates, signs off and submits;
``read:reports-raw`` reads the raw, unsuppressed figures, for IMM staff only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph.plugin_api import (
    Context,
    Node,
    NodeType,
    UserError,
    ValidationError,
    decode_pk,
    encode_id,
    requires,
    user_errors,
)
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.figures import Figures
from plugins.nhs_reporting.models import NhsCommissioner as CommissionerRow
from plugins.nhs_reporting.models import NhsReturn as ReturnRow
from plugins.nhs_reporting.periods import parse_period
from plugins.nhs_reporting.settings import NhsReportingSettings

READ, WRITE, RAW = "read:reports", "write:reports", "read:reports-raw"
SCOPES = {
    READ: "NHS commissioner returns as published (after disclosure control)",
    WRITE: "define commissioners; generate, sign off and submit NHS returns",
    RAW: "raw, unsuppressed figures behind NHS returns: IMM staff only, never a partner",
}
NAME = "nhs_reporting"


def settings_of(ctx: Context) -> NhsReportingSettings:
    request = ctx.request
    plugins = getattr(getattr(getattr(request, "app", None), "state", None), "plugins", None)
    config = plugins.config_for(NAME) if plugins is not None else None
    return config if isinstance(config, NhsReportingSettings) else NhsReportingSettings()


@strawberry.type(description="An NHS body that receives IMM's returns, by its ODS code.")
class NhsCommissioner:
    ods_code: str
    kind: str = strawberry.field(description="icb, pcn, trust or local_authority")
    name: str
    hub_ids: strawberry.Private[list[int] | None]
    submission_url: str | None = strawberry.field(
        description="Where submissions are POSTed (none: downloaded)")

    @strawberry.field(description="Codes of the hubs it commissions (null: all of IMM's work).")
    async def hub_codes(self, info: Info[Context, None]) -> list[str] | None:
        if self.hub_ids is None:
            return None
        from imm_graph.plugin_api import models

        rows = await info.context.fetch(sa.select(models.Hub.code).where(
            models.Hub.id.in_(self.hub_ids)).order_by(models.Hub.code))
        return [row[0] for row in rows]


def commissioner(row: CommissionerRow) -> NhsCommissioner:
    return NhsCommissioner(ods_code=row.ods_code, kind=row.kind, name=row.name,
                           hub_ids=row.hub_ids, submission_url=row.submission_url)


@strawberry.type(description="One published figure: the value after disclosure control.")
class NhsReturnCell:
    section: str
    breakdown: str
    primary_level: str
    primary_level_description: str
    secondary_level: str
    secondary_level_description: str
    measure_id: str
    measure_name: str
    value: str = strawberry.field(description="'*' when suppressed")


@strawberry.type(description="One raw figure, before disclosure control (inside IMM only).")
class NhsRawCell:
    section: str
    breakdown: str
    primary_level: str
    secondary_level: str
    measure_id: str
    measure_name: str
    value: float | None
    people: int | None = strawberry.field(description="How many people a statistic is from")
    published: str


@strawberry.type(description="A published cell that regenerating the return now would change.")
class NhsCellChange:
    breakdown: str
    primary_level: str
    secondary_level: str
    measure_id: str
    measure_name: str
    before: str | None
    after: str | None


@strawberry.type(description="A return to a commissioner for one period, in one version.")
class NhsReturn(Node):
    row: strawberry.Private[ReturnRow]
    owner: strawberry.Private[CommissionerRow]

    @strawberry.field(description="A global, opaque ID.", extensions=requires(READ))
    def id(self) -> strawberry.ID:  # read:reports is enough (Node's id asks for read:core)
        return strawberry.ID(encode_id("NhsReturn", self.pk))

    @strawberry.field
    def commissioner(self) -> NhsCommissioner:
        return commissioner(self.owner)

    @strawberry.field
    def period_start(self) -> dt.date:
        return self.row.period_start

    @strawberry.field
    def period_end(self) -> dt.date:
        return self.row.period_end

    @strawberry.field
    def period_label(self) -> str:
        return self.row.period_label

    @strawberry.field(description="1 for the first return of the period; corrections count up.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="The newest version of its period.")
    def current(self) -> bool:
        return self.row.is_current

    @strawberry.field(description="draft, signed_off or submitted")
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def generated_at(self) -> dt.datetime:
        return self.row.generated_at

    @strawberry.field
    def generated_by(self) -> str:
        return self.row.generated_by

    @strawberry.field
    def signed_off_at(self) -> dt.datetime | None:
        return self.row.signed_off_at

    @strawberry.field
    def signed_off_by(self) -> str | None:
        return self.row.signed_off_by

    @strawberry.field(description="SHA-256 of the CSV as signed off.")
    def content_sha256(self) -> str | None:
        return self.row.content_sha256

    @strawberry.field
    def submitted_at(self) -> dt.datetime | None:
        return self.row.submitted_at

    @strawberry.field
    def submitted_by(self) -> str | None:
        return self.row.submitted_by

    @strawberry.field(description="outbox (sent to the commissioner's endpoint) or download")
    def submitted_via(self) -> str | None:
        return self.row.submitted_via

    @strawberry.field(description="Complementary-disclosure warnings to check before sign-off.")
    def warnings(self) -> list[str]:
        return list(self.row.warnings or [])

    @strawberry.field(description="False when no referral service answered (section omitted).")
    def referrals_available(self) -> bool:
        return bool(self.row.figures.get("referrals_available"))

    @strawberry.field(description="The cells as published, after disclosure control.")
    def cells(self, section: str | None = None) -> list[NhsReturnCell]:
        return [
            NhsReturnCell(section=c.section, breakdown=c.breakdown,
                          primary_level=c.primary_level,
                          primary_level_description=c.primary_description,
                          secondary_level=c.secondary_level,
                          secondary_level_description=c.secondary_description,
                          measure_id=c.measure_id, measure_name=c.measure_name, value=c.value)
            for c in returns.published(self.row) if section is None or c.section == section
        ]

    @strawberry.field(extensions=requires(RAW),
                      description="The raw figures (read:reports-raw: inside IMM only).")
    def raw_cells(self, section: str | None = None) -> list[NhsRawCell]:
        return [
            NhsRawCell(section=c.section, breakdown=c.breakdown, primary_level=c.primary_level,
                       secondary_level=c.secondary_level, measure_id=c.measure_id,
                       measure_name=c.measure_name, value=c.value, people=c.base,
                       published=c.shown())
            for c in Figures.from_json(self.row.figures).cells
            if section is None or c.section == section
        ]

    @strawberry.field(description="Cell by cell, what regenerating the return now would change.")
    async def changes_since_generated(self, info: Info[Context, None]) -> list[NhsCellChange]:
        async with info.context.db.sessions() as session:
            changes = await returns.changes_since(session, self.row,
                                                  settings_of(info.context).within_days)
        return [NhsCellChange(breakdown=c.breakdown, primary_level=c.primary_level,
                              secondary_level=c.secondary_level, measure_id=c.measure_id,
                              measure_name=c.measure_name, before=c.before, after=c.after)
                for c in changes]

    @strawberry.field(description="Paths to download the files (an API key with read:reports).")
    def downloads(self) -> list[str]:
        base = f"/plugins/{NAME}/returns/{self.row.id}"
        return [f"{base}.csv", f"{base}.xlsx", f"{base}.json", f"{base}/datapackage.json"]


def build(row: ReturnRow, owner: CommissionerRow) -> NhsReturn:
    return NhsReturn(pk=row.id, row=row, owner=owner)


async def _load(ctx: Context, ids: Sequence[int]) -> dict[int, NhsReturn]:
    async with ctx.db.sessions() as session:
        rows = (await session.execute(
            sa.select(ReturnRow, CommissionerRow)
            .join(CommissionerRow, CommissionerRow.id == ReturnRow.commissioner_id)
            .where(ReturnRow.id.in_(ids)))).all()
    return {r.id: build(r, c) for r, c in rows}


async def load_returns(ctx: Context, keys: Sequence[int]) -> list[NhsReturn | None]:
    found = await _load(ctx, keys)
    return [found.get(k) for k in keys]


NODE = NodeType(NhsReturn, load_returns, scope=READ)


@strawberry.type
class NhsReportingQuery:
    @strawberry.field(extensions=requires(READ), description="One return by its ID.")
    async def nhs_return(self, info: Info[Context, None], id: strawberry.ID) -> NhsReturn | None:
        try:
            pk = decode_pk(id, "NhsReturn", "id")
        except ValidationError:
            return None
        return (await _load(info.context, [pk])).get(pk)

    @strawberry.field(extensions=requires(READ),
                      description="Returns, newest period first; filter by a commissioner's ODS "
                                  "code and a period ('FY2024/25 Q3'); every version with "
                                  "currentOnly: false.")
    async def nhs_returns(
        self, info: Info[Context, None], commissioner: str | None = None,
        period: str | None = None, current_only: bool = True,
    ) -> list[NhsReturn]:
        async with info.context.db.sessions() as session:
            owner = (await returns.commissioner_by_ods(session, commissioner)
                     if commissioner else None)
            rows = await returns.returns_for(
                session, owner.id if owner else None,
                parse_period(period) if period else None, current_only)
            owners = {c.id: c for c in (await session.scalars(sa.select(CommissionerRow))).all()}
        return [build(r, owners[r.commissioner_id]) for r in rows]

    @strawberry.field(extensions=requires(READ))
    async def nhs_commissioners(self, info: Info[Context, None]) -> list[NhsCommissioner]:
        async with info.context.db.sessions() as session:
            rows = (await session.scalars(
                sa.select(CommissionerRow).order_by(CommissionerRow.ods_code))).all()
        return [commissioner(r) for r in rows]


@strawberry.type
class NhsCommissionerPayload:
    commissioner: NhsCommissioner | None
    errors: list[UserError]


@strawberry.type
class NhsReturnPayload:
    nhs_return: NhsReturn | None
    errors: list[UserError]


async def _lifecycle(info: Info[Context, None], id: strawberry.ID, step: str) -> NhsReturnPayload:
    ctx = info.context
    try:
        pk = decode_pk(id, "NhsReturn", "id")
        async with ctx.db.transaction(actor=ctx.actor) as session:
            row = await session.get(ReturnRow, pk, with_for_update=True)
            if row is None:
                raise ValidationError.single("id", "not_found", "id: no such return")
            if step == "sign_off":
                await returns.sign_off(session, row, by=ctx.actor.label)
            else:
                await returns.submit(session, row, by=ctx.actor.label,
                                     signed=settings_of(ctx).submission_secret is not None)
            owner = await session.get(CommissionerRow, row.commissioner_id)
            assert owner is not None
            result = build(row, owner)
    except ValidationError as exc:
        return NhsReturnPayload(nhs_return=None, errors=user_errors(exc.errors))
    return NhsReturnPayload(nhs_return=result, errors=[])


@strawberry.type
class NhsReportingMutation:
    @strawberry.mutation(extensions=requires(WRITE),
                         description="Add a commissioner, or update the one with this ODS code.")
    async def define_nhs_commissioner(
        self, info: Info[Context, None], ods_code: str, kind: str, name: str,
        hub_codes: list[str] | None = None, submission_url: str | None = None,
    ) -> NhsCommissionerPayload:
        ctx = info.context
        try:
            async with ctx.db.transaction(actor=ctx.actor) as session:
                row = await returns.define_commissioner(
                    session, ods_code=ods_code, kind=kind, name=name, hub_codes=hub_codes,
                    submission_url=submission_url)
                result = commissioner(row)
        except ValidationError as exc:
            return NhsCommissionerPayload(commissioner=None, errors=user_errors(exc.errors))
        return NhsCommissionerPayload(commissioner=result, errors=[])

    @strawberry.mutation(extensions=requires(WRITE),
                         description="Compute a commissioner's return for a period: a draft is "
                                     "refreshed; after sign-off, a corrected new version.")
    async def generate_nhs_return(
        self, info: Info[Context, None], commissioner: str, period: str
    ) -> NhsReturnPayload:
        ctx = info.context
        try:
            parsed = parse_period(period, "period")
            async with ctx.db.transaction(actor=ctx.actor) as session:
                owner = await returns.commissioner_by_ods(session, commissioner)
                row = await returns.generate(session, owner, parsed, by=ctx.actor.label,
                                             within_days=settings_of(ctx).within_days)
                result = build(row, owner)
        except ValidationError as exc:
            return NhsReturnPayload(nhs_return=None, errors=user_errors(exc.errors))
        return NhsReturnPayload(nhs_return=result, errors=[])

    @strawberry.mutation(extensions=requires(WRITE),
                         description="Draft -> signed off: frozen, with its SHA-256 kept.")
    async def sign_off_nhs_return(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> NhsReturnPayload:
        return await _lifecycle(info, id, "sign_off")

    @strawberry.mutation(extensions=requires(WRITE),
                         description="Signed off -> submitted: through the outbox to the "
                                     "commissioner's endpoint, or marked for download.")
    async def submit_nhs_return(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> NhsReturnPayload:
        return await _lifecycle(info, id, "submit")

