"""The scopes an API key can carry. The core declares its own; plug-ins declare theirs.

A scope is a plain string such as ``read:core``. Keys are created with a list of scopes, each
must be known when the key is created, and ``admin`` implies every scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from imm_graph.errors import ValidationError

READ_CORE = "read:core"
WRITE_CORE = "write:core"
READ_IMPACT = "read:impact"
READ_PERSONAL = "read:personal"
ADMIN = "admin"

CORE_SCOPES: dict[str, str] = {
    READ_CORE: "organisations, hubs, programmes, projects, sessions, stakeholders, pseudonymous "
    "participants and assessments",
    WRITE_CORE: "create and update the core records (every mutation of the core)",
    READ_IMPACT: "impact figures",
    READ_PERSONAL: "identifiable participant data (every read is audited)",
    ADMIN: "everything, including the audit log and outbound deliveries",
}


class ScopeRegistry:
    """The known scopes of one process: the core's plus those plug-ins declared at start-up."""

    def __init__(self, scopes: Mapping[str, str] = CORE_SCOPES) -> None:
        self._scopes: dict[str, str] = dict(scopes)
        self._owners: dict[str, str] = dict.fromkeys(scopes, "core")

    def declare(self, name: str, description: str, owner: str) -> None:
        """Add a scope; declaring the same scope twice with the same owner is harmless."""
        if ":" not in name or name != name.strip() or " " in name:
            raise ValueError(f"scope {name!r} must look like 'verb:noun'")
        if name in self._owners and self._owners[name] != owner:
            raise ValueError(f"scope {name!r} is already declared by {self._owners[name]}")
        self._scopes[name] = description
        self._owners[name] = owner

    def __contains__(self, name: object) -> bool:
        return name in self._scopes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._scopes)

    def items(self) -> list[tuple[str, str]]:
        return list(self._scopes.items())

    def owner(self, name: str) -> str:
        return self._owners[name]

    def check(self, scopes: Iterable[str]) -> list[str]:
        """The scopes of a new key, sorted; unknown or no scopes are an input error."""
        wanted = sorted(set(scopes))
        unknown = [s for s in wanted if s not in self._scopes]
        if unknown:
            raise ValidationError.single(
                "scopes", "unknown_scope",
                f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(self._scopes)}",
            )
        if not wanted:
            raise ValidationError.single("scopes", "required", "give at least one scope")
        return wanted


# The process-wide registry: the core's scopes now, plug-ins' added when they load.
SCOPES = ScopeRegistry()
