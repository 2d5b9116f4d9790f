"""Mutations about taking part: enrolment, the session register, consent.

They complete what the services already offered (enrolment had no mutation, so participants
created through the API counted 0 in ``peopleEngaged``), and they are what the referral
plug-in does for a person it accepts.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import strawberry
from strawberry import UNSET, Info

from imm_graph.errors import ValidationError
from imm_graph.ids import decode_pk
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.enums import ConsentGivenBy, ConsentPurpose
from imm_graph.schema.mutations import UserError, user_errors, write
from imm_graph.schema.permissions import requires
from imm_graph.security.scopes import WRITE_CORE
from imm_graph.services import api


@strawberry.input(description="Enrol a participant in a hub or a project (give exactly one).")
class EnrolParticipantInput:
    participant: strawberry.ID
    enrolled_on: dt.date
    hub: strawberry.ID | None = None
    project: strawberry.ID | None = None


@strawberry.input(description="End an enrolment, or correct its dates.")
class UpdateEnrolmentInput:
    id: strawberry.ID
    enrolled_on: dt.date | None = UNSET
    left_on: dt.date | None = UNSET


@strawberry.input(description="A consent given by or for a participant or a stakeholder.")
class RecordConsentInput:
    purpose: ConsentPurpose
    given_at: dt.datetime
    given_by: ConsentGivenBy
    participant: strawberry.ID | None = None
    stakeholder: strawberry.ID | None = None


@strawberry.input(description="Withdraw a consent: it stays on record, no longer in force.")
class WithdrawConsentInput:
    id: strawberry.ID
    withdrawn_at: dt.datetime
    withdrawal_reason: str | None = None


@strawberry.input(description="Who was on a session's register, by participant ID.")
class RecordRegisterInput:
    session: strawberry.ID
    attended: list[strawberry.ID] = strawberry.field(default_factory=list)
    did_not_attend: list[strawberry.ID] = strawberry.field(default_factory=list)
    cancelled: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type
class EnrolmentPayload:
    enrolment: t.Enrolment | None
    errors: list[UserError]


@strawberry.type
class ConsentPayload:
    consent: t.Consent | None
    errors: list[UserError]


@strawberry.type
class RegisterPayload:
    session: t.Session | None
    errors: list[UserError]


def _ids(values: list[strawberry.ID], field: str) -> list[int]:
    return [decode_pk(v, "Participant", f"{field}[{i}]") for i, v in enumerate(values)]


@strawberry.type
class ParticipationMutations:
    @strawberry.mutation(
        description="Enrol a participant in a hub or a project: from then on they count in "
        "`impact.peopleEngaged` for its slices.",
        extensions=requires(WRITE_CORE),
    )
    async def enrol_participant(
        self, info: Info[Context, None], input: EnrolParticipantInput
    ) -> EnrolmentPayload:
        obj, errors = await write(info, "enrolment", t.Enrolment, input)
        return EnrolmentPayload(enrolment=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def update_enrolment(
        self, info: Info[Context, None], input: UpdateEnrolmentInput
    ) -> EnrolmentPayload:
        obj, errors = await write(info, "enrolment", t.Enrolment, input, input.id)
        return EnrolmentPayload(enrolment=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def record_consent(
        self, info: Info[Context, None], input: RecordConsentInput
    ) -> ConsentPayload:
        obj, errors = await write(info, "consent", t.Consent, input)
        return ConsentPayload(consent=obj, errors=errors)

    @strawberry.mutation(extensions=requires(WRITE_CORE))
    async def withdraw_consent(
        self, info: Info[Context, None], input: WithdrawConsentInput
    ) -> ConsentPayload:
        obj, errors = await write(info, "consent", t.Consent, input, input.id)
        return ConsentPayload(consent=obj, errors=errors)

    @strawberry.mutation(
        description="Record who attended, did not attend or cancelled a session (replacing "
        "earlier lines for those people). The session's counts are left as they are.",
        extensions=requires(WRITE_CORE),
    )
    async def record_register(
        self, info: Info[Context, None], input: RecordRegisterInput
    ) -> RegisterPayload:
        ctx = info.context
        try:
            session_id = decode_pk(input.session, "Session", "session")
            lines = {
                "attended": _ids(input.attended, "attended"),
                "did_not_attend": _ids(input.did_not_attend, "didNotAttend"),
                "cancelled": _ids(input.cancelled, "cancelled"),
            }
            async with ctx.db.transaction(actor=ctx.actor) as session:
                await api.record_attendance(session, session_id, **lines)
        except ValidationError as exc:
            return RegisterPayload(session=None, errors=user_errors(exc.errors))
        await ctx.after_write()
        sessions = t.NODE_TYPES["Session"][0]
        [row] = await ctx.fetch(sa.select(sessions).where(sessions.c.id == session_id))
        return RegisterPayload(session=t.build(t.Session, row), errors=[])
