"""IIIF serving speed: manifests against a static file, tiles and thumbnails against IIPImage.

    python tests/benchmarks/bench_iiif.py [--seconds 8] [--clients 16] [--rounds 3]

One run builds a 6000x8000 scan, ingests a 20-page document of it into a fresh SQLite
store, starts ``opis serve`` in a child process and, beside it, a plain aiohttp app
serving the same manifest bytes as a static file. A load generator in this process
(``--clients`` concurrent keep-alive connections) then measures, printing requests/s
and p50/p99 latency for each:

* the scan's ingest (one page, a fresh store, in-process, median of 3) beside the same
  pyramid made by ``vips tiffsave`` (the CLI), and ``opis ingest`` with its start-up;
* the manifest from Opis vs the same bytes from the static app, both uncompressed
  (ratio; aim >= 0.5), and Opis with gzip for reference;
* 512 px tiles of the scan, every tile of every scale factor OpenSeadragon asks for:
  once cold (each rendered from the pyramid) and once warm (aim >= 160/s);
* thumbnails: ``full/!512,512`` (rendered, then cached), the distinct boxes ``!w,w``
  (all rendered: the cold figure) and the pre-rendered size Mirador picks from the
  service's ``sizes`` (read from disk) (aim >= 165/s);
* cold tiles and cold thumbnails, Opis beside IIPImage (Debian's ``iipimage-server``
  behind Debian's ``nginx`` over FastCGI, serving a ``vips tiffsave`` pyramid of the same
  scan): the same request list for both, each request once, neither server's cache
  warmed (Opis restarted for each round, IIPImage's cache off), ``--rounds`` rounds
  with the order swapped each round; requests/s, server CPU per request (every process
  of the server), bytes per response, and the ratios. Without ``iipsrv.fcgi`` or
  ``nginx`` the peer is skipped, saying so;
* the same tile and thumbnail renders in-process (the service's ``render()``, no HTTP),
  one thread.

The machine has two cores: the server gets one, the load generator the other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import socket
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

from manifests.image_api import parse  # noqa: E402
from repository.iiif.pyramids import DiskPyramid, LevelCache, TileIndex, render  # noqa: E402
from repository.intake.ingest import ingest_paths  # noqa: E402
from repository.records.page_images import ImageStore  # noqa: E402
from repository.settings import Images  # noqa: E402
from tests.live import descendants, free_port, make_settings, settings_environ  # noqa: E402

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
    received = 0
    position = 0
    deadline = None if seconds is None else time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal position, errors, received
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
                body = await response.read()
                received += len(body)  # not ``+= len(await ...)``: that loses updates
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
        "bytes": received,
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
    """The service's renderer, reading what the service reads (stored tiles and sizes)."""
    info = json.loads((store.folder(image_id) / "info.json").read_text())
    source = DiskPyramid(
        store.pyramid_path(image_id),
        [tuple(level) for level in info["levels"]],
        LevelCache(),
        TileIndex(),
        sizes=[tuple(size) for size in info["sizes"]],
        size_path=lambda w, h: store.size_path(image_id, w, h),
    )
    timings = []
    for path in paths:
        region, size, rotation, qf = path.split("/")
        plan = parse(image_id, region, size, rotation, qf).resolve(width, height, _limits())
        started = time.perf_counter()
        render(plan, source)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, statistics.mean(timings) * 1000


