"""Ingest throughput: N synthetic JSON records into a fresh SQLite store.

    python tests/benchmarks/bench_ingest.py [--records 100000] [--db URL]

Runs ``opis ingest`` in a child process (as a user would) and prints records/second
and the child's peak memory. In the same run it measures a floor to compare with:
parsing the same JSON Lines and inserting each record's JSON text into one SQLite
table in batches, with nothing else (no citation parsing, rendering, sets or
datestamps). The ratio says what the real work costs on top of storing bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.synthetic import write_jsonl  # noqa: E402


def floor_rate(source: Path, folder: Path) -> float:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = write_jsonl(folder / "records.jsonl", args.records)
        url = args.db or f"sqlite:///{folder}/opis.db"
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
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
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
