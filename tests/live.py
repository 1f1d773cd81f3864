"""A real Opis on a real port, for tests that speak HTTP like clients do.

``LiveServer`` runs the application in a thread with its own event loop, so
synchronous clients (Sickle, the ``oaipmh`` client, urllib) can be used from the test.
``OpisProcess`` runs ``opis serve`` as a separate process, for tests that kill it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Self

from aiohttp import web

from repository.app import HANDLER_ARGS, create_app
from repository.intake.ingest import ingest_paths
from repository.records.report import Report
from repository.settings import SECTIONS, Settings, load
from tests.conftest import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(
    database_url: str, data_dir: Path, port: int | None = None, **sections
) -> Settings:
    """Settings for a test instance: its own database, data folder and port."""
    port = port or free_port()
    settings = load(environ={})
    settings = replace(
        settings,
        database=replace(settings.database, url=database_url),
        server=replace(
            settings.server, port=port, public_url=f"http://127.0.0.1:{port}", access_log=False
        ),
        storage=replace(settings.storage, data_dir=str(data_dir)),
    )
    for name, values in sections.items():
        settings = replace(settings, **{name: replace(getattr(settings, name), **values)})
    return settings


def ingest(settings: Settings, paths: Iterable[str | Path]) -> Report:
    return asyncio.run(ingest_paths(settings, [str(p) for p in paths]))


def numbered_records(path: Path, n: int) -> Path:
    """A JSON Lines file of ``n`` small records cited RGANI f.5 op.30 d.0 ... d.n-1."""
    path.write_text(
        "\n".join(
            json.dumps({"reference": f"RGANI, f. 5, op. 30, d. {i}", "title": f"R {i}"})
            for i in range(n)
        )
    )
    return path


class BackgroundLoop:
    """An event loop in a thread of its own, running ``_start`` on entry and ``_stop`` on exit,
    so a test can talk to a server over real HTTP from ordinary blocking code."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError


class LiveServer(BackgroundLoop):
    def __init__(self, settings: Settings, routes: list | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.routes = routes or []
        self.base = settings.base_url
        self._runner: web.AppRunner | None = None

    async def _start(self) -> None:
        self.app = create_app(self.settings)
        for method, path, handler in self.routes:
            self.app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(self.app, access_log=None, **HANDLER_ARGS)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.settings.server.port).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def call(self, coroutine):
        """Run a coroutine on the server's loop (e.g. to touch its store)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def url(self, path: str) -> str:
        """A URL on this server's own port (``base`` may be a public URL in front of it)."""
        return f"http://127.0.0.1:{self.settings.server.port}{path}"


class OpisProcess:
    """``opis serve`` in its own process, configured through the environment."""

    def __init__(self, settings: Settings, *args: str, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.base = f"http://127.0.0.1:{settings.server.port}"  # where it listens
        self.args = args
        self.env = {**os.environ, **settings_environ(settings), **(env or {})}
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(prefix="opis-serve-", suffix=".log")  # noqa: SIM115 (lives as long as the process)

    def log(self) -> str:
        """What the server wrote to standard error (a file, so it can never block it)."""
        return Path(self.log_file.name).read_text(errors="replace")

    def start(self, timeout: float = 30) -> OpisProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "repository", "serve", *self.args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
            start_new_session=True,
        )
        wait_until(self._healthy, timeout, "opis serve to answer /healthz", interval=0.05)
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"opis serve exited: {self.log()[-3000:]}")
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False  # not listening yet

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            return self.process.wait(30)
        return self.process.returncode if self.process else 0

    def __enter__(self) -> OpisProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, read from each of its threads' children: a child
    started from a thread other than the main one (a fork server, say) is listed only
    under that thread."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(x) for x in handle.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def settings_environ(settings: Settings) -> dict[str, str]:
    """The OPIS_* variables that reproduce these settings in another process."""
    from dataclasses import asdict

    env = {}
    if settings.archives:  # [[archives]] only come from a settings file
        env["OPIS_CONFIG"] = settings.archives_origin
    for section, values in asdict(settings).items():
        if section not in SECTIONS:
            continue
        for key, value in values.items():
            if isinstance(value, list):
                value = ",".join(value)
            elif isinstance(value, dict):
                value = ",".join(f"{k}={v}" for k, v in value.items())
            env[f"OPIS_{section}_{key}".upper()] = str(value)
    return env


class Site:
    """A small aiohttp application of a test's own (another origin), in a thread."""

    def __init__(self, routes: list[tuple[str, str, object]]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.routes = routes
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _start(self) -> None:
        app = web.Application()
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> Site:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
