"""Marks a field definition carries for the checks made before a query runs.

Strawberry keeps ``metadata`` on every field; the access check and the cost limit read these
keys, so a field (the core's or a plug-in's) says once what it is, next to its definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PUBLIC_KEY = "imm_graph.public"
READS_KEY = "imm_graph.reads"
MAX_ITEMS_KEY = "imm_graph.max_items"

PUBLIC: dict[str, Any] = {PUBLIC_KEY: True}
"""``strawberry.field(metadata=PUBLIC)``: anyone may read this field (unless IMM_PRIVATE_FIELDS)."""


def reads(*fields: str) -> dict[str, Any]:
    """On a filter input field: the fields of the listed type it reveals, by GraphQL name.

    A filter is an oracle for what it compares (``hubs(filter: {localAuthority: "X"})``
    tells an anonymous caller which hubs are in X), so using it needs the permission of those
    fields. A filter field without this mark reads the field of its own name.
    """
    return {READS_KEY: tuple(fields)}


def bounded(max_items: int) -> dict[str, Any]:
    """On a plain (unpaged) list field: it never holds more than ``max_items`` objects."""
    return {MAX_ITEMS_KEY: max_items}


DIRECT_KEY = "imm_graph.direct"


def direct(resolve: Callable[..., Any]) -> dict[str, Any]:
    """On a field whose resolver needs nothing of strawberry's per-call machinery (argument
    conversion, field extensions, a strawberry ``Info``): graphql-core calls
    ``resolve(source, info, **arguments)`` itself, with its own ``info`` (which has
    ``.context`` too). A nested list query resolves tens of thousands of relation fields and
    IDs; the machinery costs tens of microseconds on each. Fields with extensions (a
    permission) always keep it: `build.direct_resolvers` skips them."""
    return {DIRECT_KEY: resolve}


def merged(*parts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out
