"""The shape of the house: imm_graph's import graph is a tree, and its layers hold.

A cycle of imports only works through ``TYPE_CHECKING`` guards and imports hidden inside
functions; both make code harder to read and to move. These tests read the source (no import
side effects) and fail naming the modules when the shape breaks.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import imm_graph

PACKAGE = Path(imm_graph.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, int, bool, bool]]:
    """(imported module, line, inside a function, under TYPE_CHECKING) for imm_graph targets."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    out: list[tuple[str, int, bool, bool]] = []

    def resolve(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = module.split(".")
        if node.level:
            is_package = path.name == "__init__.py"
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        return [prefix] + [f"{prefix}.{a.name}" for a in node.names]

    def walk(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            guarded = type_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.Import | ast.ImportFrom):
                for name in resolve(child):
                    target = _target(name)
                    if target and target != module and target.split(".")[0] == "imm_graph":
                        out.append((target, child.lineno, in_function, type_only))
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef),
                 guarded)

    walk(tree, False, False)
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        for target, _, _, _ in _imports(module):
            graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            # A package's __init__ importing its own submodules is not a design cycle.
            root = min(component, key=len)
            if len(component) > 1 and not all(c == root or c.startswith(root + ".")
                                               for c in component):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in MODULES:
        if module not in index:
            strong(module)
    return found


def test_the_import_graph_has_no_cycle_even_through_type_only_imports() -> None:
    assert _cycles(_graph()) == []


def test_no_module_imports_imm_graph_inside_a_function() -> None:
    hidden = [
        f"{module}:{line} imports {target}"
        for module in MODULES for target, line, in_function, _ in _imports(module) if in_function
    ]
    assert hidden == []


def test_the_plugin_contract_is_a_leaf() -> None:
    tree = ast.parse(MODULES["imm_graph.pluginhost.contract"].read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom)
        else node.names[0].name.split(".")[0]
        for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert imported <= {"__future__", "pluggy", *sys.stdlib_module_names}, imported


def test_nothing_inside_imm_graph_imports_the_authors_api_or_the_plugins() -> None:
    offenders = [
        f"{module} imports {target}"
        for module in MODULES for target, *_ in _imports(module)
        if target == "imm_graph.plugin_api" and module != "imm_graph.plugin_api"
    ]
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [node.module or ""] if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            )
            offenders += [f"{module} imports {n}" for n in names if n.split(".")[0] == "plugins"]
    assert offenders == []


def test_the_authors_api_only_re_exports() -> None:
    tree = ast.parse(MODULES["imm_graph.plugin_api"].read_text())
    defined = [
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    assert defined == []


LAYERS = {
    # A lower layer never imports a higher one.
    "imm_graph.security": {"imm_graph.services", "imm_graph.schema", "imm_graph.pluginhost"},
    "imm_graph.services": {"imm_graph.schema", "imm_graph.pluginhost"},
    "imm_graph.pluginhost": {"imm_graph.schema", "imm_graph.services"},
    # Models may use the encrypted column types (security.crypto), nothing else above them.
    "imm_graph.models": {"imm_graph.services", "imm_graph.schema", "imm_graph.pluginhost",
                         "imm_graph.security.audit", "imm_graph.security.keys",
                         "imm_graph.security.gateway", "imm_graph.security.principal"},
}


def test_lower_layers_never_import_higher_ones() -> None:
    offenders = [
        f"{module} imports {target}"
        for module in MODULES
        for layer, forbidden in LAYERS.items()
        if module == layer or module.startswith(layer + ".")
        for target, *_ in _imports(module)
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    ]
    assert offenders == []
