"""The rendition base (issue 15): stored renditions keep the public URL the store was first
written with, whatever base a writer renders with; serving swaps in the configured one
(``Rebase``), and ``Store.rebase`` rewrites what is stored, moving no datestamp.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from lxml import etree
from sqlalchemy import select

from metadata.record import Record
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.settings import load
from repository.store import Store, bodies
from repository.store.bases import Rebase, rebase
from repository.store.schema import records, renditions

FIRST = "https://archive.example.org/opis"
OTHER = "http://127.0.0.1:9000"


def _renderer(public_url: str) -> Renderer:
    settings = load(environ={})
    return Renderer(replace(settings, server=replace(settings.server, public_url=public_url)))


def _record(n: int) -> Record:
    return Record.from_json(
        {"citation": f"RGANI, f. 5, op. 30, d. {n}", "title": f"R {n}", "source": {"id": f"r{n}"}}
    )


async def _bodies(store: Store) -> dict[tuple[str, str], bytes]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(records.c.key, renditions.c.format, renditions.c.body).join(
                records, records.c.id == renditions.c.record_id
            )
        )
        found = rows.all()
        plain = await bodies.unpack(conn, [bytes(b) for _, _, b in found])
        return {(k, f): b for (k, f, _), b in zip(found, plain, strict=True) if b is not None}


async def _datestamps(store: Store) -> dict[str, int]:
    async with store.engine.connect() as conn:
        return dict((await conn.execute(select(records.c.key, records.c.datestamp))).all())


async def _write(store: Store, renderer: Renderer, items: list[Record]) -> list[str]:
    outcomes = await store.write([prepare(r, renderer)[0] for r in items])
    await store.stamp()
    return [o.status for o in outcomes]


def _all_in(bodies: dict[tuple[str, str], bytes], base: str, other: str) -> None:
    assert bodies
    for (key, fmt), body in bodies.items():
        assert f"{base}/records/{key}".encode() in body, (fmt, body[:300])
        assert f"{other}/".encode() not in body, (fmt, body[:300])


def test_every_writer_stores_the_rendition_base(database_url):
    async def run() -> None:
        store = await Store(database_url).open()
        try:
            assert await store.rendition_base() is None
            assert await _write(store, _renderer(FIRST), [_record(1)]) == ["added"]
            assert await store.rendition_base() == FIRST
            stamps = await _datestamps(store)
            # another process, serving another port: the same record is unchanged
            other = _renderer(OTHER)
            assert other.version == _renderer(FIRST).version, "the base is not in the version"
            assert await _write(store, other, [_record(1), _record(2)]) == ["unchanged", "added"]
            after = await _datestamps(store)
            assert after["RGANI/f.5/op.30/d.1"] == stamps["RGANI/f.5/op.30/d.1"]
            _all_in(await _bodies(store), FIRST, OTHER)
            # a re-render (another version) from the other base keeps the rendition base
            assert await store.rerender("next", other.renditions, base=OTHER) == 2
            _all_in(await _bodies(store), FIRST, OTHER)
        finally:
            await store.close()

    asyncio.run(run())


def test_rebase_rewrites_what_is_stored_and_moves_no_datestamp(database_url):
    async def run() -> None:
        store = await Store(database_url).open()
        try:
            await _write(store, _renderer(FIRST), [_record(1), _record(2)])
            stamps = await _datestamps(store)
            count = len(await _bodies(store))
            assert await store.rebase(OTHER + "/") == count
            assert await store.rendition_base() == OTHER
            _all_in(await _bodies(store), OTHER, FIRST)
            assert await _datestamps(store) == stamps
            assert await store.rebase(OTHER) == 0
            await _write(store, _renderer(FIRST), [_record(3)])  # a writer still at FIRST
            _all_in(await _bodies(store), OTHER, FIRST)
        finally:
            await store.close()
        reopened = await Store(database_url).open()
        try:
            assert await reopened.rendition_base() == OTHER
        finally:
            await reopened.close()

    asyncio.run(run())


def test_rebase_is_nothing_when_the_bases_agree():
    assert rebase(None, FIRST) is None
    assert rebase(FIRST, FIRST) is None
    assert isinstance(rebase(FIRST, OTHER), Rebase)


def test_a_rebase_is_made_once_for_each_pair_of_bases():
    """Readers ask for it on every request (OAI, IIIF): building it is escaping and
    closures, not worth doing again while the bases stay the same."""
    assert rebase(FIRST, OTHER) is rebase(FIRST, OTHER)
    assert rebase(OTHER, FIRST) is not rebase(FIRST, OTHER)


def test_only_urls_that_start_with_the_base_are_rewritten():
    change = Rebase("http://h", "https://new.example/x")
    body = b"<a>http://host.example/p http://h/records/1 http://h</a>"
    assert change.xml(body) == (
        b"<a>http://host.example/p https://new.example/x/records/1 http://h</a>"
    )


def test_bases_that_xml_and_json_escape_are_replaced_as_serialised():
    old = "https://old.example/a&b"
    new = 'https://new.example/c&d"e'
    element = etree.Element("doc", url=old + "/records/1")
    etree.SubElement(element, "link").text = old + "/iiif/3/k/manifest"
    change = Rebase(old, new)
    moved = etree.fromstring(change.body("oai_dc", etree.tostring(element, encoding="utf-8")))
    assert moved.get("url") == new + "/records/1"
    assert moved.findtext("link") == new + "/iiif/3/k/manifest"
    manifest = json.dumps({"id": old + "/iiif/3/k/manifest"}, ensure_ascii=False).encode()
    served = json.loads(change.body("iiif:manifest", manifest))
    assert served == {"id": new + "/iiif/3/k/manifest"}
    back = Rebase(new, old)
    assert json.loads(back.json(change.json(manifest))) == json.loads(manifest)