def _limits():
    from manifests.image_api import Limits

    return Limits(10_000, 10_000, 50_000_000)


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="opis-bench-iiif-"))
    try:
        await run_in(args, work)
    finally:
        if args.keep:
            print(f"kept the work folder {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


async def run_in(args: argparse.Namespace, work: Path) -> None:
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
    peer_tiff = await bench_ingest(work, folder / "scan.jpg")

    server = OpisServer(settings, work / "serve.log")
    try:
        await server.start()
        doc = await bench_manifest(args, work, f"{settings.base_url}/iiif/3/{key}/manifest")
        service = doc["items"][0]["items"][0]["items"][0]["body"]["service"][0]
        await bench_tiles(args, service["id"])
        await bench_thumbnails(args, doc, service)
    finally:
        server.stop()
    if args.keep:
        print(f"server log: {work / 'serve.log'}")
    await bench_against_iipimage(args, work, settings, service["id"], peer_tiff)
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


# -- ingest of the scan against vips tiffsave -----------------------------------------

VIPS = shutil.which("vips") or "/usr/bin/vips"
# The pyramid IIPImage serves, as its documentation says to make one.
TIFFSAVE = ["--tile", "--pyramid", "--compression", "jpeg", "--tile-width", "256"]
TIFFSAVE += ["--tile-height", "256"]


async def bench_ingest(work: Path, scan: Path) -> Path | None:
    """The scan's ingest (one page) beside ``vips tiffsave``; the last tiffsave's pyramid."""
    opis = []
    for n in range(3):
        base = work / f"ingest-{n}"
        doc = base / "doc"
        doc.mkdir(parents=True)
        os.link(scan, doc / "scan.jpg")
        record = {"reference": "GAPPOD, f.1, op.89, d.113", "title": "One scan"}
        (doc / "record.json").write_text(json.dumps({**record, "pages": [{"image": "scan.jpg"}]}))
        prime = base / "prime.json"  # the fresh store's schema is made before the clock starts
        prime.write_text(json.dumps({"reference": "GAPPOD, f.1, op.89, d.1", "title": "Prime"}))
        settings = make_settings(f"sqlite:///{base}/opis.db", base / "data")
        report = await ingest_paths(settings, [str(prime)])
        assert not report.failed, report.entries
        started = time.perf_counter()
        report = await ingest_paths(settings, [str(doc)])
        opis.append(time.perf_counter() - started)
        assert not report.failed, report.entries
    cli = work / "ingest-cli"
    (cli / "doc").mkdir(parents=True)
    os.link(scan, cli / "doc" / "scan.jpg")
    shutil.copy(work / "ingest-0" / "doc" / "record.json", cli / "doc")
    cli_settings = make_settings(f"sqlite:///{cli}/opis.db", cli / "data")
    environ = {**os.environ, **settings_environ(cli_settings)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "repository", "--help"], env=environ, **QUIET)
    start_up = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "repository", "ingest", str(cli / "doc")], env=environ, **QUIET
    )
    whole = time.perf_counter() - started
    median = statistics.median(opis)
    print(f"{'ingest of the scan (1 page, in-process, median)':<52} {median:6.2f} s")
    if not Path(VIPS).exists():
        print(f"vips (the CLI) is not installed: no tiffsave to compare with ({VIPS})")
        return None
    out = work / "iipimage" / "scan.tif"
    out.parent.mkdir()
    vips = []
    for _ in range(3):
        out.unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run([VIPS, "tiffsave", str(scan), str(out), *TIFFSAVE], **QUIET)
        vips.append(time.perf_counter() - started)
    print(f"{'vips tiffsave of the same JPEG (CLI, median)':<52} {statistics.median(vips):6.2f} s")
    print(
        f"{'ratio Opis / vips tiffsave':<52} {median / statistics.median(vips):6.2f}"
        "    (aim <= 1.50)"
    )
    print(
        f"{'opis ingest of the scan, CLI (for reference)':<52} {whole:6.2f} s"
        f"  (of which start-up: {start_up:.2f} s, `opis --help`)"
    )
    return out


QUIET: dict = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


# -- cold tiles and thumbnails against IIPImage ---------------------------------------

