"""GraphQL: referrals for staff (filters, Relay paging, history, suggested hubs), the
``submitReferral`` door for platforms, triage mutations, and ``Participant.referrals``.

A platform's API key (linked with ``platforms add --api-key``… or by staff) sees only the
referrals that platform sent; personal fields need ``read:personal`` and every read is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info
from strawberry.scalars import JSON

from imm_graph.plugin_api import (
    Connection,
    Context,
    Node,
    NodeType,
    SchemaContribution,
    UserError,
    ValidationError,
    audited_read,
    connection_of,
    decode_pk,
    encode_id,
    requires,
    services,
    user_errors,
    utcnow,
)
from plugins.social_prescribing import intake, service
from plugins.social_prescribing import models as sp

READ, WRITE, TRIAGE = "read:referrals", "write:referrals", "triage:referrals"
PERSONAL = "read:personal"
referrals = sp.SocialPrescribingReferral.__table__
changes = sp.SocialPrescribingReferralChange.__table__
platforms_t = sp.SocialPrescribingPlatform.__table__


@strawberry.enum(description="Where a referral is in its life (see the README's diagram).")
class ReferralStatus(Enum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CONTACTED = "contacted"
    FIRST_ATTENDED = "first_attended"
    COMPLETED = "completed"
    DISENGAGED = "disengaged"
    CANCELLED = "cancelled"


@strawberry.enum
class ReferralFormat(Enum):
    NATIVE = "native"
    FHIR = "fhir"


@strawberry.type(description="One state change: when, who, from what to what, and why.")
class ReferralChange:
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    at: dt.datetime
    actor: str
    reason: str | None
    note: str | None


@strawberry.type(description="A hub that could take the person: by catchment and cohorts.")
class SuggestedHub:
    hub: strawberry.ID
    name: str
    score: int = strawberry.field(description="2 if the hub's catchment holds the person's "
                                  "postcode district, plus 1 per shared cohort")


def _personal(column: str, description: str, returns: Any = str) -> Any:
    async def resolve(root: Any, info: Info[Context, None]) -> Any:
        await audited_read(info.context, "Referral", root.pk, info.field_name)
        return root.row._mapping[column]

    resolve.__name__ = column
    resolve.__annotations__ = {"root": Any, "info": Info[Context, None], "return": returns | None}
    return strawberry.field(resolver=resolve, extensions=requires(PERSONAL),
                            description=description + " Personal data: needs read:personal; "
                            "every read is audited.")


@strawberry.type(description="A social-prescribing referral from a platform.")
class Referral(Node):
    row: strawberry.Private[Any]
    platform: str
    external_id: str = strawberry.field(description="The platform's id of the referral "
                                        "(ServiceRequest.identifier)")
    status: ReferralStatus
    snomed_code: str
    received_at: dt.datetime
    authored_on: dt.date | None
    decided_at: dt.datetime | None
    decline_reason: str | None
    first_attended_on: dt.date | None
    overdue: bool = strawberry.field(description="No decision within the configured days")
    consent_active: bool
    postcode_district: str | None
    cohorts: list[str]
    referrer_ods_code: str | None

    given_name = _personal("given_name", "Given name.")
    family_name = _personal("family_name", "Family name.")
    nhs_number = _personal("nhs_number", "NHS number, 10 digits.")
    date_of_birth = _personal("date_of_birth", "Date of birth.", dt.date)
    postcode = _personal("postcode", "Full postcode.")
    reason = _personal("reason", "Needs and concerns, as the referrer wrote them.")

    @strawberry.field(description="The hub the referral was accepted to.")
    def hub(self) -> strawberry.ID | None:
        hub_id = self.row.hub_id
        return strawberry.ID(encode_id("Hub", hub_id)) if hub_id is not None else None

    @strawberry.field(description="The participant the referral is about.")
    def participant(self) -> strawberry.ID | None:
        pid = self.row.participant_id
        return strawberry.ID(encode_id("Participant", pid)) if pid is not None else None

    @strawberry.field(description="Every state change, oldest first.")
    async def history(self, info: Info[Context, None]) -> list[ReferralChange]:
        rows = await info.context.fetch(
            sa.select(changes).where(changes.c.referral_id == self.pk).order_by(changes.c.id))
        return [ReferralChange(
            from_status=ReferralStatus(r.from_status) if r.from_status else None,
            to_status=ReferralStatus(r.to_status), at=r.at, actor=r.actor, reason=r.reason,
            note=r.note) for r in rows]

    @strawberry.field(description="Active hubs for the person, best first.")
    async def suggested_hubs(self, info: Info[Context, None]) -> list[SuggestedHub]:
        async with info.context.db.sessions() as session:
            found = await services.hubs_serving(
                session, postcode_district=self.row.postcode_district,
                cohorts=list(self.row.cohorts or []))
        return [SuggestedHub(hub=strawberry.ID(encode_id("Hub", h)), name=n, score=s)
                for h, n, s in found]


_SELECT = sa.select(referrals, platforms_t.c.name.label("platform_name")).join(
    platforms_t, platforms_t.c.id == referrals.c.platform_id)


def build(row: Any) -> Referral:
    return Referral(
        pk=row.id, row=row, platform=getattr(row, "platform_name", ""),
        external_id=row.external_id, status=ReferralStatus(row.status),
        snomed_code=row.snomed_code, received_at=row.received_at, authored_on=row.authored_on,
        decided_at=row.decided_at, decline_reason=row.decline_reason,
        first_attended_on=row.first_attended_on, overdue=row.overdue_at is not None,
        consent_active=row.consent_active, postcode_district=row.postcode_district,
        cohorts=list(row.cohorts or []), referrer_ods_code=row.referrer_ods_code,
    )


async def _own_platform(ctx: Context) -> int | None:
    """The platform whose API key this is (it sees only its own referrals), or None (staff)."""
    pk = getattr(ctx.principal, "api_key_pk", None)
    if pk is None:
        return None
    rows = await ctx.fetch(sa.select(platforms_t.c.id).where(platforms_t.c.api_key_id == pk))
    return int(rows[0].id) if rows else None


async def _load(ctx: Context, keys: Sequence[int]) -> list[Referral | None]:
    query = _SELECT.where(referrals.c.id.in_(keys))
    own = await _own_platform(ctx)
    if own is not None:
        query = query.where(referrals.c.platform_id == own)
    rows = {row.id: row for row in await ctx.fetch(query)}
    return [build(rows[k]) if k in rows else None for k in keys]


NODE = NodeType(Referral, _load, scope=READ)


async def _platform_name_of(ctx: Context, platform_id: int) -> str:
    rows = await ctx.fetch(sa.select(platforms_t.c.name).where(platforms_t.c.id == platform_id))
    return str(rows[0].name) if rows else ""


@strawberry.type
class ReferralQueries:
    @strawberry.field(extensions=requires(READ), description="Referrals, newest first.")
    async def referrals(
        self, info: Info[Context, None],
        status: list[ReferralStatus] | None = None,
        hub: strawberry.ID | None = None,
        platform: str | None = None,
        received_from: dt.date | None = None,
        received_to: dt.date | None = None,
        overdue: bool | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[Referral]:
        where: list[Any] = []
        if status:
            where.append(referrals.c.status.in_([s.value for s in status]))
        if hub is not None:
            where.append(referrals.c.hub_id == decode_pk(hub, "Hub", "hub"))
        if platform is not None:
            where.append(referrals.c.platform_id.in_(
                sa.select(platforms_t.c.id).where(platforms_t.c.name == platform)))
        if received_from is not None:
            where.append(referrals.c.received_at >= dt.datetime.combine(
                received_from, dt.time(), dt.UTC))
        if received_to is not None:
            where.append(referrals.c.received_at < dt.datetime.combine(
                received_to + dt.timedelta(days=1), dt.time(), dt.UTC))
        if overdue is not None:
            where.append(referrals.c.overdue_at.is_not(None) if overdue
                         else referrals.c.overdue_at.is_(None))
        own = await _own_platform(info.context)
        if own is not None:
            where.append(referrals.c.platform_id == own)
        names = {int(r.id): str(r.name) for r in
                 await info.context.fetch(sa.select(platforms_t.c.id, platforms_t.c.name))}

        def build_named(row: Any) -> Referral:
            made = build(row)
            made.platform = names.get(row.platform_id, "")
            return made

        return await connection_of(info, referrals, build_named, where=where,
                                   order=[("received_at", True), ("id", True)], first=first,
                                   after=after)


@strawberry.type
class ReferralPayload:
    referral: Referral | None
    created: bool = False
    errors: list[UserError]


async def _payload(session: AsyncSession, referral_id: int, created: bool = False
                   ) -> ReferralPayload:
    """Read back inside the write's transaction (the request's read connection may hold an
    older snapshot)."""
    await session.flush()
    row = (await session.execute(_SELECT.where(referrals.c.id == referral_id))).first()
    return ReferralPayload(referral=build(row) if row else None, created=created, errors=[])


def _failed(exc: ValidationError) -> ReferralPayload:
    return ReferralPayload(referral=None, errors=user_errors(exc.errors))


@strawberry.type
class ReferralMutations:
    @strawberry.mutation(extensions=requires(WRITE), description=(
        "Submit a referral: the native JSON document, or a FHIR message Bundle with "
        "format: FHIR. Validated exactly as the webhook validates it (same codes and paths). "
        "A platform's key submits as that platform; other keys name the platform."))
    async def submit_referral(
        self, info: Info[Context, None], referral: JSON,
        format: ReferralFormat = ReferralFormat.NATIVE, platform: str | None = None,
    ) -> ReferralPayload:
        ctx = info.context
        config = ctx.request.app.state.plugins.config_for(service.NAME) if ctx.request else None
        receiver = config.receiver_code if config is not None else "IMM"
        now = utcnow()
        try:
            own = await _own_platform(ctx)
            data = intake.parse(referral, "application/fhir+json" if format is
                                ReferralFormat.FHIR else "application/json", now.date(), receiver)
            async with ctx.db.transaction(actor=ctx.actor) as session:
                held = await _platform_for(session, own, platform)
                row, created = await service.receive(session, held, data, now)
                return await _payload(session, row.id, created)
        except ValidationError as exc:
            return _failed(exc)

    @strawberry.mutation(extensions=requires(TRIAGE), description=(
        "Accept a referral into a hub: the person is enrolled there, the platform told."))
    async def accept_referral(
        self, info: Info[Context, None], id: strawberry.ID, hub: strawberry.ID
    ) -> ReferralPayload:
        return await _triage(info, id, lambda s, pk: service.accept(
            s, pk, decode_pk(hub, "Hub", "hub"), utcnow()))

    @strawberry.mutation(extensions=requires(TRIAGE), description=(
        "Decline a referral with a coded reason: " + ", ".join(sorted(sp.DECLINE_REASONS))))
    async def decline_referral(
        self, info: Info[Context, None], id: strawberry.ID, reason: str,
        note: str | None = None,
    ) -> ReferralPayload:
        return await _triage(info, id, lambda s, pk: service.decline(
            s, pk, reason, utcnow(), note))

    @strawberry.mutation(extensions=requires(TRIAGE), description=(
        "Move a referral on: contacted, completed or disengaged (first_attended comes from "
        "the attendance register)."))
    async def update_referral_status(
        self, info: Info[Context, None], id: strawberry.ID, status: ReferralStatus,
        note: str | None = None,
    ) -> ReferralPayload:
        async def move(session: AsyncSession, pk: int) -> Any:
            if status.value not in (sp.CONTACTED, sp.COMPLETED, sp.DISENGAGED):
                raise ValidationError.single(
                    "status", "code_invalid",
                    "status must be CONTACTED, COMPLETED or DISENGAGED here")
            return await service.transition(session, await service.get_referral(session, pk),
                                            status.value, now=utcnow(), note=note)

        return await _triage(info, id, move)


async def _platform_for(session: AsyncSession, own: int | None, named: str | None
                        ) -> sp.SocialPrescribingPlatform:
    if own is not None:
        found = await session.get(sp.SocialPrescribingPlatform, own)
    elif named is not None:
        found = await session.scalar(sa.select(sp.SocialPrescribingPlatform)
                                     .where(sp.SocialPrescribingPlatform.name == named))
    else:
        raise ValidationError.single("platform", "required",
                                     "name the platform the referral comes from")
    if found is None:
        raise ValidationError.single("platform", "not_found", "no such platform")
    return found


async def _triage(info: Info[Context, None], id: strawberry.ID, work: Any) -> ReferralPayload:
    ctx = info.context
    try:
        pk = decode_pk(id, "Referral", "id")
        async with ctx.db.transaction(actor=ctx.actor) as session:
            await work(session, pk)
            return await _payload(session, pk)
    except ValidationError as exc:
        return _failed(exc)


@strawberry.type
class ParticipantReferrals:
    """Added to the core ``Participant``: ``Participant.referrals``."""

    @strawberry.field(extensions=requires(READ))
    async def referrals(self, root: strawberry.Parent[Any], info: Info[Context, None]
                        ) -> list[Referral]:
        query = _SELECT.where(referrals.c.participant_id == root.pk)
        own = await _own_platform(info.context)
        if own is not None:
            query = query.where(referrals.c.platform_id == own)
        rows = await info.context.fetch(query.order_by(referrals.c.id))
        return [build(r) for r in rows]


CONTRIBUTION = SchemaContribution(
    queries=[ReferralQueries], mutations=[ReferralMutations],
    types=[Referral, ReferralChange, SuggestedHub],
    extend={"Participant": [ParticipantReferrals]}, nodes=[NODE],
)
