"""``opis harvest`` against real ports: another Opis, a misbehaving front, a quirky provider.

What must hold: a harvested copy equals its source record by record (keys, titles,
dates, citations, deletions), after a full and after an incremental harvest, and also
one hop further (the copy is itself harvested); a run that fails half-way, through
503s or dropped connections, ends, possibly after a second run, with exactly the
store an uninterrupted run gives.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from click.testing import CliRunner
from sqlalchemy import select
from yarl import URL

from metadata.record import Record
from repository.cli import main
from repository.intake.harvest import HarvestOptions, harvest, harvested_source
from repository.intake.harvest_source import RetryPolicy, retry_after
from repository.intake.harvest_state import State, load, save
from repository.store import Store, bodies
from repository.store.schema import records as records_table
from tests.conftest import ROOT, shared_path
from tests.live import (
    BackgroundLoop,
    LiveServer,
    OpisProcess,
    free_port,
    ingest,
    make_settings,
    settings_environ,
)
from tests.synthetic import records as synthetic

FAST = RetryPolicy(attempts=4, backoff=0.05, max_wait=2, timeout=10)
COLLECTION = "Iran-Azerbaijan Crisis of 1946"

HAND = [
    {
        "reference": "GAPPOD, f.1, op.89, d.112",
        "title": "Letter from Bagirov to Stalin and Molotov",
        "date": "1946-04-20",
        "description": "A letter about Qavam delaying talks.",
        "creators": ["Bagirov, M. D."],
        "contributors": [{"name": "Goldberg, Gary", "role": "translator"}],
        "language": ["ru", "en"],
        "subjects": ["Oil"],
        "places": ["Baku"],
        "collections": [COLLECTION],
        "types": ["Letter"],
        "publisher": "Wilson Center Digital Archive",
        "rights": "Reuse welcome.",
        "funders": ["Carnegie Corporation of New York"],
        "source": {"id": "h1"},
    },
    {  # the same unit as h1: its key gets a doc. segment
        "reference": "GAPPOD, f.1, op.89, d.112",
        "title": "Second report filed in the same delo",
        "date": "1946-05",
        "source": {"id": "h2"},
    },
    {
        "reference": "ГАРФ. Ф. Р-5446. Оп. 1. Д. 2. Л. 3",
        "title": "Постановление о поставках зерна",
        "collections": [COLLECTION],
        "source": {"id": "h3"},
    },
]


def _jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    return path


# ---------------------------------------------------------------- reading stores


def rows(url: str) -> dict[str, tuple[bool, Record, int | None]]:
    """key -> (deleted, record, datestamp) for every record in a store."""

    async def read() -> dict[str, tuple[bool, Record, int | None]]:
        store = await Store(url).open()
        try:
            async with store.engine.connect() as conn:
                found = (
                    await conn.execute(
                        select(
                            records_table.c.key,
                            records_table.c.deleted,
                            records_table.c.data,
                            records_table.c.datestamp,
                        )
                    )
                ).all()
                datas = await bodies.loads(conn, [r.data for r in found])
                return {
                    r.key: (bool(r.deleted), Record.from_json(data), r.datestamp)
                    for r, data in zip(found, datas, strict=True)
                }
        finally:
            await store.close()

    return asyncio.run(read())


def contents(url: str) -> dict[str, tuple[bool, dict]]:
    """What two equal stores share: keys, deletions and records (not datestamps)."""
    return {key: (deleted, record.to_json()) for key, (deleted, record, _) in rows(url).items()}


def check_copy(origin: str, copy: str, namespace: str, origin_name: str) -> None:
    """``copy`` holds every record of ``origin``, as its metadata carried it."""
    prefix = f"oai:{namespace}:"
    source, copied = rows(origin), rows(copy)
    by_origin = {}
    for key, (deleted, record, _) in copied.items():
        assert record.source.id.startswith(prefix), record.source
        by_origin[record.source.id.removeprefix(prefix)] = (key, deleted, record)
    assert set(by_origin) == set(source)
    for origin_key, (deleted, record, _) in source.items():
        key, copy_deleted, got = by_origin[origin_key]
        assert key == origin_key  # another Opis's key travels in its OAI identifier
        assert copy_deleted == deleted, key
        if deleted:
            continue
        for name in (
            "title",
            "title_language",
            "date",
            "citation",
            "reference",
            "alternates",
            "creators",
            "language",
            "subjects",
            "places",
            "types",
            "rights",
            "collections",
            "funders",
        ):
            assert getattr(got, name) == getattr(record, name), (key, name)
        assert [a.name for a in got.contributors] == [a.name for a in record.contributors]
        assert [d.value for d in got.description] == [d.value for d in record.description]
        assert got.publisher == (record.publisher or origin_name)


def run(settings, url: str, **options) -> object:
    options.setdefault("retry", FAST)
    return asyncio.run(harvest(settings, HarvestOptions(url, **options)))


def counts(report) -> dict[str, int]:
    statuses = ("added", "updated", "deleted", "failed")
    return {s: report.count(s) for s in statuses if report.count(s)}


async def _delete(url: str, keys: list[str]) -> None:
    store = await Store(url).open()
    try:
        for key in keys:
            assert await store.delete(key)
        await store.stamp()
    finally:
        await store.close()


# ---------------------------------------------------------------- Opis to Opis


def test_round_trip_full_then_incremental_both_directions(database_url, tmp_path):
    """A (``opis serve``) -> B (either backend) -> C: full, then after changes on A."""
    a = make_settings(
        f"sqlite:///{tmp_path}/a.db",
        tmp_path / "a",
        oai={"page_size": 4},
        repository={"identifier": "a.example.org", "name": "Source archive A"},
    )
    b = make_settings(database_url, tmp_path / "b", repository={"identifier": "b.example.org"})
    c = make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path / "c")
    generated = list(synthetic(20, seed=7))
    items = [*HAND, *generated]
    assert ingest(a, [_jsonl(tmp_path / "a.jsonl", items)]).count("added") == 23
    with OpisProcess(a) as source, LiveServer(b) as copy:
        a_oai, b_oai = f"{source.base}/oai", copy.url("/oai")

        # full: A -> B, then B -> C in another format
        report = run(b, a_oai)
        assert counts(report) == {"added": 23}, report.entries
        check_copy(a.database.url, b.database.url, "a.example.org", "Source archive A")
        assert counts(run(c, b_oai, prefix="mods")) == {"added": 23}
        check_copy(b.database.url, c.database.url, "b.example.org", b.repository.name)

        # changes on A: two updates, two deletions (one in a set), two new records
        first = rows(a.database.url)
        by_source = {r.source.id: key for key, (_, r, _) in first.items()}
        changed = [
            {**HAND[0], "title": "Letter from Bagirov (revised title)"},
            {**generated[3], "description": "Changed description."},
            {**HAND[2], "reference": "GARF, f. R-5446, op. 1, d. 2", "source": {"id": "h4"}},
            *synthetic(1, seed=8, start=40),
        ]
        assert ingest(a, [_jsonl(tmp_path / "change.jsonl", changed)]).count("failed") == 0
        asyncio.run(_delete(a.database.url, [by_source["syn-5"], by_source["h3"]]))

        # incremental: only the changes travel, deletions become tombstones
        report = run(b, a_oai)
        assert counts(report) == {"added": 2, "updated": 2, "deleted": 2}, report.entries
        check_copy(a.database.url, b.database.url, "a.example.org", "Source archive A")
        report = run(c, b_oai, prefix="mods")
        assert counts(report) == {"added": 2, "updated": 2, "deleted": 2}, report.entries
        check_copy(b.database.url, c.database.url, "b.example.org", b.repository.name)

        # harvesting everything again changes nothing, not even a datestamp
        before = rows(b.database.url)
        report = run(b, a_oai, full=True)
        assert counts(report) == {} and report.count("unchanged") == 25  # tombstones too
        assert rows(b.database.url) == before


def test_a_set_harvest_takes_only_the_set(tmp_path):
    a = make_settings(f"sqlite:///{tmp_path}/a.db", tmp_path / "a", oai={"page_size": 2})
    b = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    ingest(a, [_jsonl(tmp_path / "a.jsonl", [*HAND, *synthetic(5)])])
    with LiveServer(a) as source:
        report = run(b, source.url("/oai"), set="collection:iran-azerbaijan-crisis-of-1946")
    assert counts(report) == {"added": 2}
    assert {r.collections for _, r, _ in rows(b.database.url).values()} == {(COLLECTION,)}


def test_uncited_records_from_another_opis_keep_their_keys(tmp_path):
    a = make_settings(f"sqlite:///{tmp_path}/a.db", tmp_path / "a")
    b = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    uncited = {
        "reference": "Private papers of the family",
        "title": "Diary",
        "source": {"id": "u1"},
    }
    ingest(a, [_jsonl(tmp_path / "a.jsonl", [HAND[0], uncited])])
    with LiveServer(a) as source:
        done = subprocess.run(
            [sys.executable, "-m", "repository", "harvest", source.url("/oai")],
            env={**os.environ, **settings_environ(b)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("2 added, 0 updated, 0 unchanged, 0 deleted, 0 failed")
    assert sorted(rows(b.database.url)) == ["GAPPOD/f.1/op.89/d.112", "UNCITED/doc.u1"]


def test_the_corpus_travels_opis_to_opis_to_opis_record_by_record(tmp_path):
    corpus = shared_path("corpus")
    a = make_settings(
        f"sqlite:///{tmp_path}/a.db", tmp_path / "a", repository={"identifier": "a.example.org"}
    )
    b = make_settings(
        f"sqlite:///{tmp_path}/b.db", tmp_path / "b", repository={"identifier": "b.example.org"}
    )
    c = make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path / "c")
    assert not ingest(a, [corpus]).failed
    uncited = [k for k in rows(a.database.url) if k.startswith("UNCITED/")]
    assert uncited, "the corpus has pages without a citation"
    with LiveServer(a) as origin, LiveServer(b) as middle:
        report = run(b, origin.url("/oai"))
        assert counts(report) == {"added": len(rows(a.database.url))}, report.entries
        report = run(c, middle.url("/oai"), prefix="mods")
        assert counts(report) == {"added": len(rows(a.database.url))}, report.entries
    check_copy(a.database.url, b.database.url, "a.example.org", a.repository.name)
    check_copy(b.database.url, c.database.url, "b.example.org", b.repository.name)
    assert set(rows(c.database.url)) == set(rows(a.database.url))


class PlainLibrary(BackgroundLoop):
    """A library's OAI-PMH provider: the ``oaipmh`` package's own server over plain Dublin
    Core records (title, creator, date, identifier; no archival citation), paged by it."""

    def __init__(self, records: list[dict[str, str]]) -> None:
        super().__init__()
        from oaipmh import common, metadata, server

        self.records = records
        self.url = f"http://127.0.0.1:{free_port()}/oai"
        registry = metadata.MetadataRegistry()
        registry.registerWriter("oai_dc", server.oai_dc_writer)
        library = self

        class Backend:
            def identify(self):
                return common.Identify(
                    repositoryName="A town library",
                    baseURL=library.url,
                    protocolVersion="2.0",
                    adminEmails=["librarian@example.org"],
                    earliestDatestamp=library.stamp,
                    deletedRecord="no",
                    granularity="YYYY-MM-DDThh:mm:ssZ",
                    compression=["identity"],
                )

            def listMetadataFormats(self, identifier=None):
                return [
                    ("oai_dc", server.NS_OAIDC.replace("/oai_dc/", "/oai_dc.xsd"), server.NS_OAIDC)
                ]

            def listSets(self):
                raise error.NoSetHierarchyError

            def _record(self, item):
                header = common.Header(None, item["id"], library.stamp, [], False)
                fields = {k: [v] for k, v in item.items() if k != "id"}
                return header, common.Metadata(None, {**fields, "identifier": [item["id"]]}), None

            def listRecords(self, metadataPrefix, set=None, from_=None, until=None):
                if from_ is not None and from_ > library.stamp:
                    raise error.NoRecordsMatchError
                return [self._record(item) for item in library.records]

            def listIdentifiers(self, metadataPrefix, set=None, from_=None, until=None):
                return [h for h, _, _ in self.listRecords(metadataPrefix, set, from_, until)]

            def getRecord(self, metadataPrefix, identifier):
                for item in library.records:
                    if item["id"] == identifier:
                        return self._record(item)
                raise error.IdDoesNotExistError(identifier)

        import datetime as dt

        from oaipmh import error

        self.stamp = dt.datetime(2026, 1, 2, 3, 4, 5)
        self.server = server.Server(Backend(), registry, resumption_batch_size=7)

    async def handle(self, request: web.Request) -> web.Response:
        args = dict(request.query) if request.method == "GET" else dict(await request.post())
        return web.Response(body=self.server.handleRequest(args), content_type="text/xml")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/oai", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", URL(self.url).port).start()

    async def _stop(self) -> None:
        await self._runner.cleanup()


def _library_records(n: int) -> list[dict[str, str]]:
    return [
        {
            "id": f"oai:library.example.org:item/{i}",
            "title": f"Parish register, volume {i}",
            "creator": "Saint Mary's Church",
            "date": f"18{i:02d}",
        }
        for i in range(n)
    ]


def test_fifty_plain_dublin_core_records_all_come_in_and_again_unchanged(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    with PlainLibrary(_library_records(50)) as library:
        report = run(settings, library.url)
        assert counts(report) == {"added": 50}, report.entries
        stored = rows(settings.database.url)
        assert sorted(stored) == sorted(f"LIBRARY-EXAMPLE-ORG/doc.item%2F{i}" for i in range(50))
        assert {r.title for _, r, _ in stored.values()} == {
            f"Parish register, volume {i}" for i in range(50)
        }
        assert counts(run(settings, library.url)) == {}  # incremental: nothing new
        again = run(settings, library.url, full=True)
        assert counts(again) == {} and again.count("unchanged") == 50
        assert rows(settings.database.url) == stored


def test_a_named_branch_keys_records_without_a_citation(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    with PlainLibrary(_library_records(3)) as library:
        assert counts(run(settings, library.url, archive="TOWNLIB")) == {"added": 3}
    assert sorted(rows(settings.database.url)) == [f"TOWNLIB/doc.item%2F{i}" for i in range(3)]


def test_a_record_that_cannot_be_stored_is_reported_on_every_run_until_it_is(tmp_path):
    small = make_settings(
        f"sqlite:///{tmp_path}/b.db", tmp_path / "b", records={"max_title_chars": 30}
    )
    items = _library_records(3)
    items[1]["title"] = "A title much longer than this copy's thirty-character limit"
    with PlainLibrary(items) as library:
        first = run(small, library.url)
        assert counts(first) == {"added": 2, "failed": 1}
        assert [e.source for e in first.entries if e.status == "failed"] == [items[1]["id"]]
        second = run(small, library.url)  # incremental: the list brings nothing new
        assert counts(second) == {"failed": 1}, second.entries
        roomy = replace(small, records=replace(small.records, max_title_chars=2000))
        third = run(roomy, library.url)
        assert counts(third) == {"added": 1}, third.entries
        assert counts(run(roomy, library.url)) == {}


# ---------------------------------------------------------------- faults


class Proxy(BackgroundLoop):
    """A front for a source that answers 503 or drops the connection when told to."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.url = f"http://127.0.0.1:{free_port()}/oai"
        self.busy = 0  # answer this many requests 503 + Retry-After: 1
        self.drop: set[int] = set()  # close the connection on these request numbers
        self.down_from: int | None = None  # ... and on every request from this one on
        self.requests: list[str] = []

    def reset(self) -> None:
        self.busy, self.drop, self.down_from, self.requests = 0, set(), None, []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.query_string)
        number = len(self.requests)
        if self.busy > 0:
            self.busy -= 1
            return web.Response(status=503, headers={"Retry-After": "1"}, text="busy")
        if number in self.drop or (self.down_from is not None and number >= self.down_from):
            request.transport.close()
            return web.Response()
        target = URL(f"{self.upstream}?{request.query_string}", encoded=True)
        async with self._session.get(target) as upstream:
            body = await upstream.read()
            return web.Response(
                body=body, status=upstream.status, content_type="text/xml", charset="utf-8"
            )

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_get("/oai", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", URL(self.url).port).start()

    async def _stop(self) -> None:
        await self._session.close()
        await self._runner.cleanup()


@pytest.fixture
def faulty(tmp_path):
    """A source of 17 records in pages of 3 behind a ``Proxy``, and a reference copy.

    The reference is an uninterrupted harvest through the same front (so even the
    source URLs in the records are the same), for comparing whole stores.
    """
    a = make_settings(f"sqlite:///{tmp_path}/a.db", tmp_path / "a", oai={"page_size": 3})
    ingest(a, [_jsonl(tmp_path / "a.jsonl", [*HAND, *synthetic(14, seed=5)])])
    with LiveServer(a) as source, Proxy(source.url("/oai")) as proxy:
        reference = make_settings(f"sqlite:///{tmp_path}/ref.db", tmp_path / "ref")
        assert counts(run(reference, proxy.url)) == {"added": 17}
        proxy.reset()
        proxy.expected = contents(reference.database.url)
        yield proxy


def test_503_with_retry_after_is_waited_out(faulty, tmp_path):
    target = make_settings(f"sqlite:///{tmp_path}/t.db", tmp_path / "t")
    faulty.busy = 2
    started = time.monotonic()
    report = run(target, faulty.url)
    assert time.monotonic() - started >= 2  # Retry-After: 1, twice
    assert not report.failed
    assert len(report.notes) == 2
    assert all("HTTP 503" in note and "retrying in 1 s" in note for note in report.notes)
    assert contents(target.database.url) == faulty.expected


def test_a_dropped_connection_is_retried(faulty, tmp_path):
    target = make_settings(f"sqlite:///{tmp_path}/t.db", tmp_path / "t")
    faulty.drop = {3}
    report = run(target, faulty.url)
    assert not report.failed
    assert "network error" in report.notes[0]
    assert contents(target.database.url) == faulty.expected


def test_an_interrupted_harvest_resumes_from_its_token(faulty, tmp_path, database_url):
    """The source goes away mid-list: exit 1, then a second run completes the same store."""
    target = make_settings(database_url, tmp_path / "t")
    faulty.down_from = 4  # Identify, pages 1 and 2 get through
    command = [
        sys.executable,
        *("-m", "repository", "harvest", faulty.url),
        *("--retries", "2", "--max-wait", "0.05"),
    ]
    environ = {**os.environ, **settings_environ(target)}
    failed = subprocess.run(command, env=environ, cwd=ROOT, capture_output=True, text=True)
    assert failed.returncode == 1
    assert "gave up after 2 attempts; run again to resume" in failed.stderr
    assert "6 added" in failed.stdout  # two pages of three made it
    state = asyncio.run(_state(target.database.url, faulty.url))
    assert state.token and state.last is None

    faulty.reset()
    done = subprocess.run(command, env=environ, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resumptionToken=" in faulty.requests[1]  # after Identify: the saved token
    assert done.stdout.strip().startswith("11 added")
    assert contents(target.database.url) == faulty.expected


def test_a_token_no_longer_accepted_restarts_the_window(faulty, tmp_path):
    target = make_settings(f"sqlite:///{tmp_path}/t.db", tmp_path / "t")
    faulty.down_from = 4
    assert run(target, faulty.url, retry=replace(FAST, attempts=1)).failed
    state = asyncio.run(_state(target.database.url, faulty.url))
    asyncio.run(_save(target.database.url, faulty.url, replace(state, token="expired")))
    faulty.reset()
    report = run(target, faulty.url)
    assert not report.failed
    assert "no longer accepted" in report.notes[0]
    assert counts(report) == {"added": 11}  # the six already here are unchanged
    assert contents(target.database.url) == faulty.expected


async def _state(url: str, base: str) -> State:
    store = await Store(url).open()
    try:
        return await load(store, HarvestOptions(base).source)
    finally:
        await store.close()


async def _save(url: str, base: str, state: State) -> None:
    store = await Store(url).open()
    try:
        await save(store, HarvestOptions(base).source, state)
    finally:
        await store.close()


# ---------------------------------------------------------------- a quirky provider

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>{doctype}'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2024-03-05T10:20:30Z</responseDate><request>http://x/oai</request>"
)
DC_RECORD = (
    "<record><header><identifier>oai:quirky.example.org:{n}</identifier>"
    "<datestamp>2024-03-05</datestamp></header><metadata>"
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
    "<dc:identifier>RGASPI, f. 17, op. 3, d. {n}</dc:identifier></oai_dc:dc>"
    "</metadata></record>"
)


SEEN = web.AppKey("seen", list)


def _page(body: str, doctype: str = "") -> str:
    return OAI_HEAD.format(doctype=doctype) + body + "</OAI-PMH>"


async def _quirky(request: web.Request) -> web.Response:
    """Day granularity, an entity in a record, an empty page with a token, 422 errors."""
    args = request.query
    request.app[SEEN].append(dict(args))
    if args.get("verb") == "Identify":
        return _xml(
            _page(
                "<Identify><repositoryName>Q</repositoryName><baseURL>http://x/oai</baseURL>"
                "<protocolVersion>2.0</protocolVersion><adminEmail>a@x</adminEmail>"
                "<earliestDatestamp>2000-01-01</earliestDatestamp>"
                "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DD</granularity>"
                "</Identify>"
            )
        )
    if "from" in args:
        error = '<error code="noRecordsMatch">nothing since then</error>'
        return _xml(_page(error), status=422)
    if args.get("verb") == "GetRecord":  # record 2 still holds its entity
        n = args["identifier"].rpartition(":")[2]
        doctype = '<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        record = DC_RECORD.format(n=n, title="&xxe;" if n == "2" else "Fine")
        return _xml(_page(f"<GetRecord>{record}</GetRecord>", doctype if n == "2" else ""))
    token = args.get("resumptionToken")
    if token is None:
        doctype = '<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        records = DC_RECORD.format(n=1, title="Fine") + DC_RECORD.format(n=2, title="&xxe;")
        return _xml(
            _page(
                f"<ListRecords>{records}<resumptionToken>t1</resumptionToken></ListRecords>",
                doctype,
            )
        )
    if token == "t1":  # no records but a token: the list goes on
        return _xml(_page("<ListRecords><resumptionToken>t2</resumptionToken></ListRecords>"))
    deleted = (
        '<record><header status="deleted"><identifier>oai:quirky.example.org:9</identifier>'
        "<datestamp>2024-03-05</datestamp></header></record>"
    )
    records = deleted + DC_RECORD.format(n=4, title="Last")
    return _xml(_page(f"<ListRecords>{records}<resumptionToken/></ListRecords>"))


def _xml(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/xml")


def test_a_quirky_provider(tmp_path):
    port = free_port()
    target = make_settings(f"sqlite:///{tmp_path}/t.db", tmp_path / "t")
    seen: list[dict] = []

    async def start(app: web.Application) -> web.AppRunner:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    app = web.Application()
    app[SEEN] = seen
    app.router.add_get("/oai", _quirky)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(start(app), loop).result(10)
    base = f"http://127.0.0.1:{port}/oai"
    try:
        report = run(target, base)
        failures = [e for e in report.entries if e.status == "failed"]
        assert [e.source for e in failures] == ["oai:quirky.example.org:2"]
        assert failures[0].message.startswith("refused: the XML uses an entity reference")
        assert counts(report) == {"added": 2, "failed": 1}  # across the empty page
        assert report.count("skipped") == 1  # deleted there, never here
        stored = rows(target.database.url)
        assert sorted(stored) == ["RGASPI/f.17/op.3/d.1", "RGASPI/f.17/op.3/d.4"]
        assert all("root:" not in json.dumps(r.to_json()) for _, r, _ in stored.values())
        assert stored["RGASPI/f.17/op.3/d.1"][1].source == harvested_source(
            base, "oai_dc", "oai:quirky.example.org:1"
        )

        seen.clear()
        again = run(target, base)  # from the first responseDate, as a day; 422 read as OAI
        # the refused record is fetched again and reported again, until it can be stored
        assert [e.source for e in again.entries] == ["oai:quirky.example.org:2"]
        assert counts(again) == {"failed": 1}
        assert seen[1] == {
            "verb": "GetRecord",
            "identifier": "oai:quirky.example.org:2",
            "metadataPrefix": "oai_dc",
        }
        assert seen[2]["from"] == "2024-03-05"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


# ---------------------------------------------------------------- not an endpoint

ABOUT = (
    "<!DOCTYPE html><html><head><title>About the archive</title></head>"
    "<body><p>Our catalogue.</p></body></html>"
)


async def _about(request: web.Request) -> web.Response:
    return web.Response(text=ABOUT, content_type="text/html")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/about", "an HTML page, not OAI-PMH XML"),  # a web page
        ("/", "an HTML page, not OAI-PMH XML"),  # the site's home page
        ("/no-such-page", "HTTP 404 Not Found"),
        ("/healthz", "JSON, not OAI-PMH XML"),
    ],
)
def test_a_url_that_is_not_an_endpoint_says_so_and_offers_no_resume(tmp_path, path, reason):
    site = make_settings(f"sqlite:///{tmp_path}/a.db", tmp_path / "a")
    target = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    with LiveServer(site, routes=[("GET", "/about", _about)]) as server:
        url = server.url(path)
        result = CliRunner().invoke(
            main, ["harvest", url, "--retries", "2"], env=settings_environ(target)
        )
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"FAILED  {url} did not answer as an OAI-PMH endpoint: {reason}"), line
    assert line.endswith("; check the URL (it usually ends in /oai or /request)"), line
    assert "resume" not in result.output and "retrying" not in result.output
    assert (
        result.stdout.strip() == "0 added, 0 updated, 0 unchanged, 0 deleted, 1 failed, 0 skipped"
    )
    assert rows(target.database.url) == {}


