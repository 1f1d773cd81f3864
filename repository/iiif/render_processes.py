"""Image renders in worker processes, beside the server rather than inside it.

A render is mostly libvips work, but every pyvips call holds the GIL for its Python part,
so render threads wait on each other and on the event loop. In processes they do not:
measured with ``tests/benchmarks/bench_iiif.py`` on two cores, cold thumbnails went from
0.81-0.92x IIPImage's rate with four threads to 1.02-1.09x with four processes.
A process that dies (libvips failing hard on a file) costs the renders it had, never the
server: the pool is made again for the next request.

Processes fork from a server process that has already imported this module and pyvips
(before any thread exists), so a new one costs a fork rather than an import.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import pyvips

from manifests.image_api import Plan
from repository.iiif.pyramids import LevelCache, PyramidFiles, render

_CONTEXT = multiprocessing.get_context("forkserver")
T = TypeVar("T")


class RenderFailed(RuntimeError):
    """A render that raised in its process (the message carries its traceback), or a
    process that stopped before answering."""


class RenderProcesses:
    """``workers`` processes, all started before the first render is sent to them, off the
    event loop: starting one may wait for the fork server to start (an import of pyvips,
    about a second), and the loop must not wait for that. ``opis serve`` starts them
    before it listens; elsewhere the first render does."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._starting: asyncio.Future[ProcessPoolExecutor] | None = None

    async def render(self, plan: Plan, files: PyramidFiles) -> bytes:
        return await self.run(_render, plan, files)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in one of the processes (both sent pickled)."""
        pool = self._pool
        if pool is None:
            pool = await asyncio.shield(self.start())
        try:
            return await asyncio.wrap_future(pool.submit(work, *args))
        except BrokenProcessPool as exc:
            # A broken pool ends itself: its manager sends each process left the stop
            # sentinel (they ignore the SIGTERM it sends first). The next call starts another.
            if self._pool is pool:
                self._pool = None
            raise RenderFailed("a render process stopped before it answered") from exc

    def start(self) -> asyncio.Future[ProcessPoolExecutor]:
        """The pool with every process started: one start, shared by everyone who asks
        while it runs; awaited, or left to finish in the background."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        return self._starting

    async def _start(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            return self._pool
        _CONTEXT.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(
            self.workers, mp_context=_CONTEXT, initializer=_prepare, initargs=(os.getpid(),)
        )
        try:
            # each submit starts a process while none is idle: one call each starts them all
            calls = await asyncio.to_thread(
                lambda: [pool.submit(os.getpid) for _ in range(self.workers)]
            )
            await asyncio.gather(*map(asyncio.wrap_future, calls))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            self._pool = pool
            return pool
        finally:
            self._starting = None  # started, or the next caller tries again

    def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# -- in the worker processes -----------------------------------------------------------

_opened = LevelCache()
_WATCH_SECONDS = 1.0


def _prepare(server: int) -> None:
    # The server handles Ctrl-C and SIGTERM: it finishes the requests in flight, renders
    # included, then closes the pool. A worker that took the signal sent to the whole
    # process group (a terminal's Ctrl-C, systemd's stop) would die mid-render instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A server that is killed outright closes nothing: its workers would wait for work
    # for ever (each holds both ends of the pool's queue, so never sees it close).
    threading.Thread(
        target=_end_with, args=(server,), name="opis-server-watch", daemon=True
    ).start()
    if "VIPS_CONCURRENCY" not in os.environ:
        # The processes are the parallelism: each runs its libvips pipeline alone.
        # libvips's own helper threads cost more in hand-offs than they save on a tile
        # or a thumbnail (measured: some 25% more thumbnails a second without them).
        pyvips.concurrency_set(1)
    # Rendered images are cached by the server (ByteLRU); keep libvips's own small.
    pyvips.cache_set_max_mem(32 << 20)
    pyvips.cache_set_max(50)


def _end_with(server: int) -> None:
    while True:
        time.sleep(_WATCH_SECONDS)
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            os._exit(0)


def _render(plan: Plan, files: PyramidFiles) -> bytes:
    try:
        return render(plan, files.open(_opened))
    except Exception as exc:
        # Sent back as text: a library's exception may not survive pickling, and one
        # that fails to unpickle in the server would break the whole pool.
        raise RenderFailed(f"{exc!r}\n{traceback.format_exc()}") from None
