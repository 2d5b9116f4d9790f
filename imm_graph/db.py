"""Engine, session factory and the declarative base shared by the core and the plug-ins.

One engine per process and URL: the app is stateless and PostgreSQL (or the SQLite file) is the
one source of truth, so several workers can share a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

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


def create_engine(url: str, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        # A file database is shared between connections; NullPool avoids holding SQLite locks
        # across requests. In-memory databases must keep their one connection instead.
        if ":memory:" not in url and "poolclass" not in kwargs:
            kwargs["poolclass"] = NullPool
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_pre_ping", True)
    # Statement parameters can hold personal data (even encrypted, it is no one's business):
    # keep them out of exception messages, which reach logs.
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(url, echo=echo, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


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


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    # ``info`` reaches every session: it is how writes find the app's event sink without a global.
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})


EventSink = Callable[[AsyncSession, str, Any], Awaitable[None]]


class Database:
    """The engine and session factory of one running app, built once at start-up."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        event_sink: EventSink | None = None,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, **engine_kwargs)
        # Every core write calls the event sink inside its own transaction (see services.writes).
        self.sessions = session_factory(self.engine, {"event_sink": event_sink})

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
