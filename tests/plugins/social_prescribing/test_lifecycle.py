"""Triage and lifecycle through GraphQL, and the status updates each change sends back: signed
with the platform's secret, in order per referral, retried until the platform is back."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import orjson
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.pluginhost.outbox import OutboxSettings, run_once
from imm_graph.pluginhost.signing import verify
from imm_graph.services import api as services
from plugins.social_prescribing import platforms, service
from plugins.social_prescribing.models import SocialPrescribingReferral
from tests import builders
from tests.conftest import GraphQLClient, MakeKey, bearer
from tests.http_receiver import Receiver
from tests.plugins.social_prescribing.conftest import NATIVE, SECRET, counts, signed

URL = "/plugins/social_prescribing/referrals"
pytestmark = pytest.mark.usefixtures("platform")

SUBMIT = """mutation($doc: JSON!, $format: ReferralFormat!, $platform: String) {
  submitReferral(referral: $doc, format: $format, platform: $platform) {
    created referral { id status platform } errors { code field message } } }"""
FIELDS = "id status hub overdue declineReason history { fromStatus toStatus actor reason }"


async def send_all(app: Starlette, db: Database, now: dt.datetime | None = None) -> int:
    async with httpx.AsyncClient() as client:
        report = await run_once(db, client, plugins=app.state.plugins, now=now,
                                settings=OutboxSettings(batch_size=20))
    return report.delivered


@pytest.fixture
async def staff(http: httpx.AsyncClient, make_key: MakeKey) -> GraphQLClient:
    return GraphQLClient(http, bearer(await make_key(
        ["read:referrals", "write:referrals", "triage:referrals", "read:core"])))


async def _submit(staff: GraphQLClient, doc: bytes) -> dict:  # type: ignore[type-arg]
    return (await staff(SUBMIT, doc=orjson.loads(doc), format="NATIVE",
                        platform="link-platform"))["submitReferral"]


async def test_both_doors_refuse_the_same_referral_with_the_same_codes_and_fields(
    http: httpx.AsyncClient, staff: GraphQLClient, db: Database
) -> None:
    bad = orjson.loads(NATIVE)
    bad["patient"]["nhsNumber"] = "9434765871"
    bad["patient"]["birthDate"] = "2999-01-01"
    del bad["consent"]
    body = orjson.dumps(bad)
    before = await counts(db)
    webhook = await http.post(URL, content=body, headers=signed(body))
    graphql = await _submit(staff, body)
    via_webhook = sorted((e["code"], e["field"]) for e in webhook.json()["errors"])
    via_graphql = sorted((e["code"], e["field"]) for e in graphql["errors"])
    assert via_webhook == via_graphql == [
        ("birth_date_future", "patient.birthDate"), ("consent_missing", "consent"),
        ("nhs_number_checksum", "patient.nhsNumber"),
    ]
    assert graphql["referral"] is None and await counts(db) == before


async def test_accepting_enrols_the_person_and_each_change_reaches_the_platform_signed(
    app: Starlette, staff: GraphQLClient, db: Database, hub: int, partner: Receiver
) -> None:
    submitted = await _submit(staff, NATIVE.replace(b"GU21 6BS", b"TW3 1HN"))
    assert submitted["created"] and submitted["referral"]["status"] == "RECEIVED"
    rid = submitted["referral"]["id"]
    suggested = await staff("query($id: ID!) { node(id: $id) { ... on Referral { "
                            "suggestedHubs { hub score } } } }", id=rid)
    # 2 for the catchment (TW3) + 1 for the cohort it serves (older_people).
    assert suggested["node"]["suggestedHubs"] == [{"hub": encode_id("Hub", hub), "score": 3}]
    accepted = await staff(f"""mutation($id: ID!, $hub: ID!) {{ acceptReferral(id: $id, hub: $hub)
        {{ referral {{ {FIELDS} }} errors {{ code message }} }} }}""",
                           id=rid, hub=encode_id("Hub", hub))
    referral = accepted["acceptReferral"]["referral"]
    assert referral["status"] == "ACCEPTED" and referral["hub"] == encode_id("Hub", hub)
    assert [(h["fromStatus"], h["toStatus"]) for h in referral["history"]] == [
        (None, "RECEIVED"), ("RECEIVED", "ACCEPTED")]
    assert referral["history"][1]["actor"].startswith("key:")
    async with db.sessions() as session:
        row = await session.scalar(sa.select(SocialPrescribingReferral))
        enrolled = await session.scalar(sa.select(m.Enrolment.hub_id).where(
            m.Enrolment.participant_id == row.participant_id))
    assert enrolled == hub
    by_hub = "query($hub: ID!, $s: [ReferralStatus!]) { referrals(hub: $hub, status: $s) " \
        "{ totalCount } }"
    assert (await staff(by_hub, hub=encode_id("Hub", hub), s=["ACCEPTED"])
            )["referrals"]["totalCount"] == 1
    assert (await staff(by_hub, hub=encode_id("Hub", hub), s=["RECEIVED"])
            )["referrals"]["totalCount"] == 0
    # Declining now is illegal: the error names both states.
    refused = await staff("""mutation($id: ID!) { declineReferral(id: $id, reason: "no_capacity")
        { referral { id } errors { code message } } }""", id=rid)
    error = refused["declineReferral"]["errors"][0]
    assert error["code"] == "illegal_transition"
    assert "accepted" in error["message"] and "declined" in error["message"]

    for _ in range(2):  # one per run: strictly in order per referral
        assert await send_all(app, db) == 1
    statuses = [orjson.loads(r.body)["status"] for r in partner.requests]
    assert statuses == ["received", "accepted"]
    for request in partner.requests:
        assert verify([SECRET], request.headers, request.body, now=time.time())
        assert request.headers["content-type"] == "application/json"


async def test_a_platform_that_is_down_gets_every_update_once_in_order_when_back(
    app: Starlette, staff: GraphQLClient, db: Database, hub: int, partner: Receiver
) -> None:
    partner.script.extend([503, 503, 503])
    await _submit(staff, NATIVE)
    pk = await _pk(db)
    async with db.transaction() as session:
        await service.accept(session, pk, hub, service_now())
        await service.transition(session, await service.get_referral(session, pk),
                                 "contacted", now=service_now())
    later = dt.datetime.now(dt.UTC)
    for _ in range(3):  # down: the first one fails, and holds the ones behind it
        assert await send_all(app, db, later) == 0
        later += dt.timedelta(hours=2)
    delivered = 0
    for _ in range(5):
        delivered += await send_all(app, db, later)
        later += dt.timedelta(hours=2)
    assert delivered == 3
    ok = [orjson.loads(r.body)["status"] for r in partner.requests if r.answered == 200]
    assert ok == ["received", "accepted", "contacted"]
    assert [r.answered for r in partner.requests] == [503, 503, 503, 200, 200, 200]


def service_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _pk(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.max(SocialPrescribingReferral.id))))


async def test_overdue_is_flagged_once_and_staff_can_filter_on_it(
    staff: GraphQLClient, db: Database
) -> None:
    await _submit(staff, NATIVE)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=13, hours=23)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=14, minutes=1)
    async with db.transaction() as session:
        assert await service.flag_overdue(session, soon, 14) == 0
        assert await service.flag_overdue(session, later, 14) == 1
        assert await service.flag_overdue(session, later + dt.timedelta(days=1), 14) == 0
    # Staff record that the person withdrew consent to sharing: updates stop.
    async with db.transaction() as session:
        consent = await session.scalar(sa.select(m.Consent.id).where(
            m.Consent.purpose == "referral_sharing"))
        await services.withdraw_consent(session, consent, withdrawn_at=later)
    async with db.sessions() as session:
        assert (await session.scalar(sa.select(SocialPrescribingReferral))).consent_active is False
    query = "query($o: Boolean) { referrals(overdue: $o) { totalCount nodes { overdue } } }"
    assert (await staff(query, o=True))["referrals"] == {
        "totalCount": 1, "nodes": [{"overdue": True}]}
    assert (await staff(query, o=False))["referrals"]["totalCount"] == 0


async def test_attendance_moves_an_accepted_referral_to_first_attended(
    staff: GraphQLClient, db: Database, hub: int
) -> None:
    await _submit(staff, NATIVE)
    pk = await _pk(db)
    async with db.transaction() as session:
        await service.accept(session, pk, hub, service_now())
    async with db.transaction() as session:
        row = await session.get(SocialPrescribingReferral, pk)
        held = await builders.session_at(session, hub, dt.date(2025, 3, 10), staff=1)
        await services.record_attendance(session, held.id, attended=[row.participant_id])
    async with db.sessions() as session:
        row = await session.get(SocialPrescribingReferral, pk)
    assert row.status == "first_attended" and row.first_attended_on == dt.date(2025, 3, 10)


async def test_completion_sends_a_closing_summary_and_withdrawn_consent_stops_updates(
    app: Starlette, staff: GraphQLClient, db: Database, hub: int, partner: Receiver
) -> None:
    await _submit(staff, NATIVE)
    pk = await _pk(db)
    async with db.transaction() as session:
        await service.accept(session, pk, hub, service_now())
        row = await session.get(SocialPrescribingReferral, pk)
        pid = row.participant_id
        held = await builders.session_at(session, hub, service_now().date(), staff=1)
        await builders.assessment(session, pid, [2, 2, 2, 2, 2], timepoint="pre")  # 40
        await builders.assessment(session, pid, [3, 3, 3, 2, 2], timepoint="post",
                                  assessed_on=dt.date(2024, 1, 2))  # 52: +12, significant
    async with db.transaction() as session:
        await services.record_attendance(session, held.id, attended=[pid])
    async with db.transaction() as session:
        await service.transition(session, await service.get_referral(session, pk),
                                 "completed", now=service_now())
    for _ in range(5):
        await send_all(app, db)
    last = orjson.loads(partner.requests[-1].body)
    assert last["status"] == "completed"
    assert last["summary"] == {"sessionsAttended": 1, "who5": {
        "before": 40.0, "after": 52.0, "change": 12.0, "significant": True}}
    # The referrer withdraws consent: the referral stays, nothing more is sent.
    withdrawn = orjson.loads(NATIVE)
    withdrawn.update(action="update", consent={"status": "withdrawn"})
    assert (await _submit(staff, orjson.dumps(withdrawn)))["errors"] == []
    before = (await counts(db))["deliveries"]
    async with db.transaction() as session:
        row = await session.get(SocialPrescribingReferral, pk)
        assert row.consent_active is False
        sharing = await session.scalar(sa.select(m.Consent).where(
            m.Consent.participant_id == pid, m.Consent.purpose == "referral_sharing"))
        assert sharing.withdrawn_at is not None  # the core consent record says so too
        await service.queue_status_update(session, row,
                                          await session.get(service.Platform, row.platform_id),
                                          service_now())
    assert (await counts(db))["deliveries"] == before


async def test_a_platform_key_sees_only_its_own_referrals_and_personal_reads_are_audited(
    http: httpx.AsyncClient, staff: GraphQLClient, db: Database, make_key: MakeKey
) -> None:
    await _submit(staff, NATIVE)
    other = orjson.loads(NATIVE)
    other["referralId"] = "FHIR-SIDE-1"
    await staff(SUBMIT, doc=other, format="NATIVE", platform="fhir-platform")
    token = await make_key(["read:core", "read:referrals", "write:referrals"],
                         name="fhir-platform key")
    async with db.transaction() as session:  # `platforms link fhir-platform <key id>`
        await platforms.link_key(session, "fhir-platform", token.split("_")[1])
    own = GraphQLClient(http, bearer(token))
    seen = await own("{ referrals { totalCount nodes { externalId platform } } }")
    assert seen["referrals"] == {"totalCount": 1, "nodes": [
        {"externalId": "FHIR-SIDE-1", "platform": "fhir-platform"}]}
    assert (await staff("{ referrals { totalCount } }"))["referrals"]["totalCount"] == 2
    # Relay paging, newest first, and the date filter (inclusive days).
    page = "query($after: String) { referrals(first: 1, after: $after) { nodes { externalId } " \
        "pageInfo { hasNextPage endCursor } } }"
    first = (await staff(page))["referrals"]
    second = (await staff(page, after=first["pageInfo"]["endCursor"]))["referrals"]
    assert [first["nodes"], second["nodes"]] == [[{"externalId": "FHIR-SIDE-1"}],
                                                 [{"externalId": "EX-2025-000124"}]]
    assert first["pageInfo"]["hasNextPage"] and not second["pageInfo"]["hasNextPage"]
    dated = "query($f: Date, $t: Date) { referrals(receivedFrom: $f, receivedTo: $t) " \
        "{ totalCount } }"
    today = dt.datetime.now(dt.UTC).date()
    assert (await staff(dated, f=str(today), t=str(today)))["referrals"]["totalCount"] == 2
    tomorrow = str(today + dt.timedelta(days=1))
    assert (await staff(dated, f=tomorrow, t=None))["referrals"]["totalCount"] == 0
    assert (await staff(dated, f=None, t=str(today - dt.timedelta(days=1)))
            )["referrals"]["totalCount"] == 0
    denied = await staff.raw("{ referrals { nodes { nhsNumber } } }")
    assert denied["errors"][0]["extensions"]["scope"] == "read:personal"
    clinician = GraphQLClient(http, bearer(await make_key(
        ["read:core", "read:referrals", "read:personal"])))
    names = await clinician("{ referrals(platform: \"link-platform\") { nodes { nhsNumber } } }")
    assert names["referrals"]["nodes"] == [{"nhsNumber": "9434765870"}]
    async with db.sessions() as session:
        audited = list(await session.scalars(sa.select(m.AuditEntry.object_type).where(
            m.AuditEntry.action == "read:personal")))
    assert "Referral" in audited


async def test_a_fhir_platform_submits_through_graphql_cancels_and_gets_tasks_back(
    app: Starlette, http: httpx.AsyncClient, staff: GraphQLClient, db: Database,
    partner: Receiver,
) -> None:
    from fhir.resources.R4B.task import Task

    from tests.plugins.social_prescribing.conftest import BUNDLE, FHIR_SECRET

    made = (await staff(SUBMIT, doc=orjson.loads(BUNDLE), format="FHIR",
                        platform="fhir-platform"))["submitReferral"]
    assert made["created"] and made["referral"]["platform"] == "fhir-platform"
    async with db.sessions() as session:
        pid = await session.scalar(sa.select(SocialPrescribingReferral.participant_id))
    person = await staff("query($id: ID!) { node(id: $id) { ... on Participant { "
                         "referrals { externalId status } } } }", id=encode_id("Participant", pid))
    assert person["node"]["referrals"] == [{"externalId": "EX-2025-000123", "status": "RECEIVED"}]
    # The referrer revokes it: reason delete, ServiceRequest.status revoked, no Consent needed.
    revoke = orjson.loads(BUNDLE)
    header, request = revoke["entry"][0]["resource"], revoke["entry"][1]["resource"]
    header["reason"]["coding"][0]["code"] = "delete"
    request["status"] = "revoked"
    revoke["entry"] = [e for e in revoke["entry"] if e["resource"]["resourceType"] != "Consent"]
    body = orjson.dumps(revoke)
    answer = await http.post(URL, content=body, headers=signed(body, secret=FHIR_SECRET,
                                                                fhir=True, message_id="rv"))
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    for _ in range(2):
        await send_all(app, db)
    tasks = [orjson.loads(r.body) for r in partner.requests]
    assert [t["status"] for t in tasks] == ["received", "cancelled"]
    for request_ in partner.requests:
        assert request_.path == "/hooks/imm/fhir"
        assert request_.headers["content-type"] == "application/fhir+json"
        Task.model_validate(orjson.loads(request_.body))
