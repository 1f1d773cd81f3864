"""Pieces the benchmarks share: building a store, running servers, timing HTTP."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


@dataclass
class Server:
    process: subprocess.Popen
    base: str

    def peak_memory_mb(self) -> float:
        """The process's high-water resident memory (VmHWM), children included."""
        return sum(_hwm(pid) for pid in [self.process.pid, *_children(self.process.pid)]) / 1024

    def rss_mb(self) -> float:
        return sum(_rss(pid) for pid in [self.process.pid, *_children(self.process.pid)]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(args: list[str], env: dict[str, str], probe: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=5):
                return Server(process, probe.split("/oai")[0].split("/healthz")[0])
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{args} exited with {process.returncode}") from None
            time.sleep(0.2)
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


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


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
