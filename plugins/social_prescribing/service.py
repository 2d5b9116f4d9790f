"""Referral intake and lifecycle: every write to a referral goes through here.

Each function runs in the caller's transaction, so a referral, its person, its history row,
its event and its queued status update commit together or not at all. Both doors (webhook and
GraphQL), staff mutations, the attendance hook and the overdue job call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    FieldError,
    ValidationError,
    blind_index,
    emit,
    encode_id,
    enqueue_delivery,
    models,
    one_of,
    score_change,
    services,
)
from plugins.social_prescribing import models as sp
from plugins.social_prescribing.intake import REFERRAL_CODE, SNOMED, ReferralData

NAME = "social_prescribing"
IMM_SYSTEM = "https://intergenerationalmusicmaking.org"
TASK_STATUS = {
    sp.RECEIVED: "received", sp.ACCEPTED: "accepted", sp.DECLINED: "rejected",
    sp.CONTACTED: "in-progress", sp.FIRST_ATTENDED: "in-progress",
    sp.COMPLETED: "completed", sp.DISENGAGED: "failed", sp.CANCELLED: "cancelled",
}
Referral = sp.SocialPrescribingReferral
Platform = sp.SocialPrescribingPlatform
Change = sp.SocialPrescribingReferralChange


def actor_label(session: AsyncSession) -> str:
    """Who the transaction acts for (``key:…``, ``social_prescribing:<platform>``, ``cli:…``)."""
    named = session.info.get("actor_label")
    if named:
        return str(named)
    actor = session.info.get("actor")
    return str(getattr(actor, "label", None) or "system")


def _generation(born: dt.date | None, today: dt.date) -> str:
    """Participants need a generation; a referral's birth date gives it (adults otherwise)."""
    if born is None:
        return "adult"
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age >= 65:
        return "older_person"
    if age >= 18:
        return "adult" if age > 25 else "young_person"
    return "young_person" if age >= 11 else "child"


async def check_cohorts(session: AsyncSession, data: ReferralData) -> None:
    if not data.cohorts:
        return
    bad = set(await services.unknown_cohorts(session, data.cohorts))
    path = "cohorts" if data.format == "native" else "ServiceRequest.reasonCode"
    if bad:
        raise ValidationError([FieldError("unknown_cohort", path,
                                          f"{c!r} is not an IMM clinical cohort code")
                               for c in data.cohorts if c in bad])


def person_fields(data: ReferralData, today: dt.date) -> dict[str, Any]:
    """The core participant a referral about a new person creates: pseudonymous plus what the
    referral says of them."""
    return {
        "generation": _generation(data.date_of_birth, today),
        "given_name": data.given_name, "family_name": data.family_name,
        "nhs_number": data.nhs_number, "date_of_birth": data.date_of_birth,
        "email": data.email, "phone": data.phone, "postcode": data.postcode,
        "cohort_codes": tuple(data.cohorts),
    }


def sharing_consent(participant_id: int, now: dt.datetime) -> dict[str, Any]:
    """The core consent a referral records: status and outcomes may go back to the referrer."""
    return {"participant_id": participant_id, "purpose": "referral_sharing", "given_at": now,
            "given_by": "referrer_recorded"}


async def _person(
    session: AsyncSession, data: ReferralData, today: dt.date
) -> tuple[int, Any | None]:
    """The participant this referral is about, and the row when it was created just now: found
    by the keyed NHS-number index (nothing is decrypted), or created
    pseudonymous-plus-referral-data."""
    assert data.nhs_number is not None
    found = await services.find_participant_by_nhs_number(session, data.nhs_number)
    if found is not None:
        return found, None
    try:
        person = await services.create_participant(session, **person_fields(data, today))
    except ValidationError as exc:
        prefix = "patient." if data.format == "native" else "Patient."
        raise ValidationError([FieldError(e.code, prefix + e.field, e.message)
                               for e in exc.errors]) from None
    return int(person.id), person


