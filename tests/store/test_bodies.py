"""Stored bodies are compressed (store/bodies.py): served the same, stored small, and a
store written before compression upgrades in place and serves the same bytes."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import func, inspect, select

from metadata.record import Record
from repository.intake.demo import page_image
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.settings import load
from repository.store import Store, bodies
from repository.store.engine import create_engine
from repository.store.migrate import config
from repository.store.schema import dictionaries, records, renditions
from repository.store.writes import Prepared, pack_ahead
from tests.live import LiveServer, ingest, make_settings, settings_environ
from tests.oai_client import call
from tests.synthetic import write_jsonl

RECORDS = bodies.TRAIN_AT + 44
# What differs between two answers to the same request: the time, and the tokens
# (which carry when they were issued).
CHANGING = re.compile(
    rb"<responseDate>[^<]+</responseDate>|<resumptionToken[^>]*>[^<]*<|resumptionToken=\"[^\"]*\""
)


def _store_with_pages(tmp_path: Path, url: str):
    settings = make_settings(url, tmp_path / "data", oai={"page_size": 100})
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 9, op. 1, d. 1", "title": "With a page"})
    )
    (folder / "001.jpg").write_bytes(page_image(["one"], seed=1, title="p"))
    source = write_jsonl(tmp_path / "r.jsonl", RECORDS)
    report = ingest(settings, [source, folder])
    assert report.count("added") == RECORDS + 1, report.summary()
    return settings


def _served(settings) -> dict[str, bytes]:
    """Every format of every record as the OAI endpoint serves it, and one manifest."""
    out: dict[str, bytes] = {}
    with LiveServer(settings) as server:
        oai = server.url("/oai")
        for prefix in ("oai_dc", "marc21", "mods", "oai_ead", "edm", "oai_dcterms"):
            query: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": prefix}
            page = 0
            while True:
                reply = call(oai, query)
                out[f"{prefix}/{page}"] = CHANGING.sub(b"", reply.body)
                token = reply.tree.findtext(".//{*}resumptionToken")
                if not token:
                    break
                query = {"verb": "ListRecords", "resumptionToken": token}
                page += 1
        identifier = f"oai:{settings.repository.identifier}:GARF/f.9/op.1/d.1"
        get = call(oai, {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "mods"})
        out["GetRecord"] = CHANGING.sub(b"", get.body)
        out["manifest"] = _fetch(server.url("/iiif/3/GARF/f.9/op.1/d.1/manifest"))
    return out


def _fetch(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


async def _stored(url: str) -> tuple[list[bytes], int]:
    """The stored bodies and how many dictionaries there are (any schema version)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = [bytes(b) for b in (await conn.execute(select(renditions.c.body))).scalars()]
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            made = 0
            if "dictionaries" in tables:
                counted = select(func.count()).select_from(dictionaries)
                made = int((await conn.execute(counted)).scalar() or 0)
        return found, made
    finally:
        await engine.dispose()


def test_bodies_are_stored_compressed_with_a_dictionary_per_format(database_url, tmp_path):
    settings = _store_with_pages(tmp_path, database_url)
    stored, made = asyncio.run(_stored(database_url))
    assert made >= 7  # one per OAI format and the data (the lone manifest is too few)
    assert all(bodies.is_frame(b) for b in stored)
    with_dictionary = [b for b in stored if bodies.dictionary_id(b)]
    assert len(with_dictionary) >= 6 * RECORDS  # all but the lone manifest
    replies = _served(settings)
    assert b"<dc:title" in replies["oai_dc/0"]
    assert json.loads(replies["manifest"])["type"] == "Manifest"


