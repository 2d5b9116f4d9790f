"""Per-request state: one read connection, the request's DataLoaders, the caller.

DataLoaders live here and nowhere else: a loader shared between requests would serve one
caller's rows to another and skip the checks made while loading them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from strawberry.dataloader import DataLoader

from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.security.audit import Actor
from imm_graph.security.principal import ANONYMOUS, Principal


@dataclass
class Context:
    db: Database
    settings: Settings
    request: Request | None = None
    principal: Any = None
    _connection: AsyncConnection | None = None
    _closed: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _loaders: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """Who this request's writes and personal reads are attributed to in the audit log."""
        state = getattr(self.request, "state", None)
        request_id = getattr(state, "request_id", None) if state is not None else None
        principal = self.principal if isinstance(self.principal, Principal) else ANONYMOUS
        return Actor.of(principal, request_id)

    async def fetch(self, statement: sa.Executable) -> list[Any]:
        """Run a read on the request's connection.

        Resolvers run concurrently but a connection runs one statement at a time, so reads
        queue on a lock. All reads of a request share one transaction, so they see one
        consistent state of the data (`after_write` starts a new one).
        """
        async with self._lock:
            if self._closed:  # a read after the response would hold a connection forever
                raise RuntimeError("this request's context is closed")
            if self._connection is None:
                self._connection = await self.db.engine.connect()
            result = await self._connection.execute(statement)
            return list(result)

    async def fetch_value(self, sql: str, params: tuple[Any, ...]) -> Any:
        """One compiled read, on the driver (`Database.fetch_value`)."""
        if self._closed:
            raise RuntimeError("this request's context is closed")
        return await self.db.fetch_value(sql, params)

    def loader(
        self, key: Hashable, factory: Callable[[], DataLoader[Any, Any]]
    ) -> DataLoader[Any, Any]:
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = factory()
        return found

    async def after_write(self) -> None:
        """After a mutation, later reads must see it: no cached rows, no older snapshot."""
        for loader in self._loaders.values():
            loader.clear_all()
        async with self._lock:
            if self._connection is not None:
                await self._connection.rollback()

    async def close(self) -> None:
        self._closed = True
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):  # a broken connection is discarded by the pool
                await connection.close()  # rolls back the read-only transaction
