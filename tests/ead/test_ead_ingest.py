"""``opis ingest`` of EAD finding aids: units, the set tree, re-ingest, revisions, failures."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from metadata.references import key_to_set_spec
from repository.store import Store, bodies
from repository.store.schema import records, sets
from tests.conftest import shared_path
from tests.live import ingest, make_settings, settings_environ

FINDING_AIDS = sorted(shared_path("formats", "ead").glob("*/*.xml"))
COMPONENT = re.compile(r"archdesc|c|c\d\d")


@pytest.fixture
def settings(sqlite_url, tmp_path):
    return make_settings(sqlite_url, tmp_path / "data")


def components(path: Path) -> int:
    tree = etree.parse(str(path))
    return sum(
        1
        for e in tree.iter()
        if isinstance(e.tag, str) and COMPONENT.fullmatch(etree.QName(e).localname)
    )


def scan(settings) -> tuple[dict[str, dict], set[str], dict[str, str]]:
    """(live key -> record JSON, set specs, key -> datestamp)."""

    async def run():
        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                rows = list(
                    await conn.execute(
                        select(
                            records.c.key, records.c.data, records.c.deleted, records.c.datestamp
                        )
                    )
                )
                specs = {s for (s,) in await conn.execute(select(sets.c.spec))}
                datas = await bodies.loads(conn, [d for _, d, _, _ in rows])
            live = {
                k: data for (k, _, deleted, _), data in zip(rows, datas, strict=True) if not deleted
            }
            stamps = {k: str(t) for k, _, _, t in rows}
            return live, specs, stamps
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.mark.parametrize("path", FINDING_AIDS, ids=lambda p: p.name)
def test_each_finding_aid_ingests_whole_and_again_unchanged(settings, path):
    env = {**os.environ, **settings_environ(settings)}
    run = subprocess.run(
        [sys.executable, "-m", "repository", "ingest", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    n = components(path)
    assert f"{n} added, 0 updated, 0 unchanged, 0 failed" in run.stdout
    live, specs, stamps = scan(settings)
    assert len(live) == n
    # the OAI set tree is the finding aid's tree: every unit is a set, inside its parent's
    for key, data in live.items():
        assert key_to_set_spec(key) in specs
        if data.get("parent"):
            assert data["parent"] in live and key.startswith(data["parent"] + "/")
        else:
            assert data["level"] is None or "/" not in key.split("/", 1)[1]
    again = ingest(settings, [path])
    assert again.summary().startswith(f"0 added, 0 updated, {n} unchanged, 0 failed")
    assert scan(settings)[2] == stamps  # no datestamp moved


def test_a_revised_finding_aid_deletes_one_and_updates_one(settings, tmp_path):
    source = shared_path("formats", "ead", "ead3", "umn-uarc01180-dao.xml")
    text = source.read_text(encoding="utf-8")
    files = list(re.finditer(r'<c02 level="file">.*?</c02>', text, re.S))
    removed, retitled = files[3].group(0), files[5].group(0)
    revised = text.replace(removed, "", 1).replace(
        retitled, retitled.replace("<unittitle>", "<unittitle>Revised: ", 1), 1
    )
    copy = tmp_path / "uarc01180.xml"
    copy.write_text(revised, encoding="utf-8")
    ingest(settings, [source])
    _, _, before = scan(settings)
    report = ingest(settings, [copy])
    assert report.count("deleted") == 1 and report.count("updated") == 1
    assert report.count("added") == 0 and report.count("failed") == 0
    _, _, after = scan(settings)
    moved = {k for k in before if before[k] != after[k]}
    assert len(moved) == 2


def test_a_bad_finding_aid_stores_nothing_and_names_the_element(settings, tmp_path):
    source = shared_path("formats", "ead", "ead2002", "nl-hana-1.01.01.01-dutch.xml")
    broken = tmp_path / "broken.xml"
    data = source.read_bytes()
    cut = data.index(b"</c02>", len(data) // 2)
    broken.write_bytes(data[:cut] + data[cut + 6 :])
    report = ingest(settings, [broken])
    assert report.failed and report.count("added") == 0
    (entry,) = [e for e in report.entries if e.status == "failed"]
    assert "broken.xml" in entry.message and "line" in entry.message
    assert scan(settings)[0] == {}


def test_archive_option_and_dao_links_are_kept(settings, tmp_path):
    source = shared_path("formats", "ead", "ead2002", "princeton-C1664-iiif-dao.xml")
    env = {**os.environ, **settings_environ(settings)}
    run = subprocess.run(
        [sys.executable, "-m", "repository", "ingest", "--archive", "PUL", str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    live, _, _ = scan(settings)
    assert all(k.startswith("PUL/col.C1664") for k in live)
    daos = [d for data in live.values() for d in data.get("daos", [])]
    assert any(d.endswith("/manifest") for d in daos)


def test_xml_that_is_not_ead_is_skipped(settings, tmp_path):
    other = tmp_path / "alto.xml"
    other.write_text('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"/>')
    report = ingest(settings, [other])
    assert not report.failed and report.count("skipped") == 1
    assert "not an EAD finding aid" in report.entries[0].message
