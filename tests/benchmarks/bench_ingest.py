"""Ingest throughput: N synthetic JSON records into a fresh SQLite store.

    python tests/benchmarks/bench_ingest.py [--records 100000] [--db URL]
    python tests/benchmarks/bench_ingest.py --finding-aid 100000 [--db URL]

Runs ``opis ingest`` in a child process (as a user would) and prints records/second
and the child's peak memory. In the same run it measures a floor to compare with:
parsing the same JSON Lines and inserting each record's JSON text into one SQLite
table in batches, with nothing else (no citation parsing, rendering, sets or
datestamps). The ratio says what the real work costs on top of storing bytes.

``--finding-aid N`` measures EAD instead: one generated EAD 2002 finding aid of N
components (a fonds, series of 1,000 files each), ingested by ``opis ingest``: units
per second and the child's peak memory, plus the streaming reader alone at N and at
N/10 components (its peak Python allocations should not grow with N). Then ``opis
serve`` on the store answers ``/ead/<fonds>.xml``, the whole finding aid written out
again: seconds and size, beside reading the same records from the store (its floor).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.harness import floor_rate  # noqa: E402
from tests.synthetic import write_jsonl  # noqa: E402


def write_finding_aid(path: Path, components: int, per_series: int = 1000) -> Path:
    """An EAD 2002 file of exactly ``components`` components (archdesc included)."""
    files = components - 1 - -(-(components - 1) // (per_series + 1))
    series = components - 1 - files
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<ead xmlns="urn:isbn:1-931666-22-9" '
            'xmlns:xlink="http://www.w3.org/1999/xlink"><eadheader>'
            '<eadid countrycode="XX" mainagencycode="XX-BENCH">bench-1</eadid><filedesc>'
            "<titlestmt><titleproper>Benchmark fonds</titleproper></titlestmt></filedesc>"
            '</eadheader><archdesc level="fonds"><did><unitid>1</unitid>'
            "<unittitle>Benchmark fonds</unittitle><unitdate>1900-1999</unitdate></did><dsc>"
        )
        written = 0
        for s in range(series):
            out.write(
                f'<c01 level="series"><did><unitid>{s + 1}</unitid>'
                f"<unittitle>Series {s + 1}</unittitle></did>"
            )
            for f in range(min(per_series, files - written)):
                out.write(
                    f'<c02 level="file"><did><unitid>{f + 1}</unitid><unittitle>File {s + 1}.'
                    f"{f + 1} of correspondence</unittitle><unitdate>19{f % 100:02d}</unitdate>"
                    f'<container type="box">{f // 20 + 1}</container></did><scopecontent>'
                    f"<p>Letters and reports, {f + 1}.</p></scopecontent></c02>"
                )
            written += min(per_series, files - written)
            out.write("</c01>")
        out.write("</dsc></archdesc></ead>\n")
    return path


def reader_alone(path: Path) -> tuple[int, float, float]:
    """(units, units per second, peak Python allocations in MB) of the streaming reader."""
    import tracemalloc

    from metadata.readers.ead import read_ead

    tracemalloc.start()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        units = sum(1 for _ in read_ead(handle, name=str(path)))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return units, units / elapsed, peak


def timed_ingest(
    source: Path, url: str, folder: Path
) -> tuple[float, subprocess.CompletedProcess[str], float]:
    """``opis ingest SOURCE`` in its own process: seconds, the result, peak memory (MB)."""
    env = {**os.environ, "OPIS_DATABASE_URL": url, "OPIS_STORAGE_DATA_DIR": str(folder / "d")}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "repository", "ingest", str(source)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"ingest failed:\n{result.stderr[-2000:]}")
    return elapsed, result, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def finding_aid(components: int, db: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = write_finding_aid(folder / "small.xml", max(components // 10, 2))
        source = write_finding_aid(folder / "finding-aid.xml", components)
        small_units, _, small_peak = reader_alone(small)
        units, reader_rate, reader_peak = reader_alone(source)
        url = db or f"sqlite:///{folder}/opis.db"
        elapsed, result, peak_mb = timed_ingest(source, url, folder)
        size = source.stat().st_size / 2**20
        print(f"components         {components}  ({size:.0f} MB of EAD)")
        print(f"database           {url.split(':')[0]}")
        print(f"opis ingest        {elapsed:8.1f} s   {units / elapsed:10.0f} units/s")
        print(f"peak memory        {peak_mb:8.0f} MB  (the ingest process)")
        print(f"reader alone       {reader_rate:19.0f} units/s")
        print(f"reader peak        {reader_peak:8.1f} MB  at {units} units (Python allocations)")
        print(f"reader peak        {small_peak:8.1f} MB  at {small_units} units")
        print(f"summary            {result.stdout.strip()}")
        whole_finding_aid(url, folder, units)


def whole_finding_aid(url: str, folder: Path, units: int) -> None:
    """``GET /ead/<fonds>.xml`` of the ingested fonds, beside the store's own read of the
    same records (the floor: SQL and decompression, no XML)."""
    import asyncio
    import urllib.request

    from sqlalchemy import text

    from repository.store import Store
    from repository.store.lookup import records_by_key
    from tests.benchmarks.harness import start
    from tests.live import free_port

    async def keys_and_read() -> tuple[str, float]:
        store = await Store(url).open()
        try:
            async with store.snapshot() as conn:
                keys = [k for (k,) in await conn.execute(text("SELECT key FROM records"))]
                started = time.perf_counter()
                for n in range(0, len(keys), 1000):
                    await records_by_key(conn, keys[n : n + 1000])
                return min(keys, key=len), time.perf_counter() - started
        finally:
            await store.close()

    fonds, floor = asyncio.run(keys_and_read())
    port = free_port()
    env = {
        "OPIS_DATABASE_URL": url,
        "OPIS_STORAGE_DATA_DIR": str(folder / "d"),
        "OPIS_SERVER_PORT": str(port),
    }
    server = start(["-m", "repository", "serve"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ead/{fonds}.xml") as reply:
            size = len(reply.read()) / 2**20
        elapsed = time.perf_counter() - started
        peak = server.peak_memory_mb()
    finally:
        server.stop()
    print(f"/ead (whole fonds) {elapsed:8.1f} s   {units / elapsed:10.0f} units/s  {size:.0f} MB")
    print(f"store read alone   {floor:8.1f} s   {units / floor:10.0f} units/s  (the floor)")
    print(f"server peak        {peak:8.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--finding-aid", type=int, default=0, metavar="COMPONENTS")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    if args.finding_aid:
        finding_aid(args.finding_aid, args.db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = write_jsonl(folder / "records.jsonl", args.records)
        url = args.db or f"sqlite:///{folder}/opis.db"
        elapsed, result, peak_mb = timed_ingest(source, url, folder)
        rate = args.records / elapsed
        floor = floor_rate(source, folder)
        print(f"records            {args.records}")
        print(f"database           {url.split(':')[0]}")
        print(f"opis ingest        {elapsed:8.1f} s   {rate:10.0f} records/s")
        print(f"peak memory        {peak_mb:8.0f} MB  (the ingest process)")
        print(f"floor (json+sqlite){floor:19.0f} records/s")
        print(f"ratio              {rate / floor:8.2f}  of the floor")
        print(f"summary            {result.stdout.strip()}")


if __name__ == "__main__":
    main()
