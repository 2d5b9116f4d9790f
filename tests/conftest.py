"""Database fixtures: every database test runs on SQLite and on the real PostgreSQL.

Migrations run once per test session into a template (a SQLite file, a PostgreSQL template
database); each test then gets its own copy, so tests never see each other's rows.

PostgreSQL comes from IMM_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432). When it is not
reachable its runs skip with a message, unless IMM_TEST_REQUIRE_POSTGRES=1 (as in CI), when
they fail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, create_engine, utcnow
from imm_graph.migrate import upgrade
from imm_graph.security import crypto
from imm_graph.security.keys import create_api_key

POSTGRES_URL = os.environ.get(
    "IMM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("IMM_TEST_REQUIRE_POSTGRES", "") not in ("", "0", "false")
BACKENDS = ["sqlite", "postgres"]
_RUN_ID = uuid.uuid4().hex[:8]


def _postgres_reachable() -> bool:
    parts = urlsplit(POSTGRES_URL.replace("+asyncpg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def _run(coro: object) -> None:
    """Run set-up coroutines from session fixtures, which may be reached from inside a loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def _admin(sql: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(sql))
    await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not _postgres_reachable():
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: PostgreSQL runs skipped"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (IMM_TEST_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(message)
    name = f"imm_template_{_RUN_ID}"
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))
    _run(_admin(f'CREATE DATABASE "{name}"'))
    _run(_migrate(_with_database(POSTGRES_URL, name)))
    yield name
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", autouse=True)
def _templates_first(request: pytest.FixtureRequest) -> None:
    """Migrate the templates before any test installs a plug-in of its own, so they hold the
    core's and the built-in plug-ins' branches only, whatever test happens to run first."""
    request.getfixturevalue("sqlite_template")
    if _postgres_reachable():
        request.getfixturevalue("postgres_template")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A migrated, empty database of its own for this test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"imm_test_{_RUN_ID}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    if not _postgres_reachable():
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: PostgreSQL runs skipped"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = f"imm_empty_{_RUN_ID}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


# The mutation run's compiler set (scripts/mutation compiler): its tests need PostgreSQL and
# take seconds each, so a mutmut run (its working directory is mutants/) leaves them out unless
# that set asked for them; other sets' mutants are then never tried against them.
MUTATION_COMPILER_TESTS = ("test_compiler.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path.cwd().name != "mutants" or os.environ.get("IMM_MUTATION_COMPILER") == "1":
        return
    kept = [i for i in items if i.path.name not in MUTATION_COMPILER_TESTS]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [
        r for r in terminalreporter.stats.get("skipped", [])
        if "PostgreSQL unreachable" in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {len(skipped)} PostgreSQL test runs were skipped: the server was unreachable.",
            yellow=True,
            bold=True,
        )


@pytest.fixture
def settings(database_url: str) -> Settings:
    # API keys are looked up on every request here; tests of the key cache turn it on.
    return Settings(database_url=database_url, environment="test", api_key_cache_seconds=0)


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real ASGI app, as a partner's code would talk to it."""
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://imm.test") as http:
        yield http


@pytest.fixture
def app_env() -> None:
    """The environment an ``app`` starts in: override it to enable a plug-in or set its settings."""


@pytest.fixture
async def app(app_env: None, settings: Settings, db: Database) -> AsyncIterator[Starlette]:
    """The real app with its lifespan running (plug-ins' start-up and shutdown hooks included)."""
    application = create_app(settings, database=db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on ``app``, as a partner's code would talk to it."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as client:
        yield client


class GraphQLClient:
    """Posts GraphQL to the app, with ``headers`` (e.g. an API key) on every request."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
        self.http = http
        self.headers = dict(headers or {})

    def with_key(self, token: str | None) -> GraphQLClient:
        """The same app, called with another API key (None: anonymously)."""
        return GraphQLClient(self.http, bearer(token) if token else {})

    async def __call__(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        """Run a query; fail the test on any GraphQL error. Returns `data`."""
        body = await self.raw(query, headers=headers, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def raw(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        return (await self.post(query, headers=headers, **variables)).json()

    async def post(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables},
            headers={**self.headers, **(headers or {})},
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


MakeKey = Callable[..., Awaitable[str]]


@pytest.fixture(autouse=True)
def _development_keys() -> Iterator[None]:
    """Every test starts with the fixed development keys, whatever an earlier test configured."""
    crypto.configure(Settings(environment="test"))
    yield


@pytest.fixture
def make_key(db: Database) -> MakeKey:
    """Create an API key in the test database; returns the token (`imm_<key id>_<secret>`)."""

    async def make(
        scopes: Sequence[str], *, name: str = "test key", organisation_id: int | None = None,
        expires_at: dt.datetime | None = None, revoked: bool = False,
        rate_limit_per_minute: int | None = None,
    ) -> str:
        async with db.transaction() as session:
            new = await create_api_key(
                session, name=name, scopes=scopes, organisation_id=organisation_id,
                expires_at=expires_at, rate_limit_per_minute=rate_limit_per_minute,
            )
            if revoked:
                new.key.revoked_at = utcnow()
        return new.token

    return make


@pytest.fixture
async def gql(client: httpx.AsyncClient, make_key: MakeKey) -> GraphQLClient:
    """The API as IMM's own staff see it: an `admin` key, which has every scope."""
    return GraphQLClient(client, bearer(await make_key(["admin"], name="test admin")))


@pytest.fixture
def anon_gql(client: httpx.AsyncClient) -> GraphQLClient:
    """The API without an API key: public fields only."""
    return GraphQLClient(client)


Install = Callable[..., Path]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install a distribution (metadata, entry points, modules) into a directory on sys.path."""
    for name in [k for k in os.environ if k.startswith("IMM_PLUGIN")]:
        monkeypatch.delenv(name)
    written: list[str] = []

    def _install(
        dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str] | None = None
    ) -> Path:
        site = tmp_path / f"site-{dist}"
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[imm_graph.plugins]\n{lines}", encoding="utf-8")
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(source, encoding="utf-8")
            written.append(module)
        monkeypatch.syspath_prepend(str(site))
        return site

    yield _install
    for module in written:
        sys.modules.pop(module, None)