async def _record_sharing_consent(
    session: AsyncSession, participant_id: int | None, now: dt.datetime, *, new_person: bool
) -> None:
    """The person agreed that status and outcomes go back to the referrer: a core consent
    (purpose referral_sharing, recorded by the referrer), unless one is already held (a person
    created just now holds none: no need to look)."""
    if participant_id is None:
        return
    held = None if new_person else await session.scalar(sa.select(models.Consent.id).where(
        models.Consent.participant_id == participant_id,
        models.Consent.purpose == "referral_sharing", models.Consent.withdrawn_at.is_(None)))
    if held is None:
        await services.record_consent(session, **sharing_consent(participant_id, now))


async def _withdraw_sharing_consent(
    session: AsyncSession, participant_id: int | None, now: dt.datetime
) -> None:
    if participant_id is None:
        return
    for consent_id in list(await session.scalars(sa.select(models.Consent.id).where(
            models.Consent.participant_id == participant_id,
            models.Consent.purpose == "referral_sharing",
            models.Consent.withdrawn_at.is_(None)))):
        await services.withdraw_consent(session, consent_id, withdrawn_at=now,
                                        reason="withdrawn through the referral platform")


async def consent_changed(session: AsyncSession, consent_id: int) -> int:
    """A core consent changed: if the person withdrew referral_sharing (staff recorded it, or
    the platform did), their referrals send nothing more. Returns the referrals stopped."""
    consent = await session.get(models.Consent, consent_id)
    if consent is None or consent.withdrawn_at is None or consent.participant_id is None \
            or consent.purpose != "referral_sharing":
        return 0
    result = await session.execute(
        sa.update(Referral).where(Referral.participant_id == consent.participant_id,
                                  Referral.consent_active.is_(True))
        .values(consent_active=False))
    return int(getattr(result, "rowcount", 0) or 0)


# What a referral takes from its data, as given (None included).
_FROM_DATA = ("external_id", "format", "consent_active", "given_name", "family_name",
              "nhs_number", "date_of_birth", "gender", "phone", "email", "postcode", "reason",
              "referrer_ods_code", "referrer_name", "authored_on")


def _derived(data: ReferralData) -> dict[str, Any]:
    return {
        "nhs_number_index": blind_index(data.nhs_number) if data.nhs_number else None,
        "postcode_district": data.postcode.split(" ", 1)[0] if data.postcode else None,
        "snomed_code": data.snomed_code or REFERRAL_CODE,
    }


def _apply(referral: Referral, data: ReferralData) -> None:
    """An update: what the platform sent again replaces what was stored."""
    for name in _FROM_DATA[3:]:
        value = getattr(data, name)
        if value is not None:
            setattr(referral, name, value)
    if data.cohorts:
        referral.cohorts = list(data.cohorts)
    for name, value in _derived(data).items():
        setattr(referral, name, value)


