"""The EAD reader: every component a unit, keys down the unitid path, streaming, refusals."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from lxml import etree

from metadata.readers import ReaderError
from metadata.readers.ead import read_ead
from metadata.record import Reference
from metadata.references.keys import document_key
from metadata.sets import container_info, set_infos
from tests.conftest import shared_path

NS2002 = 'xmlns="urn:isbn:1-931666-22-9" xmlns:xlink="http://www.w3.org/1999/xlink"'


def finding_aid(ns: str = NS2002, dsc: str = "") -> bytes:
    return f"""<?xml version="1.0"?>
<ead {ns}><eadheader><eadid countrycode="RU" mainagencycode="GAPPOD">fa-1</eadid>
<filedesc><titlestmt><titleproper>Fond 1</titleproper></titlestmt></filedesc></eadheader>
<archdesc level="fonds"><did><unitid>1</unitid><unittitle>Party archive</unittitle>
<unitdate normal="1920/1991">1920-1991</unitdate><origination>Central Committee</origination>
<physdesc><extent>3 linear metres</extent></physdesc>
<langmaterial><language langcode="rus">Russian</language></langmaterial></did>
<scopecontent><head>Scope</head><p>Minutes and letters.</p></scopecontent>
<accessrestrict><p>Open.</p></accessrestrict><userestrict><p>Cite the archive.</p></userestrict>
<controlaccess><subject>Politics</subject><geogname>Baku</geogname></controlaccess>
<dsc>{dsc}</dsc></archdesc></ead>""".encode()


TREE = """<c01 level="series"><did><unitid>89</unitid><unittitle>Secret</unittitle></did>
<c02 level="file" id="x7"><did><unittitle>Letters</unittitle><unitdate>1946</unitdate>
<container type="box">3</container><dao xlink:href="https://example.org/iiif/m.json"/></did></c02>
<c02 level="file"><did><unitid>112</unitid><unittitle>Letter to Stalin</unittitle></did></c02>
</c01>"""


def units(data: bytes, **kw):
    return [r.record for r in read_ead(io.BytesIO(data), name="fa.xml", **kw)]


def keyed(records):
    return {document_key(r.reference): r for r in records}


def test_every_component_is_a_unit_with_its_description_and_parent():
    records = keyed(units(finding_aid(dsc=TREE)))
    assert sorted(records) == [
        "GAPPOD/f.1",
        "GAPPOD/f.1/s.89",
        "GAPPOD/f.1/s.89/fl.112",
        "GAPPOD/f.1/s.89/fl.id%3Ax7",
    ]
    fonds = records["GAPPOD/f.1"]
    assert fonds.level == "fonds" and fonds.title == "Party archive"
    assert fonds.date == "1920/1991" and fonds.extent == ("3 linear metres",)
    assert fonds.scope == ("Minutes and letters.",) and fonds.access == ("Open.",)
    assert fonds.use == ("Cite the archive.",) and fonds.origination == ("Central Committee",)
    assert fonds.language == ("ru",) and fonds.subjects == ("Politics",)
    assert fonds.places == ("Baku",) and fonds.parent is None
    letters = records["GAPPOD/f.1/s.89/fl.id%3Ax7"]
    assert letters.parent == "GAPPOD/f.1/s.89" and letters.location == ("box 3",)
    assert letters.daos == ("https://example.org/iiif/m.json",)
    assert letters.finding_aid == "fa-1"


def test_without_namespace_and_archive_given():
    records = keyed(
        units(
            finding_aid(ns='xmlns:xlink="http://www.w3.org/1999/xlink"', dsc=TREE), archive="CSAX"
        )
    )
    assert "CSAX/f.1/s.89/fl.112" in records


def test_inside_an_oai_response():
    body = finding_aid(dsc=TREE).split(b"?>", 1)[1].decode()
    wrapped = f"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><GetRecord><record>
<header><identifier>oai:x:1</identifier></header><metadata>{body}</metadata></record>
</GetRecord></OAI-PMH>""".encode()
    assert len(units(wrapped)) == 4


