"""``opis serve``: run the application on a port, and stop cleanly on SIGTERM.

aiohttp's runner turns SIGTERM/SIGINT into a graceful exit: the listening socket
closes, requests in flight get ``server.shutdown_timeout`` seconds, then the store
closes.

With ``server.workers`` > 1 the parent starts that many worker processes, each with its
own listening socket on the same port (SO_REUSEPORT: the kernel spreads connections),
restarts a worker that dies, and passes SIGTERM on. Workers share nothing but the
database: tokens are signed with a secret kept there, ETags are hashes of the bytes.
Only worker 0 runs the start-up re-rendering, so it is not done twice.

The port is tried before anything starts: one that cannot be listened on (in use,
privileged, not an address of this machine) is one line on standard error and exit
status 2, never a traceback, and never a restart loop of workers. "serving" is logged
only once the socket listens.

``server.header_timeout`` is aiohttp's keep-alive timer, which also closes a connection
still sending its request head when it runs out; ``server.body_timeout`` is enforced
by a middleware (``repository/ops/middleware.py``).
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from aiohttp import web

from repository.app import HANDLER_ARGS, create_app
from repository.iiif.routes import IMAGE_SERVICE
from repository.keys import RENDERER
from repository.ops.access_log import JsonAccessLogger, configure_logging
from repository.settings import Settings

log = logging.getLogger("opis")
# Exit status when the port cannot be listened on (a configuration error, as in cli.py);
# a worker exiting with it stops the whole server instead of being started again.
PORT_UNAVAILABLE = 2
_BACKLOG = 128  # aiohttp's default
# How long render processes get to stop once the server has (see end_children).
CHILDREN_GRACE_S = 10.0
# what socket.getaddrinfo gives for one address: family, type, protocol, name, address
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


def run(settings: Settings) -> None:
    problem = port_problem(settings.server.host, settings.server.port)
    if problem is not None:
        print(problem, file=sys.stderr)
        raise SystemExit(PORT_UNAVAILABLE)
    if settings.server.workers <= 1:
        _serve(settings, 0)
        return
    configure_logging(settings.server.access_log)
    context = multiprocessing.get_context("spawn")
    workers = {n: _start(context, settings, n) for n in range(settings.server.workers)}
    stopping = False
    failed = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in workers.values():
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("Opis starting %d workers on port %d", len(workers), settings.server.port)
    while not stopping:
        time.sleep(0.5)
        for n, process in list(workers.items()):
            if process.is_alive() or stopping:
                continue
            if process.exitcode == PORT_UNAVAILABLE:  # it said why; the others cannot do better
                failed = True
                stop(signal.SIGTERM, None)
                break
            log.warning("worker %d exited with %s; starting it again", n, process.exitcode)
            workers[n] = _start(context, settings, n)
    for process in workers.values():
        process.join(settings.server.shutdown_timeout + 5)
        if process.is_alive():  # stuck past its shutdown: not left behind holding the port
            process.kill()
    if failed:
        raise SystemExit(PORT_UNAVAILABLE)


def port_problem(host: str, port: int) -> str | None:
    """Why ``opis serve`` could not listen on ``host:port``, in one line; None if it can.

    Binds (without listening) every address the host names, as aiohttp will, and without
    SO_REUSEPORT, so a port another server holds is found even when that server shares
    it among its own workers.
    """
    try:
        found = _addresses(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host!r}: {exc}; choose another with --host or server.host"
    try:
        for probe in _bound(found, reuse_port=False):
            probe.close()
    except OSError as exc:
        return bind_problem(host, port, exc)
    return None


def bind_problem(host: str, port: int, exc: OSError) -> str:
    """The one line that says why ``host:port`` cannot be listened on, and what to change."""
    where = f"port {port} on {host or 'every address'}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is in use; choose another with --port or server.port"
    if exc.errno == errno.EACCES:
        return f"{where} needs privileges Opis lacks; choose another with --port or server.port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine; choose another with --host or server.host"
        )
    return f"cannot listen on {where}: {exc.strerror or exc}"


async def _start_renders(app: web.Application) -> None:
    await app[IMAGE_SERVICE].renders.start()


def _start(context: SpawnContext, settings: Settings, index: int) -> SpawnProcess:
    process = context.Process(target=_serve, args=(settings, index), name=f"opis-worker-{index}")
    process.start()
    return process


def _serve(settings: Settings, index: int) -> None:
    configure_logging(settings.server.access_log)
    try:
        sockets = _listen(settings)  # the port may have been taken since run() tried it
    except OSError as exc:
        print(bind_problem(settings.server.host, settings.server.port, exc), file=sys.stderr)
        raise SystemExit(PORT_UNAVAILABLE) from None
    app = create_app(settings, worker=index)
    # Before the first request, so that no request waits for them to start, nor shares
    # the CPU with their start-up (the fork server imports pyvips).
    app.on_startup.append(_start_renders)

    def listening(_banner: str) -> None:  # aiohttp calls this once every socket listens
        log.info(
            "Opis serving %s on http://%s:%s (public URL %s, render version %s, worker %d)",
            settings.database.url,
            settings.server.host,
            settings.server.port,
            settings.base_url,
            app[RENDERER].version,
            index,
        )

    web.run_app(
        app,
        sock=sockets,
        shutdown_timeout=settings.server.shutdown_timeout,
        keepalive_timeout=settings.server.header_timeout,
        access_log_class=JsonAccessLogger,
        print=listening,
        **HANDLER_ARGS,
    )
    end_children(CHILDREN_GRACE_S)


def end_children(grace: float) -> None:
    """Kill the child processes (the render processes) still running ``grace`` seconds
    from now. Their pool has been told to stop by then. Render processes ignore SIGTERM
    and Python's exit waits for its children, so one that missed the stop would hold the
    server up for good: seen once, a worker of ``opis serve --workers 2`` still waiting
    at exit 40 minutes on for render processes that were waiting for work."""
    deadline = time.monotonic() + grace
    for child in multiprocessing.active_children():
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            log.warning("render process %s did not stop; killing it", child.pid)
            child.kill()
            child.join(5)


def _listen(settings: Settings) -> list[socket.socket]:
    """Sockets listening on every address the host names, made before anything else
    starts, so a worker that cannot listen starts nothing."""
    sockets = _bound(
        _addresses(settings.server.host, settings.server.port),
        reuse_port=settings.server.workers > 1,  # the kernel spreads connections among them
    )
    try:
        for listener in sockets:
            listener.listen(_BACKLOG)
            listener.setblocking(False)
    except OSError:
        for listener in sockets:
            listener.close()
        raise
    return sockets


def _addresses(host: str, port: int) -> list[AddrInfo]:
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return list(dict.fromkeys(found))


def _bound(found: list[AddrInfo], *, reuse_port: bool) -> list[socket.socket]:
    """A socket bound to each address, with the options aiohttp would give it; none left
    open if one fails."""
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in found:
            bound = socket.socket(family, kind, proto)
            sockets.append(bound)
            bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                bound.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            bound.bind(address)
    except OSError:
        for bound in sockets:
            bound.close()
        raise
    return sockets