IIPSRV = Path("/usr/lib/iipimage-server/iipsrv.fcgi")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/body;
  fastcgi_temp_path {work}/fastcgi;
  proxy_temp_path {work}/proxy;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /fcgi-bin/iipsrv.fcgi {{
      fastcgi_pass 127.0.0.1:{fcgi_port};
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param SERVER_NAME $host;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
    }}
  }}
}}
"""


def peer_missing() -> str | None:
    """Why IIPImage cannot be run here, or None."""
    if not IIPSRV.exists():
        return f"iipimage-server is not installed (no {IIPSRV})"
    if not Path(NGINX).exists():
        return "nginx is not installed"
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and every live process below them, in seconds."""
    ticks = 0
    for pid in {*pids, *(child for parent in pids for child in descendants(parent))}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


class OpisServer:
    """``opis serve`` in a child process; a new one starts with every cache empty."""

    def __init__(self, settings, log: Path) -> None:
        self.settings = settings
        self.log_path = log
        self.process: subprocess.Popen | None = None

    async def start(self) -> str:
        log = open(self.log_path, "a")  # noqa: SIM115 - a pipe nobody reads would fill up
        self.process = subprocess.Popen(
            [sys.executable, "-m", "repository", "serve"],
            env={**os.environ, **settings_environ(self.settings)},
            stdout=log,
            stderr=log,
        )
        log.close()
        await _wait(f"{self.settings.base_url}/healthz")
        return self.settings.base_url

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process else []

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


class IIPImage:
    """``iipsrv.fcgi`` processes on one FastCGI socket (handed over as their standard input,
    as spawn-fcgi does), behind one nginx process; both stop with ``stop``."""

    def __init__(self, work: Path, images: Path, processes: int) -> None:
        self.work = work
        self.images = images
        self.processes = processes
        self.children: list[subprocess.Popen] = []

    async def start(self) -> str:
        self.work.mkdir(parents=True, exist_ok=True)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        environ = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "FILESYSTEM_PREFIX": f"{self.images}/",
            "MAX_IMAGE_CACHE_SIZE": "0",  # its tile cache off: every request is rendered
            "VERBOSITY": "0",
            "OMP_NUM_THREADS": "1",  # one thread a process, like Opis's render processes
        }
        log = open(self.work / "iipsrv.log", "a")  # noqa: SIM115
        try:
            for _ in range(self.processes):
                self.children.append(
                    subprocess.Popen(
                        [str(IIPSRV)], stdin=listener.fileno(), stdout=log, stderr=log, env=environ
                    )
                )
            port = free_port()
            conf = self.work / "nginx.conf"
            fcgi_port = listener.getsockname()[1]
            conf.write_text(NGINX_CONF.format(work=self.work, port=port, fcgi_port=fcgi_port))
            self.children.append(
                subprocess.Popen(
                    [
                        NGINX,
                        "-p",
                        str(self.work),
                        "-e",
                        str(self.work / "nginx-error.log"),
                        "-c",
                        str(conf),
                    ],
                    stdout=log,
                    stderr=log,
                )
            )
        finally:
            listener.close()
            log.close()
        base = f"http://127.0.0.1:{port}/fcgi-bin/iipsrv.fcgi?IIIF="
        await _wait(f"{base}scan.tif/info.json")
        return base + "scan.tif"

    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children = []


def thumbnail_paths() -> list[str]:
    return [f"full/!{w},{w}/0/default.jpg" for w in range(400, 560)]


async def cold(server, base: str, paths: list[str], clients: int) -> dict:
    """Each path once against a server; with the server's CPU time and bytes per response."""
    before = cpu_seconds(server.pids())
    result = await load([f"{base}/{path}" for path in paths], clients, once=True)
    result["cpu_ms"] = 1000 * (cpu_seconds(server.pids()) - before) / result["requests"]
    result["kb"] = result["bytes"] / result["requests"] / 1024
    return result


async def same_sizes(opis: str, peer: str, paths: list[str]) -> list[str]:
    """The paths whose answers differ in pixel size between the servers (should be none)."""
    differ = []
    async with aiohttp.ClientSession() as session:
        for path in paths:
            sizes = []
            for base in (opis, peer):
                async with session.get(f"{base}/{path}") as response:
                    image = pyvips.Image.new_from_buffer(await response.read(), "")
                    sizes.append((image.width, image.height))
            if sizes[0] != sizes[1]:
                differ.append(f"{path}: Opis {sizes[0]}, IIPImage {sizes[1]}")
    return differ


