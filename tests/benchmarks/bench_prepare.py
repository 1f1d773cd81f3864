"""CPU per record of ``prepare()``: the work an ingest worker does for each record.

    python tests/benchmarks/bench_prepare.py [--records 5000] [--repeat 3] [--profile]

Reads N synthetic records (tests/synthetic.py) with the JSON Lines reader ingest uses,
then prepares each in this process, as a worker does (citation parse, keys, sets,
content hash, the record's JSON and every rendition). Prints records/s and µs of CPU
per record (``time.process_time``), the best of ``--repeat`` runs (the machine is
shared), beside a floor: ``json.loads`` + ``json.dumps`` of the same lines.

Each run prepares records of its own, as a long ingest meets new records: a cache is
measured by what it saves on records it has not seen. ``--profile`` prepares one more
set under cProfile and prints where the time went.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from metadata.readers.json_record import iter_json_lines  # noqa: E402
from metadata.readers.result import ReadResult  # noqa: E402
from metadata.record import Record  # noqa: E402
from repository.records.prepare import prepare  # noqa: E402
from repository.records.renditions import Renderer  # noqa: E402
from repository.settings import install_registry  # noqa: E402
from tests.live import make_settings  # noqa: E402
from tests.synthetic import write_jsonl  # noqa: E402


def read(path: Path) -> list[Record]:
    """The records of a JSON Lines file, read as ingest reads them."""
    with open(path, "rb") as handle:
        return [r.record for r in iter_json_lines(handle) if isinstance(r, ReadResult)]


def prepare_all(records: list[Record], renderer: Renderer) -> None:
    for record in records:
        prepare(record, renderer)


def floor(lines: list[bytes]) -> None:
    for line in lines:
        json.dumps(json.loads(line), ensure_ascii=False)


def best(work: Callable[[Any], None], runs: list[Any]) -> float:
    """The least CPU seconds ``work(run)`` took over the runs."""
    times = []
    for run in runs:
        started = time.process_time()
        work(run)
        times.append(time.process_time() - started)
    return min(times)


def line(name: str, seconds: float, count: int) -> str:
    rate, cpu = count / seconds, seconds / count * 1e6
    return f"{name:<8} {rate:>10,.0f} records/s  {cpu:>8.1f} µs CPU/record"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = make_settings(f"sqlite:///{folder / 'opis.db'}", folder, port=8080)
        install_registry(settings)
        renderer = Renderer(settings)
        # one set per run, one to warm up with, one to profile
        sources = [
            write_jsonl(folder / f"records{n}.jsonl", args.records, start=n * args.records)
            for n in range(args.repeat + 2)
        ]
        lines = [source.read_bytes().splitlines() for source in sources]
        records = [read(source) for source in sources]
    count = len(records[0])
    prepare_all(records[-1][:500], renderer)  # compiled regexes, caches a long ingest has warm
    cpu = best(lambda run: prepare_all(run, renderer), records[: args.repeat])
    base = best(floor, lines[: args.repeat])
    print(f"{count} records, best of {args.repeat}")
    print(line("prepare", cpu, count))
    print(line("floor", base, count))
    print(f"ratio    {cpu / base:>10.1f}x the floor")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(prepare_all, records[args.repeat], renderer)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
