"""Harvests that are always complete, while the repository changes under them.

The guarantee (issue: "OAI-PMH provider that never loses an update"): a chain of
incremental harvests, each ``from`` the responseDate of the previous harvest's first
page, run while other processes create, update and delete records, ends with exactly
the latest state of every record, deletions included.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from lxml import etree

from metadata import crosswalks
from repository.intake.demo import page_image
from repository.keys import RENDERER, STORE
from repository.records.refresh import refresh
from tests.conftest import wait_until
from tests.iiif_rules import request
from tests.live import LiveServer, OpisProcess, ingest, make_settings
from tests.oai_client import NS, call, harvest
from tests.writer import while_writing

DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


def _write(folder, name, items):
    path = folder / name
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items))
    return path


def _item(n, title=None, collections=()):
    return {
        "reference": f"RGANI, f. 5, op. 30, d. {n}",
        "title": title or f"Record {n}",
        "source": {"id": f"r{n}"},
        "collections": list(collections),
    }


@pytest.fixture
def live(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data", oai={"page_size": 5})
    ingest(settings, [_write(tmp_path, "base.jsonl", [_item(n) for n in range(23)])])
    with LiveServer(settings) as server:
        server.oai = server.url("/oai")
        server.folder = tmp_path
        server.prefix = f"oai:{settings.repository.identifier}:RGANI/f.5/op.30/d."
        yield server


def _update(server, items, name="change.jsonl"):
    report = ingest(server.settings, [_write(server.folder, name, items)])
    assert report.count("failed") == 0
    server.call(server.app[STORE].stamp())


def _titles(result):
    out = {}
    for item in result.items:
        header = item.find("oai:header", NS)
        identifier = header.findtext("oai:identifier", namespaces=NS)
        title = item.find(f".//{DC_TITLE}")
        out[identifier] = None if header.get("status") == "deleted" else title.text
    return out


def test_e1_new_record_appears_in_the_next_incremental_harvest(live):
    first = harvest(live.oai, "ListRecords", metadataPrefix="oai_dc")
    _update(live, [_item(100)])
    nxt = harvest(
        live.oai, "ListRecords", metadataPrefix="oai_dc", **{"from": first.pages[0].response_date}
    )
    assert live.prefix + "100" in nxt.identifiers


def test_harvesters_that_start_together_share_a_first_page_and_miss_nothing(live):
    """Requests for the same first page that arrive while it is being read are answered
    by that one read: the same valid page, with the same responseDate, which then
    serves as the next harvest's ``from`` like any other."""
    store = live.app[STORE]
    reads = []
    fresh_clock = store.fresh_clock

    async def slow_fresh_clock(*args):  # the first read takes long enough for all to arrive
        reads.append(1)
        await asyncio.sleep(0.5 if len(reads) == 1 else 0)
        return await fresh_clock(*args)

    store.fresh_clock = slow_fresh_clock
    try:
        query = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
        with ThreadPoolExecutor(24) as pool:
            replies = list(pool.map(lambda _: call(live.oai, query), range(24)))
    finally:
        del store.fresh_clock
    assert all(r.status == 200 for r in replies)
    assert len(reads) == 1, f"{len(reads)} reads for 24 requests of one first page"
    assert len({r.body for r in replies}) == 1
    _update(live, [_item(101)])
    nxt = harvest(
        live.oai, "ListRecords", metadataPrefix="oai_dc", **{"from": replies[0].response_date}
    )
    assert live.prefix + "101" in nxt.identifiers


def test_e2_e3_changes_during_a_harvest_are_never_skipped_or_repeated(live):
    first = call(live.oai, "verb=ListRecords&metadataPrefix=oai_dc")
    r0 = first.response_date
    delivered = [e.text for e in first.findall(".//oai:header/oai:identifier")]
    token = first.text("oai:ListRecords/oai:resumptionToken")
    changed = delivered[0]
    n_changed = changed.rsplit(".", 1)[1]
    undelivered = sorted(set(f"{live.prefix}{n}" for n in range(23)) - set(delivered))
    doomed = undelivered[:5]
    _update(live, [_item(int(n_changed), "Changed title")] + [_item(200 + n) for n in range(50)])
    for identifier in doomed:
        live.call(live.app[STORE].delete(identifier.split(":", 2)[2]))
    live.call(live.app[STORE].stamp())
    seen = list(delivered)
    while token:
        page = call(live.oai, {"verb": "ListRecords", "resumptionToken": token})
        seen += [e.text for e in page.findall(".//oai:header/oai:identifier")]
        token = page.text("oai:ListRecords/oai:resumptionToken")
    assert len(seen) == len(set(seen)), "no record twice in one list"
    unchanged = {f"{live.prefix}{n}" for n in range(23)} - set(doomed) - {changed}
    assert unchanged <= set(seen), "every unchanged record delivered"
    later = harvest(live.oai, "ListRecords", metadataPrefix="oai_dc", **{"from": r0})
    titles = _titles(later)
    assert titles[changed] == "Changed title"
    assert all(titles[d] is None for d in doomed), "deletions reach the next harvest"
    assert all(f"{live.prefix}{200 + n}" in titles for n in range(50))
    stamp = later.headers()[changed][0]
    assert stamp >= r0


