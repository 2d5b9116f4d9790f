"""What keeps the referral intake fast, held by tests that fail on a regression: the number of
SQL statements one new referral costs (a bound, not a timing), and the per-process platform
cache that saves a SELECT and two decryptions per referral without delaying a revocation made
in this process."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database, utcnow
from plugins.social_prescribing import platforms
from plugins.social_prescribing.demo import test_nhs_number as nhs_number
from tests.plugins.social_prescribing.conftest import BUNDLE, FHIR_SECRET, NATIVE, signed
from tests.statements import statements

URL = "/plugins/social_prescribing/referrals"
pytestmark = pytest.mark.usefixtures("platform")

# One new native referral about a new person, its status update queued, on a warm process, as
# a group-commit batch of one: look-ups (receipt, referral, person), the person (ref check,
# insert, cohorts, audit, event; its cohorts are known), the sharing consent (insert, audit,
# event; its person was created here), the referral (insert, history, event), the status
# update (one insert that skips a used idempotency key) and the receipt. A burst of 20 costs
# the same on PostgreSQL (test_group_commit). The per-request path, which answers updates
# and repeats, costs 22 (PER_REQUEST_STATEMENTS).
NEW_REFERRAL_STATEMENTS = 16
PER_REQUEST_STATEMENTS = 22

def native(n: int) -> bytes:
    document = orjson.loads(NATIVE)
    document["referralId"] = f"SPEED-{n}"
    document["patient"]["nhsNumber"] = nhs_number(2 * n)
    return orjson.dumps(document)


async def test_a_new_referral_costs_a_bounded_number_of_statements(
    http: httpx.AsyncClient, db: Database
) -> None:
    warm = native(1)  # fills the platform and cohort caches
    assert (await http.post(URL, content=warm, headers=signed(warm, message_id="msg_w"))
            ).status_code == 201
    body = native(2)
    with statements(db) as seen:
        answer = await http.post(URL, content=body, headers=signed(body, message_id="msg_2"))
    assert answer.status_code == 201, answer.text
    assert not any("social_prescribing_platforms" in s for s in seen)  # cached
    # The intake's and the core's cohort checks were both answered by the cohort cache, and the
    # consent's check of its person by the transaction, which created them.
    assert not any(s.startswith("SELECT clinical_cohorts") for s in seen)
    assert not any(s.startswith("SELECT participants.id") for s in seen)
    assert len(seen) <= NEW_REFERRAL_STATEMENTS, "\n".join(seen)
    async with db.sessions() as session:  # and the work was all done
        queued = await session.scalar(sa.select(sa.func.count()).select_from(m.OutboxDelivery))
        consents = await session.scalar(sa.select(sa.func.count()).select_from(m.Consent))
    assert (queued, consents) == (2, 2)


async def test_an_unknown_cohort_is_refused_even_with_the_cohorts_cached(
    http: httpx.AsyncClient,
) -> None:
    warm = native(3)
    assert (await http.post(URL, content=warm, headers=signed(warm, message_id="msg_w"))
            ).status_code == 201
    document = orjson.loads(native(4))
    document["cohorts"] = ["older_people", "astronauts"]
    body = orjson.dumps(document)
    answer = await http.post(URL, content=body, headers=signed(body, message_id="msg_4"))
    assert answer.status_code == 422
    assert [(e["code"], e["field"]) for e in answer.json()["errors"]] == [
        ("unknown_cohort", "cohorts")]


async def test_a_rotation_in_this_process_takes_effect_at_once_despite_the_cache(
    http: httpx.AsyncClient, db: Database
) -> None:
    first = native(5)
    assert (await http.post(URL, content=first, headers=signed(first, message_id="msg_5"))
            ).status_code == 201  # the platform is now cached with its original secret
    async with db.transaction() as session:
        newer = await platforms.rotate(session, "link-platform", utcnow())
        newest = await platforms.rotate(session, "link-platform", utcnow())
    # Two rotations: the original secret is neither current nor previous any more.
    body = native(6)
    refused = await http.post(URL, content=body, headers=signed(body, message_id="msg_6"))
    assert refused.status_code == 401 and refused.json()["code"] == "bad_signature"
    for n, secret in ((7, newer), (8, newest)):
        body = native(n)
        answer = await http.post(URL, content=body,
                                 headers=signed(body, secret=secret, message_id=f"msg_{n}"))
        assert answer.status_code == 201, answer.text


async def test_a_fhir_referral_is_counted_the_same_way(
    http: httpx.AsyncClient, db: Database
) -> None:
    """FHIR costs the same statements as native: the bundle is parsed once, before the
    transaction."""
    assert (await http.post(URL, content=BUNDLE, headers=signed(
        BUNDLE, secret=FHIR_SECRET, fhir=True, message_id="msg_f1"))).status_code == 201
    document = orjson.loads(BUNDLE)
    for entry in document["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "ServiceRequest":
            resource["identifier"][0]["value"] = "SPEED-FHIR-2"
        elif resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] = nhs_number(99)
    body = orjson.dumps(document)
    with statements(db) as seen:
        answer = await http.post(URL, content=body, headers=signed(
            body, secret=FHIR_SECRET, fhir=True, message_id="msg_f2"))
    assert answer.status_code == 201, answer.text
    assert len(seen) <= NEW_REFERRAL_STATEMENTS, "\n".join(seen)


async def test_requests_arriving_as_the_cache_expires_share_one_read(
    http: httpx.AsyncClient, db: Database
) -> None:
    """A burst used to meet an expired entry all at once: every request read the platforms
    itself, needing more connections than the pool holds. Now one reads, the rest wait."""
    platforms.changed()  # what an expiry does: the next requests must read again
    bodies = [native(100 + n) for n in range(12)]
    with statements(db) as seen:
        answers = await asyncio.gather(*(
            http.post(URL, content=body, headers=signed(body, message_id=f"msg_burst_{n}"))
            for n, body in enumerate(bodies)))
    assert [a.status_code for a in answers] == [201] * len(bodies)
    assert sum("FROM social_prescribing_platforms" in s for s in seen) == 1, "\n".join(seen)
