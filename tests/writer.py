"""A writer process for the change tests: creates, updates and deletes records.

    python -m tests.writer DATABASE_URL DATA_DIR PUBLIC_URL SEED FIRST COUNT SECONDS [pages]

Works on records ``w<FIRST>`` .. ``w<FIRST+COUNT-1>`` for SECONDS seconds, committing
each change in its own transaction, and stamps nothing itself (the server does), so
commits and datestamps interleave with the harvests as they would in production. With
``pages`` the records have a page image (so they have manifests), and about one update
in five drops or restores it.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from metadata.record import Page, Record, Source
from repository.intake.demo import page_image
from repository.records.page_images import ImageStore
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.settings import load
from repository.store import Store
from tests.conftest import wait_until
from tests.oai_client import call


def record(n: int, version: int, pages: tuple[Page, ...] = ()) -> Record:
    return Record(
        title=f"w{n} version {version}",
        citation=f"RGASPI, f. 17, op. {n % 7 + 1}, d. {n}",
        date="1950-01-01",
        collections=("Even",) if version % 2 == 0 else (),
        source=Source(id=f"w{n}"),
        pages=pages,
    )


async def main(argv: list[str]) -> None:
    url, data_dir, public_url, seed, first, count, seconds, *mode = argv
    settings = load(
        environ={
            "OPIS_DATABASE_URL": url,
            "OPIS_STORAGE_DATA_DIR": data_dir,
            "OPIS_SERVER_PUBLIC_URL": public_url,
        }
    )
    store = await Store(url).open()
    renderer = Renderer(settings)
    pages: tuple[Page, ...] = ()
    if mode == ["pages"]:
        images = ImageStore(settings)
        (image,) = await images.store_bytes(page_image(["page"], seed=int(seed), title="w"))
        await store.add_images(images.pending_rows())
        pages = (Page(image.id, "l. 1", image.width, image.height),)
    rng = random.Random(int(seed))
    versions: dict[int, int] = {}
    deadline = time.monotonic() + float(seconds)
    try:
        while time.monotonic() < deadline:
            n = int(first) + rng.randrange(int(count))
            if n in versions and rng.random() < 0.2:
                await store.delete(prepare(record(n, versions[n]), renderer)[0].locator)
                versions.pop(n)
            else:
                versions[n] = versions.get(n, 0) + 1
                shown = pages if rng.random() > 0.2 else ()
                await store.write([prepare(record(n, versions[n], shown), renderer)[0]])
            # a random gap between commits, so they interleave with the harvests and the
            # server's stamps differently on every run: this pause is the experiment
            await asyncio.sleep(rng.random() * 0.01)
    finally:
        await store.close()


def while_writing(
    settings, writers: int, records: int, seconds: float, *, pages: bool = False
) -> Iterator[int]:
    """Run writer processes on ``settings``'s store and yield once per round of the
    caller's work until they are done, then twice more after every commit has been
    stamped, so the caller's last round sees the final state. Fails if a writer failed."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.writer",
                settings.database.url,
                settings.storage.data_dir,
                settings.base_url,
                str(n),
                str(n * records),
                str(records),
                str(seconds),
                *(["pages"] if pages else []),
            ],
            env=env,
            cwd=root,
        )
        for n in range(writers)
    ]
    oai = f"http://127.0.0.1:{settings.server.port}/oai"
    rounds = 0
    finished: float | None = None
    try:
        while any(p.poll() is None for p in procs) or rounds < 2:
            if all(p.poll() is not None for p in procs):
                if finished is None:
                    finished = time.time()  # every writer has exited: all its commits are made
                _wait_for_a_stamp_after(oai, finished)
                rounds += 1
            yield rounds
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    assert [p.returncode for p in procs] == [0] * writers, "a writer process failed"


def _wait_for_a_stamp_after(oai: str, moment: float) -> None:
    """Wait until the server says it stamped after ``moment`` (a ``time.time()``).

    A list's responseDate is the clock, the time of the latest stamp, and a stamp gives a
    datestamp to every change committed before it: once the clock is past ``moment``, every
    change committed before then is visible to harvests. The server stamps about once a
    second (and when a list request finds the clock stale).
    """

    def clock() -> float:
        reply = call(oai, "verb=ListIdentifiers&metadataPrefix=oai_dc")
        return calendar.timegm(time.strptime(reply.response_date, "%Y-%m-%dT%H:%M:%SZ"))

    # responseDate is truncated to the second: past ``moment`` means its next second
    wait_until(lambda: clock() > moment, 30, "the server to stamp the writers' last commits")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
