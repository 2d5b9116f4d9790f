"""docs/plugins.md documents every hook of the contract and every argument of each."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from imm_graph.pluginhost import contract

DOCS = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()


def _arguments(hook_name: str) -> list[str]:
    return list(inspect.signature(getattr(contract, hook_name)).parameters)


def test_the_contract_has_the_hooks_the_platform_promises() -> None:
    assert set(contract.HOOK_NAMES) == {
        "imm_graph_config_schema", "imm_graph_scopes", "imm_graph_models",
        "imm_graph_migrations", "imm_graph_schema", "imm_graph_routes",
        "imm_graph_actor_from_request", "imm_graph_on_event", "imm_graph_outbound_credentials",
        "imm_graph_delivery_result", "imm_graph_jobs", "imm_graph_lifespan",
        "imm_graph_health", "imm_graph_contribute", "imm_graph_cli",
    }


def test_every_hook_has_a_row_naming_its_arguments() -> None:
    for hook in contract.HOOK_NAMES:
        row = re.search(rf"^\| `{hook}` \| ([^|]*) \|", DOCS, re.M)
        assert row is not None, f"docs/plugins.md has no table row for {hook}"
        documented = re.findall(r"`(\w+)`", row.group(1))
        assert documented == _arguments(hook), f"{hook}: {documented} != {_arguments(hook)}"


def test_every_argument_is_explained() -> None:
    explained = set(re.findall(r"^- `(\w+)`(?: and `(\w+)`)?:", DOCS, re.M))
    names = {name for pair in explained for name in pair if name}
    for hook in contract.HOOK_NAMES:
        for argument in _arguments(hook):
            assert argument in names, f"docs/plugins.md does not explain `{argument}` ({hook})"


def test_every_hook_has_a_docstring() -> None:
    for hook in contract.HOOK_NAMES:
        assert (getattr(contract, hook).__doc__ or "").strip(), hook
