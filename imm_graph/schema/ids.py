"""Global object IDs: opaque to clients, typed for the server ("Hub:12" in base64).

An ID of the wrong type is an input error that names the field, not a silent miss.
"""

from __future__ import annotations

import base64
import binascii

from imm_graph.errors import ValidationError


def encode_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(value: str) -> tuple[str, str]:
    """Return (type name, key) or raise ValueError."""
    try:
        padded = value + "=" * (-len(value) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a valid ID") from exc
    if not type_name or not pk:
        raise ValueError("not a valid ID")
    return type_name, pk


def decode_pk(value: str, expected: str, field: str) -> int:
    """Decode an ID that must point at ``expected``; errors name the input field."""
    try:
        type_name, pk = decode_id(value)
    except ValueError:
        raise ValidationError.single(field, "invalid_id", f"{field} is not a valid ID") from None
    if type_name != expected or not pk.isdigit():
        raise ValidationError.single(
            field, "wrong_type", f"{field} must be the ID of a {expected}, not a {type_name}"
        )
    return int(pk)
