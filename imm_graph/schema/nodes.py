"""What ``node(id:)`` and ``nodes(ids:)`` can fetch: the core's types and plug-ins' node types.

Built once per schema (`registry`): each entry knows its key's kind (an integer id or a code),
how to load objects by key in one batch, and what a caller needs to look one up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from imm_graph.pluginhost.contract import NodeType
from imm_graph.schema import types as t
from imm_graph.schema.context import Context
from imm_graph.schema.loaders import by_key

POLICY = "policy"  # the access policy decides, from the type's fields and configuration


@dataclass(frozen=True)
class NodeEntry:
    name: str
    key_kind: type
    load: Callable[[Context, Any], Awaitable[Any]]
    scope: str | None  # POLICY, a scope, or None (public)


def _core(name: str, table: Any, cls: type) -> NodeEntry:
    column = t._PK.get(cls, "id")

    async def load(ctx: Context, key: Any) -> Any:
        row = await by_key(ctx, table, column).load(key)
        return None if row is None else t.build(cls, row)

    return NodeEntry(name, int if column == "id" else str, load, POLICY)


def _plugin(node: NodeType) -> NodeEntry:
    async def load(ctx: Context, key: Any) -> Any:
        [found] = await node.load(ctx, [key])
        return found

    return NodeEntry(node.name, node.key_kind, load, node.scope)


def registry(plugin_nodes: Sequence[NodeType] = ()) -> dict[str, NodeEntry]:
    entries = {name: _core(name, table, cls) for name, (table, cls) in t.NODE_TYPES.items()}
    for node in plugin_nodes:
        if node.name in entries:
            raise ValueError(f"node type {node.name} is already defined")
        entries[node.name] = _plugin(node)
    return entries


def registry_of(schema: Any) -> dict[str, NodeEntry]:
    found = getattr(schema, "_imm_nodes", None)
    return found if found is not None else registry()
