"""Synthetic records for tests and benchmarks: varied, deterministic, JSON as users write it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

ARCHIVES = [
    ("GAPPOD", "GAPPOD, f.{f}, op.{o}, d.{d}, ll. {p}-{q}"),
    ("RGASPI", "RGASPI, f. {f}, op. {o}, d. {d}, l. {p}"),
    ("APRF", "APRF, Fond {f}, Opis {o}, Delo {d}, Listy {p}-{q}"),
    ("AVPRF", "AVPRF, f. 0{f}a, op. {o}a, pap. {o}, d. {d}, l. {p}"),
    ("GARF", "ГАРФ. Ф. Р-{f}. Оп. {o}. Д. {d}. Л. {p}"),
    ("TNA", "TNA, FO 371/{d}{f}"),
    ("PRC-FMA", "PRC FMA 1{o:02d}-{d:05d}-{f:02d}, {p}"),
]
WORDS = [
    "letter",
    "report",
    "telegram",
    "cable",
    "memorandum",
    "protocol",
    "note",
    "resolution",
    "conversation",
    "minutes",
    "grain",
    "paper",
    "railway",
    "embassy",
    "consulate",
    "delegation",
    "congress",
    "border",
    "treaty",
    "shipment",
    "newspaper",
    "printing",
    "conference",
    "schedule",
    "committee",
    "ministry",
    "harvest",
    "school",
    "hospital",
]
PEOPLE = ["Aliyev, R. M.", "Petrov, N. S.", "Smith, J.", "Kovacs, L.", "Wang, Li", "Novak, P."]


def record(n: int, rng: random.Random) -> dict:
    _code, pattern = ARCHIVES[n % len(ARCHIVES)]
    f, o, d = rng.randint(1, 600), rng.randint(1, 99), n // 3 + 1
    p = rng.randint(1, 400)
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()
    year, month, day = rng.randint(1940, 1991), rng.randint(1, 12), rng.randint(1, 28)
    return {
        "reference": pattern.format(f=f, o=o, d=d, p=p, q=p + rng.randint(1, 5)),
        "title": f"{title} ({n})",
        "date": f"{year}-{month:02d}-{day:02d}",
        "description": " ".join(rng.choice(WORDS) for _ in range(20)) + ".",
        "creators": [rng.choice(PEOPLE)],
        "contributors": [{"name": rng.choice(PEOPLE), "role": "translator"}],
        "language": ["ru", "en"],
        "subjects": [rng.choice(WORDS).capitalize()],
        "places": [rng.choice(["Baku", "Tabriz", "Moscow", "Beijing", "Budapest"])],
        "rights": "Synthetic test data.",
        "text": [
            {
                "language": "en",
                "kind": "translation",
                "content": " ".join(rng.choice(WORDS) for _ in range(120)),
            }
        ],
        "source": {"id": f"syn-{n}"},
    }


def records(count: int, seed: int = 1, start: int = 0) -> Iterator[dict]:
    rng = random.Random(seed)
    for n in range(start, start + count):
        yield record(n, rng)


def write_jsonl(path: Path, count: int, seed: int = 1, start: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for item in records(count, seed, start):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path
