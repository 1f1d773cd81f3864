"""Identical work asked for again while it runs is shared, not done again.

When many clients start at once (a harvest schedule firing for 64 harvesters, a
server just restarted), they all ask for the same first pages. Each page done once
per key, with every request that arrives meanwhile awaiting that one, keeps the
queue behind them short. What is shared is only what is running: nothing is kept
once it is done, so nothing here can go stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Coalesce:
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        """``work()``'s result, or the result of the same key's work already running.

        A caller that is cancelled (its client went away) does not cancel the work the
        others await; an exception reaches every caller.
        """
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(work())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        result: T = await asyncio.shield(running)
        return result

    def _finished(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # seen here, so an error every caller left is not logged

    def __len__(self) -> int:
        return len(self._running)
