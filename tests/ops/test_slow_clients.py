"""Slow clients over real sockets: a request body or head that trickles in is cut off
after its timeout, so a few such connections cannot keep every other client out."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from repository.keys import METRICS
from tests.conftest import wait_until
from tests.live import LiveServer, OpisProcess, make_settings

BODY_TIMEOUT = 1.0
SECRET = "s3cret-s3cret-s3cret"
TOKEN = f"editor:{SECRET}"


@dataclass
class SlowSender:
    """A raw-socket client that announces a body and then sends it ``rate`` bytes a second
    (at least a byte per ``interval``), for at most ``window`` seconds.

    It records the status line of any answer, and when the server closed the connection.
    """

    port: int
    head: bytes
    length: int
    rate: float = 5.0
    window: float = 8.0
    chunk: bytes = b"x"
    status: int | None = None
    answered_after: float | None = None
    closed_after: float | None = None
    answer: bytes = b""
    started: float = 0.0
    thread: threading.Thread = field(init=False)

    def start(self) -> SlowSender:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.started = time.monotonic()
        sent = 0
        try:
            sock.sendall(self.head)
            sock.settimeout(len(self.chunk) / self.rate)
            while time.monotonic() - self.started < self.window:
                if sent < self.length:
                    try:
                        sock.sendall(self.chunk[: self.length - sent])
                        sent += len(self.chunk)
                    except OSError:  # the server closed it
                        self._closed()
                        self._read_rest(sock)
                        return
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    self._closed()
                    return
                if not data:
                    self._closed()
                    return
                self._received(data)
                if self.status != 408:  # answered, and the connection may be kept
                    return
        finally:
            sock.close()

    def _received(self, data: bytes) -> None:
        if self.status is None:
            self.answered_after = time.monotonic() - self.started
            self.status = int(data.split(b" ", 2)[1])
        self.answer += data

    def _closed(self) -> None:
        if self.closed_after is None:
            self.closed_after = time.monotonic() - self.started

    def _read_rest(self, sock: socket.socket) -> None:
        sock.settimeout(2)
        try:
            while data := sock.recv(65536):
                self._received(data)
        except OSError:
            pass

    def join(self) -> None:
        self.thread.join(self.window + 10)


def _head(method: str, path: str, length: int, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _slow_put(port: int, n: int) -> SlowSender:
    head = _head(
        "PUT",
        f"/api/records/GARF/f.1/op.1/d.{n}",
        2000,
        Authorization=f"Bearer {SECRET}",
        Content_Type="application/json",
    )
    return SlowSender(port, head, 2000)


def _slow_oai_post(port: int, length: int = 2000, rate: float = 5.0) -> SlowSender:
    head = _head("POST", "/oai", length, Content_Type="application/x-www-form-urlencoded")
    return SlowSender(port, head, length, rate=rate, chunk=b"x" * max(1, int(rate / 10)))


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Poller:
    """GETs a URL over and over from a thread, recording (seconds from start, status)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.replies: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic() - self.started
            self.replies.append((sent, _status(self.url)))
            time.sleep(0.05)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)


def test_slow_bodies_get_408_and_free_their_places(sqlite_url, tmp_path):
    settings = make_settings(
        sqlite_url,
        tmp_path / "data",
        server={"max_concurrent_requests": 4, "body_timeout": BODY_TIMEOUT},
        auth={"tokens": [TOKEN]},
    )
    with LiveServer(settings) as server:
        port = settings.server.port
        metrics = server.app[METRICS]
        slow = [_slow_put(port, 1), _slow_put(port, 2), _slow_oai_post(port), _slow_oai_post(port)]
        for sender in slow:
            sender.start()
        # every place is taken by a body that arrives a few bytes a second
        wait_until(lambda: metrics.in_flight == 4, 5, "the slow requests to take every place")
        with Poller(server.url("/oai?verb=Identify")) as poller:
            for sender in slow:
                sender.join()
            cut_off = max(s.started + (s.answered_after or 0) for s in slow) - poller.started
            wait_until(
                lambda: sum(sent > cut_off + 0.05 for sent, _ in poller.replies) >= 5,
                10,
                "five answers to others after the slow requests were cut off",
            )
        for sender in slow:
            assert sender.status == 408, (sender.status, sender.answer[:300])
            assert BODY_TIMEOUT - 0.1 <= sender.answered_after <= BODY_TIMEOUT + 3
            assert sender.closed_after is not None, "the connection is closed after a 408"
            assert sender.closed_after <= BODY_TIMEOUT + 4
            assert b"connection: close" in sender.answer.lower()
        assert json.loads(slow[0].answer.split(b"\r\n\r\n", 1)[1])["error"] == "request timeout"
        assert b"did not arrive in time" in slow[2].answer
        # until the timeout, every place was held and others were refused; from then on,
        # with the slow clients cut off, everyone else is answered
        before = [status for sent, status in poller.replies if sent < BODY_TIMEOUT - 0.3]
        later = [status for sent, status in poller.replies if sent > cut_off + 0.05]
        assert 503 in before, poller.replies
        assert later and set(later) == {200}, poller.replies
        assert metrics.in_flight == 0
        assert _status(server.url("/healthz")) == 200


def test_a_large_body_at_a_fair_rate_is_not_cut_off(sqlite_url, tmp_path):
    """The deadline grows by a second per server.body_min_rate bytes received."""
    settings = make_settings(
        sqlite_url,
        tmp_path / "data",
        server={"body_timeout": BODY_TIMEOUT, "body_min_rate": 10_000},
    )
    with LiveServer(settings):
        port = settings.server.port
        # 2.5 s at 20 kB/s: past body_timeout, but faster than the minimum rate
        fair = _slow_oai_post(port, length=50_000, rate=20_000).start()
        # 1 kB/s: the deadline grows by 0.1 s a second, so it is cut off at about 1.1 s
        starved = _slow_oai_post(port, length=50_000, rate=1_000).start()
        fair.join()
        starved.join()
    assert fair.status == 200, fair.answer[:300]
    assert fair.answered_after > BODY_TIMEOUT + 0.5
    assert starved.status == 408
    assert starved.answered_after < BODY_TIMEOUT + 2


def _trickle_head(port: int, window: float) -> float | None:
    """Send a request head a header line at a time, 5 a second; seconds until the server
    closed the connection, or None if it was still open after ``window`` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /oai?verb=Identify HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while time.monotonic() - started < window:
            try:
                sock.sendall(b"X: y\r\n")
            except OSError:
                return time.monotonic() - started
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                try:
                    data = sock.recv(1024)
                except OSError:
                    data = b""
                if not data:
                    return time.monotonic() - started
    return None


def test_a_request_head_that_trickles_in_is_closed(sqlite_url, tmp_path):
    """server.header_timeout, in a real ``opis serve``: the connection is closed, and
    other clients are answered meanwhile."""
    settings = make_settings(sqlite_url, tmp_path / "data", server={"header_timeout": 1.5})
    with (
        OpisProcess(settings) as process,
        Poller(process.base + "/oai?verb=Identify") as poller,
    ):
        closed = _trickle_head(settings.server.port, window=15)
    assert closed is not None, "the connection is still open after 15 s"
    assert 1.4 <= closed <= 1.5 + 5, closed
    assert poller.replies and {status for _, status in poller.replies} == {200}
