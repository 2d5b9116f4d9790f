"""Engine, session factory and the declarative base shared by the core and the plug-ins.

One engine per process and URL: the app is stateless and PostgreSQL (or the SQLite file) is the
one source of truth, so several workers can share a database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

# Deterministic constraint names: Alembic's SQLite batch mode needs names to alter constraints,
# and IntegrityErrors can be mapped back to the field that broke them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones, so values are stored naive-in-UTC there and made aware on the way
    out; naive input is refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def json_text(value: Any) -> str:
    """How JSON columns are written: compact JSON, any mapping keys as strings."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(
    url: str, *, echo: bool = False, statement_timeout: float | None = None, **kwargs: Any
) -> AsyncEngine:
    """An engine for ``url``; ``statement_timeout`` (seconds) makes PostgreSQL cancel a
    statement that runs longer, so no request can hold a connection busy indefinitely."""
    if is_sqlite(url):
        # A file database is shared between connections; NullPool avoids holding SQLite locks
        # across requests. In-memory databases must keep their one connection instead.
        if ":memory:" not in url and "poolclass" not in kwargs:
            kwargs["poolclass"] = NullPool
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        # No ping before every checkout: it costs a round trip per request. A connection the
        # driver already knows is closed is swapped for a new one at checkout, for free
        # (`_closed_at_checkout`); one dropped unnoticed fails its first statement, and
        # SQLAlchemy then discards the pool's connections so the next requests reconnect.
        kwargs.setdefault("pool_pre_ping", False)
        if statement_timeout:
            settings = {"statement_timeout": str(int(statement_timeout * 1000))}
            kwargs.setdefault("connect_args", {}).setdefault("server_settings", settings)
    # Statement parameters can hold personal data (even encrypted, it is no one's business):
    # keep them out of exception messages, which reach logs.
    kwargs.setdefault("hide_parameters", True)
    # JSON columns (event payloads, audit fields, outbox headers) through orjson: a burst of
    # referrals writes a dozen of them each, and the standard library's encoder is 5x slower.
    kwargs.setdefault("json_serializer", json_text)
    engine = create_async_engine(url, echo=echo, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        event.listen(engine.sync_engine.pool, "checkout", _closed_at_checkout)
    return engine


def _closed_at_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection whose server end is gone (asyncpg notices a terminated
    backend as soon as the event loop reads the socket): the pool then connects afresh."""
    if dbapi_connection.driver_connection.is_closed():
        raise sa.exc.DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # The sqlite3 module starts transactions lazily and commits on SAVEPOINT release, which
    # would make a failed nested write half-land. Take over: no implicit transactions, and an
    # explicit BEGIN whenever SQLAlchemy begins one.
    dbapi_connection.isolation_level = None


WRITE = "imm_write"  # execution option: this connection's transactions will write


def _sqlite_begin(connection: sa.Connection) -> None:
    # A write transaction takes SQLite's write lock when it begins: a deferred transaction
    # that reads and then writes cannot wait for the lock (SQLite answers "database is locked"
    # at once, to avoid a deadlock), while BEGIN IMMEDIATE waits up to busy_timeout. So
    # concurrent writers queue instead of failing. Reads stay deferred and never block.
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    # ``info`` reaches every session: it is how writes find the app's event sink without a global.
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})


# (session, event name, row, "created" | "updated", names of the fields changed)
EventSink = Callable[..., Awaitable[None]]


class Database:
    """The engine and session factory of one running app, built once at start-up."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        event_sink: EventSink | None = None,
        plugins: Any = None,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, **engine_kwargs)
        # The same pool; on SQLite its transactions begin by taking the write lock.
        self.write_engine = self.engine.execution_options(**{WRITE: True})
        # Every core write calls the event sink inside its own transaction (see services.writes);
        # plug-in code reaches the plug-in manager through the session (pluginhost.collect).
        self.sessions = session_factory(
            self.write_engine, {"event_sink": event_sink, "plugins": plugins}
        )
        self._writer = asyncio.Lock() if is_sqlite(url) else None
        self._writer_task: asyncio.Task[Any] | None = None
        # Told the text of each statement run straight on the driver (see fetch_value), which
        # SQLAlchemy's cursor events never see: statement counts and tracing stay whole.
        self.driver_statement_observers: list[Callable[[str], None]] = []

    def attach(self, *, event_sink: EventSink | None, plugins: Any) -> None:
        """Give a database made elsewhere (tests, embedding) the app's plug-ins and events."""
        self.sessions.kw["info"] = {"event_sink": event_sink, "plugins": plugins}

    @property
    def event_sink(self) -> Any:
        return self.sessions.kw["info"].get("event_sink")

    @asynccontextmanager
    async def transaction(self, actor: Any = None) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all.

        ``actor`` (an `imm_graph.security.audit.Actor`) is who the changes are attributed to:
        the services write it into the audit log with every change.

        On SQLite the writers of this process also queue on one lock: SQLite has a single
        writer anyway, and a lock hands it over the moment it is free, where SQLite's own busy
        handler polls with growing sleeps (other processes still wait through busy_timeout).
        """
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                session.info["actor"] = actor
                yield session
            return
        if self._writer_task is not None and self._writer_task is asyncio.current_task():
            raise RuntimeError("a write transaction inside another one would wait for itself")
        async with self._writer:
            self._writer_task = asyncio.current_task()
            try:
                async with self.sessions() as session, session.begin():
                    session.info["actor"] = actor
                    yield session
            finally:
                self._writer_task = None

    async def fetch_value(self, sql: str, params: tuple[Any, ...]) -> Any:
        """Run one read straight on the driver (asyncpg) and return its one value.

        For compiled reads: one statement needs no transaction (no BEGIN and ROLLBACK round
        trips), and asyncpg prepares its text once per connection.
        """
        for observe in self.driver_statement_observers:
            observe(sql)
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            try:
                return await driver.fetchval(sql, *params)
            except Exception as exc:
                if driver.is_closed():  # what SQLAlchemy does for its own statements
                    await conn.invalidate(exc)
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
