"""Load: 64 harvesters and 64 viewers at once, for a minute, against one ``opis serve``.

    python tests/benchmarks/bench_load.py [--seconds 60] [--harvesters 64] [--viewers 64]
                                          [--workers 1 2] [--data DIR]

Harvesters follow ListRecords (oai_dc, marc21, mods in turn) to the end and start again,
with a GetRecord now and then. Viewers do what Mirador does: fetch a manifest, its
first canvas's info.json, then tiles at two zoom levels and a thumbnail. The store
(synthetic records plus documents with 3000x4000 scans) is built once in --data.

Printed per route: requests, requests/s, p50/p99, errors (anything but 2xx/3xx, and
the deliberate 503s counted apart) and the server's resident memory sampled every five
seconds (it must stay flat). The run is repeated for each --workers value.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from repository.intake.demo import page_image  # noqa: E402
from repository.store.migrate import upgrade  # noqa: E402
from tests.benchmarks.harness import describe, start  # noqa: E402
from tests.live import free_port, make_settings, settings_environ  # noqa: E402
from tests.synthetic import write_jsonl  # noqa: E402

PUBLIC = "http://opis.bench"
TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")
DOCUMENTS = 24


def build(data: Path, records: int) -> None:
    marker = data / f"built-{records}"
    if marker.exists():
        upgrade(f"sqlite:///{data}/opis.db")  # a store kept from an older version
        return
    import pyvips

    from repository.intake.ingest import ingest_paths

    data.mkdir(parents=True, exist_ok=True)
    scan = pyvips.Image.new_from_buffer(page_image(["load"] * 40, seed=3, title="scan"), "")
    scan = scan.resize(3000 / scan.width).jpegsave_buffer(Q=85)
    paths = [str(write_jsonl(data / "records.jsonl", records))]
    for n in range(DOCUMENTS):
        folder = data / "docs" / f"doc{n:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "record.json").write_text(
            json.dumps({"reference": f"GAPPOD, f.1, op.77, d.{n}", "title": f"Scanned {n}"})
        )
        for page in range(3):
            (folder / f"{page:03d}.jpg").write_bytes(scan)
        paths.append(str(folder))
    settings = make_settings(
        f"sqlite:///{data}/opis.db", data / "store", server={"public_url": PUBLIC}
    )
    report = asyncio.run(ingest_paths(settings, paths))
    print(f"built: {report.summary()}", flush=True)
    marker.touch()


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.busy: dict[str, int] = defaultdict(int)

    async def get(self, session, route: str, url: str, **params) -> bytes | None:
        started = time.perf_counter()
        try:
            async with session.get(url, params=params or None) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            self.errors[route] += 1
            return None
        self.latency[route].append(time.perf_counter() - started)
        if status == 503:
            self.busy[route] += 1
            return None
        if status >= 400:
            self.errors[route] += 1
            return None
        return body


async def harvester(stats: Stats, session, base: str, deadline: float, rng: random.Random):
    prefixes = ["oai_dc", "marc21", "mods"]
    while time.monotonic() < deadline:
        params = {"verb": "ListRecords", "metadataPrefix": rng.choice(prefixes)}
        while time.monotonic() < deadline:
            route = "ListRecords (first)" if "metadataPrefix" in params else "ListRecords (token)"
            body = await stats.get(session, route, f"{base}/oai", **params)
            if body is None:
                await asyncio.sleep(1)
                continue
            if rng.random() < 0.1:
                found = re.search(rb"<identifier>([^<]+)</identifier>", body)
                if found:
                    await stats.get(
                        session,
                        "GetRecord",
                        f"{base}/oai",
                        verb="GetRecord",
                        metadataPrefix="oai_dc",
                        identifier=found.group(1).decode(),
                    )
            token = TOKEN.search(body)
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token.group(1).decode()}


async def viewer(stats: Stats, session, base: str, deadline: float, rng: random.Random):
    while time.monotonic() < deadline:
        n = rng.randrange(DOCUMENTS)
        body = await stats.get(
            session, "manifest", f"{base}/iiif/3/GAPPOD/f.1/op.77/d.{n}/manifest"
        )
        if body is None:
            continue
        service = json.loads(body)["items"][0]["items"][0]["items"][0]["body"]["service"][0]
        image = service["id"].replace(PUBLIC, base)
        info = await stats.get(session, "info.json", f"{image}/info.json")
        if info is None:
            continue
        doc = json.loads(info)
        width, height = doc["width"], doc["height"]
        for scale in (4, 2):
            for _ in range(3):
                size = 512 * scale
                x = rng.randrange(0, width, size)
                y = rng.randrange(0, height, size)
                w, h = min(size, width - x), min(size, height - y)
                out = f"{-(-w // scale)},{-(-h // scale)}"
                await stats.get(session, "tile", f"{image}/{x},{y},{w},{h}/{out}/0/default.jpg")
        small = doc["sizes"][0]
        await stats.get(
            session, "thumbnail", f"{image}/full/{small['width']},{small['height']}/0/default.jpg"
        )


async def run_load(base: str, args, server) -> tuple[Stats, list[tuple[float, float]]]:
    stats = Stats()
    deadline = time.monotonic() + args.seconds
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    memory: list[tuple[float, float]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def sample():
            started = time.monotonic()
            while time.monotonic() < deadline:
                memory.append((time.monotonic() - started, server.rss_mb()))
                await asyncio.sleep(5)

        tasks = [
            harvester(stats, session, base, deadline, random.Random(i))
            for i in range(args.harvesters)
        ]
        tasks += [
            viewer(stats, session, base, deadline, random.Random(1000 + i))
            for i in range(args.viewers)
        ]
        await asyncio.gather(sample(), *tasks)
    return stats, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--harvesters", type=int, default=64)
    parser.add_argument("--viewers", type=int, default=64)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--data", default="/tmp/opis-bench-load")
    args = parser.parse_args()
    data = Path(args.data)
    build(data, args.records)
    for workers in args.workers:
        port = free_port()
        settings = make_settings(
            f"sqlite:///{data}/opis.db",
            data / "store",
            port=port,
            server={"public_url": PUBLIC, "workers": workers, "max_concurrent_requests": 256},
        )
        server = start(
            ["-m", "repository", "serve"],
            settings_environ(settings),
            f"http://127.0.0.1:{port}/healthz",
        )
        try:
            stats, memory = asyncio.run(run_load(f"http://127.0.0.1:{port}", args, server))
        finally:
            server.stop()
        print(
            f"\n== {workers} worker(s), {args.harvesters} harvesters + {args.viewers} viewers, "
            f"{args.seconds:.0f} s"
        )
        total = 0
        for route, latencies in sorted(stats.latency.items()):
            total += len(latencies)
            print(
                f"{route:22s} {len(latencies):7d} req {len(latencies) / args.seconds:8.1f}/s  "
                f"{describe(latencies)}  errors {stats.errors[route]}  503 {stats.busy[route]}"
            )
        print(
            f"{'all':22s} {total:7d} req {total / args.seconds:8.1f}/s  "
            f"errors {sum(stats.errors.values())}  503 {sum(stats.busy.values())}"
        )
        print("memory MB over time: " + ", ".join(f"{t:.0f}s={m:.0f}" for t, m in memory))


if __name__ == "__main__":
    main()