def test_e4_e5_deletions_and_set_departures_reach_incremental_harvests(live):
    _update(live, [_item(7, collections=["Crisis"])])
    base = harvest(live.oai, "ListIdentifiers", metadataPrefix="oai_dc", set="collection:crisis")
    assert base.identifiers == [live.prefix + "7"]
    r0 = base.pages[0].response_date
    _update(live, [_item(7)])  # leaves the collection, stays in the repository
    live.call(live.app[STORE].delete("RGANI/f.5/op.30/d.3"))
    live.call(live.app[STORE].stamp())
    in_set = harvest(
        live.oai,
        "ListIdentifiers",
        metadataPrefix="oai_dc",
        set="collection:crisis",
        **{"from": r0},
    )
    assert in_set.headers()[live.prefix + "7"][1] is True, "gone from the set = deleted there"
    everywhere = harvest(live.oai, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": r0})
    assert everywhere.headers()[live.prefix + "7"][1] is False
    assert everywhere.headers()[live.prefix + "3"][1] is True
    got = call(
        live.oai, {"verb": "GetRecord", "identifier": live.prefix + "3", "metadataPrefix": "oai_dc"}
    )
    assert got.find("oai:GetRecord/oai:record/oai:header").get("status") == "deleted"


def test_a_repeated_getrecord_follows_every_change(live):
    """A GetRecord answer is kept by its query string until the store changes: asked
    again it is the same answer under a new responseDate, and after a change by
    another process (stamped) it is the new one, for GET, POST and other spellings."""
    args = {"verb": "GetRecord", "identifier": live.prefix + "4", "metadataPrefix": "oai_dc"}
    query = urllib.parse.urlencode(args)

    def answer(reply):
        record = reply.find("oai:GetRecord/oai:record")
        return etree.tostring(record), dict(reply.find("oai:request").attrib)

    def asked() -> list:
        return [
            answer(call(live.oai, query)),
            answer(call(live.oai, method="POST", body=query.encode())),
            answer(call(live.oai, query.replace("%3A", ":"))),
        ]

    first = asked()
    assert first == asked()
    assert all(a == first[0] for a in first)
    assert b"Record 4<" in first[0][0]
    _update(live, [_item(4, title="Record 4, revised")])
    again = asked()
    assert all(a == again[0] for a in again)
    assert b"Record 4, revised" in again[0][0], "an answer from before the change"
    live.call(live.app[STORE].delete("RGANI/f.5/op.30/d.4"))
    live.call(live.app[STORE].stamp())
    gone = call(live.oai, query).find("oai:GetRecord/oai:record/oai:header")
    assert gone.get("status") == "deleted"
    missing = call(live.oai, query.replace("d.4", "d.999"))
    assert missing.find("oai:error").get("code") == "idDoesNotExist"
    _update(live, [_item(999)], name="new.jsonl")
    assert call(live.oai, query.replace("d.4", "d.999")).find("oai:GetRecord") is not None


def test_e9_identical_harvests_are_identical(live):
    a = harvest(live.oai, "ListRecords", metadataPrefix="mods")
    b = harvest(live.oai, "ListRecords", metadataPrefix="mods")
    assert a.headers() == b.headers()
    assert [etree.tostring(x) for x in a.items] == [etree.tostring(x) for x in b.items]


def _paged_item(n, title=None):
    return {**_item(n, title), "pages": ["p.jpg"] if n % 2 == 0 else []}


def _discovery(server) -> list[dict]:
    """Every activity of the Change Discovery stream, oldest first."""
    url = server.url("/iiif/discovery/page/0.json")
    found: list[dict] = []
    while url:
        with urllib.request.urlopen(url, timeout=30) as response:
            page = json.loads(response.read())
        found += page["orderedItems"]
        url = page.get("next", {}).get("id")
        if url:
            url = server.url(urlsplit(url).path)
    return found


def _served_bodies(server, identifier: str) -> dict[str, bytes]:
    """GetRecord in every format, and the manifest, as served (format -> body)."""
    out = {}
    for prefix in ("oai_dc", "marc21", "mods"):
        reply = call(
            server.url("/oai"),
            {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": prefix},
        )
        assert not reply.errors, reply.body[:300]
        out[prefix] = etree.tostring(reply.find("oai:GetRecord/oai:record/oai:metadata"))
    return out


def _harvest_after_the_last_change(server):
    """A full harvest whose responseDate is a second past every datestamp (granularity is
    seconds and ``from`` is inclusive, so a harvest from it shows only later changes)."""

    def later():
        found = harvest(server.url("/oai"), "ListRecords", metadataPrefix="oai_dc")
        newest = max(d for d, _, _ in found.headers().values())
        return found if found.pages[0].response_date > newest else None

    return wait_until(later, 10, "the clock to pass the last datestamp", interval=0.2)


def test_e6_new_public_url_moves_no_datestamp_and_serves_the_new_base(database_url, tmp_path):
    """Issue 15: another port or public URL costs nothing stored and moves no datestamp;
    what is served carries the new base everywhere."""
    (tmp_path / "p.jpg").write_bytes(page_image(["x"], seed=3, title="x"))
    settings = make_settings(database_url, tmp_path / "data")
    ingest(settings, [_write(tmp_path, "r.jsonl", [_paged_item(n) for n in range(4)])])
    old = settings.base_url
    with LiveServer(settings) as server:
        before = _harvest_after_the_last_change(server)
        stream_before = _discovery(server)
        key = "RGANI/f.5/op.30/d.0"
        first_manifest = request(server.url(f"/iiif/3/{key}/manifest"))
    assert len(stream_before) == 2  # the two records with a page image
    moved = settings
    while moved.base_url == old:  # another port, so another base
        moved = make_settings(database_url, tmp_path / "data")
    new = moved.base_url
    with LiveServer(moved) as server:
        assert server.call(refresh(server.app[STORE], server.app[RENDERER])) == 0
        server.call(server.app[STORE].stamp())
        since = harvest(
            server.url("/oai"),
            "ListRecords",
            metadataPrefix="oai_dc",
            **{"from": before.pages[0].response_date},
        )
        assert since.items == [] and since.pages[0].errors == ["noRecordsMatch"]
        everything = {
            prefix: harvest(server.url("/oai"), "ListRecords", metadataPrefix=prefix)
            for prefix in ("oai_dc", "marc21", "mods")
        }
        assert everything["oai_dc"].headers() == before.headers(), "no datestamp moved"
        for prefix, result in everything.items():
            for item in result.items:
                body = etree.tostring(item)
                assert f"{new}/records/".encode() in body, (prefix, body[:500])
                assert f"{old}/".encode() not in body, (prefix, body[:500])
        identifier = f"oai:{settings.repository.identifier}:{key}"
        manifest_url = f"{new}/iiif/3/{key}/manifest"
        for prefix, body in _served_bodies(server, identifier).items():
            assert manifest_url.encode() in body and f"{new}/records/{key}".encode() in body
            assert f"{old}/".encode() not in body, (prefix, body)
        reply = request(server.url(f"/iiif/3/{key}/manifest"))
        assert reply.status == 200 and f"{old}/".encode() not in reply.body
        assert reply.json()["id"] == manifest_url
        assert reply.headers["etag"] != first_manifest.headers["etag"], "ETag of served bytes"
        assert reply.headers["last-modified"] == first_manifest.headers["last-modified"]
        seen = {ids["id"] for ids in _ids(reply.json())}
        assert seen and all(i.startswith(f"{new}/") for i in seen), seen
        stream = _discovery(server)
        assert len(stream) == len(stream_before), "a new base is no change to any manifest"
        assert {a["object"]["id"] for a in stream} == {
            a["object"]["id"].replace(old, new) for a in stream_before
        }
    with LiveServer(settings) as server:  # back at the first base: the stored bytes as they are
        again = request(server.url(f"/iiif/3/{key}/manifest"))
        assert again.body == first_manifest.body
        assert again.headers["etag"] == first_manifest.headers["etag"]


def _ids(node):
    if isinstance(node, dict):
        if isinstance(node.get("id"), str) and node["id"].startswith("http"):
            yield node
        for value in node.values():
            yield from _ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ids(value)


def test_e6_new_crosswalk_version_rerenders_and_logs_manifest_updates(
    database_url, tmp_path, monkeypatch
):
    """A re-render moves the datestamps, and each re-rendered manifest gets an Update in
    the Change Discovery stream, with endTime = the record's new datestamp."""
    (tmp_path / "p.jpg").write_bytes(page_image(["x"], seed=4, title="x"))
    settings = make_settings(database_url, tmp_path / "data")
    ingest(settings, [_write(tmp_path, "r.jsonl", [_paged_item(n) for n in range(5)])])
    with LiveServer(settings) as server:
        before = _harvest_after_the_last_change(server)
        stream_before = _discovery(server)
    assert [a["type"] for a in stream_before] == ["Create"] * 3
    monkeypatch.setattr(crosswalks, "VERSION", crosswalks.VERSION + "-next")
    with LiveServer(settings) as server:

        def rerendered():  # the server re-renders in the background after it starts
            found = harvest(
                server.url("/oai"),
                "ListRecords",
                metadataPrefix="oai_dc",
                **{"from": before.pages[0].response_date},
            )
            return found if len(found.items) == 5 else None

        after = wait_until(rerendered, 20, "every record re-rendered with a new datestamp")
        old = before.headers()
        assert all(after.headers()[i][0] >= old[i][0] for i in old)
        assert server.call(refresh(server.app[STORE], server.app[RENDERER])) == 0
        stream = _discovery(server)
    assert stream[: len(stream_before)] == stream_before, "the stream only grows"
    added = stream[len(stream_before) :]
    assert [a["type"] for a in added] == ["Update"] * 3
    manifests = {a["object"]["id"] for a in stream_before}
    assert {a["object"]["id"] for a in added} == manifests
    stamps = {
        f"{settings.base_url}/iiif/3/{i.rsplit(':', 1)[1]}/manifest": h[0]
        for i, h in after.headers().items()
    }
    for activity in added:
        assert activity["endTime"] == stamps[activity["object"]["id"]], "endTime = datestamp"


def test_e7_tokens_outlive_a_restart_of_the_process(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data", oai={"page_size": 4})
    ingest(settings, [_write(tmp_path, "r.jsonl", [_item(n) for n in range(10)])])
    with OpisProcess(settings) as process:
        token = call(process.base + "/oai", "verb=ListIdentifiers&metadataPrefix=oai_dc").text(
            "oai:ListIdentifiers/oai:resumptionToken"
        )
        before = call(process.base + "/oai", {"verb": "ListIdentifiers", "resumptionToken": token})
        process.kill()
    with OpisProcess(settings) as process:
        after = call(process.base + "/oai", {"verb": "ListIdentifiers", "resumptionToken": token})
    ids = ".//oai:header/oai:identifier"
    assert [e.text for e in before.findall(ids)] == [e.text for e in after.findall(ids)]


def test_e11_datestamps_are_utc_whatever_the_server_timezone(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")
    ingest(settings, [_write(tmp_path, "r.jsonl", [_item(1)])])
    with OpisProcess(settings, env={"TZ": "Asia/Yekaterinburg"}) as process:
        oai = process.base + "/oai"
        before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        ingest(settings, [_write(tmp_path, "r2.jsonl", [_item(1, "Changed")])])
        changed = f"oai:{settings.repository.identifier}:RGANI/f.5/op.30/d.1"

        def harvested():  # ingest stamps what it wrote: usually the first harvest shows it
            found = harvest(oai, "ListRecords", metadataPrefix="oai_dc", **{"from": before})
            return found if _titles(found).get(changed) == "Changed" else None

        found = wait_until(harvested, 20, "the change in a harvest from before it", interval=0.1)
        assert _titles(found) == {changed: "Changed"}


def test_503_with_retry_after_when_overloaded(sqlite_url, tmp_path):
    settings = make_settings(
        sqlite_url, tmp_path / "data", server={"max_concurrent_requests": 0, "retry_after": 7}
    )
    with LiveServer(settings) as server:
        busy = call(server.url("/oai"), "verb=Identify")
        assert busy.status == 503 and busy.headers["Retry-After"] == "7"
        assert call(server.url("/healthz"), validate=False).status == 200


def _mirror_apply(mirror, result):
    for identifier, title in _titles(result).items():
        mirror[identifier] = title


@pytest.mark.parametrize("writers", [2])
def test_the_guarantee_incremental_chain_under_concurrent_writers(database_url, tmp_path, writers):
    settings = make_settings(database_url, tmp_path / "data", oai={"page_size": 7})
    with LiveServer(settings) as server:
        oai = server.url("/oai")
        mirror: dict[str, str | None] = {}
        since = None
        for _ in while_writing(settings, writers, records=40, seconds=8):
            result = harvest(
                oai, "ListRecords", metadataPrefix="oai_dc", **({"from": since} if since else {})
            )
            ids = result.identifiers
            assert len(ids) == len(set(ids)), "a record repeated inside one list"
            _mirror_apply(mirror, result)
            since = result.pages[0].response_date
        truth = server.call(_store_state(server))
    assert mirror == truth
    assert sum(1 for v in truth.values() if v is None) > 0, "the run had deletions"
    assert len(truth) > 20


async def _store_state_of(server):
    from sqlalchemy import select

    from repository.store import bodies
    from repository.store.schema import records

    store = server.app[STORE]
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(records.c.key, records.c.deleted, records.c.data))).all()
        datas = await bodies.loads(conn, [data for _, _, data in rows])
        prefix = f"oai:{server.settings.repository.identifier}:"
        return {
            prefix + k: (None if d else data["title"])
            for (k, d, _), data in zip(rows, datas, strict=True)
        }


def _store_state(server):
    return _store_state_of(server)
