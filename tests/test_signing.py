"""What `verify` tells a sender whose request it refuses, and the edges of what it accepts.

The property tests (tests/properties/test_signing_properties.py) check the scheme itself; these
pin the parts a sender reads: the refusal code and its exact message, each header missing on its
own, the timestamp's length limit, and the signature list's parsing (another version's correct
MAC, a bad entry before a good one, characters outside base64).
"""

from __future__ import annotations

import base64

import pytest

from imm_graph.pluginhost.signing import SignatureProblem, sign, signature_headers, verify

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()
NOW = 1_700_000_000
BODY = b'{"event":"ping"}'


def refusal(headers: dict[str, str], *, now: float = NOW, body: bytes = BODY) -> SignatureProblem:
    with pytest.raises(SignatureProblem) as refused:
        verify([SECRET], headers, body, now=now)
    return refused.value


def good(timestamp: int = NOW, message_id: str = "msg_1") -> dict[str, str]:
    return signature_headers(SECRET, message_id, timestamp, BODY)


@pytest.mark.parametrize("left_out", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_each_header_is_required_on_its_own(left_out: str, how: str) -> None:
    headers = good()
    if how == "absent":
        del headers[left_out]
    else:
        headers[left_out] = "  "
    problem = refusal(headers)
    assert problem.code == "missing_headers"
    expected = ("sign the request: webhook-id, webhook-timestamp and webhook-signature are "
                "required")
    assert problem.message == expected
    assert str(problem) == expected


@pytest.mark.parametrize(
    ("headers", "now", "code", "message"),
    [
        ({**good(), "webhook-timestamp": "17e8"}, NOW, "bad_timestamp",
         "webhook-timestamp must be Unix seconds"),
        (good(NOW - 301), NOW, "stale_timestamp", "webhook-timestamp is older than 5 minutes"),
        (good(NOW + 301), NOW, "future_timestamp", "webhook-timestamp is in the future"),
        ({**good(), "webhook-signature": "v1," + "A" * 44}, NOW, "bad_signature",
         "no webhook-signature matches this body"),
    ],
    ids=["bad", "stale", "future", "mismatch"],
)
def test_each_refusal_says_why(
    headers: dict[str, str], now: int, code: str, message: str
) -> None:
    problem = refusal(headers, now=now)
    assert (problem.code, problem.message, str(problem)) == (code, message, message)


def test_a_timestamp_of_twelve_digits_is_read_and_thirteen_are_refused() -> None:
    twelve = 10**11  # the year 5138, but still a number of seconds
    assert verify([SECRET], good(twelve), BODY, now=twelve) == "msg_1"
    thirteen = 10**12
    problem = refusal(good(thirteen), now=thirteen)
    assert problem.code == "bad_timestamp"


def test_another_versions_correct_mac_is_not_accepted() -> None:
    headers = good()
    mac = headers["webhook-signature"].removeprefix("v1,")
    for other in (f"v2,{mac}", f"v1a,{mac}", f"V1,{mac}", f",{mac}"):
        assert refusal({**headers, "webhook-signature": other}).code == "bad_signature"


def test_a_bad_entry_before_the_good_one_is_skipped() -> None:
    headers = good()
    for bad in ("v1,%%%", "v1,", "v2,AAAA", "v1,AAA"):
        listed = {**headers, "webhook-signature": f"{bad} {headers['webhook-signature']}"}
        assert verify([SECRET], listed, BODY, now=NOW) == "msg_1"


def test_characters_outside_base64_make_a_mac_unreadable() -> None:
    headers = good()
    mac = headers["webhook-signature"].removeprefix("v1,")
    for spoiled in (mac[:8] + "*" + mac[8:], mac[:8] + "!" + mac[8:], "@" + mac):
        assert refusal({**headers, "webhook-signature": f"v1,{spoiled}"}).code == "bad_signature"


def test_the_signature_value_starts_with_the_version() -> None:
    value = sign(SECRET, "msg_1", NOW, BODY)
    assert value.startswith("v1,")
    assert len(base64.b64decode(value[3:], validate=True)) == 32


def test_a_whsec_secret_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError) as refused:
        sign("whsec_A", "msg_1", NOW, BODY)
    assert str(refused.value) == "a whsec_ secret must be base64"