def test_ead3():
    data = b"""<ead xmlns="http://ead3.archivists.org/schema/"><control><recordid>r1</recordid>
<maintenanceagency countrycode="RU"><agencycode>GAPPOD</agencycode></maintenanceagency></control>
<archdesc level="collection"><did><unitid>9</unitid><unittitle>Papers</unittitle>
<physdescstructured physdescstructuredtype="spaceoccupied" coverage="whole"><quantity>2</quantity>
<unittype>boxes</unittype></physdescstructured></did><dsc>
<c01 level="file"><did><unittitle>A</unittitle>
<dao href="https://x.org/manifest" daotype="derived"/></did></c01></dsc></archdesc></ead>"""
    records = keyed(units(data))
    assert sorted(records) == ["GAPPOD/col.9", "GAPPOD/col.9/fl.n1"]
    assert records["GAPPOD/col.9"].extent == ("2 boxes",)
    assert records["GAPPOD/col.9/fl.n1"].daos == ("https://x.org/manifest",)


def test_keys_do_not_shift_when_a_sibling_is_added_before():
    one = TREE
    two = TREE.replace(
        '<c02 level="file" id="x7">',
        '<c02 level="file"><did><unittitle>New</unittitle></did></c02><c02 level="file" id="x7">',
    )
    before = set(keyed(units(finding_aid(dsc=one))))
    after = set(keyed(units(finding_aid(dsc=two))))
    assert before <= after and len(after - before) == 1


def test_entities_are_refused():
    data = finding_aid(dsc=TREE).replace(
        b"<ead ", b'<!DOCTYPE ead [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<ead ', 1
    )
    with pytest.raises(ReaderError, match="ENTITY"):
        units(data)


def test_bad_files_name_the_file_and_element():
    with pytest.raises(ReaderError, match=r"fa\.xml: not well-formed"):
        units(finding_aid(dsc=TREE)[:-20])
    with pytest.raises(ReaderError, match=r"fa\.xml: no <ead>"):
        units(b"<root/>")
    headless = finding_aid(dsc=TREE).replace(b'countrycode="RU" mainagencycode="GAPPOD"', b"")
    with pytest.raises(ReaderError, match=r"fa\.xml: the header \(<eadid.*--archive CODE"):
        units(headless)


def _components(path) -> int:
    tree = etree.parse(str(path))
    return sum(
        1
        for e in tree.iter()
        if isinstance(e.tag, str) and re.fullmatch(r"archdesc|c|c\d\d", etree.QName(e).localname)
    )


@pytest.mark.parametrize(
    "path", sorted(shared_path("formats", "ead").glob("*/*.xml")), ids=lambda p: p.name
)
def test_shared_finding_aids_one_unit_per_component_distinct_keys(path):
    with open(path, "rb") as handle:
        records = [r.record for r in read_ead(handle, name=str(path))]
    assert len(records) == _components(path)
    keys = [document_key(r.reference) for r in records]
    assert len(set(keys)) == len(keys)
    # the tree: every unit's parent is a unit of the same finding aid
    for record, key in zip(records, keys, strict=True):
        if record.parent is not None:
            assert record.parent in keys and key.startswith(record.parent + "/")


DAOS = """<c01 level="file"><did><unitid>1</unitid><unittitle>Scanned</unittitle>
<dao xlink:href="scans/0001.jpg" xlink:title="f. 1"/>
<daogrp><daoloc xlink:href="file:///data/fa/scans/0002.tif"/>
<daoloc xlink:href="scans/0001.jpg"/></daogrp>
<dao xlink:href="https://iiif.example.org/item/7/manifest"/>
<dao xlink:href="https://images.example.org/drs:42" xlink:role="http://iiif.io/api/presentation/2.1/"/>
<dao xlink:href="https://viewer.example.org/item/7"/>
<dao xlink:href="notes/readme.txt"/></did></c01>"""


