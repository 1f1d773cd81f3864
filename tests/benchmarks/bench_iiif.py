"""IIIF serving speed: manifests against a static file, tiles and thumbnails against pyvips.

    python tests/benchmarks/bench_iiif.py [--seconds 8] [--clients 16]

One run builds a 6000x8000 scan, ingests a 20-page document of it into a fresh SQLite
store, starts ``opis serve`` in a child process and, beside it, a plain aiohttp app
serving the same manifest bytes as a static file. A load generator in this process
(``--clients`` concurrent keep-alive connections) then measures, printing requests/s
and p50/p99 latency for each:

* the manifest from Opis vs the same bytes from the static app, both uncompressed
  (ratio; aim >= 0.5), and Opis with gzip for reference;
* 512 px tiles of the scan, every tile of every scale factor OpenSeadragon asks for:
  once cold (each rendered from the pyramid) and once warm (aim >= 160/s);
* thumbnails: ``full/!512,512`` (rendered, then cached), the distinct boxes ``!w,w``
  (all rendered: the cold figure) and the pre-rendered size Mirador picks from the
  service's ``sizes`` (read from disk) (aim >= 165/s);
* the same tile and thumbnail renders in-process (``render()``, no HTTP), one thread.

The machine has two cores: the server gets one, the load generator the other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import pyvips  # noqa: E402

from manifests.image_api import parse, render  # noqa: E402
from repository.iiif.pyramids import DiskPyramid, LevelCache  # noqa: E402
from repository.intake.ingest import ingest_paths  # noqa: E402
from repository.records.page_images import ImageStore  # noqa: E402
from tests.live import free_port, make_settings, settings_environ  # noqa: E402

SCAN = (6000, 8000)
PAGES = 20

STATIC_APP = """
import sys
from aiohttp import web
app = web.Application()
app.router.add_static("/", sys.argv[1])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=None, print=None)
"""


def make_scan(path: Path) -> None:
    """A paper-toned 6000x8000 JPEG with texture and text lines (compresses like a scan)."""
    width, height = SCAN
    noise = pyvips.Image.gaussnoise(width // 8, height // 8, sigma=10, mean=0, seed=7)
    paper = noise.resize(8, kernel="linear").linear([1, 1, 1], [236, 226, 204]).cast("uchar")
    ink = pyvips.Image.black(width, height)
    for row in range(120):
        y = 500 + row * 58
        length = 4400 - (row * 733) % 1500
        ink = ink.draw_rect(255, 700, y, length, 9, fill=True)
    shade = ink.new_from_image([40, 36, 48]).bandjoin(ink).copy(interpretation="srgb")
    page = paper.composite2(shade, "over").flatten().cast("uchar")
    page.jpegsave(str(path), Q=85)


def tile_paths(width: int, height: int, tile: int) -> list[str]:
    """Every tile OpenSeadragon requests for a level-2 service, in canonical form."""
    out = []
    factor = 1
    while True:
        step = tile * factor
        for y in range(0, height, step):
            for x in range(0, width, step):
                w, h = min(step, width - x), min(step, height - y)
                size = (math.ceil(w / factor), math.ceil(h / factor))
                region = "full" if (x, y, w, h) == (0, 0, width, height) else f"{x},{y},{w},{h}"
                size_text = "max" if factor == 1 else f"{size[0]},{size[1]}"
                out.append(f"{region}/{size_text}/0/default.jpg")
        if step >= max(width, height):
            return out
        factor *= 2


IDENTITY = {"Accept-Encoding": "identity"}


async def load(
    urls: list[str],
    clients: int,
    *,
    seconds: float | None = None,
    once: bool = False,
    headers: dict[str, str] | None = None,
) -> dict:
    """Requests from ``clients`` workers: each URL once (``once``), or round-robin for a time."""
    latencies: list[float] = []
    errors = 0
    position = 0
    deadline = None if seconds is None else time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal position, errors
        while True:
            if once:
                if position >= len(urls):
                    return
            elif time.perf_counter() >= deadline:
                return
            url = urls[position % len(urls)]
            position += 1
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(
        connector=connector, auto_decompress=False, headers=headers or IDENTITY
    ) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rate": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def show(name: str, result: dict, aim: str = "") -> None:
    print(
        f"{name:<44} {result['rate']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
        f"p99 {result['p99_ms']:7.2f} ms  ({result['requests']} requests, "
        f"{result['errors']} errors){'  ' + aim if aim else ''}"
    )


def in_process(store: ImageStore, image_id: str, paths: list[str], width: int, height: int):
    source = DiskPyramid(store.pyramid_path(image_id), _levels(store, image_id), LevelCache())
    timings = []
    for path in paths:
        region, size, rotation, qf = path.split("/")
        plan = parse(image_id, region, size, rotation, qf).resolve(width, height, _limits())
        started = time.perf_counter()
        render(plan, source)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, statistics.mean(timings) * 1000


def _levels(store: ImageStore, image_id: str) -> list[tuple[int, int]]:
    info = json.loads((store.folder(image_id) / "info.json").read_text())
    return [tuple(level) for level in info["levels"]]


def _limits():
    from manifests.image_api import Limits

    return Limits(10_000, 10_000, 50_000_000)


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="opis-bench-iiif-"))
    folder = work / "doc"
    folder.mkdir()
    print(f"work folder {work}")
    started = time.perf_counter()
    make_scan(folder / "scan.jpg")
    pages = [{"image": "scan.jpg", "label": f"л. {n}"} for n in range(1, PAGES + 1)]
    record = {
        "reference": "GAPPOD, f.1, op.89, d.112",
        "title": "Benchmark scan, 6000x8000",
        "date": "1946-04-20",
        "pages": pages,
    }
    (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False))
    settings = make_settings(f"sqlite:///{work}/opis.db", work / "data")
    report = await ingest_paths(settings, [str(folder)])
    assert not report.failed, report.entries
    key = report.entries[0].key
    print(f"scan generated and ingested in {time.perf_counter() - started:.1f} s")

    log = open(work / "serve.log", "w")  # noqa: SIM115 - a pipe nobody reads would fill up
    server = subprocess.Popen(
        [sys.executable, "-m", "repository", "serve"],
        env={**os.environ, **settings_environ(settings)},
        stdout=log,
        stderr=log,
    )
    try:
        await _wait(f"{settings.base_url}/healthz")
        doc = await bench_manifest(args, work, f"{settings.base_url}/iiif/3/{key}/manifest")
        service = doc["items"][0]["items"][0]["items"][0]["body"]["service"][0]
        await bench_tiles(args, service["id"])
        await bench_thumbnails(args, doc, service)
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    print(f"server log: {work / 'serve.log'}")
    bench_in_process(ImageStore(settings), service["id"].rsplit("/", 1)[1])


async def bench_manifest(args: argparse.Namespace, work: Path, url: str) -> dict:
    """The stored manifest from Opis against the same bytes as a plain static file."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.read()
    static_dir = work / "static"
    static_dir.mkdir()
    (static_dir / "manifest.json").write_bytes(body)
    port = free_port()
    static = subprocess.Popen(
        [sys.executable, "-c", STATIC_APP, str(static_dir), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        static_url = f"http://127.0.0.1:{port}/manifest.json"
        await _wait(static_url)
        print(f"manifest: {len(body)} bytes, {PAGES} canvases")
        await load([url], args.clients, seconds=1)  # warm-up
        opis = await load([url], args.clients, seconds=args.seconds)
        plain = await load([static_url], args.clients, seconds=args.seconds)
        zipped = await load(
            [url], args.clients, seconds=args.seconds, headers={"Accept-Encoding": "gzip"}
        )
    finally:
        static.terminate()
        static.wait(10)
    show("manifest, Opis", opis)
    show("manifest, static file (plain aiohttp)", plain)
    show("manifest, Opis, gzip (for reference)", zipped)
    print(f"{'ratio Opis / static':<44} {opis['rate'] / plain['rate']:8.2f}  (aim >= 0.50)")
    return json.loads(body)


async def bench_tiles(args: argparse.Namespace, service_id: str) -> None:
    urls = [f"{service_id}/{path}" for path in tile_paths(*SCAN, 512)]
    cold = await load(urls, args.clients, once=True)
    show(f"tiles cold ({len(urls)} distinct, rendered)", cold, "(aim >= 160/s)")
    warm = await load(urls, args.clients, seconds=args.seconds)
    show("tiles warm (the same tiles again, cached)", warm, "(aim >= 160/s)")


async def bench_thumbnails(args: argparse.Namespace, doc: dict, service: dict) -> None:
    sizes = [(s["width"], s["height"]) for s in service["sizes"]]
    box = parse("-", "full", "!512,512", "0", "default.jpg").resolve(*SCAN, _limits())
    print(
        f"!512,512 is {box.size[0]}x{box.size[1]}; pre-rendered sizes {sizes}: "
        f"{'pre-rendered' if box.size in sizes else 'NOT pre-rendered'}"
    )
    sid = service["id"]
    boxes = [f"{sid}/full/!{w},{w}/0/default.jpg" for w in range(400, 560)]
    cold = await load(boxes, args.clients, once=True)
    show("thumbnails !w,w cold (160 distinct, rendered)", cold, "(aim >= 165/s)")
    one = await load([f"{sid}/full/!512,512/0/default.jpg"], args.clients, seconds=args.seconds)
    show("thumbnail !512,512 (rendered once, cached)", one, "(aim >= 165/s)")
    chosen = doc["thumbnail"][0]["id"]
    label = chosen.split("/full/")[1].split("/")[0]
    disk = await load([chosen], args.clients, seconds=args.seconds)
    show(f"manifest thumbnail {label} (pre-rendered)", disk, "(aim >= 165/s)")
    # Mirador picks the smallest listed size covering a 120x120 box (its ThumbnailFactory)
    picked = min((s for s in sizes if s[0] * s[1] >= 120 * 120), key=lambda s: s[0] * s[1])
    small = [f"{sid}/full/{w},{h}/0/default.jpg" for w, h in sizes if w * h < 2_000_000]
    every = await load(small, args.clients, seconds=args.seconds)
    show(f"{len(small)} pre-rendered sizes (Mirador: {picked[0]},{picked[1]})", every)


def bench_in_process(store: ImageStore, image_id: str) -> None:
    tiles = tile_paths(*SCAN, 512)
    sample = tiles[:: max(1, len(tiles) // 40)]
    median, mean = in_process(store, image_id, sample, *SCAN)
    print(
        f"{'in-process render(), 512 px tile':<44} median {median:6.2f} ms  mean {mean:6.2f} ms"
        f"  -> {1000 / mean:6.1f} tiles/s on one thread"
    )
    thumbs = ["full/!512,512/0/default.jpg"] * 20
    median, mean = in_process(store, image_id, thumbs, *SCAN)
    print(
        f"{'in-process render(), full/!512,512':<44} median {median:6.2f} ms  mean {mean:6.2f} ms"
        f"  -> {1000 / mean:6.1f} thumbnails/s on one thread"
    )


async def _wait(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
