"""Global object IDs: opaque to clients, typed for the server ("Hub:12" in base64).

An ID is checked strictly before it reaches SQL: the type must be named, an integer key must be
plain ASCII digits within PostgreSQL's ``integer`` range (``Hub:١`` and ``Hub:99999999999`` are
input errors, not an internal error or a silent match), a code key must look like a code. Every
failure is a `ValidationError` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import re

from imm_graph.errors import ValidationError

INT32_MAX = 2**31 - 1
_INT_KEY = re.compile(r"[1-9][0-9]{0,9}")
_CODE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}")
_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")


def encode_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(value: str) -> tuple[str, str]:
    """Return (type name, key text) or raise ValueError."""
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValueError("not a valid ID") from exc
    type_name, _, pk = text.partition(":")
    if not _TYPE_NAME.fullmatch(type_name) or not pk:
        raise ValueError("not a valid ID")
    return type_name, pk


def parse_key(text: str, kind: type) -> int | str:
    """A key as its column holds it (``int`` or a ``str`` code), or ValueError."""
    if kind is int:
        if not _INT_KEY.fullmatch(text) or int(text) > INT32_MAX:
            raise ValueError("not a key")
        return int(text)
    if not _CODE_KEY.fullmatch(text):
        raise ValueError("not a key")
    return text


def article(noun: str) -> str:
    return ("an " if noun[:1] in "AEIOU" else "a ") + noun


def decode_pk(value: str, expected: str, field: str) -> int:
    """Decode an ID that must point at ``expected``; errors name the input field."""
    type_name, key = decode_typed(value, field)
    if type_name != expected:
        raise ValidationError.single(
            field, "wrong_type",
            f"{field} must be the ID of {article(expected)}, not of {article(type_name)}",
        )
    try:
        return int(parse_key(key, int))
    except ValueError:
        raise _invalid(field) from None


def decode_typed(value: str, field: str) -> tuple[str, str]:
    try:
        return decode_id(value)
    except ValueError:
        raise _invalid(field) from None


def _invalid(field: str) -> ValidationError:
    return ValidationError.single(field, "invalid_id", f"{field} is not a valid ID")
