"""Group commit: referrals that arrive together share one transaction, and nothing about them
differs from one transaction each: the same rows, the same answers, the same refusals.

The per-request path (``IMM_PLUGIN_SOCIAL_PRESCRIBING_GROUP_COMMIT=false``) is the reference;
a second app on the same database runs it, from a second platform, so the two can be compared
row by row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from imm_graph import models as m
from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, is_sqlite
from plugins.social_prescribing import platforms
from plugins.social_prescribing.demo import test_nhs_number as nhs_number
from plugins.social_prescribing.models import (
    SocialPrescribingPlatform,
    SocialPrescribingReferral,
    SocialPrescribingReferralChange,
)
from tests.plugins.social_prescribing.conftest import BUNDLE, NATIVE, SECRET, counts, signed
from tests.plugins.social_prescribing.test_speed import PER_REQUEST_STATEMENTS
from tests.statements import statements

URL = "/plugins/social_prescribing/referrals"
OTHER_SECRET = "whsec_" + "dGhlLXBlci1yZXF1ZXN0LXBsYXRmb3JtLXNlY3JldA=="
pytestmark = pytest.mark.usefixtures("platform")


def native(n: int, person: int | None = None, **changes: Any) -> bytes:
    """Referral GC-n about person ``person`` (n unless given)."""
    document = orjson.loads(NATIVE)
    document["referralId"] = f"GC-{n}"
    document["patient"]["nhsNumber"] = nhs_number(2 * (n if person is None else person))
    document.update(changes)
    return orjson.dumps(document)


def bundle(n: int, person: int) -> bytes:
    document = orjson.loads(BUNDLE)
    for entry in document["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "ServiceRequest":
            resource["identifier"][0]["value"] = f"GC-{n}"
        elif resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] = nhs_number(2 * person)
    return orjson.dumps(document)


def burst(people: int) -> list[tuple[bytes, bool]]:
    """Referrals unlike each other (cohorts or none, contact details or none, both formats),
    about new people numbered from ``people``; the referral ids are fixed."""
    out: list[tuple[bytes, bool]] = [
        (native(1, people + 1), False),
        (native(2, people + 2, cohorts=[]), False),
        (native(3, people + 3, cohorts=["dementia"], reason="Recently bereaved"), False),
        (bundle(4, people + 4), True),
        (bundle(5, people + 5), True),
    ]
    document = orjson.loads(native(6, people + 6))
    document["patient"].pop("email", None)
    document["patient"].pop("phone", None)
    out.append((orjson.dumps(document), False))
    return out


async def send_all(http: httpx.AsyncClient, items: list[tuple[bytes, bool]], *, secret: str,
                   platform: str, prefix: str) -> list[httpx.Response]:
    return list(await asyncio.gather(*(
        http.post(URL, content=body, headers={
            **signed(body, secret=secret, fhir=fhir, message_id=f"msg_{prefix}_{i}"),
            "x-imm-platform": platform})
        for i, (body, fhir) in enumerate(items))))


@pytest.fixture
async def per_request(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database, one transaction per request, and its platform."""
    async with db.transaction() as session:
        await platforms.add(session, "per-request", callback_url="http://127.0.0.1:9/status",
                            secret=OTHER_SECRET)
    monkeypatch.setenv("IMM_PLUGIN_SOCIAL_PRESCRIBING_GROUP_COMMIT", "false")
    application: Starlette = create_app(settings, database=db)
    async with application.router.lifespan_context(application), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://imm.test"
    ) as client:
        yield client


def _plain(document: Any, platform: SocialPrescribingPlatform) -> Any:
    """An answer or status update without what must differ between two platforms' copies:
    ids, times, the platform's own name."""
    if isinstance(document, dict):
        return {k: _plain(v, platform) for k, v in document.items()
                if k not in ("immReferralId", "changedAt", "id", "lastModified", "identifier")}
    if isinstance(document, list):
        return [_plain(v, platform) for v in document]
    return "<platform>" if document == platform.name else document