async def existing_external_ids(
    session: AsyncSession, pairs: Sequence[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Which (platform id, referral id) pairs are already stored: one statement, answered by
    the (platform, referral id) unique index, which only a condition on both columns can use
    (on the referral id alone PostgreSQL reads the whole index: a burst then cost time in
    proportion to every referral ever received)."""
    if not pairs:
        return set()
    found = await session.execute(
        sa.select(Referral.platform_id, Referral.external_id)
        .where(one_of(session, Referral.platform_id, {platform for platform, _ in pairs}),
               one_of(session, Referral.external_id, {external for _, external in pairs})))
    return {(int(p), str(e)) for p, e in found} & set(pairs)


def new_referral_values(
    platform: Platform, data: ReferralData, now: dt.datetime, participant_id: int | None = None
) -> dict[str, Any]:
    """Every column of a referral as first stored (but its id): the per-request path makes
    the ORM object from it, the bulk path inserts it as it is."""
    return {
        **{name: getattr(data, name) for name in _FROM_DATA}, **_derived(data),
        "platform_id": platform.id, "status": sp.RECEIVED, "received_at": now,
        "cohorts": list(data.cohorts), "version": 1, "updated_at": now,
        "participant_id": participant_id, "hub_id": None, "decline_reason": None,
        "decided_at": None, "first_attended_on": None, "overdue_at": None,
    }


def new_referral(platform: Platform, data: ReferralData, now: dt.datetime) -> Referral:
    """A referral as it is first stored (not yet added to a session)."""
    return Referral(**new_referral_values(platform, data, now))


@dataclass(frozen=True)
class NewReferral:
    """A referral the bulk path inserted: what its answer, event and status update read, with
    no ORM object behind it."""

    id: int
    external_id: str
    consent_active: bool
    participant_id: int | None
    received_at: dt.datetime
    status: str = sp.RECEIVED
    version: int = 1
    decline_reason: str | None = None
    hub_id: int | None = None


AnyReferral = Referral | NewReferral


def received_event(referral: AnyReferral, platform: Platform) -> dict[str, Any]:
    """The ``referral.received`` event's arguments (`emit`'s keywords, `NewEvent`'s fields)."""
    return {"name": "referral.received", "entity": "referral", "entity_id": referral.id,
            "payload": {"platform": platform.name, "status": sp.RECEIVED}, "change": "created"}


async def receive(
    session: AsyncSession, platform: Platform, data: ReferralData, now: dt.datetime
) -> tuple[Referral, bool]:
    """Store a referral from ``platform``: (the referral, whether it is new).

    The same ``external_id`` again is an update (or, revoked, a cancellation) of the same
    referral, never a second one.
    """
    await check_cohorts(session, data)
    referral = await session.scalar(sa.select(Referral).where(
        Referral.platform_id == platform.id, Referral.external_id == data.external_id
    ).with_for_update())
    if referral is None:
        if data.cancelled:
            path = "referralId" if data.format == "native" else "ServiceRequest.identifier"
            raise ValidationError.single(path, "not_found",
                                         "no referral with this id was received to cancel")
        referral = new_referral(platform, data, now)
        # Holding the new row keeps it in the session's (weak) identity map, so recording
        # the consent finds it there instead of selecting it again.
        referral.participant_id, new_person = await _person(session, data, now.date())
        await _record_sharing_consent(session, referral.participant_id, now,
                                      new_person=new_person is not None)
        del new_person
        session.add(referral)
        await session.flush()
        session.add(Change(referral_id=referral.id, from_status=None, to_status=sp.RECEIVED,
                           at=now, actor=actor_label(session)))
        await emit(session, **received_event(referral, platform))
        await queue_status_update(session, referral, platform, now)
        return referral, True
    if data.cancelled:
        if referral.status != sp.CANCELLED:
            await transition(session, referral, sp.CANCELLED, now=now, reason="revoked")
        return referral, False
    _apply(referral, data)
    if not data.consent_active and referral.consent_active:
        referral.consent_active = False  # no more status updates go back
        await _withdraw_sharing_consent(session, referral.participant_id, now)
    referral.version += 1
    await session.flush()
    await emit(session, "referral.updated", entity="referral", entity_id=referral.id,
               payload={"platform": platform.name, "status": referral.status},
               change="updated", changed=["details"])
    return referral, False


async def transition(
    session: AsyncSession,
    referral: Referral,
    to: str,
    *,
    now: dt.datetime,
    reason: str | None = None,
    note: str | None = None,
) -> Referral:
    """Move ``referral`` to state ``to``, recording when, who and why; refuses illegal moves."""
    if to not in sp.TRANSITIONS.get(referral.status, frozenset()):
        raise ValidationError.single(
            "status", "illegal_transition",
            f"a referral that is {referral.status} cannot become {to}",
        )
    before = referral.status
    referral.status = to
    referral.version += 1
    if to in (sp.ACCEPTED, sp.DECLINED):
        referral.decided_at = now
    session.add(Change(referral_id=referral.id, from_status=before, to_status=to, at=now,
                       actor=actor_label(session), reason=reason, note=note))
    await session.flush()
    await emit(session, f"referral.{to}", entity="referral", entity_id=referral.id,
               payload={"from": before, "to": to, "reason": reason}, change="updated",
               changed=["status"])
    platform = await session.get(Platform, referral.platform_id)
    assert platform is not None
    await queue_status_update(session, referral, platform, now)
    return referral


async def get_referral(session: AsyncSession, referral_id: int) -> Referral:
    referral = await session.scalar(
        sa.select(Referral).where(Referral.id == referral_id).with_for_update()
    )
    if referral is None:
        raise ValidationError.single("referral", "not_found",
                                     f"no Referral has the ID {encode_id('Referral', referral_id)}")
    return referral


async def accept(
    session: AsyncSession, referral_id: int, hub_id: int, now: dt.datetime
) -> Referral:
    """Assign a hub: the person is enrolled there (through the core's services)."""
    referral = await get_referral(session, referral_id)
    hub = await session.get(models.Hub, hub_id)
    if hub is None:
        raise ValidationError.single("hub", "not_found",
                                     f"no Hub has the ID {encode_id('Hub', hub_id)}")
    await transition(session, referral, sp.ACCEPTED, now=now)
    referral.hub_id = hub_id
    if referral.participant_id is not None:
        await services.enrol(session, referral.participant_id, hub_id=hub_id,
                             enrolled_on=now.date())
    await session.flush()
    return referral


async def decline(
    session: AsyncSession, referral_id: int, reason: str, now: dt.datetime,
    note: str | None = None,
) -> Referral:
    if reason not in sp.DECLINE_REASONS:
        raise ValidationError.single(
            "reason", "code_invalid",
            f"reason must be one of {', '.join(sorted(sp.DECLINE_REASONS))}")
    referral = await get_referral(session, referral_id)
    await transition(session, referral, sp.DECLINED, now=now, reason=reason, note=note)
    referral.decline_reason = reason
    await session.flush()
    return referral


async def record_attended(session: AsyncSession, session_id: int, now: dt.datetime) -> int:
    """From a session's register: referrals whose person attended move to first_attended."""
    held = await session.get(models.Session, session_id)
    if held is None:
        return 0
    attended = sa.select(models.SessionAttendee.participant_id).where(
        models.SessionAttendee.session_id == session_id,
        models.SessionAttendee.status == "attended",
    )
    rows = list(await session.scalars(sa.select(Referral).where(
        Referral.participant_id.in_(attended),
        Referral.status.in_((sp.ACCEPTED, sp.CONTACTED)),
    ).order_by(Referral.id)))
    for referral in rows:
        referral.first_attended_on = held.session_date
        await transition(session, referral, sp.FIRST_ATTENDED, now=now)
    return len(rows)


async def closing_summary(session: AsyncSession, referral: AnyReferral) -> dict[str, Any]:
    """Sessions attended since the referral, and WHO-5 before and after (core scoring)."""
    if referral.participant_id is None:
        return {"sessionsAttended": 0}
    attended = await session.scalar(
        sa.select(sa.func.count()).select_from(models.SessionAttendee)
        .join(models.Session, models.Session.id == models.SessionAttendee.session_id)
        .where(models.SessionAttendee.participant_id == referral.participant_id,
               models.SessionAttendee.status == "attended",
               models.Session.session_date >= referral.received_at.date())
    )
    summary: dict[str, Any] = {"sessionsAttended": int(attended or 0)}
    scores = list(await session.execute(
        sa.select(models.OutcomeAssessment.timepoint, models.OutcomeAssessment.score)
        .where(models.OutcomeAssessment.participant_id == referral.participant_id,
               models.OutcomeAssessment.measure == "who5")
        .order_by(models.OutcomeAssessment.assessed_on, models.OutcomeAssessment.id)
    ))
    pre = next((s for t, s in scores if t == "pre"), None)
    post = next((s for t, s in reversed(scores) if t == "post"), None)
    if pre is not None and post is not None:
        moved = score_change("who5", pre, post)
        summary["who5"] = {"before": pre, "after": post, "change": moved.difference,
                           "significant": moved.significant}
    return summary


async def status_document(
    session: AsyncSession, referral: AnyReferral, platform: Platform, now: dt.datetime,
    format: str | None = None,
) -> tuple[bytes, str]:
    """What goes back to the platform: native JSON, or an IMM-profile FHIR ``Task``
    (``format``: the answer to a request follows the request's format; callbacks the
    platform's)."""
    global_id = encode_id("Referral", referral.id)
    hub_name = None
    if referral.hub_id is not None:
        hub = await session.get(models.Hub, referral.hub_id)
        hub_name = hub.name if hub is not None else None
    summary = (await closing_summary(session, referral)
               if referral.status == sp.COMPLETED else None)
    if (format or platform.format) != "fhir":
        native: dict[str, Any] = {
            "referralId": referral.external_id, "immReferralId": global_id,
            "status": referral.status, "version": referral.version,
            "changedAt": now.isoformat(),
        }
        if referral.decline_reason:
            native["declineReason"] = referral.decline_reason
        if hub_name:
            native["hub"] = hub_name
        if summary is not None:
            native["summary"] = summary
        return orjson.dumps(native, option=orjson.OPT_SORT_KEYS), "application/json"
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"{global_id}-v{referral.version}",
        "identifier": [{"system": f"{IMM_SYSTEM}/Id/referral", "value": global_id}],
        "basedOn": [{"type": "ServiceRequest", "identifier": {"value": referral.external_id}}],
        "status": TASK_STATUS[referral.status],
        "businessStatus": {"coding": [{"system": f"{IMM_SYSTEM}/CodeSystem/referral-status",
                                       "code": referral.status}]},
        "intent": "order",
        "code": {"coding": [{"system": SNOMED, "code": REFERRAL_CODE,
                             "display": "Referral to social prescribing service"}]},
        "lastModified": now.isoformat(),
        "owner": {"display": hub_name or "Intergenerational Music Making"},
    }
    if referral.decline_reason:
        task["statusReason"] = {
            "coding": [{"system": f"{IMM_SYSTEM}/CodeSystem/decline-reason",
                        "code": referral.decline_reason}],
            "text": sp.DECLINE_REASONS[referral.decline_reason],
        }
    if summary is not None:
        outputs = [{"type": {"text": "sessions attended"},
                    "valueInteger": summary["sessionsAttended"]}]
        if "who5" in summary:
            outputs.append({"type": {"text": "WHO-5 change"},
                            "valueString": orjson.dumps(summary["who5"]).decode()})
        task["output"] = outputs
    return orjson.dumps(task), "application/fhir+json"


async def queue_status_update(
    session: AsyncSession, referral: Referral, platform: Platform, now: dt.datetime
) -> None:
    """Queue the platform's status update: signed with its secret at send time, ordered per
    referral, retried; one per version. Nothing goes once consent is withdrawn."""
    if sends_updates(referral, platform):
        await enqueue_delivery(session, **await status_delivery(session, referral, platform, now))


def sends_updates(referral: AnyReferral, platform: Platform) -> bool:
    return bool(platform.callback_url) and bool(referral.consent_active)


async def status_delivery(
    session: AsyncSession, referral: AnyReferral, platform: Platform, now: dt.datetime,
    document: tuple[bytes, str] | None = None,
) -> dict[str, Any]:
    """The outbox delivery (`enqueue_delivery`'s keywords) of the referral's current version;
    ``document``: its status document in the platform's format, when the caller has it."""
    assert platform.callback_url is not None
    body, content_type = document or await status_document(session, referral, platform, now)
    return {
        "plugin": NAME, "url": platform.callback_url, "body": body,
        "content_type": content_type, "ordering_key": f"referral:{referral.id}",
        "idempotency_key": f"referral:{referral.id}:v{referral.version}",
        "secret_ref": None, "credentials": f"platform:{platform.id}",
    }


async def flag_overdue(session: AsyncSession, now: dt.datetime, days: int) -> int:
    """Flag, once, referrals with no decision ``days`` after they came in."""
    cutoff = now - dt.timedelta(days=days)
    due = list(await session.scalars(sa.select(Referral).where(
        Referral.status == sp.RECEIVED, Referral.overdue_at.is_(None),
        Referral.received_at <= cutoff,
    ).order_by(Referral.id)))
    for referral in due:
        referral.overdue_at = now
        await emit(session, "referral.overdue", entity="referral", entity_id=referral.id,
                   change="updated", changed=["overdue"])
    await session.flush()
    return len(due)
