"""The plug-in contract: every way a plug-in can extend imm_graph, and nothing else.

Modelled on Datasette's ``hookspecs.py``: this module defines both markers, the hook
specifications and the plain data the hooks return, and imports nothing but pluggy and the
standard library, so it sits at the bottom of the import graph and never changes because the
core's inside did.

Rules every hook follows:

- an implementation may accept any subset of a hook's arguments (pluggy matches them by name),
  so adding an argument never breaks a plug-in;
- ``config`` is always *this* plug-in's validated settings object (from
  `imm_graph_config_schema`), or ``None`` if it declares none;
- hooks return data; the manager calls each plug-in's implementation on its own, in the
  configured order (``IMM_PLUGINS_ORDER``), so one plug-in's failure is isolated from the others;
- a hook may be ``async def`` where its documentation says its result may be awaitable.

Every hook and each of its arguments is documented in ``docs/plugins.md`` (a test checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import pluggy

PROJECT = "imm_graph"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- what hooks return ----------------------------------------------------------------------


@dataclass(frozen=True)
class NodeType:
    """A plug-in type that ``node(id:)`` and ``nodes(ids:)`` resolve.

    ``load(context, keys)`` returns the objects for those keys (``None`` where there is none),
    in order; ``key_kind`` is ``int`` for integer keys, ``str`` for codes. ``scope`` is what a
    caller needs to look one up (``None``: public).
    """

    cls: type
    load: Callable[[Any, Sequence[Any]], Awaitable[Sequence[Any]]]
    scope: str | None
    key_kind: type = int

    @property
    def name(self) -> str:
        return getattr(self.cls, "__name__", str(self.cls))


@dataclass(frozen=True)
class SchemaContribution:
    """What ``imm_graph_schema`` returns: strawberry classes to fold into the one schema.

    - ``queries`` / ``mutations``: ``@strawberry.type`` classes whose fields are merged into the
      root ``Query`` and ``Mutation`` types;
    - ``types``: extra types the schema must know even though no field returns them directly;
    - ``extend``: fields to add to core types, by type name: ``{"Hub": [HubEpisodes]}``, where
      ``HubEpisodes`` is a ``@strawberry.type`` whose resolvers take the core object as
      ``strawberry.Parent``;
    - ``nodes``: plug-in types that ``node(id:)`` resolves (see `NodeType`).
    """

    types: Sequence[type] = ()
    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    extend: Mapping[str, Sequence[type]] = field(default_factory=dict)
    nodes: Sequence[NodeType] = ()
    plugin: str = ""  # set by the plug-in manager, for error messages and introspection

    def __post_init__(self) -> None:
        for kind in ("types", "queries", "mutations"):
            value = getattr(self, kind)
            if not all(isinstance(item, type) for item in value):
                raise TypeError(f"SchemaContribution.{kind} must be a list of classes")
            object.__setattr__(self, kind, tuple(value))
        extend = {name: tuple(classes) for name, classes in dict(self.extend).items()}
        if not all(isinstance(c, type) for classes in extend.values() for c in classes):
            raise TypeError("SchemaContribution.extend maps type names to lists of classes")
        object.__setattr__(self, "extend", MappingProxyType(extend))
        if not all(isinstance(node, NodeType) for node in self.nodes):
            raise TypeError("SchemaContribution.nodes must hold NodeType entries")
        object.__setattr__(self, "nodes", tuple(self.nodes))


@dataclass(frozen=True)
class RateLimit:
    """A route's own request budget: ``per_minute`` requests per client IP (``None``: none)."""

    per_minute: int | None


RouteAuth = Literal["api_key", "public", "plugin"]


