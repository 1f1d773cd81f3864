"""Faults: processes killed mid-work, a disk that fills up, a database that restarts.

Nothing is lost or half-written, and everything recovers without manual repair.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from metadata.crosswalks import FORMATS
from repository.intake.demo import page_image
from repository.store import Store
from tests.conftest import POSTGRES, ROOT, unavailable, wait_until
from tests.live import OpisProcess, ingest, make_settings, numbered_records, settings_environ
from tests.oai_client import call


def test_a_harvest_continues_with_its_token_after_sigkill(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data", oai={"page_size": 6})
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 40)])
    seen: list[str] = []
    with OpisProcess(settings) as server:
        reply = call(server.base + "/oai", "verb=ListIdentifiers&metadataPrefix=oai_dc")
        seen += [e.text for e in reply.findall(".//oai:header/oai:identifier")]
        token = reply.text("oai:ListIdentifiers/oai:resumptionToken")
        server.kill()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(server.base + "/healthz", timeout=2)
    with OpisProcess(settings) as server:
        while token:
            reply = call(
                server.base + "/oai", {"verb": "ListIdentifiers", "resumptionToken": token}
            )
            seen += [e.text for e in reply.findall(".//oai:header/oai:identifier")]
            token = reply.text("oai:ListIdentifiers/oai:resumptionToken")
    assert len(seen) == len(set(seen)) == 40


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        unavailable(f"cannot mount a size-limited tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_during_ingest_fails_cleanly_and_a_rerun_completes(small_disk, tmp_path):
    folders = []
    for n in range(12):
        folder = tmp_path / "in" / f"doc{n:02d}"
        folder.mkdir(parents=True)
        (folder / "record.json").write_text(
            json.dumps({"reference": f"GARF, f. 1, op. 1, d. {n}", "title": f"Doc {n}"})
        )
        (folder / "001.jpg").write_bytes(page_image([f"page {n}"] * 30, seed=n, title=f"d{n}"))
        folders.append(folder)
    settings = make_settings(f"sqlite:///{small_disk}/opis.db", small_disk / "data")
    env = {**os.environ, **settings_environ(settings)}
    run = [sys.executable, "-m", "repository", "ingest", *map(str, folders)]
    first = subprocess.run(run, env=env, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 1, first.stdout + first.stderr
    said = first.stderr.lower()
    assert "no space left on device" in said or "disk is full" in said
    assert "Traceback" not in first.stderr
    stored = _consistent(settings)
    assert stored < 12
    leftovers = [p for p in (small_disk / "data").rglob(".*") if p.is_dir()]
    assert leftovers == [], "no half-built image folders"
    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    second = subprocess.run(run, env=env, capture_output=True, text=True, cwd=ROOT)
    assert second.returncode == 0, second.stderr
    assert f"{12 - stored} added" in second.stdout and f"{stored} unchanged" in second.stdout
    assert _consistent(settings) == 12


def _consistent(settings) -> int:
    """Every stored record is whole (all renditions, pages with image files); the count."""

    async def check() -> int:
        from sqlalchemy import func, select

        from repository.store.schema import images, pages, records, renditions

        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                ids = set((await conn.execute(select(records.c.id))).scalars())
                kinds = dict(
                    (
                        await conn.execute(
                            select(renditions.c.record_id, func.count()).group_by(
                                renditions.c.record_id
                            )
                        )
                    ).all()
                )
                paged = set((await conn.execute(select(pages.c.record_id))).scalars())
                stored_images = list((await conn.execute(select(images.c.id))).scalars())
        finally:
            await store.close()
        whole = len(FORMATS) + 1  # every OAI format and the manifest
        assert set(kinds) == ids and set(kinds.values()) <= {whole}
        assert paged == ids
        root = Path(settings.storage.data_dir) / "images"
        for image in stored_images:
            assert (root / image[:2] / image / "info.json").is_file()
            assert (root / image[:2] / image / "pyramid.tif").is_file()
        return len(ids)

    return asyncio.run(check())


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
    result = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        unavailable(f"cannot restart the local PostgreSQL cluster: {result.stderr.strip()}")


def test_postgresql_restart_under_load_gives_fast_503s_then_recovers(tmp_path):
    if not POSTGRES.startswith("postgresql://postgres@127.0.0.1"):
        pytest.skip("restarts only the local cluster, not the one OPIS_TEST_POSTGRES names")
    from tests.conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database()
    try:
        settings = make_settings(url, tmp_path / "data", server={"retry_after": 1})
        ingest(settings, [numbered_records(tmp_path / "r.jsonl", 30)])
        with OpisProcess(settings) as server:
            results: list[tuple[int, float, float]] = []  # status, seconds, when it started
            stop = threading.Event()

            def load() -> None:
                query = "/oai?verb=GetRecord&metadataPrefix=mods&identifier="
                while not stop.is_set():
                    n = len(results) % 30
                    target = f"{query}oai:opis.example.org:RGANI/f.5/op.30/d.{n}"
                    started = time.monotonic()
                    try:
                        with urllib.request.urlopen(server.base + target, timeout=30) as r:
                            status = r.status
                    except urllib.error.HTTPError as exc:
                        status = exc.code
                    except OSError:
                        status = -1
                    results.append((status, time.monotonic() - started, started))
                    time.sleep(0.01)  # the load's pace, not a wait for anything

            def answered_since(moment: float) -> list[int]:
                """Statuses of the requests started after ``moment``, in order of answer."""
                return [status for status, _, started in list(results) if started > moment]

            threads = [threading.Thread(target=load) for _ in range(4)]
            began = time.monotonic()
            for t in threads:
                t.start()
            try:
                wait_until(  # the load is running before the database goes away
                    lambda: answered_since(began).count(200) >= 20, 30, "20 answers before it"
                )
                _restart_postgres()
                restarted = time.monotonic()
                wait_until(  # ... and is answered again once it is back
                    lambda: answered_since(restarted)[-8:] == [200] * 8,
                    30,
                    lambda: f"8 answers of 200 in a row, got {answered_since(restarted)}",
                )
            finally:
                stop.set()
                for t in threads:
                    t.join()
            statuses = {s for s, _, _ in results}
            assert statuses <= {200, 503}, (statuses, server.log()[-3000:])
            assert max(seconds for _, seconds, _ in results) < 10, "failed fast, no long hangs"
            assert results[-1][0] == 200, "recovered without restarting Opis"
            assert call(server.base + "/healthz", validate=False).status == 200
    finally:
        drop_postgres_database(url)


def test_sigkill_during_writes_leaves_each_record_whole_or_absent(database_url, tmp_path):
    """PUTs with page images, the server killed at varying moments: after a restart every
    record is there with all its pages, or not there at all."""
    from tests.api.test_api import EDITOR, TOKENS, multipart

    settings = make_settings(database_url, tmp_path / "data", auth={"tokens": TOKENS})
    scans = [page_image([f"page {n}"] * 20, seed=n, title="k") for n in range(4)]
    outcomes = {}
    for attempt, delay in enumerate([0.05, 0.15, 0.3, 0.6, 1.0]):
        key = f"GARF/f.7/op.1/d.{attempt}"
        record = {
            "reference": f"GARF, f. 7, op. 1, d. {attempt}",
            "title": f"Killed {attempt}",
            "pages": [f"{n}.jpg" for n in range(4)],
        }
        body, kind = multipart(record, {f"{n}.jpg": scan for n, scan in enumerate(scans)})
        with OpisProcess(settings) as server:
            results: list[int] = []

            def put(server=server, key=key, body=body, kind=kind, results=results) -> None:
                request = urllib.request.Request(
                    f"{server.base}/api/records/{key}",
                    data=body,
                    method="PUT",
                    headers={"Authorization": f"Bearer {EDITOR}", "Content-Type": kind},
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        results.append(response.status)
                except (urllib.error.URLError, ConnectionError, OSError):
                    results.append(-1)

            writer = threading.Thread(target=put)
            writer.start()
            time.sleep(delay)  # the moment of the kill: this pause is the experiment
            server.kill()
            writer.join()
        outcomes[key] = results[0]
    with OpisProcess(settings) as server:
        present = 0
        for key in outcomes:
            try:
                with urllib.request.urlopen(f"{server.base}/api/records/{key}") as response:
                    record = json.loads(response.read())
            except urllib.error.HTTPError as exc:
                assert exc.code == 404, exc.code
                continue
            present += 1
            pages = record["record"]["pages"] if "record" in record else record["pages"]
            assert len(pages) == 4, "a record is there whole, with every page"
    assert present > 0 or all(v == -1 for v in outcomes.values())
    assert _consistent(settings) == present
