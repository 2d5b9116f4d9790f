"""The signed webhook door, as a platform calls it, on SQLite and PostgreSQL: both formats,
idempotency, and every refusal with its status and code, storing nothing."""

from __future__ import annotations

import asyncio
import copy

import httpx
import orjson
import pytest
import sqlalchemy as sa
from fhir.resources.R4B.task import Task

from imm_graph.db import Database
from imm_graph.ids import encode_id
from plugins.social_prescribing.models import SocialPrescribingPlatform, SocialPrescribingReferral
from tests.plugins.social_prescribing.conftest import (
    BUNDLE,
    FHIR_SECRET,
    NATIVE,
    counts,
    signed,
)

URL = "/plugins/social_prescribing/referrals"
pytestmark = pytest.mark.usefixtures("platform")


async def test_a_native_referral_is_received_once_per_webhook_id(
    http: httpx.AsyncClient, db: Database
) -> None:
    first = await http.post(URL, content=NATIVE, headers=signed(NATIVE))
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["status"] == "received" and answer["referralId"] == "EX-2025-000124"
    again = await http.post(URL, content=NATIVE, headers=signed(NATIVE))
    assert again.status_code == 201 and again.content == first.content  # the stored answer
    other = NATIVE.replace(b"Isolated", b"Lonely")
    conflict = await http.post(URL, content=other, headers=signed(other))
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["code"] == "idempotency_conflict"
    async with db.sessions() as session:
        rows = list(await session.scalars(sa.select(SocialPrescribingReferral)))
    assert len(rows) == 1
    assert rows[0].nhs_number == "9434765870" and rows[0].postcode_district == "GU21"
    assert answer["immReferralId"] == encode_id("Referral", rows[0].id)


async def test_a_fhir_bundle_is_received_and_answered_with_a_task(
    http: httpx.AsyncClient, db: Database
) -> None:
    answer = await http.post(URL, content=BUNDLE,
                             headers=signed(BUNDLE, secret=FHIR_SECRET, fhir=True))
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/fhir+json"
    task = answer.json()
    assert task["resourceType"] == "Task" and task["status"] == "received"
    assert task["basedOn"][0]["identifier"]["value"] == "EX-2025-000123"
    Task.model_validate(task)  # a valid R4 Task
    async with db.sessions() as session:
        referral = await session.scalar(sa.select(SocialPrescribingReferral))
        sender = await session.get(SocialPrescribingPlatform, referral.platform_id)
    assert sender.name == "fhir-platform"  # the secret that signed it names the platform
    assert referral.format == "fhir" and referral.cohorts == ["older_people", "dementia"]
    assert referral.referrer_ods_code == "E85025" and referral.nhs_number == "9434765919"


async def test_the_same_referral_id_again_is_an_update_and_the_same_person(
    http: httpx.AsyncClient, db: Database
) -> None:
    await http.post(URL, content=NATIVE, headers=signed(NATIVE, message_id="a"))
    update = orjson.loads(NATIVE)
    update["action"] = "update"
    update["patient"]["postcode"] = "GU22 7QQ"
    body = orjson.dumps(update)
    answer = await http.post(URL, content=body, headers=signed(body, message_id="b"))
    assert answer.status_code == 200, answer.text
    # Another referral id, same NHS number (written another way): matched, not duplicated.
    second = orjson.loads(NATIVE)
    second["referralId"] = "EX-2025-000999"
    second["patient"]["nhsNumber"] = "943-476-5870"
    body = orjson.dumps(second)
    assert (await http.post(URL, content=body, headers=signed(body, message_id="c"))
            ).status_code == 201
    async with db.sessions() as session:
        rows = list(await session.scalars(
            sa.select(SocialPrescribingReferral).order_by(SocialPrescribingReferral.id)))
    assert [r.postcode_district for r in rows] == ["GU22", "GU21"]
    assert rows[0].participant_id == rows[1].participant_id is not None
    assert (await counts(db))["participants"] == 1


