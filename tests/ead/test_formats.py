"""oai_ead and edm over OAI-PMH for ingested finding aids, the real harvesters, the
finding aid endpoint (ead.xsd and apeEAD.xsd), and EDM's URLs against the IIIF builders."""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import quote

import pytest
from lxml import etree
from oaipmh.client import Client
from sickle import Sickle

from manifests.presentation import urls
from metadata.crosswalks import edm
from metadata.crosswalks.context import CrosswalkContext
from metadata.record import Page, Record, Reference
from tests.conftest import shared_path
from tests.live import LiveServer, ingest, make_settings
from tests.oai.test_harvesters import _registry
from tests.xmlschemas import SCHEMA_DIR, validate_oai_response, validate_payload

EAD = {"ead": "urn:isbn:1-931666-22-9"}
OAI = {"oai": "http://www.openarchives.org/OAI/2.0/"}
FILES = [
    shared_path("formats", "ead", "ead2002", "princeton-C1664-iiif-dao.xml"),
    shared_path("formats", "ead", "ead3", "umn-uarc01180-dao.xml"),
    shared_path("formats", "ead", "ead2002", "nl-hana-1.01.01.01-dutch.xml"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ead-formats")
    settings = make_settings(
        f"sqlite:///{folder / 'opis.db'}", folder / "data", oai={"page_size": 50}
    )
    report = ingest(settings, FILES)
    assert not report.failed
    with LiveServer(settings) as server:
        server.total = report.count("added")
        yield server


def get(server, path: str) -> bytes:
    with urllib.request.urlopen(server.url(path), timeout=60) as response:
        return response.read()


@pytest.mark.parametrize("prefix", ["oai_ead", "edm", "oai_dcterms"])
def test_every_list_page_validates_with_its_payload_schema(live, prefix):
    body = get(live, f"/oai?verb=ListRecords&metadataPrefix={prefix}")
    pages = 0
    while True:
        pages += 1
        validate_oai_response(body)
        token = etree.fromstring(body).findtext(".//oai:resumptionToken", namespaces=OAI)
        if not token:
            break
        body = get(live, f"/oai?verb=ListRecords&resumptionToken={token}")
    assert pages == -(-live.total // 50)


def test_getrecord_and_formats_of_a_unit(live):
    identifier = quote(f"oai:{live.settings.repository.identifier}:MNU/col.uarc%201180", safe="")
    formats = etree.fromstring(
        get(live, f"/oai?verb=ListMetadataFormats&identifier={identifier}")
    ).findall(".//oai:metadataPrefix", OAI)
    assert {"oai_ead", "edm", "oai_dcterms"} <= {f.text for f in formats}
    for prefix in ("oai_ead", "edm", "oai_dcterms"):
        body = get(live, f"/oai?verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}")
        validate_oai_response(body)


def test_dao_links_are_shown_in_oai_ead_and_edm(live):
    sickle = Sickle(live.url("/oai"), max_retries=1, timeout=60)
    hrefs = set()
    for record in sickle.ListRecords(metadataPrefix="oai_ead"):
        tree = etree.fromstring(record.raw.encode())
        hrefs.update(tree.xpath("//@*[local-name()='href']"))
    assert any(h.endswith("/manifest") and "figgy.princeton.edu" in h for h in hrefs)
    assert "http://purl.umn.edu/105002" in hrefs
    edm_body = get(live, "/oai?verb=ListRecords&metadataPrefix=edm")
    assert b"hasFormat" in edm_body


@pytest.mark.parametrize("prefix", ["oai_ead", "edm", "oai_dcterms"])
def test_the_real_harvesters_harvest_completely(live, prefix):
    client = Client(live.url("/oai"), _registry())
    client.updateGranularity()
    got = {h.identifier(): m for h, m, _ in client.listRecords(metadataPrefix=prefix)}
    assert len(got) == live.total and all(m["title"] for m in got.values())
    sickle = Sickle(live.url("/oai"), max_retries=3, timeout=60)
    assert len(list(sickle.ListRecords(metadataPrefix=prefix))) == live.total


def _ead_schema(path):
    from tests.xmlschemas import _separate_schema

    return _separate_schema(path)


@pytest.mark.parametrize(
    ("fond", "units"),
    [("MD/col.C1664", 15), ("MNU/col.uarc%201180", 167), ("NL-HANA/f.12", 290)],
)
def test_the_finding_aid_endpoint_is_valid_ead_and_ape_ead(live, fond, units):
    body = get(live, f"/ead/{fond}.xml")
    tree = etree.fromstring(body)
    schema = _ead_schema("ead2002/ead.xsd")
    assert schema.validate(tree), schema.error_log
    assert len(tree.xpath("//ead:archdesc | //ead:c", namespaces=EAD)) == units
    ape = etree.fromstring(get(live, f"/ead/{fond}.xml?profile=apeEAD"))
    schema = _ead_schema("apeead/apeEAD.xsd")
    assert schema.validate(ape), schema.error_log


def test_the_oai_dcterms_schema_is_served_where_formats_say(live):
    formats = etree.fromstring(get(live, "/oai?verb=ListMetadataFormats"))
    schema = formats.xpath(
        "//oai:metadataFormat[oai:metadataPrefix='oai_dcterms']/oai:schema/text()",
        namespaces=OAI,
    )
    assert schema == [live.settings.base_url + "/schemas/oai_dcterms.xsd"]
    assert get(live, "/schemas/oai_dcterms.xsd") == (SCHEMA_DIR / "oai_dcterms.xsd").read_bytes()


def test_the_finding_aid_endpoint_404s_for_nothing(live):
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(live, "/ead/NOWHERE/f.1.xml")
    assert caught.value.code == 404


def test_edm_urls_are_the_iiif_builders_urls():
    base = "https://opis.example.org"
    key = "GAPPOD/f.1/op.89/d.112"
    record = Record(
        title="t",
        key=key,
        reference=Reference("GAPPOD", (("fond", "1"),)),
        pages=(Page("img1", None, 10, 10), Page("img2", None, 10, 10)),
    )
    ctx = CrosswalkContext(
        oai_identifier=f"oai:x:{key}",
        record_url=urls.record_page(base, key),
        manifest_url=urls.manifest(base, key),
        repository_name="Opis",
        reference_canonical=None,
        archive_code="GAPPOD",
        archive_name=None,
    )
    data = edm.crosswalk(record, ctx)
    validate_payload("edm", data)
    tree = etree.fromstring(data)
    ns = {"edm": edm.NAMESPACE, "rdf": edm.RDF, "svcs": edm.SVCS}
    assert tree.xpath("//edm:isShownBy/@rdf:resource", namespaces=ns) == [
        urls.image_full(base, "img1")
    ]
    assert tree.xpath("//edm:hasView/@rdf:resource", namespaces=ns) == [
        urls.image_full(base, "img2")
    ]
    assert tree.xpath("//svcs:Service/@rdf:about", namespaces=ns) == [
        urls.image_service(base, "img1"),
        urls.image_service(base, "img2"),
    ]
    assert edm.urls.record_page(base, key) == urls.record_page(base, key)


def test_pages_link_the_finding_aid_and_show_the_digital_objects(live):
    """The fonds page links its finding aid (EAD and apeEAD); a unit's page shows its
    <dao> links (Princeton's point at IIIF manifests) and its archival description."""
    fonds = get(live, "/records/MD/col.C1664").decode()
    assert f'href="{live.settings.base_url}/ead/MD/col.C1664.xml"' in fonds
    assert f'href="{live.settings.base_url}/ead/MD/col.C1664.xml?profile=apeEAD"' in fonds
    daos = re.findall(r'href="(https://figgy\.princeton\.edu/[^"]+/manifest)"', fonds)
    if not daos:  # the manifests hang on the units below the collection
        identifiers = etree.fromstring(
            get(live, "/oai?verb=ListIdentifiers&metadataPrefix=oai_ead&set=MD:col.C1664")
        ).xpath("//oai:identifier/text()", namespaces=OAI)
        prefix = f"oai:{live.settings.repository.identifier}:"
        for identifier in identifiers:
            page = get(live, "/records/" + identifier.removeprefix(prefix)).decode()
            daos += re.findall(r'href="(https://figgy\.princeton\.edu/[^"]+/manifest)"', page)
    assert daos, "no page shows a Princeton IIIF manifest link"
    assert "Scope and content" in fonds or "Extent" in fonds
