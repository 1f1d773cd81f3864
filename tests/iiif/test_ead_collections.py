"""IIIF collections of finding aids: the tree of the finding aid, images or not.

The shared finding aids have no page images: walked from the top collection, every unit
with units below it is a collection listing exactly those of its units that are IIIF
resources (units with units below; Princeton's files, whose ``<dao>`` are IIIF
manifests, as those manifests). Every document is checked with the schema and rules.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from manifests.presentation.tree import Member, branches, entries
from metadata.readers.ead import read_ead
from metadata.references import document_key
from tests.conftest import shared_path, wait_until
from tests.iiif_rules import assert_valid, request
from tests.live import LiveServer, ingest, make_settings

FINDING_AIDS = sorted(shared_path("formats", "ead").glob("*/*.xml"))
PRINCETON = "MD/col.C1664"


def test_units_are_collections_and_their_iiif_links_manifests():
    members = [
        Member("A/f.1", False, True),
        Member("A/f.1/s.1", False, True),
        Member("A/f.1/s.1/fl.1", True, True),  # scanned
        Member("A/f.1/s.1/fl.2", False, True),  # described only
        Member("A/f.1/s.1/fl.3", False, True),  # its IIIF manifest is elsewhere
        Member("A/f.1/s.2", False, True),
        Member("A/f.1/s.2/fl.1", False, True),
        Member("A/f.1/s.3", False, True),  # no units below: no collection
    ]
    units = branches(members)
    assert units == {"A/f.1", "A/f.1/s.1", "A/f.1/s.2"}
    manifests = [m.key for m in members if m.manifest]
    listed = entries("A/f.1/s.1", manifests, units, ["A/f.1/s.1/fl.3"])
    assert [(e.kind, e.key) for e in listed] == [
        ("Manifest", "A/f.1/s.1/fl.1"),
        ("Linked", "A/f.1/s.1/fl.3"),
    ]
    assert [(e.kind, e.key) for e in entries("A/f.1", manifests, units)] == [
        ("Collection", "A/f.1/s.1"),
        ("Collection", "A/f.1/s.2"),
    ]
    assert entries("A/f.1/s.2", manifests, units) == []  # a collection with nothing to show
    assert [(e.kind, e.key) for e in entries("A", manifests, units)] == [("Collection", "A/f.1")]


def finding_aid_tree() -> tuple[dict[str, list[str]], dict[str, str], dict[str, list[str]]]:
    """(unit -> its units, unit -> its title, unit -> its IIIF manifests) of every aid."""
    children: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, str] = {}
    links: dict[str, list[str]] = {}
    for path in FINDING_AIDS:
        with open(path, "rb") as handle:
            for result in read_ead(handle, name=str(path)):
                record = result.record
                key = document_key(record.reference)
                titles[key] = record.title
                links[key] = list(record.iiif_manifests)
                if record.parent:
                    children[record.parent].append(key)
    return children, titles, links


@pytest.fixture(scope="module")
def live(module_database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ead-iiif")
    settings = make_settings(module_database_url, folder / "data")
    report = ingest(settings, FINDING_AIDS)
    assert not report.failed
    with LiveServer(settings) as server:
        yield server


def walk(server) -> tuple[dict[str, dict], list[str]]:
    """Every collection below the top (validated), and the manifests listed elsewhere."""
    documents: dict[str, dict] = {}
    elsewhere: list[str] = []
    pending = [server.url("/iiif/3/collection")]
    while pending:
        url = pending.pop()
        if not url.startswith(server.url("/")):
            elsewhere.append(url)
            continue
        if url in documents:
            continue
        reply = request(url)
        assert reply.status == 200, (url, reply.status)
        document = documents[url] = reply.json()
        assert_valid(document, url)
        if document["type"] == "Collection":
            pending += [item["id"] for item in document["items"]]
    return documents, elsewhere


def test_the_collection_tree_is_the_finding_aids_tree(live):
    children, titles, links = finding_aid_tree()
    documents, elsewhere = walk(live)
    collection = {
        url.removeprefix(live.url("/iiif/3/")).removesuffix("/collection"): doc
        for url, doc in documents.items()
        if doc["type"] == "Collection" and url != live.url("/iiif/3/collection")
    }
    archives = {key.split("/", 1)[0] for key in titles}
    assert set(collection) == set(children) | archives  # 69 units with units, 6 archives
    assert len(children) == 69 and len(archives) == 6
    for unit, below in children.items():
        doc = collection[unit]
        assert doc["label"]["en"][0].endswith(titles[unit])
        assert doc["homepage"][0]["id"] == live.url(f"/records/{unit}")
        assert doc["partOf"][0]["id"] == live.url(f"/iiif/3/{unit.rsplit('/', 1)[0]}/collection")
        want = {live.url(f"/iiif/3/{key}/collection") for key in below if key in children}
        want |= {url for key in below if key not in children for url in links[key]}
        assert {item["id"] for item in doc["items"]} == want, unit
    # Princeton's files link IIIF manifests: they are listed, titled, where the files are
    assert len(elsewhere) == 6
    assert all(url.startswith("https://figgy.princeton.edu/") for url in elsewhere)
    correspondence = next(
        doc
        for key, doc in collection.items()
        if key.startswith(PRINCETON + "/") and titles[key] == "Correspondence"
    )
    assert {item["label"]["en"][0] for item in correspondence["items"]} == {
        "Bentley, Richard",
        "Hunter, R.",
        "Johnson, Joseph",
        "Lockhart, J.S.",
        "Murray, John",
        "Letters from Maria Edgeworth",
    }
    assert all(item["type"] == "Manifest" for item in correspondence["items"])


def test_a_unit_that_is_no_iiif_resource_is_not_found(live):
    children, titles, _ = finding_aid_tree()
    leaf = next(key for key in titles if key not in children and key.startswith("NL-HANA/"))
    assert request(live.url(f"/iiif/3/{leaf}/collection")).status == 404
    assert request(live.url(f"/iiif/3/{leaf}/manifest")).status == 404


def test_the_top_collection_lists_each_archive_once(live):
    _, titles, _ = finding_aid_tree()
    codes = sorted({key.split("/", 1)[0] for key in titles})
    top = request(live.url("/iiif/3/collection")).json()
    assert [item["id"] for item in top["items"]] == [
        live.url(f"/iiif/3/{code}/collection") for code in codes
    ]


RETITLED = """<?xml version="1.0" encoding="UTF-8"?>
<ead xmlns="urn:isbn:1-931666-22-9"><eadheader>
<eadid countrycode="RU" mainagencycode="GAPPOD">fa-retitled</eadid>
<filedesc><titlestmt><titleproper>Minutes</titleproper></titlestmt></filedesc></eadheader>
<archdesc level="fonds"><did><unitid>17</unitid><unittitle>{title}</unittitle></did><dsc>
<c01 level="series"><did><unitid>2</unitid><unittitle>Bureau</unittitle></did>
<c02 level="file"><did><unitid>5</unitid><unittitle>Sitting of 1 May</unittitle></did></c02>
</c01></dsc></archdesc></ead>"""


def test_a_served_collection_follows_its_units_when_they_are_retitled(sqlite_url, tmp_path):
    path = tmp_path / "minutes.xml"
    path.write_text(RETITLED.format(title="Party bureau"), encoding="utf-8")
    settings = make_settings(sqlite_url, tmp_path / "data")
    assert not ingest(settings, [path]).failed
    with LiveServer(settings) as server:
        url = server.url("/iiif/3/GAPPOD/f.17/s.2/collection")
        series = request(url).json()
        assert_valid(series, url)
        assert series["items"] == []  # a unit with nothing viewable below: still its tree
        assert series["label"] == {"en": ["2 Bureau"]}
        assert series["partOf"][0]["label"] == {"en": ["17 Party bureau"]}
        path.write_text(RETITLED.format(title="Party bureau, renamed"), encoding="utf-8")
        assert ingest(settings, [path]).count("updated") == 1

        def renamed() -> bool:
            label = request(url).json()["partOf"][0]["label"]
            return label == {"en": ["17 Party bureau, renamed"]}

        wait_until(renamed, 10, "the series collection names its retitled fonds")
        fonds = request(server.url("/iiif/3/GAPPOD/f.17/collection")).json()
        assert fonds["label"] == {"en": ["17 Party bureau, renamed"]}
