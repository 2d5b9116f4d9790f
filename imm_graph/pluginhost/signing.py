"""Webhook signatures as the Standard Webhooks specification defines them, both ways.

The same scheme signs what the outbox sends and verifies what partners send in: ``webhook-id``
(a unique message id, also the idempotency key), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, several
space-separated during a secret rotation. A secret written ``whsec_<base64>`` is that base64's
bytes, as every Standard Webhooks library reads it; any other secret is its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def secret_bytes(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX):] + "==", validate=False)
        except (binascii.Error, ValueError):
            raise ValueError("a whsec_ secret must be base64") from None
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, message_id, timestamp, body),
    }


class SignatureProblem(Exception):
    """Why a signed request was refused: a stable ``code`` and a message for the sender."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        # missing_headers, bad_timestamp, stale_timestamp, future_timestamp, bad_signature
        self.code = code
        self.message = message


def verify(
    secrets: Iterable[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check a signed request; return its ``webhook-id`` or raise `SignatureProblem`.

    Any of ``secrets`` may have signed it (two are valid during a rotation). The timestamp must
    be within ``tolerance`` seconds of ``now`` either way: old messages are replays, and ones
    from the future would stay valid for longer than the window.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    message_id = lower.get(ID_HEADER, "").strip()
    stamp = lower.get(TIMESTAMP_HEADER, "").strip()
    offered = lower.get(SIGNATURE_HEADER, "").strip()
    if not (message_id and stamp and offered):
        raise SignatureProblem(
            "missing_headers", "sign the request: webhook-id, webhook-timestamp and "
            "webhook-signature are required"
        )
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureProblem("bad_timestamp", "webhook-timestamp must be Unix seconds")
    timestamp = int(stamp)
    if timestamp < now - tolerance:
        raise SignatureProblem("stale_timestamp", "webhook-timestamp is older than 5 minutes")
    if timestamp > now + tolerance:
        raise SignatureProblem("future_timestamp", "webhook-timestamp is in the future")
    candidates = []
    for part in offered.split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            try:
                candidates.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    for secret in secrets:
        expected = base64.b64decode(sign(secret, message_id, timestamp, body)[3:])
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return message_id
    raise SignatureProblem("bad_signature", "no webhook-signature matches this body")