@dataclass(frozen=True)
class PluginRoute:
    """A plug-in's HTTP route with its own access policy, served under ``/plugins/<name>/``.

    - ``auth="api_key"`` (the default): callers are authenticated like every API request, and a
      bad key gets 401; handlers check scopes (``require_scope`` or Starlette's ``@requires``);
    - ``auth="public"``: no key is needed or checked (a podcast feed);
    - ``auth="plugin"``: the handler authenticates the caller itself, for example by a signed
      webhook (see ``imm_graph.plugin_api.verify_webhook``); no API key is needed.

    ``rate_limit`` replaces the anonymous per-IP budget for this route (a feed polled by
    directories and CDNs must not share it); ``None`` keeps the server's limits.
    """

    path: str
    endpoint: Callable[..., Any]
    methods: Sequence[str] = ("GET",)
    auth: RouteAuth = "api_key"
    rate_limit: RateLimit | None = None
    name: str | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """Work a plug-in wants done every ``every``: closing a reporting period, flagging overdue
    referrals, publishing scheduled episodes.

    ``run(context)`` is awaited by ``imm-graph worker``; ``context`` has ``db`` (the
    `imm_graph.db.Database`), ``now`` (aware UTC) and ``config``. One runner at a time across
    processes (a PostgreSQL advisory lock); a job that raises is logged and tried again at its
    next turn. Make it idempotent: it may run again after a crash.
    """

    name: str
    every: dt.timedelta
    run: Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class DomainEvent:
    """What a plug-in's event hook receives: what happened, to which record, and when.

    ``payload`` holds ids and codes only (for core events: the primary key, foreign keys,
    ``*code`` columns and the columns a model marks ``info={"in_events": True}``, such as a
    consent's purpose and withdrawal time). Anything else is read through the session, where the
    current state applies. ``change`` says whether the record was ``created`` or ``updated``
    (``None`` for events that are not about a stored record), and ``changed`` which fields an
    update changed (their names, never their values).
    """

    id: int
    name: str  # "<entity>.<verb>", e.g. "session.recorded", "referral.received"
    entity: str
    entity_id: str
    occurred_at: dt.datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    change: Literal["created", "updated"] | None = None
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryResult:
    """How an outbound delivery ended, for `imm_graph_delivery_result`.

    ``outcome`` is ``delivered`` (a 2xx), ``dead`` (attempts exhausted or staff gave up) or
    ``gone`` (the partner answered 410: its endpoint is disabled until staff enable it again).
    ``response_excerpt`` is the start of the partner's last answer (bounded), for staff.
    """

    delivery_id: str
    plugin: str
    endpoint: str
    outcome: Literal["delivered", "dead", "gone"]
    attempts: int
    status_code: int | None
    response_excerpt: str | None
    ordering_key: str | None
    event_id: int | None


@dataclass(frozen=True)
class OutboundRequest:
    """A delivery about to be sent, for `imm_graph_outbound_credentials`.

    ``body`` and ``timestamp`` are exactly what is sent, so a plug-in holding a partner's secret
    in its own table (not in its settings) can sign the request itself (``signature_headers``).
    """

    delivery_id: str
    plugin: str
    url: str
    method: str
    credentials: str  # the name the plug-in gave when it enqueued the delivery
    body: bytes = b""
    timestamp: int = 0


# --- the hooks ------------------------------------------------------------------------------


@hookspec
def imm_graph_config_schema() -> type | None:
    """Declare the plug-in's settings as a pydantic model class.

    Called once at start-up, before any other hook. The manager fills the model from environment
    variables ``IMM_PLUGIN_<NAME>_<FIELD>`` (and the optional settings file) and validates it; a
    missing or invalid field stops start-up with an error naming the plug-in and the field, never
    the value. Type secrets as ``pydantic.SecretStr`` so they are not printed by accident.

    Returns the model class (not an instance), or ``None`` when the plug-in has no settings.
    """


@hookspec
def imm_graph_scopes(config: Any) -> Mapping[str, str] | None:
    """Declare the API-key scopes the plug-in's fields and routes need: ``{scope: description}``.

    Called at start-up, before the schema is built. Name scopes ``verb:noun``
    (``read:referrals``); a scope another plug-in already declared is an error. Keys are created
    with them (`imm-graph keys create --scope …`) like the core's; ``admin`` implies them all.
    """


@hookspec
def imm_graph_models() -> None:
    """Import the plug-in's SQLAlchemy models so their tables register on ``Base.metadata``.

    Called for every installed plug-in, enabled or not, when migrations compare the database
    with the models (disabling a plug-in must not make autogenerate propose dropping its
    tables), and at start-up for enabled ones. Define tables on ``imm_graph.plugin_api.Base``,
    prefix their names with the plug-in's name. Returns nothing.
    """


@hookspec
def imm_graph_migrations() -> str | None:
    """The folder of the plug-in's Alembic revisions (a path), or ``None``.

    The plug-in's revisions form their own Alembic branch whose label is the plug-in's name;
    its first revision has ``branch_labels = ("<name>",)`` and ``depends_on`` the core revision
    its tables refer to. ``imm-graph migrate`` upgrades every branch; ``/health`` reports a
    database that lacks any head. Asked of every installed plug-in, enabled or not.
    """


@hookspec
def imm_graph_schema(config: Any) -> SchemaContribution | None:
    """Contribute to the GraphQL schema, which is built once at start-up.

    Returns a `SchemaContribution`: types, root query and mutation fields, fields added to core
    types (``Hub.episodes``) and node types ``node(id:)`` resolves. Field names must not clash
    with the core's or another plug-in's: prefix root fields with the plug-in's subject. A field
    without ``requires(scope)`` or ``PUBLIC`` needs ``read:core`` (queries) or ``write:core``
    (mutations). Resolver errors are masked like the core's.
    """


@hookspec
def imm_graph_routes(config: Any) -> Sequence[Any] | None:
    """Contribute HTTP routes, mounted under ``/plugins/<name>/``.

    Return `PluginRoute` entries (each with its own authentication and rate-limit policy) or
    plain Starlette routes (API-key authentication, server limits). Paths are relative to the
    mount: ``PluginRoute("/referrals", …)`` is served at ``/plugins/<name>/referrals``.
    Handlers find the database at ``request.app.state.db`` and the caller with
    ``principal_of(request)``.
    """