async def snapshot(db: Database, name: str) -> list[dict[str, Any]]:
    """Everything a platform's referrals wrote, decrypted, ids replaced by what they name."""
    out = []
    async with db.sessions() as session:
        platform = await session.scalar(sa.select(SocialPrescribingPlatform)
                                        .where(SocialPrescribingPlatform.name == name))
        assert platform is not None
        referrals = list(await session.scalars(sa.select(SocialPrescribingReferral).where(
            SocialPrescribingReferral.platform_id == platform.id)
            .order_by(SocialPrescribingReferral.external_id)))
        for referral in referrals:
            skip = {"id", "platform_id", "participant_id", "received_at", "updated_at",
                    "nhs_number", "nhs_number_index"}
            row: dict[str, Any] = {c.key: getattr(referral, c.key)
                                   for c in SocialPrescribingReferral.__table__.columns
                                   if c.key not in skip}
            person = await session.get(m.Participant, referral.participant_id)
            assert person is not None
            row["person"] = {c.key: getattr(person, c.key) for c in m.Participant.__table__.columns
                             if c.key not in {"id", "ref", "nhs_number", "nhs_number_index",
                                              "created_at", "updated_at"}}
            row["cohorts"] = sorted(await session.scalars(
                sa.select(m.participant_cohorts.c.cohort_code)
                .where(m.participant_cohorts.c.participant_id == person.id)))
            consents = list(await session.scalars(sa.select(m.Consent).where(
                m.Consent.participant_id == person.id)))
            row["consents"] = [(c.purpose, c.given_by, c.recorded_by, c.withdrawn_at)
                               for c in consents]
            row["history"] = [(c.from_status, c.to_status, _plain(c.actor.split(":")[-1],
                                                                    platform), c.reason)
                              for c in await session.scalars(
                                  sa.select(SocialPrescribingReferralChange).where(
                                      SocialPrescribingReferralChange.referral_id
                                      == referral.id))]
            about = [("referral", str(referral.id)), ("participant", str(person.id))] + [
                ("consent", str(c.id)) for c in consents]
            events = []
            for entity, entity_id in about:
                for e in await session.scalars(sa.select(m.DomainEventRecord).where(
                        m.DomainEventRecord.entity == entity,
                        m.DomainEventRecord.entity_id == entity_id)):
                    events.append((e.name, e.change, tuple(e.changed), sorted(
                        (k, "<id>" if k.endswith("id") else _plain(v, platform))
                        for k, v in (e.payload or {}).items())))
            row["events"] = sorted(events)
            audits = []
            for kind, entity_id in (("Participant", person.id),
                                    *(("Consent", c.id) for c in consents)):
                for a in await session.scalars(sa.select(m.AuditEntry).where(
                        m.AuditEntry.object_type == kind)):
                    if a.object_ids == [str(entity_id)]:
                        audits.append((a.action, a.object_type, a.actor, tuple(a.fields)))
            row["audit"] = sorted(audits)
            row["updates"] = [
                (d.content_type, d.method, d.status, d.attempts,
                 d.idempotency_key.replace(f"referral:{referral.id}:", "referral:<id>:"),
                 _plain(orjson.loads(d.body or b"null"), platform))
                for d in await session.scalars(sa.select(m.OutboxDelivery).where(
                    m.OutboxDelivery.ordering_key == f"referral:{referral.id}"))]
            out.append(row)
    return out


async def test_a_burst_writes_what_one_transaction_each_writes(
    http: httpx.AsyncClient, per_request: httpx.AsyncClient, db: Database
) -> None:
    grouped = await send_all(http, burst(0), secret=SECRET, platform="link-platform",
                             prefix="a")
    alone = await send_all(per_request, burst(100), secret=OTHER_SECRET, platform="per-request",
                           prefix="b")
    assert [a.status_code for a in grouped] == [201] * 6, [a.text for a in grouped]
    assert [a.status_code for a in alone] == [201] * 6
    # The same answers, in each request's format.
    assert [a.headers["content-type"] for a in grouped] == [
        a.headers["content-type"] for a in alone]
    async with db.sessions() as session:
        names = {p.id: p for p in await session.scalars(sa.select(SocialPrescribingPlatform))}
    link = next(p for p in names.values() if p.name == "link-platform")
    other = next(p for p in names.values() if p.name == "per-request")
    assert [_plain(a.json(), link) for a in grouped] == [_plain(a.json(), other) for a in alone]
    # And the same rows, table by table.
    mine, theirs = await snapshot(db, "link-platform"), await snapshot(db, "per-request")
    assert len(mine) == 6
    for row in mine:  # what the comparison compares is there to compare
        assert row["consents"] and row["history"] and row["audit"] and row["updates"]
        assert {e[0] for e in row["events"]} == {
            "participant.saved", "consent.saved", "referral.received"}
    assert mine == theirs, _diff(mine, theirs)