async def test_twenty_concurrent_copies_make_one_referral(
    http: httpx.AsyncClient, db: Database
) -> None:
    headers = signed(NATIVE, message_id="msg_burst")
    answers = await asyncio.gather(*(http.post(URL, content=NATIVE, headers=headers)
                                     for _ in range(20)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    stored = await counts(db)
    assert stored["referrals"] == 1 and stored["participants"] == 1
    assert stored["deliveries"] == 1  # one status update queued


def _fhir(mutate) -> bytes:  # type: ignore[no-untyped-def]
    bundle = orjson.loads(BUNDLE)
    mutate(bundle)
    return orjson.dumps(bundle)


def _entry(bundle: dict, kind: str) -> dict:  # type: ignore[type-arg]
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _native(mutate) -> bytes:  # type: ignore[no-untyped-def]
    document = copy.deepcopy(orjson.loads(NATIVE))
    mutate(document)
    return orjson.dumps(document)


REFUSED = [
    # (name, body, fhir, status, code, field)
    ("invalid NHS number (native)",
     _native(lambda d: d["patient"].update(nhsNumber="9434765871")), False, 422,
     "nhs_number_checksum", "patient.nhsNumber"),
    ("non-ASCII digits",
     _native(lambda d: d["patient"].update(nhsNumber="٩٤٣٤٧٦٥٨٧٠")), False, 422,
     "nhs_number_format", "patient.nhsNumber"),
    ("missing consent (native)", _native(lambda d: d.pop("consent")), False, 422,
     "consent_missing", "consent"),
    ("inactive consent (native)", _native(lambda d: d["consent"].update(status="rejected")),
     False, 422, "consent_inactive", "consent.status"),
    ("invalid NHS number (FHIR)",
     _fhir(lambda b: _entry(b, "Patient")["identifier"][0].update(value="9434765918")), True,
     422, "nhs_number_checksum", "Patient.identifier"),
    ("missing consent (FHIR)",
     _fhir(lambda b: b.update(entry=[e for e in b["entry"]
                                     if e["resource"]["resourceType"] != "Consent"])),
     True, 422, "consent_missing", "Consent"),
    ("inactive consent (FHIR)", _fhir(lambda b: _entry(b, "Consent").update(status="inactive")),
     True, 422, "consent_inactive", "Consent.status"),
    ("unknown resourceType",
     _fhir(lambda b: b["entry"].append({"resource": {"resourceType": "Referralish"}})), True,
     422, "unknown_resource_type", "Bundle.entry[6].resource.resourceType"),
    ("dangling focus",
     _fhir(lambda b: _entry(b, "MessageHeader")["focus"][0].update(reference="urn:uuid:gone")),
     True, 422, "dangling_reference", "MessageHeader.focus"),
    ("wrong destination",
     _fhir(lambda b: _entry(b, "MessageHeader")["destination"][0]["receiver"]["identifier"]
           .update(value="NOT-IMM")), True, 422, "wrong_destination",
     "MessageHeader.destination"),
    ("birth date in the future",
     _fhir(lambda b: _entry(b, "Patient").update(birthDate="2999-01-01")), True, 422,
     "birth_date_future", "Patient.birthDate"),
    ("wrong intent", _fhir(lambda b: _entry(b, "ServiceRequest").update(intent="order")), True,
     422, "code_invalid", "ServiceRequest.intent"),
    ("wrong event",
     _fhir(lambda b: _entry(b, "MessageHeader")["eventCoding"].update(code="booking-request")),
     True, 422, "code_invalid", "MessageHeader.eventCoding"),
    ("bad postcode", _fhir(lambda b: _entry(b, "Patient")["address"][0].update(
        postalCode="TW3")), True, 422, "postcode_format", "Patient.address.postalCode"),
    ("bad ODS code", _native(lambda d: d["referrer"].update(odsCode="E8!")), False, 422,
     "ods_code_format", "referrer.odsCode"),
    # Found inside the transaction (it needs the database): rolled back, receipt and all.
    ("unknown cohort", _native(lambda d: d.update(cohorts=["older_people", "astronauts"])),
     False, 422, "unknown_cohort", "cohorts"),
    ("cancelling what was never sent", _native(lambda d: d.update(action="cancel")), False,
     422, "not_found", "referralId"),
]


async def test_invalid_referrals_are_refused_with_their_code_and_nothing_is_stored(
    http: httpx.AsyncClient, db: Database
) -> None:
    """Each case in its own request, on one database (a database per case is slow)."""
    before = await counts(db)
    for index, (name, body, fhir, status, code, field) in enumerate(REFUSED):
        secret = {"secret": FHIR_SECRET} if fhir else {}
        answer = await http.post(URL, content=body, headers=signed(
            body, fhir=fhir, message_id=f"bad-{index}", **secret))
        assert answer.status_code == status, (name, answer.text)
        if fhir:
            assert answer.headers["content-type"] == "application/fhir+json", name
            outcome = answer.json()
            assert outcome["resourceType"] == "OperationOutcome", name
            issues = [(i["details"]["coding"][0]["code"], i["expression"][0])
                      for i in outcome["issue"]]
        else:
            assert answer.headers["content-type"] == "application/problem+json", name
            issues = [(e["code"], e["field"]) for e in answer.json()["errors"]]
        assert (code, field) in issues, (name, issues)
        assert await counts(db) == before, name


async def test_unsigned_forged_or_mistimed_requests_are_refused(
    http: httpx.AsyncClient, db: Database
) -> None:
    before = await counts(db)
    cases = {
        "missing_headers": {"content-type": "application/json"},
        "bad_signature": signed(NATIVE, secret="whsec_bm90LWEtcGxhdGZvcm0tc2VjcmV0LWF0LWFsbA=="),
        "stale_timestamp": signed(NATIVE, skew=-330),
        "future_timestamp": signed(NATIVE, skew=330),  # a slow run must not bring it inside
    }
    for code, headers in cases.items():
        answer = await http.post(URL, content=NATIVE, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, code)
    # Just inside the five-minute window either way is fine.
    inside = await http.post(URL, content=NATIVE, headers=signed(NATIVE, skew=-290))
    assert inside.status_code == 201
    assert (await counts(db))["referrals"] == before["referrals"] + 1


async def test_a_rotated_platform_is_accepted_with_either_secret(
    http: httpx.AsyncClient, db: Database
) -> None:
    from imm_graph.db import utcnow
    from plugins.social_prescribing import platforms
    from tests.plugins.social_prescribing.conftest import SECRET

    async with db.transaction() as session:
        new = await platforms.rotate(session, "link-platform", utcnow())
    old = await http.post(URL, content=NATIVE, headers=signed(NATIVE, secret=SECRET))
    assert old.status_code == 201
    second = NATIVE.replace(b"EX-2025-000124", b"EX-2025-000125")
    fresh = await http.post(URL, content=second,
                            headers=signed(second, secret=new, message_id="m2"))
    assert fresh.status_code == 201
    async with db.transaction() as session:
        await platforms.rotate(session, "link-platform", utcnow())  # the first secret ends
    third = NATIVE.replace(b"EX-2025-000124", b"EX-2025-000126")
    refused = await http.post(URL, content=third,
                              headers=signed(third, secret=SECRET, message_id="m3"))
    assert refused.status_code == 401