def test_dao_links_are_sorted_into_page_images_iiif_manifests_and_links():
    records = keyed(units(finding_aid(dsc=DAOS)))
    unit = records["GAPPOD/f.1/fl.1"]
    # image files beside the finding aid become pages (their paths, for ingest to read)
    assert [(p.image, p.label) for p in unit.pages] == [
        ("scans/0001.jpg", "f. 1"),
        ("file:///data/fa/scans/0002.tif", None),
    ]
    # a IIIF manifest by its path, or by its xlink:role; every web link stays a link
    assert unit.iiif_manifests == (
        "https://iiif.example.org/item/7/manifest",
        "https://images.example.org/drs:42",
    )
    assert unit.daos == (
        "https://iiif.example.org/item/7/manifest",
        "https://images.example.org/drs:42",
        "https://viewer.example.org/item/7",
        "notes/readme.txt",
    )
    assert records["GAPPOD/f.1"].pages == () and records["GAPPOD/f.1"].iiif_manifests == ()


def test_ead3_linkrole_names_a_iiif_manifest():
    data = b"""<ead xmlns="http://ead3.archivists.org/schema/"><control><recordid>r1</recordid>
<maintenanceagency countrycode="RU"><agencycode>GAPPOD</agencycode></maintenanceagency></control>
<archdesc level="collection"><did><unitid>9</unitid><unittitle>Papers</unittitle>
<dao href="https://x.org/iiif/abc" linkrole="IIIF Presentation" daotype="derived"/>
<dao href="img/1.png" linktitle="Cover" daotype="derived"/></did></archdesc></ead>"""
    (unit,) = units(data)
    assert unit.iiif_manifests == ("https://x.org/iiif/abc",)
    assert [(p.image, p.label) for p in unit.pages] == [("img/1.png", "Cover")]


def test_a_dao_image_outside_the_folder_fails_the_finding_aid_naming_the_element():
    outside = DAOS.replace("scans/0001.jpg", "../elsewhere/0001.jpg", 1)
    with pytest.raises(ReaderError, match=r"fa\.xml: <dao> at line 12: the image '\.\./elsewhere"):
        units(finding_aid(dsc=outside))


def test_a_unit_names_its_own_set_by_reference_and_title():
    records = keyed(units(finding_aid(dsc=TREE)))
    infos = set_infos(records["GAPPOD/f.1/s.89"], "GAPPOD/f.1/s.89")
    assert [i.named for i in infos] == [False, False, True]
    assert infos[:2] == [container_info("GAPPOD"), container_info("GAPPOD/f.1")]
    assert infos[-1].spec == "GAPPOD:f.1:s.89" and infos[-1].name == "89 Secret"
    assert infos[-1].description.startswith("Series of the ")
    # made-up key steps (the component's id, containers, position) are not references
    letters = "GAPPOD/f.1/s.89/fl.id%3Ax7"
    assert set_infos(records[letters], letters)[-1].name == "Letters"
    fonds = records["GAPPOD/f.1"]
    assert set_infos(fonds, "GAPPOD/f.1")[-1].description.endswith(
        "1920/1991. Extent: 3 linear metres. Minutes and letters."
    )
    # a title that begins with the unitid is not prefixed again; a system path is no reference
    again = replace(fonds, title="1 Party archive")
    assert set_infos(again, "GAPPOD/f.1")[-1].name == "1 Party archive"
    aspace = replace(
        fonds, reference=Reference("GAPPOD", (("fond", "/repositories/5/resources/9"),))
    )
    assert set_infos(aspace, "GAPPOD/f.%2Frepositories%2F5%2Fresources%2F9")[-1].name == (
        "Party archive"
    )
    # a document without a level keeps the names of its key
    plain = replace(fonds, level=None)
    assert set_infos(plain, "GAPPOD/f.1")[-1] == container_info("GAPPOD/f.1")
