"""Webhook signatures (Standard Webhooks) as a partner's receiver and sender see them.

The oracle is the published scheme, computed here with hmac directly: ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`` under the secret's bytes (the base64
after ``whsec_``, else the UTF-8 text). A receiver accepts when one of the space-separated v1
values matches and the timestamp is within the tolerance of its clock, either way; and the
maintained ``standardwebhooks`` library, what partners use, agrees with us both ways.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from imm_graph.pluginhost.signing import SignatureProblem, sign, signature_headers, verify

bodies = st.binary(max_size=512)
plain_secrets = st.text(min_size=1, max_size=64).filter(lambda s: not s.startswith("whsec_"))
whsec_secrets = st.binary(min_size=16, max_size=48).map(
    lambda raw: "whsec_" + base64.b64encode(raw).decode()
)
any_secret = plain_secrets | whsec_secrets
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=40)
timestamps = st.integers(min_value=10**9, max_value=2 * 10**9)
tolerances = st.integers(min_value=0, max_value=10**6)


def key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()


def published(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key_bytes(secret), f"{message_id}.{timestamp}.".encode() + body,
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@given(any_secret, ids, timestamps, bodies)
def test_the_signature_is_the_published_scheme(
    secret: str, message_id: str, timestamp: int, body: bytes
) -> None:
    assert sign(secret, message_id, timestamp, body) == published(secret, message_id, timestamp,
                                                                  body)


@given(any_secret, ids, timestamps, bodies, tolerances, st.data())
def test_accepted_exactly_when_the_clocks_differ_by_at_most_the_tolerance(
    secret: str, message_id: str, timestamp: int, body: bytes, tolerance: int,
    data: st.DataObject,
) -> None:
    headers = signature_headers(secret, message_id, timestamp, body)
    skews = [0, tolerance, -tolerance, tolerance + 1, -tolerance - 1, tolerance + 0.5,
             -tolerance - 0.001, data.draw(st.integers(-2 * tolerance - 5, 2 * tolerance + 5))]
    for skew in skews:
        now = timestamp - skew  # the receiver's clock; a positive skew: the sender is ahead
        if abs(skew) <= tolerance:
            assert verify([secret], headers, body, now=now, tolerance=tolerance) == message_id
        else:
            with pytest.raises(SignatureProblem) as refused:
                verify([secret], headers, body, now=now, tolerance=tolerance)
            expected = "future_timestamp" if skew > 0 else "stale_timestamp"
            assert refused.value.code == expected, skew


@given(any_secret, bodies.filter(bool), timestamps, st.data())
def test_a_flipped_body_bit_is_refused(
    secret: str, body: bytes, timestamp: int, data: st.DataObject
) -> None:
    headers = signature_headers(secret, "msg_1", timestamp, body)
    at = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128]))
    tampered = body[:at] + bytes([body[at] ^ bit]) + body[at + 1:]
    with pytest.raises(SignatureProblem) as refused:
        verify([secret], headers, tampered, now=timestamp)
    assert refused.value.code == "bad_signature"


@given(any_secret, any_secret, bodies, timestamps)
def test_during_a_rotation_either_secret_is_accepted_and_a_third_is_not(
    old: str, new: str, body: bytes, timestamp: int
) -> None:
    headers = signature_headers(old, "msg_1", timestamp, body)
    assert verify([new, old], headers, body, now=timestamp) == "msg_1"
    # A sender signing with both (space-separated) passes a receiver that knows only one.
    both = dict(headers)
    both["webhook-signature"] = (
        f"{sign(new, 'msg_1', timestamp, body)} {headers['webhook-signature']}"
    )
    assert verify([new], both, body, now=timestamp) == "msg_1"
    if key_bytes(new) != key_bytes(old):
        with pytest.raises(SignatureProblem):
            verify([new], headers, body, now=timestamp)


@given(any_secret, bodies, timestamps, ids)
def test_the_id_and_timestamp_are_signed_too(
    secret: str, body: bytes, timestamp: int, other_id: str
) -> None:
    headers = signature_headers(secret, "msg_1", timestamp, body)
    if other_id != "msg_1":
        with pytest.raises(SignatureProblem):
            verify([secret], {**headers, "webhook-id": other_id}, body, now=timestamp)
    with pytest.raises(SignatureProblem):
        verify([secret], {**headers, "webhook-timestamp": str(timestamp + 1)}, body,
               now=timestamp)


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_headers"),
        ({"webhook-id": "m", "webhook-timestamp": "١٧٠٠٠٠٠٠٠٠", "webhook-signature": "v1,AA=="},
         "bad_timestamp"),
        ({"webhook-id": "m", "webhook-timestamp": "1.7e9", "webhook-signature": "v1,AA=="},
         "bad_timestamp"),
        ({"webhook-id": "m", "webhook-timestamp": "1700000000", "webhook-signature": "v2,AA=="},
         "bad_signature"),
        ({"webhook-id": "m", "webhook-timestamp": "1700000000", "webhook-signature": "v1,%%%"},
         "bad_signature"),
    ],
)
def test_malformed_headers_are_refused_with_their_code(headers: dict[str, str], code: str) -> None:
    with pytest.raises(SignatureProblem) as refused:
        verify(["secret"], headers, b"{}", now=1_700_000_000)
    assert refused.value.code == code


@given(bodies.map(lambda b: b.decode("latin-1").encode()), ids)
def test_the_standardwebhooks_library_verifies_what_we_sign(body: bytes, message_id: str) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = int(time.time())
    Webhook(secret).verify(body, signature_headers(secret, message_id, now, body),
                           json_parse=False)  # raises if it disagrees


@given(bodies.map(lambda b: b.decode("latin-1").encode()), ids)
def test_we_verify_what_the_standardwebhooks_library_signs(body: bytes, message_id: str) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    signature = Webhook(secret).sign(message_id, now, body.decode())
    headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature}
    assert verify([secret], headers, body, now=now.timestamp()) == message_id
