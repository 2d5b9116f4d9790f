"""The inbound webhook kit: who sent this, have we seen it, and the answer we gave.

A partner's system (a referral platform) calls a plug-in route with no API key: it signs each
request instead (Standard Webhooks, see `signing`), with a secret shared per partner. The kit:

- `verify_signed`: checks the signature against the partner's secrets (two are valid during a
  rotation) and the timestamp against a five-minute window either way;
- `once`: makes ``webhook-id`` an idempotency key. The first request with a key is processed
  and its answer stored in the same transaction; the same key with the same body gets that
  answer again, without processing; the same key with another body is a 409. Concurrent copies
  wait on the receipt's unique key (PostgreSQL) or the writer lock (SQLite) and find the answer,
  so twenty copies make one referral.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.bulk_insert import insert_rows
from imm_graph.db import Database
from imm_graph.models.platform import WebhookReceipt
from imm_graph.pluginhost.signing import SignatureProblem, verify
from imm_graph.sql_lists import one_of

__all__ = [
    "Answer", "IdempotencyConflict", "SignatureProblem", "keep_answers", "once", "stored_answers",
    "verify_signed",
]


@dataclass(frozen=True)
class Answer:
    """What a webhook route answers: stored as bytes so a replay returns the same bytes."""

    status_code: int
    body: bytes
    content_type: str = "application/json"


class IdempotencyConflict(Exception):
    """This key was used before with another body (the sender must use a new key)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"webhook-id {key!r} was already used for a different request body")
        self.key = key


def verify_signed(
    secrets: Iterable[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = 300,
) -> str:
    """The request's ``webhook-id`` if one of ``secrets`` signed it; else `SignatureProblem`."""
    return verify(
        secrets, headers, body, now=time.time() if now is None else now, tolerance=tolerance
    )


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def _stored(session: AsyncSession, plugin: str, key: str, digest: str) -> Answer | None:
    receipt = await session.scalar(
        sa.select(WebhookReceipt).where(WebhookReceipt.plugin == plugin, WebhookReceipt.key == key)
    )
    if receipt is None:
        return None
    if receipt.body_sha256 != digest:
        raise IdempotencyConflict(key)
    return Answer(receipt.status_code, receipt.response, receipt.content_type)


async def stored_answers(
    session: AsyncSession, plugin: str, bodies: Mapping[str, bytes]
) -> dict[str, Answer | IdempotencyConflict]:
    """`once`'s look-up for many keys in one statement: per key already used, the stored
    answer (same body) or the conflict (another body). Keys never seen are absent."""
    if not bodies:
        return {}
    found: dict[str, Answer | IdempotencyConflict] = {}
    for receipt in await session.scalars(sa.select(WebhookReceipt).where(
            WebhookReceipt.plugin == plugin, one_of(session, WebhookReceipt.key, bodies))):
        found[receipt.key] = (
            Answer(receipt.status_code, receipt.response, receipt.content_type)
            if receipt.body_sha256 == body_hash(bodies[receipt.key])
            else IdempotencyConflict(receipt.key))
    return found


async def keep_answers(
    session: AsyncSession, plugin: str, answers: Sequence[tuple[str, bytes, Answer]]
) -> None:
    """`once`'s receipts for a bulk write, in one INSERT with the work they answer for:
    (key, request body, answer). A key another transaction holds makes it raise
    ``IntegrityError``: the caller then goes the per-request way (`once`)."""
    if answers:
        await insert_rows(session, WebhookReceipt.__table__, [{
            "plugin": plugin, "key": key, "body_sha256": body_hash(body),
            "status_code": answer.status_code, "content_type": answer.content_type,
            "response": answer.body,
        } for key, body, answer in answers])


async def once(
    db: Database,
    plugin: str,
    key: str,
    body: bytes,
    process: Callable[[AsyncSession], Awaitable[Answer]],
) -> Answer:
    """Run ``process`` at most once per (plug-in, key), inside one transaction with its receipt.

    ``process`` writes through the session it is given and returns the answer; if it raises,
    nothing is stored (not even the receipt), so the sender may retry with the same key. Only
    answers below 500 are remembered: an error on our side must not stick to the key.
    """
    digest = body_hash(body)
    try:
        async with db.transaction() as session:
            found = await _stored(session, plugin, key, digest)
            if found is not None:
                return found
            # Claim the key before the work: a concurrent copy blocks on this row's unique key
            # until this transaction ends, instead of doing the work a second time.
            receipt = WebhookReceipt(
                plugin=plugin, key=key, body_sha256=digest, status_code=0, content_type="",
                response=b"",
            )
            session.add(receipt)
            await session.flush()
            answer = await process(session)
            if answer.status_code >= 500:
                await session.delete(receipt)
            else:
                receipt.status_code = answer.status_code
                receipt.content_type = answer.content_type
                receipt.response = answer.body
            return answer
    except IntegrityError:
        # Another copy of the same request committed first; its answer is ours.
        async with db.transaction() as session:
            found = await _stored(session, plugin, key, digest)
        if found is None:
            raise
        return found
