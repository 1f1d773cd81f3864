"""An archive Opis does not ship, declared in the settings file, is used everywhere.

A site installs Opis for its own holdings: its ``[[archives]]`` entry gives the code
that starts keys, OAI sets and IIIF collections, a name, and the aliases citations use.
``opis ref --config``, ingest, ListSets, the IIIF collection tree and ``/resolve`` all
follow it; a JSON record may also give its reference as a structure, used as given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

from repository.intake.demo import page_image
from repository.settings import load
from tests.conftest import ROOT
from tests.iiif_rules import request
from tests.live import LiveServer, ingest, make_settings
from tests.xmlschemas import validate_oai_response

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SITE = """
[[archives]]
code = "CSAX"
name = "Central State Archive of Xanadu"
names = { ru = "Центральный государственный архив Ксанаду" }
aliases = ["ЦГАК", "Central State Archive of Xanadu"]
levels = ["fond", "opis", "delo"]
"""


@pytest.fixture
def site(tmp_path: Path, database_url: str):
    """Settings from a file that declares CSAX, on a fresh database of either kind."""
    config = tmp_path / "opis.toml"
    config.write_text(SITE, encoding="utf-8")
    declared = load(config, environ={})
    base = make_settings(database_url, tmp_path / "data")
    yield replace(base, archives=declared.archives, archives_origin=declared.archives_origin)
    load(environ={})  # the shipped registry again, for the tests that follow


def opis(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repository", *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "OPIS_CONFIG"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_opis_ref_and_opis_archives_read_the_declared_archive(tmp_path):
    config = tmp_path / "opis.toml"
    config.write_text(SITE, encoding="utf-8")
    citation = "ЦГАК, ф. 12, оп. 3, д. 45, л. 7"

    declared = opis("ref", "--config", str(config), citation, "CSAX 12/3/46")
    assert declared.returncode == 0, declared.stderr
    first, bare = (json.loads(line) for line in declared.stdout.splitlines())
    assert first["archive"] == "CSAX" and first["archive_known"] is True
    assert first["key"] == "CSAX/f.12/op.3/d.45/l.7" and first["unit_key"] == "CSAX/f.12/op.3/d.45"
    assert bare["key"] == "CSAX/f.12/op.3/d.46"  # bare call numbers, read by its levels

    shipped = json.loads(opis("ref", "MYARCH f.12 op.3 d.45").stdout)
    assert shipped["key"] == "MYARCH/f.12/op.3/d.45" and shipped["archive_known"] is False

    listed = opis("archives", "--config", str(config), "--json")
    assert listed.returncode == 0, listed.stderr
    entries = {e["code"]: e for e in map(json.loads, listed.stdout.splitlines())}
    assert entries["CSAX"]["origin"] == str(config)
    assert entries["CSAX"]["names"]["ru"].startswith("Центральный")
    assert entries["GAPPOD"]["origin"] == "shipped"
    assert "CSAX" not in opis("archives").stdout


def test_a_bad_archive_entry_is_a_settings_error_naming_it(tmp_path):
    config = tmp_path / "opis.toml"
    config.write_text('[[archives]]\ncode = "not a code"\nname = "X"\n', encoding="utf-8")
    done = opis("ref", "--config", str(config), "GAPPOD f.1 op.89 d.112")
    assert done.returncode == 2
    assert str(config) in done.stderr and "code" in done.stderr


def test_ingest_sets_collections_and_resolve_use_the_declared_code(site, tmp_path):
    records = tmp_path / "csax.jsonl"
    lines = [
        {"reference": "ЦГАК, ф. 12, оп. 3, д. 45", "title": "Minutes", "source": {"id": "c1"}},
        {"reference": "Central State Archive of Xanadu, 12/3/46", "title": "Order"},
        {
            "reference": {"archive": "CSAX", "levels": [["fond", "12"], ["opis", "4"]]},
            "title": "Inventory four, as the archive's system exports it",
        },
        {"reference": "MYARCH f.12 op.3 d.45", "title": "Elsewhere"},
    ]
    records.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    scanned = tmp_path / "scanned"  # a unit with a page image, so it has a manifest
    scanned.mkdir()
    record = {"reference": "ЦГАК, ф. 12, оп. 4, д. 1", "title": "Scanned"}
    (scanned / "record.json").write_text(json.dumps(record, ensure_ascii=False))
    (scanned / "001.jpg").write_bytes(page_image(["page 1"], seed=1, title="Scanned"))
    report = ingest(site, [records, scanned])
    assert not report.failed, report.entries
    assert sorted(e.key for e in report.entries) == [
        "CSAX/f.12/op.3/d.45",
        "CSAX/f.12/op.3/d.46",
        "CSAX/f.12/op.4",
        "CSAX/f.12/op.4/d.1",
        "MYARCH/f.12/op.3/d.45",
    ]
    assert report.notes == [
        "1 record cite the archive code MYARCH, which the registry does not know; keys use "
        "it as written. Declare it in the settings file's [[archives]] to give it a name and "
        "aliases (opis archives lists the registry)"
    ]

    with LiveServer(site) as server:
        listed = request(server.url("/oai?verb=ListSets"))
        validate_oai_response(listed.body)
        sets = {
            s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName")
            for s in etree.fromstring(listed.body).iter(f"{OAI}set")
        }
        assert sets["CSAX"] == "CSAX: Central State Archive of Xanadu"
        assert {"CSAX:f.12", "CSAX:f.12:op.3", "CSAX:f.12:op.4"} <= set(sets)

        top = json.loads(request(server.url("/iiif/3/collection")).body)
        archive = next(i for i in top["items"] if i["id"].endswith("/iiif/3/CSAX/collection"))
        assert "Central State Archive of Xanadu" in json.dumps(archive["label"], ensure_ascii=False)
        fond = json.loads(request(server.url("/iiif/3/CSAX/f.12/collection")).body)
        assert [i["id"].rsplit("/iiif/3/", 1)[1] for i in fond["items"]] == [
            "CSAX/f.12/op.4/collection"
        ]
        manifest = request(server.url("/iiif/3/CSAX/f.12/op.4/d.1/manifest"))
        assert manifest.status == 200

        resolved = request(server.url("/resolve?ref=" + quote("ЦГАК, ф. 12, оп. 3, д. 45")))
        assert resolved.status == 303
        assert resolved.headers["location"].endswith("/records/CSAX/f.12/op.3/d.45")


def test_a_structured_reference_is_used_as_given(site, tmp_path):
    given = {
        "archive": "CSAX",
        "levels": [["fond", "12"], ["opis", "3"], ["delo", "47"]],
        "pages": "5-7",
    }
    records = tmp_path / "one.json"
    records.write_text(json.dumps({"reference": given, "title": "As exported"}))
    report = ingest(site, [records])
    assert [e.key for e in report.entries] == ["CSAX/f.12/op.3/d.47/ll.5-7"]

    wrong = dict(given, levels=[["fond", "12"], ["shelf", "3"]])
    records.write_text(json.dumps({"reference": wrong, "title": "Unknown level"}))
    (failure,) = ingest(site, [records]).entries
    assert failure.status == "failed" and "'shelf' is not a level name" in failure.message
