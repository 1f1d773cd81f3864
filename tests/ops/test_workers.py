"""Several processes, one store: tokens, answers and shutdown work across workers."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

from lxml import etree

from tests.conftest import wait_until
from tests.iiif_rules import request, write_folder
from tests.live import (
    OpisProcess,
    descendants,
    free_port,
    ingest,
    make_settings,
    numbered_records,
)
from tests.oai_client import call, harvest


def test_a_harvest_alternating_between_two_processes_is_complete(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data", oai={"page_size": 5})
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 37)])
    other = replace(settings, server=replace(settings.server, port=free_port()))
    with OpisProcess(settings) as a, OpisProcess(other) as b:
        bases = [f"http://127.0.0.1:{s.server.port}/oai" for s in (settings, other)]
        query = {"verb": "ListRecords", "metadataPrefix": "mods"}
        seen: list[str] = []
        turn = 0
        while True:
            reply = call(bases[turn % 2], query)
            turn += 1
            seen += [e.text for e in reply.findall(".//oai:header/oai:identifier")]
            token = reply.find("oai:ListRecords/oai:resumptionToken")
            if token is None or not token.text:
                break
            query = {"verb": "ListRecords", "resumptionToken": token.text}
        assert turn == 8 and len(seen) == len(set(seen)) == 37
        assert a.process.poll() is None and b.process.poll() is None


def test_serve_with_two_workers(sqlite_url, tmp_path):
    settings = make_settings(
        sqlite_url, tmp_path / "data", oai={"page_size": 5}, server={"workers": 2}
    )
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 37)])
    process = OpisProcess(settings).start()
    try:

        def started() -> list[int]:
            found = _children(process.process.pid)
            return found if len(found) >= 2 else []

        children = wait_until(started, 20, "two worker processes")
        assert len(children) == 2
        full = harvest(process.base + "/oai", "ListIdentifiers", metadataPrefix="oai_dc")
        assert len(set(full.identifiers)) == 37
        token = full.pages[0].find("oai:ListIdentifiers/oai:resumptionToken").text
        query = {"verb": "ListIdentifiers", "resumptionToken": token}
        pages = {_page(call(process.base + "/oai", query)) for _ in range(6)}
        assert len(pages) == 1, "every worker answers a token with the same page"
        ((headers, cursor, size),) = pages
        assert (len(headers), cursor, size) == (5, "5", "37")
    finally:
        assert process.stop() == 0
    assert all(not os.path.exists(f"/proc/{pid}") for pid in children)


def _page(reply) -> tuple:
    """What a page of ListIdentifiers lists: its headers, and where its token resumes.

    Not the token's text or expirationDate: both hold the moment of the answer (the token
    is re-issued on every answer), so answers a second apart differ there.
    """
    token = reply.find("oai:ListIdentifiers/oai:resumptionToken")
    headers = tuple(etree.tostring(h) for h in reply.findall("oai:ListIdentifiers/oai:header"))
    return headers, token.get("cursor"), token.get("completeListSize")


def _children(pid: int) -> list[int]:
    """Worker processes (not multiprocessing's resource tracker, nor render processes)."""
    return [p for p in descendants(pid) if b"spawn_main" in _cmdline(p)]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def test_serve_starts_its_render_processes_and_ends_them_with_itself(sqlite_url, tmp_path):
    """Image renders run in ``images.workers`` processes: ready when the server starts
    to listen (no first viewer waits for them), gone when the server stops."""
    settings = make_settings(sqlite_url, tmp_path / "data", images={"workers": 2})
    record = {"reference": "GARF, f. 1, op. 1, d. 1", "title": "One", "pages": [{"image": "p.jpg"}]}
    assert not ingest(settings, [write_folder(tmp_path / "doc", record=record)]).failed
    process = OpisProcess(settings).start()  # returns once the server answers
    try:
        started = [p for p in descendants(process.process.pid) if b"forkserver" in _cmdline(p)]
        assert len(started) == 3, "the fork server and its two render processes, already"
        manifest = request(process.base + "/iiif/3/GARF/f.1/op.1/d.1/manifest").json()
        service = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
        thumbnail = request(f"{service}/full/!123,123/0/default.jpg")
        assert thumbnail.status == 200 and thumbnail.body.startswith(b"\xff\xd8")
        os.kill(process.process.pid, signal.SIGTERM)  # the server alone: it ends the rest
        assert process.process.wait(30) == 0
    finally:
        process.kill()
    wait_until(
        lambda: not any(_running(pid) for pid in started),
        30,
        lambda: f"render processes left running: {[p for p in started if _running(p)]}",
    )


def _running(pid: int) -> bool:
    """Alive and not a zombie (a reaped child's pid may be waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
