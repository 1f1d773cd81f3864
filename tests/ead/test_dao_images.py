"""``<dao>`` links of a finding aid at ingest: image files beside it become page images of
their unit, IIIF manifest links are shown by the unit's manifest and collection, and a
link that leads out of the finding aid's folder fails the whole finding aid."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import pyvips
from sqlalchemy import select

from metadata.record import Record
from repository.store import Store, bodies
from repository.store.schema import images, records
from tests.iiif_rules import assert_valid, request
from tests.live import LiveServer, ingest, make_settings

ELSEWHERE = "https://iiif.example.org/item/{}/manifest"
SCANNED = "GAPPOD/f.7/s.1/fl.1"


def finding_aid(scans: str = '<dao xlink:href="scans/p1.png" xlink:title="f. 1"/>') -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ead xmlns="urn:isbn:1-931666-22-9" xmlns:xlink="http://www.w3.org/1999/xlink">
<eadheader><eadid countrycode="RU" mainagencycode="GAPPOD">fa-scans</eadid>
<filedesc><titlestmt><titleproper>Letters</titleproper></titlestmt></filedesc></eadheader>
<archdesc level="fonds"><did><unitid>7</unitid><unittitle>Letters</unittitle></did><dsc>
<c01 level="series"><did><unitid>1</unitid><unittitle>Series one</unittitle></did>
<c02 level="file"><did><unitid>1</unitid><unittitle>Scanned letter</unittitle>
{scans}
<dao xlink:href="{ELSEWHERE.format(7)}"/></did></c02>
<c02 level="file"><did><unitid>2</unitid><unittitle>Letter not scanned</unittitle></did></c02>
<c02 level="file"><did><unitid>3</unitid><unittitle>Letter scanned elsewhere</unittitle>
<dao xlink:href="{ELSEWHERE.format(8)}" xlink:role="http://iiif.io/api/presentation/2.1/"/>
<dao xlink:href="https://viewer.example.org/8"/></did></c02>
</c01></dsc></archdesc></ead>"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A finding aid's folder with two tiny page images in ``scans/``."""
    here = tmp_path / "fa"
    (here / "scans").mkdir(parents=True)
    pyvips.Image.black(8, 10).draw_rect(255, 2, 2, 3, 3).write_to_file(str(here / "scans/p1.png"))
    pyvips.Image.black(12, 9).write_to_file(str(here / "scans/p2.jpg"))
    return here


def stored(settings) -> dict[str, Record]:
    """Every live record, by key."""

    async def run() -> dict[str, Record]:
        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                rows = list(
                    await conn.execute(
                        select(records.c.key, records.c.data).where(~records.c.deleted)
                    )
                )
                datas = await bodies.loads(conn, [data for _, data in rows])
        finally:
            await store.close()
        return {key: Record.from_json(data) for (key, _), data in zip(rows, datas, strict=True)}

    return asyncio.run(run())


def image_rows(settings) -> int:
    async def run() -> int:
        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                return len((await conn.execute(select(images.c.id))).all())
        finally:
            await store.close()

    return asyncio.run(run())


def test_images_beside_the_finding_aid_become_pages_and_iiif_links_are_shown(
    database_url, folder, tmp_path
):
    path = folder / "letters.xml"
    inside = (folder / "scans" / "p2.jpg").resolve().as_uri()  # a file: URL inside the folder
    scans = f'<dao xlink:href="scans/p1.png" xlink:title="f. 1"/><dao xlink:href="{inside}"/>'
    path.write_text(finding_aid(scans), encoding="utf-8")
    settings = make_settings(database_url, tmp_path / "data")
    report = ingest(settings, [path])
    assert report.summary().startswith("5 added, 0 updated, 0 unchanged, 0 failed"), (
        report.summary()
    )
    units = stored(settings)
    scanned = units[SCANNED]
    assert [(p.label, p.width, p.height) for p in scanned.pages] == [("f. 1", 8, 10), (None, 12, 9)]
    assert scanned.daos == (ELSEWHERE.format(7),)  # the image paths are pages, not links
    assert units["GAPPOD/f.7/s.1/fl.3"].iiif_manifests == (ELSEWHERE.format(8),)
    assert units["GAPPOD/f.7/s.1/fl.2"].pages == ()

    with LiveServer(settings) as server:
        url = server.url(f"/iiif/3/{SCANNED}/manifest")
        reply = request(url)
        assert reply.status == 200
        manifest = reply.json()
        assert_valid(manifest, url)
        assert len(manifest["items"]) == 2
        assert [next(iter(c["label"].values())) for c in manifest["items"]] == [["f. 1"], ["2"]]
        elsewhere = [s for s in manifest["seeAlso"] if s["id"] == ELSEWHERE.format(7)]
        assert elsewhere and elsewhere[0]["format"] == "application/ld+json"

        url = server.url("/iiif/3/GAPPOD/f.7/s.1/collection")
        series = request(url).json()
        assert_valid(series, url)
        assert [(i["type"], i["id"]) for i in series["items"]] == [
            ("Manifest", server.url(f"/iiif/3/{SCANNED}/manifest")),
            ("Manifest", ELSEWHERE.format(8)),  # the letter not scanned is no IIIF resource
        ]
        assert request(server.url("/iiif/3/GAPPOD/f.7/s.1/fl.2/manifest")).status == 404

    again = ingest(settings, [path])
    assert again.summary().startswith("0 added, 0 updated, 5 unchanged, 0 failed")


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("../p3.png", r"outside the finding aid's folder \('\.\.'\)"),
        ("scans/link.png", r"leads outside the finding aid's folder"),  # a symbolic link
        ("{outside}", r"leads outside the finding aid's folder"),  # an absolute file: URL
        ("scans/missing.png", r"no such file"),
        ("scans/broken.jpg", r"broken\.jpg"),  # not an image at all
    ],
    ids=["dotdot", "symlink", "file-url", "missing", "not-an-image"],
)
def test_a_dao_that_cannot_be_had_fails_the_finding_aid_and_stores_nothing(
    sqlite_url, folder, tmp_path, link, why
):
    outside = tmp_path / "p3.png"
    pyvips.Image.black(5, 5).write_to_file(str(outside))
    (folder / "scans" / "link.png").symlink_to(outside)
    (folder / "scans" / "broken.jpg").write_bytes(b"not a jpeg")
    link = link.format(outside=outside.as_uri())
    scans = f'<dao xlink:href="scans/p1.png"/><dao xlink:href="{link}"/>'
    path = folder / "letters.xml"
    path.write_text(finding_aid(scans), encoding="utf-8")
    settings = make_settings(sqlite_url, tmp_path / "data")
    report = ingest(settings, [path])
    (entry,) = report.entries
    assert entry.status == "failed" and str(path) in entry.message
    assert "<dao" in entry.message and link in entry.message, entry.message
    assert re.search(why, entry.message), entry.message
    if link.startswith(".."):  # refused as it is read: the line is named
        assert "<dao> at line 8" in entry.message
    else:  # refused at ingest, where the file system is seen: the unit is named
        assert f"unit {SCANNED} (Scanned letter)" in entry.message
    assert stored(settings) == {} and image_rows(settings) == 0
