"""Turning pydantic and database errors into `FieldError`s that name the client's field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pydantic
from sqlalchemy.exc import IntegrityError

from imm_graph.errors import FieldError, ValidationError


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    """``camel``'s inverse: ``peopleEngaged`` -> ``people_engaged``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def field_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + camel(str(part))
    return path


def from_pydantic(exc: pydantic.ValidationError) -> ValidationError:
    errors: list[FieldError] = []
    for err in exc.errors():
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ValidationError):
            errors.extend(original.errors)
            continue
        field = field_path(err["loc"]) or "input"
        code = {"missing": "required", "extra_forbidden": "unknown_field"}.get(
            err["type"], err["type"]
        )
        errors.append(FieldError(code=code, field=field, message=f"{field}: {err['msg']}"))
    return ValidationError(errors)


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")
_PG_KEY = re.compile(r"Key \(([^)]+)\)")


def from_integrity(exc: IntegrityError, type_name: str = "record") -> ValidationError:
    """The database's last word, for races the service's own checks could not see."""
    # asyncpg keeps "Key (a, b)=(…) already exists." in the error's detail, not its text.
    orig = exc.orig
    detail = getattr(orig, "detail", None) or getattr(orig.__cause__, "detail", None) or ""
    text = f"{orig}\n{detail}"
    columns: list[str] = []
    if match := _SQLITE_UNIQUE.search(text):
        columns = [c.split(".")[-1] for c in match.group(1).split(", ")]
    elif "unique" in text.lower() and (match := _PG_KEY.search(text)):
        columns = [c.strip() for c in match.group(1).split(",")]
    if columns:
        names = [camel(c.removesuffix("_id")) for c in columns]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return ValidationError.single(
            camel(columns[-1]), "duplicate",
            f"another {type_name} has the same {listed}",
        )
    if "foreign key" in text.lower():
        column = _PG_KEY.search(text)
        name = camel(column.group(1)) if column else "input"
        return ValidationError.single(
            name, "not_found", f"{name} refers to a record that does not exist"
        )
    if "check constraint" in text.lower() or "CHECK constraint failed" in text:
        constraint = re.search(r"(ck_\w+)", text)
        rule = constraint.group(1) if constraint else "check"
        return ValidationError.single(
            "input", "constraint", f"the database refused the row ({rule})"
        )
    return ValidationError.single("input", "integrity", "the database refused the change")
