"""Search latency at 100,000 records, for one-word queries from the rarest to the commonest.

    python tests/benchmarks/bench_search.py [--records 100000] [--data DIR] [--db URL]

Builds a store with the real ingest (kept in --data to reuse) from tests/synthetic.py's
records, each given a dozen more words from a Zipf-distributed made-up vocabulary of
50,000 words, so that there are rare, middling and common words as in real text (the
synthetic vocabulary alone has only thirty words, each in nearly every record). The
queries are ~200 different words in bands: the synthetic words (in ~99% of records),
names and places (17-33%), Zipf ranks 1-10, 100-200, 1000-2000 and 10000-50000, unique
numbers from the titles, and words that match nothing.

It measures, each as p50/p99 over every query:

* ``query()``: the store's search (total, one page of 20 hits with snippets, facet counts)
  in a read snapshot, as the web page calls it: the first time each word is asked, then
  two more times;
* HTTP: ``GET /search?q=word`` from ``opis serve``, one client, whole HTML page;

and, in the same run, baselines over the same database:

* ``fts-bare``: the full-text index alone (count and the newest 20 matches; no ranking,
  facets, snippets or record loading): the floor;
* ``unbounded``: ``query()`` with relevance ranking and exact facets for any number of
  matches (no RANK_LIMIT/EXACT_LIMIT): what the limits save;
* ``like``: ``count(*) ... WHERE data LIKE '%word%'`` and the first 20 ids, the scan a
  store without a full-text index does (ten words only: it is slow).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from itertools import accumulate
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.harness import percentile, start  # noqa: E402
from tests.live import free_port, make_settings, settings_environ  # noqa: E402
from tests.synthetic import PEOPLE, WORDS, records  # noqa: E402

PUBLIC = "http://opis.bench"
VOCABULARY = 50_000
EXTRA_WORDS = 12
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]


def made_up(rank: int) -> str:
    """A pronounceable made-up word, distinct for each rank (never an English word)."""
    out, n = [], rank + len(_SYLLABLES)
    while n:
        n, digit = divmod(n, len(_SYLLABLES))
        out.append(_SYLLABLES[digit])
    return "q" + "".join(out)


def write_source(path: Path, count: int) -> None:
    rng = random.Random(7)
    vocabulary = [made_up(rank) for rank in range(VOCABULARY)]
    cumulative = list(accumulate(1 / (rank + 1) ** 1.07 for rank in range(VOCABULARY)))
    with open(path, "w", encoding="utf-8") as out:
        for item in records(count):
            extra = rng.choices(vocabulary, cum_weights=cumulative, k=EXTRA_WORDS)
            item["text"][0]["content"] += " " + " ".join(extra)
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def build(url: str, data: Path, count: int) -> None:
    from repository.intake.ingest import ingest_paths

    marker = data / f"built-{count}"
    if marker.exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    source = data / "records.jsonl"
    write_source(source, count)
    settings = make_settings(url, data / "store", server={"public_url": PUBLIC})
    started = time.perf_counter()
    report = asyncio.run(ingest_paths(settings, [str(source)]))
    print(f"built {report.summary()} in {time.perf_counter() - started:.0f} s", flush=True)
    marker.touch()


def query_words(count: int) -> dict[str, list[str]]:
    rng = random.Random(11)
    band = lambda lo, hi, n: [made_up(r) for r in rng.sample(range(lo, hi), n)]  # noqa: E731
    return {
        "synthetic (~99%)": rng.sample(WORDS, 12),
        "names, places": [p.split(",")[0] for p in PEOPLE] + ["Baku", "Tabriz", "Moscow"],
        "zipf 1-10": band(0, 10, 10),
        "zipf 100-200": band(100, 200, 30),
        "zipf 1000-2000": band(1000, 2000, 40),
        "zipf 10k-50k": band(10_000, VOCABULARY, 60),
        "title numbers": [str(n) for n in rng.sample(range(count), 20)],
        "no match": [f"zx{n}qv" for n in range(15)],
    }


def report(name: str, seconds: list[float]) -> None:
    print(
        f"{name:<34} n={len(seconds):<5} p50 {statistics.median(seconds) * 1000:7.2f} ms   "
        f"p99 {percentile(seconds, 99) * 1000:7.2f} ms   max {max(seconds) * 1000:7.2f} ms",
        flush=True,
    )


async def timed(words: list[str], call: Callable[[str], Awaitable[object]]) -> list[float]:
    out = []
    for word in words:
        started = time.perf_counter()
        await call(word)
        out.append(time.perf_counter() - started)
    return out


async def in_process(url: str, bands: dict[str, list[str]]) -> None:
    from sqlalchemy import text

    from repository.store import Store, search

    words = [w for group in bands.values() for w in group]
    store = await Store(url).open()
    try:

        async def ask(word: str):
            async with store.snapshot() as conn:
                return await search.query(conn, word)

        first = await timed(words, ask)
        report("query() first time per word", first)
        again = await timed(words * 2, ask)
        report("query() asked again", again)
        report("query() all", first + again)
        async with store.snapshot() as conn:
            for name, group in bands.items():
                totals = [(await search.query(conn, w)).total for w in group]
                print(f"    {name:<20} matches {min(totals):>6} .. {max(totals):>6}")
        for name, group in bands.items():
            report(f"  query() {name}", await timed(group * 2, ask))

        backend = search._backend(store.engine)

        async def bare(word: str):
            q = search.read(word)
            where, params = backend.condition(q)
            async with store.snapshot() as conn:
                await conn.execute(text(backend.COUNT.format(where=where)), params)
                sql = backend.NEWEST.format(where=where)
                await conn.execute(text(sql), {**params, "offset": 0, "limit": 20})

        report("baseline fts-bare", await timed(words * 2, bare))

        limits = (search.RANK_LIMIT, search.EXACT_LIMIT)
        search.RANK_LIMIT = search.EXACT_LIMIT = 10**9
        try:
            report("baseline unbounded query()", await timed(words, ask))
        finally:
            search.RANK_LIMIT, search.EXACT_LIMIT = limits

        async def like(word: str):
            async with store.snapshot() as conn:
                where = "NOT deleted AND data LIKE :pattern"
                params = {"pattern": f"%{word}%"}
                await conn.execute(text(f"SELECT count(*) FROM records WHERE {where}"), params)
                await conn.execute(
                    text(f"SELECT id FROM records WHERE {where} ORDER BY id DESC LIMIT 20"), params
                )

        sample = random.Random(3).sample(words, 10)
        report("baseline like '%word%'", await timed(sample, like))
    finally:
        await store.close()


async def over_http(base: str, words: list[str]) -> list[float]:
    async with aiohttp.ClientSession() as session:

        async def get(word: str):
            async with session.get(f"{base}/search", params={"q": word}) as response:
                await response.read()
                assert response.status == 200, response.status

        await timed(words[:5], get)  # connection and first-request warm-up
        return await timed(words * 2, get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--data", default="/tmp/opis-bench-search")
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in --data)")
    args = parser.parse_args()
    data = Path(args.data) / (f"{args.records}" + ("-pg" if args.db else ""))
    url = args.db or f"sqlite:///{data}/store/opis.db"
    build(url, data, args.records)
    bands = query_words(args.records)
    print(f"{args.records} records, {sum(map(len, bands.values()))} query words; {url}")
    asyncio.run(in_process(url, bands))

    port = free_port()
    settings = make_settings(url, data / "store", port=port, server={"public_url": PUBLIC})
    env = {**settings_environ(settings), "OPIS_SERVER_ACCESS_LOG": "false"}
    opis = start(["-m", "repository", "serve"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        words = [w for group in bands.values() for w in group]
        report("HTTP GET /search?q=word", asyncio.run(over_http(f"http://127.0.0.1:{port}", words)))
    finally:
        opis.stop()


if __name__ == "__main__":
    main()
