"""Instructions a GetRecord costs the server, counted by callgrind, beside the floor's.

    python tests/benchmarks/bench_instructions.py [--records 100000] [--requests 1000]
                                                  [--data DIR]

This machine's speed moves by half from one hour to the next, so a change of a few per
cent in a GetRecord's cost cannot be seen in requests a second. valgrind's callgrind
counts the instructions a process executes instead: the same count for the same code
and inputs, whatever else the machine is doing.

Uses the SQLite store ``bench_harvest.py`` builds (built here the same way when it is
missing), starts ``opis serve`` under callgrind, warms it up, then counts, over
``--requests`` GetRecords on one connection:

* identifiers not asked before: each answer read from the store;
* the same identifiers again: each answered from memory (the memo);
* the floor: tests/benchmarks/floor.py answering the same document from memory, under
  callgrind too.

and prints instructions a request and the ratios to the floor. The render processes the
server starts are not counted (callgrind follows no child process); a GetRecord uses
none. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_harvest import PUBLIC, build, get_record_paths  # noqa: E402
from tests.benchmarks.harness import start  # noqa: E402
from tests.live import free_port, make_settings, settings_environ  # noqa: E402

WARM_UP = 200  # requests before counting: imports, caches and the first connection
STARTING_S = 600  # a server under callgrind takes a minute or more to start here


class Counted:
    """A process under callgrind whose counts are zeroed and dumped between phases."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, folder: Path) -> None:
        self.folder = folder
        self.server = start(
            args,
            env,
            f"http://127.0.0.1:{port}/healthz",
            # a dump: callgrind.<pid>.<n>
            wrapper=[
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={folder}/callgrind.%p",
                "--dump-line=no",
            ],
            timeout=STARTING_S,
        )
        self.pid = self.server.process.pid
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> bytes:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200 or b"<GetRecord>" not in body or b"<error" in body:
            self.stop()
            sys.exit(f"{path}: {response.status} {body[:300]!r}")
        return body

    def count(self, paths: list[str]) -> int:
        """Instructions per request over ``paths``."""
        self._control("-z")
        for path in paths:
            self.get(path)
        pattern = f"callgrind.{self.pid}.*"
        dumps = set(self.folder.glob(pattern))
        self._control("-d")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = set(self.folder.glob(pattern)) - dumps
            total = _total(new.pop()) if new else None
            if total is not None:
                return total // len(paths)
            time.sleep(0.2)
        self.stop()
        sys.exit(f"callgrind wrote no counts: {sorted(p.name for p in self.folder.iterdir())}")

    def _control(self, flag: str) -> None:
        subprocess.run(["callgrind_control", flag, str(self.pid)], capture_output=True)

    def stop(self) -> None:
        self.connection.close()
        self.server.stop()


def _total(dump: Path) -> int | None:
    """The instruction total of a finished callgrind dump, or None while it is written."""
    try:
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--data", default="/tmp/opis-bench-harvest")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    data = Path(args.data) / f"{args.records}"
    url = f"sqlite:///{data}/store/opis.db"
    build(url, data, args.records)

    port = free_port()
    settings = make_settings(url, data / "store", port=port, server={"public_url": PUBLIC})
    wanted = WARM_UP + args.requests
    with sqlite3.connect(f"file:{data}/store/opis.db?mode=ro", uri=True) as db:
        keys = [
            key
            for (key,) in db.execute(
                "SELECT key FROM records WHERE NOT deleted ORDER BY random() LIMIT ?", (wanted,)
            )
        ]
    if len(keys) < wanted:
        sys.exit(f"the store holds {len(keys)} records; --requests needs {wanted}")
    paths = get_record_paths([settings.repository.oai_prefix + key for key in keys])
    warm, measured = paths[:WARM_UP], paths[WARM_UP:]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        opis = Counted(["-m", "repository", "serve"], settings_environ(settings), port, folder)
        try:
            for path in warm:
                answer = opis.get(path)
            store = opis.count(measured)
            memo = opis.count(measured)
        finally:
            opis.stop()
        document = folder / "answer.xml"
        document.write_bytes(answer)
        floor_port = free_port()
        floor = Counted(
            ["-m", "tests.benchmarks.floor", str(document), str(floor_port)], {}, floor_port, folder
        )
        try:
            for path in warm:
                floor.get(path)
            bare = floor.count(measured)
        finally:
            floor.stop()

    print(
        f"GetRecord under callgrind, {args.requests:,} requests each on one connection "
        f"({args.records:,} records on SQLite)"
    )
    for name, count in (("read from the store", store), ("answered from memory", memo)):
        print(f"{name:24} {count:9,} instructions a request   x{count / bare:.2f} the floor")
    print(f"{'floor (bare aiohttp)':24} {bare:9,} instructions a request")


if __name__ == "__main__":
    main()