async def bench_against_iipimage(
    args: argparse.Namespace, work: Path, settings, service_id: str, tiff: Path | None
) -> None:
    missing = peer_missing() or (None if tiff else "no vips tiffsave pyramid to serve")
    if missing:
        print(f"IIPImage skipped: {missing}")
        return
    lists = {
        "tiles": tile_paths(*SCAN, 512),
        "thumbnails !w,w": thumbnail_paths(),
    }
    opis = OpisServer(settings, work / "serve.log")
    peer = IIPImage(work / "iipimage-run", tiff.parent, args.peer_processes)
    results: dict[tuple[str, str], list[dict]] = {}
    print(
        f"cold, Opis beside IIPImage ({args.peer_processes} iipsrv processes, its cache off,"
        f" behind nginx; JPEG quality its default), {args.rounds} round(s), each request once"
        " a round:"
    )
    for round_ in range(args.rounds):
        try:
            await opis.start()
            bases = {"Opis": service_id, "IIPImage": await peer.start()}
            servers = {"Opis": opis, "IIPImage": peer}
            order = ["Opis", "IIPImage"] if round_ % 2 == 0 else ["IIPImage", "Opis"]
            # open the image on both first (a request in neither list)
            for name in order:
                await load([f"{bases[name]}/0,0,256,256/256,/0/default.jpg"], 1, once=True)
            for kind, paths in lists.items():
                for name in order:
                    result = await cold(servers[name], bases[name], paths, args.clients)
                    results.setdefault((kind, name), []).append(result)
            if round_ == 0:
                sample = lists["tiles"][::37] + lists["thumbnails !w,w"][::41]
                for problem in await same_sizes(bases["Opis"], bases["IIPImage"], sample):
                    print(f"  size differs: {problem}")
        finally:
            opis.stop()
            peer.stop()
    for kind in lists:
        mine, theirs = results[(kind, "Opis")], results[(kind, "IIPImage")]
        for name, runs in (("Opis", mine), ("IIPImage", theirs)):
            print(
                f"  {kind + ' cold, ' + name:<34} {_total_rate(runs):7.1f} req/s"
                f"  CPU {statistics.median(r['cpu_ms'] for r in runs):5.2f} ms/req"
                f"  {statistics.median(r['kb'] for r in runs):5.1f} KB/resp"
                f"  p50 {statistics.median(r['p50_ms'] for r in runs):6.1f} ms"
                f"  ({sum(r['requests'] for r in runs)} requests,"
                f" {sum(r['errors'] for r in runs)} errors)"
            )
        per_round = [a["rate"] / b["rate"] for a, b in zip(mine, theirs, strict=True)]
        ratio = _total_rate(mine) / _total_rate(theirs)
        print(
            f"  {kind + ' cold, Opis / IIPImage':<34} {ratio:7.2f}"
            f"  (rounds {' '.join(f'{r:.2f}' for r in per_round)}; aim >= 1.00)"
            f"  CPU {_median(mine, 'cpu_ms') / _median(theirs, 'cpu_ms'):.2f}"
            f"  bytes {_median(mine, 'kb') / _median(theirs, 'kb'):.2f}"
        )


def _total_rate(runs: list[dict]) -> float:
    return sum(r["requests"] for r in runs) / sum(r["requests"] / r["rate"] for r in runs)


def _median(runs: list[dict], field: str) -> float:
    return statistics.median(r[field] for r in runs)


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
    parser.add_argument("--rounds", type=int, default=3, help="cold rounds against IIPImage")
    parser.add_argument(
        "--peer-processes",
        type=int,
        default=Images().workers,
        help="iipsrv processes (default: as many as Opis's render processes)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
