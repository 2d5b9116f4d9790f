"""The caller of one request: an API key's holder, or anonymous.

`Principal` is a Starlette user, so plug-in routes can use Starlette's own ``request.user`` and
``@requires(...)`` (see `credentials`); GraphQL resolvers reach it through `principal_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.authentication import AuthCredentials, BaseUser

from imm_graph.security.scopes import ADMIN, SCOPES


@dataclass(frozen=True)
class Principal(BaseUser):
    """Who is calling: the key's public id, name, organisation, scopes and rate limit."""

    key_id: str | None = None  # the public key id; None for anonymous callers
    api_key_pk: int | None = None
    name: str = "anonymous"
    organisation_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    rate_limit_per_minute: int | None = None
    # A caller authenticated by a plug-in (a signed webhook of a referral platform, say).
    via: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.key_id is None and self.via is None

    @property
    def is_authenticated(self) -> bool:  # Starlette's BaseUser
        return not self.is_anonymous

    @property
    def display_name(self) -> str:  # Starlette's BaseUser
        return self.name

    @property
    def identity(self) -> str:  # Starlette's BaseUser
        return self.label

    def has(self, scope: str) -> bool:
        """``admin`` implies every scope."""
        return scope in self.scopes or ADMIN in self.scopes

    has_scope = has

    @property
    def label(self) -> str:
        """How the audit log names this caller: ``key:<id>``, ``<plug-in>:<name>``, anonymous."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.via is not None:
            return f"{self.via}:{self.name}"
        return "anonymous"


ANONYMOUS = Principal()


def credentials(principal: Principal) -> AuthCredentials:
    """Starlette's view of the scopes: ``admin`` is expanded so ``@requires`` honours it."""
    scopes = set(principal.scopes)
    if ADMIN in scopes:
        scopes.update(SCOPES)
    if principal.is_authenticated:
        scopes.add("authenticated")
    return AuthCredentials(sorted(scopes))


def principal_of(holder: Any) -> Principal:
    """The principal on a GraphQL context, a request or its state; anonymous when none is set."""
    for candidate in (holder, getattr(holder, "state", None), getattr(holder, "request", None)):
        found = getattr(candidate, "principal", None)
        if isinstance(found, Principal):
            return found
    return ANONYMOUS