def test_a_store_from_before_compression_upgrades_in_place_and_serves_the_same_bytes(
    database_url, tmp_path
):
    settings = _store_with_pages(tmp_path, database_url)
    before = _served(settings)
    packed_before, _ = asyncio.run(_stored(database_url))
    command.downgrade(config(database_url), "0004")  # bodies as stores kept them before
    plain, made = asyncio.run(_stored(database_url))
    assert made == 0 and not any(bodies.is_frame(b) for b in plain)
    assert all(b[:1] in (b"<", b"{") for b in plain)
    assert sum(map(len, packed_before)) * 3 < sum(map(len, plain))
    result = subprocess.run(
        [sys.executable, "-m", "repository", "db", "upgrade"],
        env={**os.environ, **settings_environ(settings)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    packed, made = asyncio.run(_stored(database_url))
    assert made >= 7 and all(bodies.is_frame(b) for b in packed)
    assert sum(1 for b in packed if bodies.dictionary_id(b)) == 6 * (RECORDS + 1)
    assert _served(settings) == before


def test_a_body_written_before_its_format_had_a_dictionary_stays_readable(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")
    few = write_jsonl(tmp_path / "few.jsonl", 3)
    assert ingest(settings, [few]).count("added") == 3
    many = write_jsonl(tmp_path / "many.jsonl", RECORDS, start=3)
    assert ingest(settings, [many]).count("added") == RECORDS
    stored, made = asyncio.run(_stored(sqlite_url))
    assert made >= 7
    assert sum(1 for b in stored if bodies.dictionary_id(b) == 0) == 3 * 6
    with LiveServer(settings) as server:
        reply = call(server.url("/oai"), {"verb": "ListRecords", "metadataPrefix": "marc21"})
        token = reply.tree.find(".//{*}resumptionToken")
        assert token is not None and token.get("completeListSize") == str(3 + RECORDS)
        first = reply.tree.findall("{*}ListRecords/{*}record")
        assert len(first) == settings.oai.page_size
        assert all(r.find(".//{http://www.loc.gov/MARC21/slim}record") is not None for r in first)


def _prepared(n: int, renderer: Renderer, title: str = "R") -> Prepared:
    record = Record.from_json(
        {
            "citation": f"RGANI, f. 5, op. 30, d. {n}",
            "title": f"{title} {n}",
            "source": {"id": f"{n}"},
        }
    )
    return prepare(record, renderer)[0]


async def _stored_by_key(store: Store) -> dict[tuple[str, str], bytes]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(records.c.key, renditions.c.format, renditions.c.body).join(
                records, records.c.id == renditions.c.record_id
            )
        )
        return {(k, f): bytes(b) for k, f, b in rows}


def test_bodies_packed_where_they_were_prepared_are_stored_as_packed(database_url):
    """Ingest's worker processes pack what they prepare with the store's dictionaries
    (``pack_ahead``); the write keeps those bytes. A body packed with a dictionary the
    store has not got (trained by a write that was rolled back) is packed again: every
    stored frame names a dictionary the store holds."""

    async def run() -> None:
        renderer = Renderer(load(environ={}))
        store = await Store(database_url).open()
        try:
            await store.write([_prepared(n, renderer) for n in range(RECORDS)])  # trains
            chosen = await store.dictionaries()
            assert {bodies.RECORD, "oai_dc", "marc21", "mods"} <= chosen.keys()
            assert await store.dictionaries(chosen) == chosen

            ahead = _prepared(RECORDS, renderer)
            plain = dict(ahead.renditions)
            pack_ahead(ahead, chosen)
            assert ahead.packed.keys() == {*plain, bodies.RECORD}
            assert all(bodies.is_frame(b) for b in ahead.renditions.values())

            others = [_prepared(n, renderer, "Other") for n in range(RECORDS)]
            stray = {}
            for fmt in plain:
                made = bodies.train([p.renditions[fmt] for p in others])
                assert made is not None and made[0] != chosen[fmt][0]
                stray[fmt] = made
            lost = _prepared(RECORDS + 1, renderer)
            lost_plain = dict(lost.renditions)
            pack_ahead(lost, stray)
            assert set(lost.packed.values()) - {0} == {i for i, _ in stray.values()}

            await store.write([ahead, lost])
            stored = await _stored_by_key(store)
            async with store.engine.connect() as conn:
                held = set((await conn.execute(select(dictionaries.c.id))).scalars())
            assert {bodies.dictionary_id(b) for b in stored.values()} <= held
            key = f"RGANI/f.5/op.30/d.{RECORDS}"
            for fmt in plain:
                assert stored[key, fmt] == ahead.renditions[fmt]  # kept as packed
                assert bodies.unpack_known(stored[key, fmt]) == plain[fmt]
                lost_key = f"RGANI/f.5/op.30/d.{RECORDS + 1}"
                assert bodies.dictionary_id(stored[lost_key, fmt]) == chosen[fmt][0]
                assert bodies.unpack_known(stored[lost_key, fmt]) == lost_plain[fmt]
        finally:
            await store.close()

    asyncio.run(run())


def test_a_record_sent_from_a_worker_is_stored_as_one_prepared_here(database_url, tmp_path):
    """Ingest's workers send prepared records without their ``Record`` (its JSON is in
    ``data``, packed). One that must be written under another key than its locator (a
    second document citing the same unit, and that document changed later) has it read
    back: the store then holds the same bytes as when every record was prepared in the
    writing process."""

    def batch(
        renderer: Renderer, chosen: bodies.Chosen | None, titles: tuple[str, ...]
    ) -> list[Prepared]:
        made = []
        for n, title in enumerate(titles):
            record = Record.from_json(
                {
                    "citation": "RGANI, f. 5, op. 30, d. 9999",
                    "title": title,
                    "source": {"id": f"s{n}"},
                }
            )
            prepared = prepare(record, renderer)[0]
            if chosen is not None:  # as a worker does: packed, then sent
                pack_ahead(prepared, chosen)
                prepared.rerender = None
                prepared = pickle.loads(pickle.dumps(prepared))
                assert prepared.record is None
                prepared.rerender = renderer.renditions
            made.append(prepared)
        return made

    async def stored(url: str, sent: bool) -> tuple[dict[tuple[str, str], bytes], dict]:
        renderer = Renderer(load(environ={}))
        store = await Store(url).open()
        try:
            await store.write([_prepared(n, renderer) for n in range(RECORDS)])  # trains
            chosen = await store.dictionaries() if sent else None
            keys = [
                "RGANI/f.5/op.30/d.9999",
                "RGANI/f.5/op.30/d.9999/doc.s1",
                "RGANI/f.5/op.30/d.9999/doc.s2",
            ]
            outcomes = await store.write(batch(renderer, chosen, ("First", "Second", "Third")))
            assert [(o.key, o.status) for o in outcomes] == [(k, "added") for k in keys]
            outcomes = await store.write(batch(renderer, chosen, ("First", "Second", "3rd")))
            assert [o.status for o in outcomes] == ["unchanged", "unchanged", "updated"]
            assert [o.key for o in outcomes] == keys
            async with store.engine.connect() as conn:
                rows = (await conn.execute(select(records.c.key, records.c.data))).all()
                loaded = await bodies.loads(conn, [d for _, d in rows])
                data = dict(zip([k for k, _ in rows], loaded, strict=True))
            bodies_by_key = {
                k: bodies.unpack_known(b) for k, b in (await _stored_by_key(store)).items()
            }
            return bodies_by_key, data
        finally:
            await store.close()

    here = asyncio.run(stored(f"sqlite:///{tmp_path}/here.db", sent=False))
    sent = asyncio.run(stored(database_url, sent=True))
    assert sent == here
    assert sent[1]["RGANI/f.5/op.30/d.9999/doc.s2"]["title"] == "3rd"
    assert b"d.9999/doc.s1" in sent[0]["RGANI/f.5/op.30/d.9999/doc.s1", "mods"]