def test_a_source_that_never_answers_offers_no_resume(tmp_path):
    target = make_settings(f"sqlite:///{tmp_path}/b.db", tmp_path / "b")
    url = f"http://127.0.0.1:{free_port()}/oai"  # nothing listens there
    report = run(target, url, retry=replace(FAST, attempts=1))
    [failure] = report.entries
    assert failure.status == "failed" and "network error" in failure.message
    assert "gave up after 1 attempts" in failure.message
    assert "resume" not in failure.message and "OAI-PMH endpoint" not in failure.message


# ---------------------------------------------------------------- small parts


def test_retry_after_in_seconds_or_as_a_date_and_backoff_capped():
    assert retry_after("7") == 7
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past: at once
    assert 55 < retry_after(email.utils.format_datetime(_in(60), usegmt=True)) <= 60
    assert retry_after("soon") is None and retry_after(None) is None
    policy = RetryPolicy(backoff=1, max_wait=5)
    assert [policy.wait(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def _in(seconds: int):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--map", "missing.toml"], "missing.toml"),
        (["--map", "bad.toml"], "unknown field 'shelfmark'"),
        (["--from", "last week"], "--from must be YYYY-MM-DD"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)  # the default store, opis.db, is created here
    Path("bad.toml").write_text('shelfmark = "dc:source"')
    result = CliRunner().invoke(main, ["harvest", "http://127.0.0.1:9/oai", *args])
    assert result.exit_code == 2 and says in result.output
