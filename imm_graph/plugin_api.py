"""Everything a plug-in author imports: ``from imm_graph.plugin_api import hookimpl, ...``.

Plug-ins depend on this module only (plus ``imm_graph.db.Base`` for their tables), so the core
can reorganise its internals without breaking them. The hooks themselves are documented in
:mod:`imm_graph.hookspecs`; a worked example lives in ``tests/example_plugin``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pluggy

from imm_graph.db import Base
from imm_graph.events import DomainEvent, emit
from imm_graph.outbox import enqueue_delivery, sign, verify_signature

hookimpl = pluggy.HookimplMarker("imm_graph")


@dataclass(frozen=True)
class SchemaContribution:
    """What ``imm_graph_schema`` returns: strawberry classes to fold into the one schema.

    ``queries`` and ``mutations`` are ``@strawberry.type`` classes whose fields are merged into
    the root ``Query`` and ``Mutation`` types; ``types`` are extra types the schema must know
    about even though no field returns them directly (implementations of an interface, say).
    """

    types: list[type] = field(default_factory=list)
    queries: list[type] = field(default_factory=list)
    mutations: list[type] = field(default_factory=list)
    plugin: str = ""  # set by the plug-in manager, for error messages and introspection

    def __post_init__(self) -> None:
        for kind in ("types", "queries", "mutations"):
            value = getattr(self, kind)
            if not all(isinstance(item, type) for item in value):
                raise TypeError(f"SchemaContribution.{kind} must be a list of classes")
            object.__setattr__(self, kind, list(value))


__all__ = [
    "Base",
    "DomainEvent",
    "SchemaContribution",
    "emit",
    "enqueue_delivery",
    "hookimpl",
    "sign",
    "verify_signature",
]
