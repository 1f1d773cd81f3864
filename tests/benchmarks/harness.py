"""Pieces the benchmarks share: building a store, running servers, timing HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.live import descendants  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def floor_rate(source: Path, folder: Path) -> float:
    """The floor for ingest: ``json.loads`` of each line of ``source`` and an SQLite insert,
    500 rows a transaction, in a new database in ``folder``; records a second."""
    db = sqlite3.connect(folder / "floor.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT UNIQUE, data TEXT)")
    started = time.perf_counter()
    batch = []
    count = 0
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            batch.append((item["reference"] + item["source"]["id"], json.dumps(item)))
            if len(batch) == 500:
                with db:
                    db.executemany("INSERT INTO t (key, data) VALUES (?, ?)", batch)
                count += len(batch)
                batch = []
    with db:
        db.executemany("INSERT INTO t (key, data) VALUES (?, ?)", batch)
    count += len(batch)
    elapsed = time.perf_counter() - started
    db.close()
    return count / elapsed


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    def peak_memory_mb(self) -> float:
        """The process's high-water resident memory (VmHWM), every process below it
        included (render processes too; pages they share are counted in each)."""
        return sum(_hwm(pid) for pid in [self.process.pid, *descendants(self.process.pid)]) / 1024

    def rss_mb(self) -> float:
        return sum(_rss(pid) for pid in [self.process.pid, *descendants(self.process.pid)]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(
    args: list[str],
    env: dict[str, str],
    probe: str,
    *,
    wrapper: Sequence[str] = (),
    timeout: float = 120,
) -> Server:
    """``python ARGS`` (run by ``wrapper``, e.g. valgrind, when given), once ``probe``
    answers."""
    process = subprocess.Popen(
        [*wrapper, sys.executable, *args],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=5):
                return Server(process, probe.split("/oai")[0].split("/healthz")[0])
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{args} exited with {process.returncode}") from None
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise TimeoutError(f"{args} did not start")


def _status(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _hwm(pid: int) -> float:
    return _status(pid, "VmHWM")


def _rss(pid: int) -> float:
    return _status(pid, "VmRSS")


async def closed_loop(fetch, clients: int, seconds: float) -> tuple[int, list[float], int]:
    """``clients`` concurrent loops calling ``fetch()``; (requests, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def one() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await fetch()
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one() for _ in range(clients)))
    return len(latencies), latencies, errors


def describe(latencies: list[float]) -> str:
    if not latencies:
        return "no requests"
    return (
        f"p50 {statistics.median(latencies) * 1000:6.2f} ms  "
        f"p99 {percentile(latencies, 99) * 1000:6.2f} ms"
    )


WRK_SCRIPT = """
local paths, wanted = {}, %(wanted)s
bad = 0  -- a global: done() reads it from each thread
for line in io.lines(%(paths)s) do paths[#paths + 1] = line end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function init() math.randomseed(os.time() + math.random(1000)) end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, wanted, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  for _, thread in ipairs(threads) do errors = errors + thread:get("bad") end
  io.write(string.format("OPIS %%d %%d %%f %%f\\n", summary.requests, errors,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int

    def __str__(self) -> str:
        return (
            f"{self.rate:7.0f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms"
            f"  errors {self.errors}"
        )


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk(base: str, paths: list[str], wanted: str, clients: int, seconds: int) -> Load:
    """``clients`` connections asking for random ``paths`` as fast as the server answers.

    wrk is a C load generator: one Python client process would saturate long before a
    fast server does (both servers then measure the client, not themselves). Responses
    are uncompressed, so that each is checked: one that is not a 200 containing
    ``wanted`` counts as an error.
    """
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "load.lua"
        script.write_text(
            WRK_SCRIPT % {"paths": json.dumps(str(listing)), "wanted": json.dumps(wanted)}
        )
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{seconds}s",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("OPIS "))
    requests, errors, p50, p99 = line.split()[1:]
    return Load(int(requests) / seconds, float(p50) / 1000, float(p99) / 1000, int(errors))
