"""Group commit: many concurrent requests, one transaction.

A webhook that must answer only once its write is durable pays a transaction (and, through the
ORM, a round trip per row) per request. When requests arrive together, `GroupCommit` lets each
caller wait for one shared write instead: callers `submit` an item and await its result; one
writer task takes everything pending (up to ``max_batch``) and hands the list to ``write``,
which returns one outcome per item, in order. While a batch is being written the next one
gathers, so batches grow with the load and a lone request waits for no timer.

The writer is optimistic: ``write`` may give an item the `FALLBACK` outcome (or raise, which
gives every item of the batch that outcome), and such items then run ``fallback``, the careful
per-item path, each in its own caller's task while the writer goes on. So a batch that cannot
be written as a whole (a duplicate, a race with another process, one bad row) costs time,
never an item: each still gets the answer the per-item path would have given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from imm_graph.logging import get_logger

__all__ = ["FALLBACK", "GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")
log = get_logger(__name__)


class _Fallback:
    def __repr__(self) -> str:
        return "FALLBACK"


FALLBACK: Any = _Fallback()


class GroupCommit(Generic[T, R]):
    """Coalesce concurrent `submit` calls into batches written by ``write``.

    ``write(items)`` returns, per item in order, its result or `FALLBACK`; ``fallback(item)``
    answers one item alone. Bound to the event loop it is first used in.
    """

    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        fallback: Callable[[T], Awaitable[R]],
        *,
        max_batch: int = 64,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write = write
        self._fallback = fallback
        self.max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # batches written (for tests and the benchmark's report)
        self.fallbacks = 0  # items answered by the per-item path

    async def submit(self, item: T) -> R:
        """The item's result once its batch is committed, or once its fallback has run (in
        the caller's own task, so items that go the careful way run side by side and the
        writer goes on with the next batch)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        outcome = await future
        if outcome is FALLBACK:
            self.fallbacks += 1
            return await self._fallback(item)
        return outcome  # type: ignore[no-any-return]

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = (self._pending[: self.max_batch],
                                    self._pending[self.max_batch:])
            await self._run(batch)

    async def _run(self, batch: list[tuple[T, asyncio.Future[Any]]]) -> None:
        items = [item for item, _ in batch]
        try:
            outcomes: Sequence[Any] = await self._write(items)
            if len(outcomes) != len(items):
                raise RuntimeError(f"write returned {len(outcomes)} outcomes for "
                                   f"{len(items)} items")
            self.batches += 1
        except Exception as exc:  # the whole batch goes the careful way instead
            log.warning("group_commit.batch_failed", size=len(items), error=type(exc).__name__)
            outcomes = [FALLBACK] * len(items)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # a caller that went away needs no answer
                future.set_result(outcome)
