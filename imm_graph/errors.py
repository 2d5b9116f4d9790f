"""Errors a client can act on.

Every validation failure in the core names the field and the rule it broke, so that GraphQL
payloads, HTTP problem documents and CLI messages can all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One broken rule: a machine-readable code, the field path and a human message."""

    code: str
    field: str
    message: str


class ValidationError(ValueError):
    """Raised when input breaks one or more rules; carries every broken rule, not just the first."""

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message} ({e.code})" for e in self.errors))

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationError:
        return cls(FieldError(code=code, field=field, message=message))
