"""The inbound webhook kit a partner's signed calls go through: who sent it, and only once."""

from __future__ import annotations

import asyncio
import base64

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.pluginhost.signing import signature_headers
from imm_graph.pluginhost.webhooks import (
    Answer,
    IdempotencyConflict,
    SignatureProblem,
    once,
    verify_signed,
)
from tests import builders

SECRET = "whsec_" + base64.b64encode(b"referral-platform-secret-0123456").decode()
NEXT = "whsec_" + base64.b64encode(b"the-rotated-secret-abcdefghijklm").decode()
BODY = b'{"resourceType":"ServiceRequest","id":"ref-1"}'
NOW = 1_790_000_000


def _signed(secret: str = SECRET, *, at: int = NOW, body: bytes = BODY) -> dict[str, str]:
    return signature_headers(secret, "msg_1", at, body)


def test_a_signed_request_names_its_webhook_id() -> None:
    assert verify_signed([SECRET], _signed(), BODY, now=NOW) == "msg_1"


def test_during_a_rotation_either_secret_is_accepted() -> None:
    assert verify_signed([NEXT, SECRET], _signed(SECRET), BODY, now=NOW) == "msg_1"
    assert verify_signed([NEXT, SECRET], _signed(NEXT), BODY, now=NOW) == "msg_1"


@pytest.mark.parametrize(
    ("offset", "code"),
    [(-301, "stale_timestamp"), (301, "future_timestamp")],
)
def test_timestamps_outside_five_minutes_either_way_are_refused(offset: int, code: str) -> None:
    with pytest.raises(SignatureProblem) as refused:
        verify_signed([SECRET], _signed(at=NOW + offset), BODY, now=NOW)
    assert refused.value.code == code


@pytest.mark.parametrize("offset", [-300, 300])
def test_the_window_edges_are_inside(offset: int) -> None:
    assert verify_signed([SECRET], _signed(at=NOW + offset), BODY, now=NOW) == "msg_1"


def test_another_body_or_another_secret_is_refused() -> None:
    with pytest.raises(SignatureProblem):
        verify_signed([SECRET], _signed(), BODY + b" ", now=NOW)
    with pytest.raises(SignatureProblem):
        verify_signed([NEXT], _signed(SECRET), BODY, now=NOW)
    with pytest.raises(SignatureProblem) as missing:
        verify_signed([SECRET], {}, BODY, now=NOW)
    assert missing.value.code == "missing_headers"


async def test_the_first_copy_is_processed_and_the_others_get_its_answer(db: Database) -> None:
    calls: list[int] = []

    async def process(session: AsyncSession) -> Answer:
        organisation = await builders.organisation(session, name=f"Referrer {len(calls)}")
        calls.append(organisation.id)
        return Answer(201, b'{"id": %d}' % organisation.id)

    first = await once(db, "social_prescribing", "msg_1", BODY, process)
    again = await once(db, "social_prescribing", "msg_1", BODY, process)
    assert first == again and first.status_code == 201 and len(calls) == 1
    other_plugin = await once(db, "nhs_reporting", "msg_1", BODY, process)
    assert other_plugin.body != first.body  # keys are per plug-in


async def test_the_same_key_with_another_body_is_a_conflict(db: Database) -> None:
    async def process(session: AsyncSession) -> Answer:
        return Answer(200, b"{}")

    await once(db, "social_prescribing", "msg_1", BODY, process)
    with pytest.raises(IdempotencyConflict):
        await once(db, "social_prescribing", "msg_1", BODY + b"changed", process)


async def test_a_failure_stores_nothing_so_the_sender_can_retry(db: Database) -> None:
    attempts: list[str] = []

    async def failing(session: AsyncSession) -> Answer:
        await builders.organisation(session, name="Half written")
        attempts.append("failed")
        raise RuntimeError("the referral could not be processed")

    async def server_error(session: AsyncSession) -> Answer:
        attempts.append("500")
        return Answer(503, b'{"detail": "try later"}')

    async def succeeding(session: AsyncSession) -> Answer:
        attempts.append("ok")
        return Answer(201, b"{}")

    with pytest.raises(RuntimeError):
        await once(db, "social_prescribing", "msg_1", BODY, failing)
    assert (await once(db, "social_prescribing", "msg_1", BODY, server_error)).status_code == 503
    assert (await once(db, "social_prescribing", "msg_1", BODY, succeeding)).status_code == 201
    assert attempts == ["failed", "500", "ok"]
    async with db.sessions() as session:
        names = list(await session.scalars(sa.select(m.Organisation.name)))
    assert "Half written" not in names


async def test_twenty_concurrent_copies_make_one(db: Database) -> None:
    made: list[int] = []

    async def process(session: AsyncSession) -> Answer:
        organisation = await builders.organisation(session, name="Only once")
        made.append(organisation.id)
        return Answer(201, b'{"id": %d}' % organisation.id)

    answers = await asyncio.gather(*(
        once(db, "social_prescribing", "msg_1", BODY, process) for _ in range(20)
    ))
    assert len(made) == 1
    assert {answer.body for answer in answers} == {b'{"id": %d}' % made[0]}
