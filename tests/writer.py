"""A writer process for the harvest-guarantee tests: creates, updates and deletes records.

    python -m tests.writer DATABASE_URL DATA_DIR PUBLIC_URL SEED FIRST COUNT SECONDS

Works on records ``w<FIRST>`` .. ``w<FIRST+COUNT-1>`` for SECONDS seconds, committing
each change in its own transaction, and stamps nothing itself (the server does), so
commits and datestamps interleave with the harvests as they would in production.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from dataclasses import replace

from metadata.record import Record
from repository.prepare import prepare
from repository.rendering import Renderer
from repository.settings import load
from repository.store import Store


def record(n: int, version: int) -> Record:
    return Record(
        title=f"w{n} version {version}",
        citation=f"RGASPI, f. 17, op. {n % 7 + 1}, d. {n}",
        date="1950-01-01",
        collections=("Even",) if version % 2 == 0 else (),
        source=replace(Record(title="").source, id=f"w{n}"),
    )


async def main(
    url: str, data_dir: str, public_url: str, seed: int, first: int, count: int, seconds: float
) -> None:
    settings = load(
        environ={
            "OPIS_DATABASE_URL": url,
            "OPIS_STORAGE_DATA_DIR": data_dir,
            "OPIS_SERVER_PUBLIC_URL": public_url,
        }
    )
    store = await Store(url).open()
    renderer = Renderer(settings)
    rng = random.Random(seed)
    versions: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            n = first + rng.randrange(count)
            if n in versions and rng.random() < 0.2:
                await store.delete(prepare(record(n, versions[n]), renderer)[0].locator)
                versions.pop(n)
            else:
                versions[n] = versions.get(n, 0) + 1
                await store.write([prepare(record(n, versions[n]), renderer)[0]])
            await asyncio.sleep(rng.random() * 0.01)
    finally:
        await store.close()


if __name__ == "__main__":
    url, data_dir, public_url, seed, first, count, seconds = sys.argv[1:]
    asyncio.run(main(url, data_dir, public_url, int(seed), int(first), int(count), float(seconds)))
