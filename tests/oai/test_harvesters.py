"""Real harvesters: the ``oaipmh`` client (POST, as its default) and Sickle (GET).

Each harvests the whole repository over a real port (ListRecords and ListIdentifiers,
every format, with and without a set, incremental with ``from``) and must get exactly
the records in the store, deletions included, without tripping any of its quirks.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from oaipmh.client import Client
from oaipmh.error import NoRecordsMatchError
from oaipmh.metadata import MetadataReader, MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from metadata.crosswalks import FORMATS
from repository.keys import STORE
from tests.live import LiveServer, ingest, make_settings
from tests.synthetic import records


def _registry() -> MetadataRegistry:
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    registry.registerReader(
        "marc21",
        MetadataReader(
            fields={
                "title": (
                    "textList",
                    "marc:record/marc:datafield[@tag='245']/marc:subfield[@code='a']/text()",
                )
            },
            namespaces={"marc": "http://www.loc.gov/MARC21/slim"},
        ),
    )
    registry.registerReader(
        "mods",
        MetadataReader(
            fields={"title": ("textList", "mods:mods/mods:titleInfo/mods:title/text()")},
            namespaces={"mods": "http://www.loc.gov/mods/v3"},
        ),
    )
    registry.registerReader(
        "oai_ead",
        MetadataReader(
            fields={"title": ("textList", "ead:ead/ead:eadheader//ead:titleproper/text()")},
            namespaces={"ead": "urn:isbn:1-931666-22-9"},
        ),
    )
    registry.registerReader(
        "edm",
        MetadataReader(
            fields={"title": ("textList", "rdf:RDF/edm:ProvidedCHO/dc:title/text()")},
            namespaces={
                "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                "edm": "http://www.europeana.eu/schemas/edm/",
                "dc": "http://purl.org/dc/elements/1.1/",
            },
        ),
    )
    registry.registerReader(
        "oai_dcterms",
        MetadataReader(
            fields={"title": ("textList", "q:dcterms/dcterms:title/text()")},
            namespaces={"q": "urn:opis:oai_dcterms", "dcterms": "http://purl.org/dc/terms/"},
        ),
    )
    return registry


@pytest.fixture(scope="module")
def repo(module_database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("harvesters")
    items = list(records(57, seed=3))
    for item in items[:12]:
        item["collections"] = ["Selected"]
    path = folder / "records.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items))
    settings = make_settings(module_database_url, folder / "data", oai={"page_size": 10})
    assert ingest(settings, [path]).count("added") == 57
    with LiveServer(settings) as live:
        store = live.app[STORE]
        first = live.call(store.get(_key_of(live, 8)))
        live.call(store.delete(first.key))
        live.call(store.stamp())
        live.oai = live.url("/oai")
        live.expected = live.call(_expected(live))
        yield live


def _key_of(live, n):
    return live.call(_nth_key(live, n))


async def _nth_key(live, n):
    from sqlalchemy import select

    from repository.store.schema import records as table

    async with live.app[STORE].engine.connect() as conn:
        return (
            await conn.execute(select(table.c.key).order_by(table.c.id).offset(n).limit(1))
        ).scalar()


async def _expected(live):
    """identifier -> (deleted, sets) for everything in the store."""
    from sqlalchemy import select

    from repository.store.schema import memberships
    from repository.store.schema import records as table

    prefix = f"oai:{live.settings.repository.identifier}:"
    async with live.app[STORE].engine.connect() as conn:
        rows = (await conn.execute(select(table.c.id, table.c.key, table.c.deleted))).all()
        member = (
            await conn.execute(
                select(memberships.c.record_id, memberships.c.spec).where(memberships.c.member)
            )
        ).all()
    sets: dict[int, set[str]] = {}
    for record_id, spec in member:
        sets.setdefault(record_id, set()).add(spec)
    return {prefix + key: (bool(deleted), frozenset(sets.get(i, ()))) for i, key, deleted in rows}


def _in_set(expected, spec):
    return {i for i, (_, sets) in expected.items() if spec in sets}


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_pyoai_client_harvests_everything(repo, prefix):
    client = Client(repo.oai, _registry())  # POST, the client's default
    client.updateGranularity()
    got = {
        h.identifier(): (h.isDeleted(), frozenset(h.setSpec()), m)
        for h, m, _ in client.listRecords(metadataPrefix=prefix)
    }
    assert {i: v[:2] for i, v in got.items()} == repo.expected
    assert all(m is None for deleted, _, m in got.values() if deleted)
    assert all(m["title"] for deleted, _, m in got.values() if not deleted)
    headers = {h.identifier(): h.isDeleted() for h in client.listIdentifiers(metadataPrefix=prefix)}
    assert headers == {i: v[0] for i, v in repo.expected.items()}


def test_pyoai_client_sets_and_incremental(repo):
    client = Client(repo.oai, _registry(), force_http_get=True)
    in_set = {
        h.identifier()
        for h, _, _ in client.listRecords(metadataPrefix="oai_dc", set="collection:selected")
    }
    assert in_set == _in_set(repo.expected, "collection:selected") and len(in_set) == 12
    archive = {h.identifier() for h in client.listIdentifiers(metadataPrefix="mods", set="APRF")}
    assert archive == _in_set(repo.expected, "APRF") and archive
    with pytest.raises(NoRecordsMatchError):
        list(client.listRecords(metadataPrefix="oai_dc", from_=dt.datetime(2999, 1, 1)))
    yesterday = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=1)
    recent = {
        h.identifier() for h, _, _ in client.listRecords(metadataPrefix="oai_dc", from_=yesterday)
    }
    assert recent == set(repo.expected)


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_sickle_harvests_everything(repo, prefix):
    sickle = Sickle(repo.oai, max_retries=3, timeout=60)
    got = {
        r.header.identifier: (r.deleted, frozenset(r.header.setSpecs))
        for r in sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False)
    }
    assert got == repo.expected
    headers = {
        h.identifier: h.deleted
        for h in sickle.ListIdentifiers(metadataPrefix=prefix, ignore_deleted=False)
    }
    assert headers == {i: v[0] for i, v in repo.expected.items()}


def test_sickle_sets_incremental_and_post(repo):
    sickle = Sickle(repo.oai, max_retries=3, timeout=60)
    in_set = {
        r.header.identifier
        for r in sickle.ListRecords(
            metadataPrefix="marc21", set="collection:selected", ignore_deleted=False
        )
    }
    assert in_set == _in_set(repo.expected, "collection:selected")
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    by_day = {
        r.header.identifier
        for r in sickle.ListRecords(
            **{"metadataPrefix": "oai_dc", "from": today, "until": today, "ignore_deleted": False}
        )
    }
    assert by_day == set(repo.expected)
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(**{"metadataPrefix": "oai_dc", "from": "2999-01-01"}))
    posted = Sickle(repo.oai, http_method="POST", timeout=60)
    assert {
        h.identifier for h in posted.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
    } == set(repo.expected)
    sets = {s.setSpec for s in sickle.ListSets()}
    assert {"collection", "collection:selected", "APRF", "GAPPOD"} <= sets
