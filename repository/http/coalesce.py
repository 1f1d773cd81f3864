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

        The first caller runs the work itself, in its own task: a task of its own would
        start only after everything already queued on a busy event loop, and its caller
        would resume only after a second such wait (under load, two waits of 50-100 ms
        for a first page that takes 4). Callers that arrive meanwhile await its result.
        A caller that is cancelled (its client went away) leaves the others their
        result: when it was the one running the work, the next of them runs it again.
        An exception reaches every caller.
        """
        running = self._running.get(key)
        if running is not None:
            try:
                result: T = await asyncio.shield(running)
                return result
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if running.cancelled() and task is not None and not task.cancelling():
                    return await self.run(key, work)  # the caller that ran it went away
                raise
        shared: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = shared
        try:
            result = await work()
        except asyncio.CancelledError:
            shared.cancel()
            raise
        except BaseException as exc:
            shared.set_exception(exc)
            shared.exception()  # seen here, so an error no other caller awaited is not logged
            raise
        finally:
            if self._running.get(key) is shared:
                del self._running[key]
        shared.set_result(result)
        return result

    def __len__(self) -> int:
        return len(self._running)