async def test_a_mixed_burst_answers_each_request_as_alone(
    http: httpx.AsyncClient, db: Database
) -> None:
    """Copies, a conflicting copy, an update, a repeat person and a refusal, all at once: the
    bulk path takes the new referrals, the rest get the per-request path's answers."""
    earlier = native(50)
    assert (await http.post(URL, content=earlier, headers=signed(earlier, message_id="msg_e"))
            ).status_code == 201
    update = orjson.loads(earlier)
    update["action"] = "update"
    update["reason"] = "Now also caring for a partner"
    same_person = orjson.loads(native(51))
    same_person["patient"]["nhsNumber"] = nhs_number(100)  # native(50)'s person
    unknown_cohort = native(52, cohorts=["astronauts"])
    new, copy_body = native(53), native(54)
    conflicting = native(54, reason="another body under the same webhook-id")
    before = await counts(db)
    requests = [
        (new, "msg_new"), (copy_body, "msg_copy"), (copy_body, "msg_copy"),
        (conflicting, "msg_copy"), (orjson.dumps(update), "msg_update"),
        (orjson.dumps(same_person), "msg_person"), (unknown_cohort, "msg_cohort"),
    ]
    answers = await asyncio.gather(*(http.post(URL, content=body, headers=signed(
        body, message_id=key)) for body, key in requests))
    codes = [a.status_code for a in answers]
    assert codes[0] == 201 and codes[4:] == [200, 201, 422]
    # Three requests share msg_copy: the first body's answer twice, the other body a 409.
    assert sorted(codes[1:4]) == [201, 201, 409]
    firsts = [a for a in answers[1:4] if a.status_code == 201]
    assert firsts[0].content == firsts[1].content
    assert answers[6].json()["errors"][0]["code"] == "unknown_cohort"
    after = await counts(db)
    assert after["referrals"] - before["referrals"] == 3  # new, the copy, the repeat person
    assert after["participants"] - before["participants"] == 2  # the repeat person is not new
    async with db.sessions() as session:
        rows = {r.external_id: r for r in await session.scalars(
            sa.select(SocialPrescribingReferral))}
    assert rows["GC-50"].reason == "Now also caring for a partner" and rows["GC-50"].version == 2
    assert rows["GC-51"].participant_id == rows["GC-50"].participant_id
    assert "GC-52" not in rows


async def test_a_burst_costs_the_statements_of_one_referral(
    http: httpx.AsyncClient, db: Database
) -> None:
    if is_sqlite(db.url):
        pytest.skip("SQLite runs a multi-row INSERT … RETURNING a row at a time (in process)")
    warm = native(70)
    assert (await http.post(URL, content=warm, headers=signed(warm, message_id="msg_w"))
            ).status_code == 201
    lone = native(71)
    with statements(db) as one:
        assert (await http.post(URL, content=lone, headers=signed(lone, message_id="msg_l"))
                ).status_code == 201
    bodies = [native(80 + i) for i in range(20)]
    with statements(db) as many:
        answers = await asyncio.gather(*(http.post(URL, content=b, headers=signed(
            b, message_id=f"msg_m{i}")) for i, b in enumerate(bodies)))
    assert [a.status_code for a in answers] == [201] * 20
    assert len(many) == len(one), "\n".join(many)


async def test_the_per_request_path_keeps_its_own_bound(
    per_request: httpx.AsyncClient, db: Database
) -> None:
    """The way updates and repeats go stays bounded too (one transaction per request)."""
    warm = native(60)
    headers = {"x-imm-platform": "per-request"}
    assert (await per_request.post(URL, content=warm, headers={**signed(
        warm, secret=OTHER_SECRET, message_id="msg_pw"), **headers})).status_code == 201
    body = native(61)
    with statements(db) as seen:
        answer = await per_request.post(URL, content=body, headers={**signed(
            body, secret=OTHER_SECRET, message_id="msg_p1"), **headers})
    assert answer.status_code == 201, answer.text
    # The core's per-record savepoints: this went one transaction per request, not in bulk.
    assert any(s.startswith("SAVEPOINT") for s in seen)
    assert len(seen) <= PER_REQUEST_STATEMENTS, "\n".join(seen)


async def test_a_batch_the_core_refuses_is_answered_request_by_request(
    http: httpx.AsyncClient, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """One referral the core refuses (a phone number the intake accepts, 35 characters, is
    longer than a participant's 30) fails its whole batch: the batch rolls back and each
    request goes the per-request way, so the refused one gets its own 422 and its
    neighbour is stored as if alone."""
    warm = native(89)  # the platform and cohort caches: the two below arrive together
    assert (await http.post(URL, content=warm, headers=signed(warm, message_id="msg_w"))
            ).status_code == 201
    document = orjson.loads(native(90))
    document["patient"]["phone"] = "+44 7700 900123 ext. 4567 (evenings)"[:35]
    refused, neighbour = orjson.dumps(document), native(91)
    before = await counts(db)
    first, second = await asyncio.gather(
        http.post(URL, content=refused, headers=signed(refused, message_id="msg_r")),
        http.post(URL, content=neighbour, headers=signed(neighbour, message_id="msg_n")))
    assert first.status_code == 422, first.text
    assert [(e["field"], e["code"]) for e in first.json()["errors"]] == [
        ("patient.phone", "string_too_long")]
    assert second.status_code == 201 and second.json()["referralId"] == "GC-91"
    assert "group_commit.batch_failed" in capsys.readouterr().err  # the batch was tried
    after = await counts(db)
    assert {k: after[k] - before[k] for k in after} == {
        "referrals": 1, "changes": 1, "participants": 1, "deliveries": 1, "receipts": 1}


def test_the_burst_fixture_differs_where_the_comparison_looks() -> None:
    """The parity test compares referrals that differ in cohorts, contact and format; were the
    burst made of copies, a path mixing them up would still pass it."""
    items = burst(0)
    documents = [orjson.loads(b) for b, _ in items]
    assert len({orjson.dumps(d.get("cohorts")) for d in documents}) >= 3
    assert [fhir for _, fhir in items].count(True) == 2


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