@hookspec
def imm_graph_actor_from_request(headers: Mapping[str, str], config: Any) -> Any:
    """Recognise a caller the API-key check does not know: return a ``Principal`` or ``None``.

    Called for requests that carry no ``Authorization`` header, in plug-in order, before they are
    treated as anonymous; the first ``Principal`` returned wins (build it with
    ``imm_graph.plugin_api.Principal(via="<plug-in>", name=…, scopes=…)``). ``headers`` are the
    request's, with lower-case names. May be ``async def``. Keep it cheap: it runs per request.
    """


@hookspec
def imm_graph_on_event(event: DomainEvent, session: Any, config: Any) -> Awaitable[None] | None:
    """React to a domain event inside the transaction of the change that caused it.

    ``event`` carries ids and codes only (load what you need through ``session``, an
    ``AsyncSession``). Anything the hook writes, such as ``enqueue_delivery`` rows, commits
    with the change or not at all. Never call HTTP from here: enqueue a delivery instead. Never
    commit or roll back ``session``.

    Runs inside a SAVEPOINT: if it raises, only its own writes are undone, the change is kept
    and the event is recorded for this plug-in and retried later with backoff, so it must be
    safe to run more than once for the same ``event.id``. May be ``async def``.
    """


@hookspec
def imm_graph_outbound_credentials(
    request: OutboundRequest, db: Any, config: Any
) -> Mapping[str, str] | Awaitable[Mapping[str, str]] | None:
    """Headers that authenticate one outbound delivery, obtained when it is sent.

    Called for the plug-in's own deliveries that were enqueued with ``credentials="<name>"``,
    just before each attempt: fetch an OAuth client-credentials token, say, and return
    ``{"Authorization": "Bearer …"}``. Nothing returned here is stored. If it raises, the
    attempt fails and is retried like a partner's error. May be ``async def``. ``db`` is the
    sending worker's `Database`, for a plug-in keeping a partner's secret in its own table.
    """


@hookspec
def imm_graph_delivery_result(result: DeliveryResult, session: Any, config: Any) -> Any:
    """Hear how one of the plug-in's deliveries ended: delivered, dead, or gone (410).

    Called once per ending, in a transaction of its own (``session``); what the hook writes
    commits with the recorded result. A 410 disables the endpoint for every later delivery
    until staff enable it again; a plug-in might mark the partner's callback inactive. If the
    hook raises, the result is still recorded and the failure logged. May be ``async def``.
    """


@hookspec
def imm_graph_jobs(config: Any) -> Sequence[PeriodicJob] | None:
    """Declare periodic jobs, run by ``imm-graph worker`` (see `PeriodicJob`)."""


@hookspec
def imm_graph_lifespan(app: Any, config: Any) -> Any:
    """Start-up and shutdown: return an async context manager, or ``None``.

    Entered when the app starts (after the database and schema are ready, in plug-in order) and
    exited when it stops (in reverse order): open a client, warm a cache, close them. ``app`` is
    the Starlette application (``app.state.db``, ``app.state.settings``). A failure on entry
    stops start-up with the plug-in's name.
    """


@hookspec
def imm_graph_health(db: Any, config: Any) -> Mapping[str, Any] | Awaitable[Any] | None:
    """The plug-in's part of ``/health``: ``{"status": "ok" | "degraded" | "down", …}``.

    Shown under ``plugins.<name>``; a ``down`` makes ``/health`` answer 503. Keep it quick (a
    load balancer polls it) and free of personal data. May be ``async def``; one that raises or
    takes longer than two seconds counts as ``down``.
    """


@hookspec
def imm_graph_contribute(topic: str, params: Mapping[str, Any], session: Any, config: Any) -> Any:
    """Contribute to another plug-in's output without either importing the other.

    A plug-in that gathers (``nhs_reporting`` building a return) calls
    ``collect(topic, params, session)`` from ``imm_graph.plugin_api``; every enabled plug-in that
    answers ``topic`` (``"nhs_reporting.sections"``) returns its data, others return ``None``.
    The topic's owner documents what ``params`` hold and what to return. May be ``async def``.
    """


@hookspec
def imm_graph_cli(app: Any, config: Any) -> None:
    """Add commands to the ``imm-graph`` command line.

    Add one sub-application named after the plug-in (``app.add_typer(sub, name="<name>")``)
    rather than top-level commands, so plug-ins cannot shadow core commands or each other.
    ``app`` is the Typer application. Returns nothing.
    """


HOOK_NAMES: tuple[str, ...] = tuple(
    name for name, value in list(globals().items())
    if name.startswith("imm_graph_") and callable(value)
)
