"""OAI-PMH harvest performance, against the baseline a user would otherwise pick.

    python tests/benchmarks/bench_harvest.py [--records 100000 | --million] [--data DIR]
                                             [--db URL] [--workers N]

(with --db, the PostgreSQL database must exist: createdb opis_bench)

Builds a store of synthetic records with the real ingest (kept in --data to reuse;
beyond 100,000 records, in runs of 100,000, each beside the json+sqlite floor of its own
file, and the whole build beside the first run), starts ``opis serve`` and measures,
with one harvester
following resumption tokens as Sickle or the oaipmh client do:

* a full ListRecords oai_dc harvest at 100 records per page, in records/s, and four
  such harvests at once (total records/s);
* the latency of the first and of the last page (each fetched 5 times, best kept);
* GetRecord throughput and p50/p99 latency with 16 concurrent clients, for 20,000
  identifiers drawn from the whole store, driven by wrk when it is installed
  (``apt-get install wrk``; one Python client saturates before either server does),
  and the share of those answered whole from the server's memo (from /metrics);
* the server's peak resident memory;
* the store's size on disk (on SQLite every file of it, the log included, while the
  server runs; on PostgreSQL ``pg_database_size``), per record and beside the input's;
* the floor for GetRecord: a bare aiohttp app (tests/benchmarks/floor.py) answering the
  same GetRecord document from memory, under the same wrk load, and the ratio; beside
  it, GetRecord over 1,000 identifiers, whose answers all stay in memory, so the part
  of a GetRecord's cost that is the store's read shows apart.

In the same run it measures the ``oaipmh`` package's own BatchingServer over the same
SQLite data (tests/benchmarks/pyoai_baseline.py) and prints the ratios (up to 100,000
records: beyond, its offset paging makes each harvest take hours). With
--db postgresql://... the store is PostgreSQL (the baseline then is skipped: it reads
SQLite); --workers N serves Opis from N processes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import re
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from repository.store.migrate import upgrade  # noqa: E402
from tests.benchmarks.harness import (  # noqa: E402
    Load,
    closed_loop,
    floor_rate,
    percentile,
    start,
    wrk,
    wrk_available,
)
from tests.live import free_port, make_settings, settings_environ  # noqa: E402
from tests.synthetic import write_jsonl  # noqa: E402

# Build and serve with one public URL, or the server would re-render everything at start.
PUBLIC = "http://opis.bench"
# GetRecord over this many identifiers: few enough for every answer to stay in memory
# (the store's memo), so the load measures the path around the store's read.
HELD = 1_000
TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")
RECORD = re.compile(rb"<record>")


CHUNK = 100_000


def build(url: str, data: Path, count: int) -> None:
    """Ingest ``count`` records, in runs of ``CHUNK`` when there are more.

    Each run is one ``opis ingest`` of its own file, as nightly batches would be, and
    prints its rate beside the json+sqlite floor of the same file, measured right after
    it: this machine's speed moves by half from one hour to the next, so how ingest holds
    up as the store grows is the whole build's ratio to its floors beside the first
    run's (the same work into an empty store), in the same run.
    """
    import asyncio as aio

    from repository.intake.ingest import ingest_paths

    marker = data / f"built-{count}"
    if marker.exists():
        upgrade(url)  # a store kept from an older version
        return
    (data / "store").mkdir(parents=True, exist_ok=True)
    source = write_jsonl(data / "records.jsonl", count)
    settings = make_settings(url, data / "store", server={"public_url": PUBLIC})
    upgrade(url)  # the schema, so that the first run's time is its records' alone
    runs: list[tuple[int, float]] = []  # (records written, seconds) of each run
    floors: list[tuple[int, float]] = []  # (records, seconds) of the floor on each run's file
    for part in _chunks(source, CHUNK) if count > CHUNK else [source]:
        started = time.perf_counter()
        report = aio.run(ingest_paths(settings, [str(part)]))
        runs.append((report.written, time.perf_counter() - started))
        with tempfile.TemporaryDirectory() as tmp:
            floor = floor_rate(part, Path(tmp))
        floors.append((report.written, report.written / floor))
        took, rate = runs[-1][1], _rate(runs[-1:])
        print(
            f"built {report.summary()} in {took:.0f} s: {rate:,.0f} records/s, "
            f"x{rate / floor:.3f} the floor ({floor:,.0f})",
            flush=True,
        )
        if part != source:
            part.unlink()
    if len(runs) > 1:
        first = _rate(runs[:1])
        whole = _rate(runs) / _rate(floors)
        print(
            f"ingest   {sum(n for n, _ in runs):,} records in {sum(t for _, t in runs):.0f} s: "
            f"{_rate(runs):,.0f} records/s, x{_rate(runs) / first:.2f} the first run's rate "
            f"({first:,.0f}); the last run: x{_rate(runs[-1:]) / first:.2f}; beside the "
            f"floors: x{whole / (first / _rate(floors[:1])):.2f} the first run's ratio",
            flush=True,
        )
    marker.touch()


def _rate(runs: list[tuple[int, float]]) -> float:
    return sum(n for n, _ in runs) / sum(t for _, t in runs)


def _chunks(source: Path, size: int) -> Iterator[Path]:
    """``source``'s lines, ``size`` at a time, each run in a file of its own beside it
    (written before the caller's clock starts, removed by the caller after its run)."""
    with open(source, encoding="utf-8") as lines:
        for n in itertools.count():
            part = source.with_name(f"{source.stem}-{n:03}.jsonl")
            with open(part, "w", encoding="utf-8") as out:
                out.writelines(itertools.islice(lines, size))
            if part.stat().st_size == 0:
                part.unlink()
                return
            yield part


def store_bytes(url: str, folder: Path) -> int:
    if url.startswith("sqlite"):
        return sum(path.stat().st_size for path in folder.glob("opis.db*"))

    async def asked() -> int:
        import asyncpg

        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            return await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await conn.close()

    return asyncio.run(asked())


async def harvest(session: aiohttp.ClientSession, oai: str) -> tuple[int, float, str]:
    """A full harvest: (records, seconds, last token)."""
    params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    count = 0
    last = ""
    started = time.perf_counter()
    while True:
        async with session.get(oai, params=params) as response:
            body = await response.read()
        count += len(RECORD.findall(body))
        found = TOKEN.search(body)
        if not found:
            return count, time.perf_counter() - started, last
        last = found.group(1).decode()
        params = {"verb": "ListRecords", "resumptionToken": last}


async def page_latency(session, oai, params, tries=5) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        async with session.get(oai, params=params) as response:
            await response.read()
        best = min(best, time.perf_counter() - started)
    return best


def get_record_paths(identifiers: list[str]) -> list[str]:
    return [
        "/oai?" + urlencode({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": i})
        for i in identifiers
    ]


def get_records(oai: str, identifiers: list[str], seconds: int) -> Load:
    """GetRecord for random identifiers from 16 concurrent clients."""
    paths = get_record_paths(identifiers)
    base = oai.removesuffix("/oai")
    if wrk_available():
        return wrk(base, paths, "<GetRecord>", 16, seconds)
    return asyncio.run(_python_get_records(base, paths, seconds))


async def _python_get_records(base: str, paths: list[str], seconds: int) -> Load:
    """The fallback without wrk; it measures this one Python client as much as the server."""
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch():
            async with session.get(base + random.choice(paths)) as response:
                body = await response.read()
                if response.status != 200 or b"<GetRecord>" not in body:
                    raise RuntimeError("bad GetRecord")

        n, latencies, errors = await closed_loop(fetch, 16, seconds)
    return Load(
        n / seconds, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000, errors
    )


def _fetch(path: str, port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.read()


def floor_get_records(answer: bytes, identifiers: list[str]) -> Load:
    """The same wrk load against a bare aiohttp app answering ``answer`` from memory."""
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "answer.xml"
        document.write_bytes(answer)
        port = free_port()
        floor = start(
            ["-m", "tests.benchmarks.floor", str(document), str(port)],
            {},
            f"http://127.0.0.1:{port}/healthz",
        )
        try:
            return get_records(f"http://127.0.0.1:{port}/oai", identifiers, 10)
        finally:
            floor.stop()


async def harvests(oai: str) -> dict:
    async with aiohttp.ClientSession() as session:
        await harvest(session, oai)  # warm caches once, as a second harvester would find them
        count, seconds, last_token = await harvest(session, oai)
        first = await page_latency(
            session, oai, {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
        )
        last = await page_latency(
            session, oai, {"verb": "ListRecords", "resumptionToken": last_token}
        )
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        together = await asyncio.gather(*(harvest(session, oai) for _ in range(4)))
        four = sum(done[0] for done in together) / (time.perf_counter() - started)
    return {"records": count, "rate": count / seconds, "first": first, "last": last, "four": four}


def measure(name: str, oai: str, identifiers: list[str], server) -> dict:
    result = asyncio.run(harvests(oai))
    count, rate, first, last = result["records"], result["rate"], result["first"], result["last"]
    print(
        f"{name:8s} harvest {count} records = {rate:8.0f} records/s"
        f"  | first page {first * 1000:6.1f} ms, last page {last * 1000:6.1f} ms"
        f" (x{last / first:4.2f})"
    )
    print(f"{name:8s} 4 harvesters at once: {result['four']:8.0f} records/s in total")
    before = memo_counts(server.base)
    load = result["getrecord"] = get_records(oai, identifiers, 10)
    after = memo_counts(server.base)
    client = "wrk" if wrk_available() else "one Python client (install wrk to measure the server)"
    result["memory"] = server.peak_memory_mb()
    from_memory = ""
    if before and after:
        hits, asked = after[0] - before[0], after[0] + after[1] - before[0] - before[1]
        from_memory = f", {hits / max(asked, 1):.0%} of the answers from memory"
    print(
        f"{name:8s} GetRecord x16 ({client}): {load}"
        f"  | server peak memory {result['memory']:6.0f} MB{from_memory}",
        flush=True,
    )
    return result


def memo_counts(base: str) -> tuple[int, int] | None:
    """(hits, misses) of the server's memo of answers, from /metrics; None for a server
    without them (the baseline)."""
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
            text = response.read().decode()
    except OSError:
        return None
    found = dict(re.findall(r"^(opis_memo_(?:hits|misses)_total) (\d+)$", text, re.M))
    if len(found) < 2:
        return None
    return int(found["opis_memo_hits_total"]), int(found["opis_memo_misses_total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 records")
    parser.add_argument("--data", default="/tmp/opis-bench-harvest")
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in --data)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    count = 1_000_000 if args.million else args.records
    data = Path(args.data) / (f"{count}" + ("-pg" if args.db else ""))
    url = args.db or f"sqlite:///{data}/store/opis.db"
    build(url, data, count)

    port = free_port()
    settings = make_settings(
        url,
        data / "store",
        port=port,
        server={"workers": args.workers, "max_concurrent_requests": 10_000, "public_url": PUBLIC},
    )
    env = settings_environ(settings)
    opis = start(["-m", "repository", "serve"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        identifiers = asyncio.run(_identifiers(f"http://127.0.0.1:{port}/oai", 20_000))
        results = [measure("opis", f"http://127.0.0.1:{port}/oai", identifiers, opis)]
        held = get_records(f"http://127.0.0.1:{port}/oai", identifiers[:HELD], 10)
        print(f"opis     GetRecord x16, {HELD:,} identifiers (answers kept in memory): {held}")
        one = _fetch(get_record_paths(identifiers[:1])[0], port)
        size = store_bytes(url, data / "store")
    finally:
        opis.stop()
    given = (data / "records.jsonl").stat().st_size
    print(
        f"store    {size / 2**20:.0f} MB on disk, {size / count / 1000:.1f} KB a record"
        f"  | the input: {given / count / 1000:.1f} KB a record"
    )
    if wrk_available():
        floor = floor_get_records(one, identifiers)
        ours = results[0]["getrecord"]
        print(
            f"floor    GetRecord x16 (wrk): {floor}  | a bare aiohttp app, the same "
            f"{len(one) / 1024:.1f} KB answer from memory"
        )
        print(
            f"ratio    GetRecord x{ours.rate / floor.rate:.2f} of the floor, "
            f"p99 {ours.p99_ms:.2f} ms (floor {floor.p99_ms:.2f} ms); "
            f"answers kept in memory x{held.rate / floor.rate:.2f}"
        )
    if count > 100_000:
        print("pyoai    not run: its offset paging would take hours to harvest this many")
    elif url.startswith("sqlite"):
        port = free_port()
        baseline = start(
            ["-m", "tests.benchmarks.pyoai_baseline", f"{data}/store/opis.db", str(port)],
            {},
            f"http://127.0.0.1:{port}/oai?verb=Identify",
        )
        try:
            ids = [
                i.replace(settings.repository.identifier, "opis.example.org") for i in identifiers
            ]
            results.append(measure("pyoai", f"http://127.0.0.1:{port}/oai", ids, baseline))
        finally:
            baseline.stop()
        ours, theirs = results
        print(
            f"ratio    harvest x{ours['rate'] / theirs['rate']:.1f}, "
            f"GetRecord x{ours['getrecord'].rate / theirs['getrecord'].rate:.1f}"
            " (opis / oaipmh server)"
        )


async def _identifiers(oai: str, wanted: int) -> list[str]:
    """``wanted`` identifiers drawn at random from the whole repository (reservoir sampling),
    so GetRecord is measured over the store, not over what a cache happens to hold."""
    sample: list[str] = []
    seen = 0
    rng = random.Random(7)
    async with aiohttp.ClientSession() as session:
        params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        while True:
            async with session.get(oai, params=params) as response:
                body = await response.read()
            for found in re.findall(rb"<identifier>([^<]+)</identifier>", body):
                seen += 1
                if len(sample) < wanted:
                    sample.append(found.decode())
                elif (slot := rng.randrange(seen)) < wanted:
                    sample[slot] = found.decode()
            token = TOKEN.search(body)
            if not token:
                return sample
            params = {"verb": "ListIdentifiers", "resumptionToken": token.group(1).decode()}


if __name__ == "__main__":
    main()
