"""Page text: search inside a 500-page document of 200,000 words, and ingest cost per page.

    python tests/benchmarks/bench_pagetext.py [--pages 500] [--words 200000]
        [--data DIR] [--db URL] [--queries 300]

Prints figures; it is not a test. It builds one document folder of ``--pages`` page
images (distinct 1000 x 1400 PNGs, as a scanner's pages would be) and, for each, an
ALTO 4 file with ``--words / --pages`` words in lines of ten, drawn from a Zipf-
distributed made-up vocabulary of 20,000 words with a Cyrillic tenth, so that there are
rare, middling and common words.

* **Ingest**: the same pages ingested into an empty store twice, without and then with
  their ALTO files (each run its own database and image folder, so neither reuses the
  other's images): seconds per page, and how much the page text adds.
* **Search**: ``GET /iiif/3/<key>/search/2?q=...`` (and ``/search/1``) from ``opis
  serve`` in its own process, one client, whole answer read: p50/p90/p99/max over
  words in bands (rare, middling, common, the commonest: first page of up to 100
  lines), two-word phrases taken from the text, accent- and case-changed words,
  and words that are not there; then autocomplete of 1-3 letter prefixes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import time
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.harness import percentile, start  # noqa: E402
from tests.live import ingest, make_settings, settings_environ  # noqa: E402
from tests.pagetext.samples import alto4  # noqa: E402

VOCABULARY = 20_000
_LATIN = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CYRILLIC = [c + v for c in "бвгдклмнпрст" for v in "аеиоуё"]


def made_up(rank: int) -> str:
    syllables = _CYRILLIC if rank % 10 == 3 else _LATIN
    out, n = [], rank + len(syllables)
    while n:
        n, digit = divmod(n, len(syllables))
        out.append(syllables[digit])
    return "".join(out).capitalize() if rank % 7 == 0 else "".join(out)


def page_image(n: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", (1000, 1400), 235)
    draw = ImageDraw.Draw(image)
    rng = random.Random(n)
    for line in range(40):
        x = 60
        while x < 900:
            w = rng.randint(30, 120)
            draw.rectangle([x, 60 + line * 32, x + w, 80 + line * 32], fill=rng.randint(20, 90))
            x += w + 15
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build(folder: Path, pages: int, words: int, with_text: bool) -> list[list[str]]:
    """The document folder; returns each page's words (to pick phrases from)."""
    folder.mkdir(parents=True)
    rng = random.Random(11)
    vocabulary = [made_up(rank) for rank in range(VOCABULARY)]
    cumulative = list(accumulate(1 / (rank + 1) ** 1.05 for rank in range(VOCABULARY)))
    per_page = words // pages
    texts = []
    for n in range(pages):
        name = f"p{n + 1:04d}"
        (folder / f"{name}.png").write_bytes(page_image(n))
        chosen = rng.choices(vocabulary, cum_weights=cumulative, k=per_page)
        texts.append(chosen)
        if with_text:
            lines = []
            for start_at in range(0, per_page, 10):
                row = 60 + (start_at // 10) * 32
                lines.append(
                    [
                        (word, 60 + 85 * i, row, 80, 22)
                        for i, word in enumerate(chosen[start_at : start_at + 10])
                    ]
                )
            (folder / f"{name}.xml").write_text(alto4(lines, 1000, 1400), encoding="utf-8")
    record = {
        "reference": "GAPPOD, f. 99, op. 1, d. 1",
        "title": "A long register (benchmark)",
        "language": ["en"],
    }
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return texts


def timed_ingest(root: Path, db: str | None, pages: int, words: int, with_text: bool):
    name = "with" if with_text else "without"
    base = root / name
    shutil.rmtree(base, ignore_errors=True)
    texts = build(base / "doc", pages, words, with_text)
    # the files just written go to disk now, not while the ingest fsyncs its own: the
    # run with page text writes 500 more of them, which would otherwise be timed too
    os.sync()
    url = db or f"sqlite:///{base}/opis.db"
    settings = make_settings(url, base / "data")
    began = time.perf_counter()
    report = ingest(settings, [base / "doc"])
    seconds = time.perf_counter() - began
    if report.failed:
        raise SystemExit(f"ingest failed: {report.entries}")
    return seconds, settings, report.entries[0].key, texts


async def fetch_all(base: str, paths: list[str]) -> list[float]:
    took = []
    async with aiohttp.ClientSession() as session:
        for path in paths:
            began = time.perf_counter()
            async with session.get(base + path) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"{path}: {response.status}")
            took.append((time.perf_counter() - began) * 1000)
    return took


def describe(label: str, ms: list[float]) -> None:
    print(
        f"  {label:<34} n={len(ms):4d}  p50 {percentile(ms, 50):6.1f}  p90 "
        f"{percentile(ms, 90):6.1f}  p99 {percentile(ms, 99):6.1f}  max {max(ms):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--data", default="/tmp/opis-bench-pagetext")
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in --data)")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    root = Path(args.data)
    if args.db:
        print("note: --db is used for the run with page text; the run without uses SQLite")
    plain, _, _, _ = timed_ingest(root, None, args.pages, args.words, with_text=False)
    texted, settings, key, texts = timed_ingest(
        root, args.db, args.pages, args.words, with_text=True
    )
    print(f"ingest, {args.pages} pages ({settings.database.url.split(':')[0]}):")
    print(f"  without page text  {plain:7.1f} s  {plain / args.pages * 1000:7.1f} ms/page")
    print(f"  with ALTO          {texted:7.1f} s  {texted / args.pages * 1000:7.1f} ms/page")
    print(f"  page text adds     {(texted / plain - 1) * 100:7.1f} %")

    counts: dict[str, int] = {}
    for page in texts:
        for word in page:
            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    ranked = sorted(counts, key=lambda w: -counts[w])
    rng = random.Random(5)
    n = max(10, args.queries // 6)
    bands = {
        "commonest (ranks 1-10)": ranked[:10],
        "common (ranks 10-100)": rng.sample(ranked[10:100], min(n, 90)),
        "middling (ranks 100-2000)": rng.sample(ranked[100:2000], n),
        "rare (once or twice)": rng.sample([w for w in ranked if counts[w] <= 2], n),
        "phrases of two words": [
            " ".join(page[i : i + 2]) for page in rng.sample(texts, n) for i in [rng.randrange(9)]
        ],
        "changed case and accents": [
            w.upper().replace("Е", "Ё") for w in rng.sample(ranked[:3000], n)
        ],
        "not there": [f"zzq{i}x" for i in range(n)],
    }
    port = settings.server.port
    env = {**settings_environ(settings), "OPIS_SERVER_ACCESS_LOG": "false"}
    opis = start(["-m", "repository", "serve"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        base = f"http://127.0.0.1:{port}"
        print(f"search inside {key}: {args.words} words on {args.pages} pages, HTTP, one client")
        every: list[float] = []
        for version in (2, 1):
            for label, words in bands.items():
                paths = [f"/iiif/3/{key}/search/{version}?q={quote(w)}" for w in words]
                ms = asyncio.run(fetch_all(base, paths))
                describe(f"{version}.0 {label}", ms)
                every += ms
        describe("all searches", every)
        prefixes = [w[:k] for w in rng.sample(ranked[:5000], n) for k in (1, 2, 3)]
        for version in (2, 1):
            paths = [f"/iiif/3/{key}/autocomplete/{version}?q={quote(p)}" for p in prefixes]
            describe(f"autocomplete {version}.0 (1-3 letters)", asyncio.run(fetch_all(base, paths)))
    finally:
        opis.stop()


if __name__ == "__main__":
    main()
