"""repository/static/oai.xsl: OAI-PMH responses rendered as HTML pages for browsers.

The stylesheet is applied with lxml (libxslt, the XSLT 1.0 engine Chrome also uses) to
hand-written responses, and the HTML is checked: headings, records, links, the deleted
mark, the next-page link, errors, and that the page loads nothing from elsewhere.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

STYLESHEET = Path(__file__).parents[2] / "repository/pages/static/oai.xsl"
BASE = "https://opis.example.org/oai"
TOKEN = "eyJjdXJzb3IiOjB9-_x.AbC-_09"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="https://opis.example.org/static/oai.xsl"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/
                             http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-05-01T10:00:00Z</responseDate>
"""

IDENTIFY = (
    HEAD
    + f"""<request verb="Identify">{BASE}</request>
<Identify>
  <repositoryName>Opis Test Archive</repositoryName>
  <baseURL>{BASE}</baseURL>
  <protocolVersion>2.0</protocolVersion>
  <adminEmail>archivist@opis.example.org</adminEmail>
  <earliestDatestamp>2023-01-02T03:04:05Z</earliestDatestamp>
  <deletedRecord>persistent</deletedRecord>
  <granularity>YYYY-MM-DDThh:mm:ssZ</granularity>
  <compression>gzip</compression>
  <description>
    <oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier">
      <scheme>oai</scheme>
      <repositoryIdentifier>opis.example.org</repositoryIdentifier>
      <delimiter>:</delimiter>
      <sampleIdentifier>oai:opis.example.org:GAPPOD/f.1/op.89/d.112</sampleIdentifier>
    </oai-identifier>
  </description>
</Identify>
</OAI-PMH>
"""
)

LIST_RECORDS = (
    HEAD
    + f"""<request verb="ListRecords" metadataPrefix="oai_dc">{BASE}</request>
<ListRecords>
  <record>
    <header>
      <identifier>oai:opis.example.org:GAPPOD/f.1/op.89/d.112</identifier>
      <datestamp>2024-04-30T12:00:00Z</datestamp>
      <setSpec>archive:gappod</setSpec>
      <setSpec>archive:gappod:f.1</setSpec>
    </header>
    <metadata>
      <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                 xmlns:dc="http://purl.org/dc/elements/1.1/">
        <dc:title xml:lang="ru">Письмо о поставке зерна</dc:title>
        <dc:creator>Иванов, Иван</dc:creator>
        <dc:creator>Petrov, Pyotr</dc:creator>
        <dc:date>1921-03-04</dc:date>
        <dc:identifier>https://opis.example.org/records/d.112</dc:identifier>
        <dc:identifier>javascript:alert(1)</dc:identifier>
      </oai_dc:dc>
    </metadata>
  </record>
  <record>
    <header status="deleted">
      <identifier>oai:opis.example.org:GAPPOD/f.1/op.89/d.7&amp;x</identifier>
      <datestamp>2024-04-29T08:00:00Z</datestamp>
    </header>
  </record>
  <record>
    <header>
      <identifier>oai:opis.example.org:GAPPOD/f.2/op.1/d.3</identifier>
      <datestamp>2024-04-28T08:00:00Z</datestamp>
    </header>
    <metadata>
      <record xmlns="http://www.loc.gov/MARC21/slim">
        <leader>00000ntm a2200000 i 4500</leader>
        <controlfield tag="008">210304s1921    ru            000 0 rus d</controlfield>
        <datafield tag="245" ind1="1" ind2="0">
          <subfield code="a">Report on the harvest</subfield>
          <subfield code="f">1921</subfield>
        </datafield>
        <datafield tag="856" ind1="4" ind2=" ">
          <subfield code="u">https://opis.example.org/records/d.3</subfield>
        </datafield>
      </record>
    </metadata>
  </record>
  <resumptionToken cursor="0" completeListSize="10"
                   expirationDate="2024-05-08T10:00:00Z">{TOKEN}</resumptionToken>
</ListRecords>
</OAI-PMH>
"""
)

LIST_SETS = (
    HEAD
    + f"""<request verb="ListSets">{BASE}</request>
<ListSets>
  <set>
    <setSpec>archive:gappod</setSpec>
    <setName>State Archive of Perm Region</setName>
    <setDescription>
      <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                 xmlns:dc="http://purl.org/dc/elements/1.1/">
        <dc:description>Documents of the regional party archive.</dc:description>
      </oai_dc:dc>
    </setDescription>
  </set>
  <set>
    <setSpec>archive:gappod:f.1</setSpec>
    <setName>Fond 1</setName>
  </set>
</ListSets>
</OAI-PMH>
"""
)

LIST_METADATA_FORMATS = (
    HEAD
    + f"""<request verb="ListMetadataFormats">{BASE}</request>
<ListMetadataFormats>
  <metadataFormat>
    <metadataPrefix>oai_dc</metadataPrefix>
    <schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>
    <metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>
  </metadataFormat>
  <metadataFormat>
    <metadataPrefix>marc21</metadataPrefix>
    <schema>http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd</schema>
    <metadataNamespace>http://www.loc.gov/MARC21/slim</metadataNamespace>
  </metadataFormat>
  <metadataFormat>
    <metadataPrefix>mods</metadataPrefix>
    <schema>http://www.loc.gov/standards/mods/v3/mods-3-7.xsd</schema>
    <metadataNamespace>http://www.loc.gov/mods/v3</metadataNamespace>
  </metadataFormat>
</ListMetadataFormats>
</OAI-PMH>
"""
)

ERROR = (
    HEAD
    + f"""<request verb="GetRecord" metadataPrefix="oai_dc"
         identifier="oai:opis.example.org:nothing">{BASE}</request>
<error code="idDoesNotExist">no record has the identifier oai:opis.example.org:nothing</error>
</OAI-PMH>
"""
)

SAMPLES = {
    "Identify": IDENTIFY,
    "ListRecords": LIST_RECORDS,
    "ListSets": LIST_SETS,
    "ListMetadataFormats": LIST_METADATA_FORMATS,
    "error": ERROR,
}


@pytest.fixture(scope="module")
def transform() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(STYLESHEET)))


def render(transform: etree.XSLT, xml: str):
    result = transform(etree.fromstring(xml.encode()))
    html = str(result)
    assert html.strip(), transform.error_log
    return lxml.html.document_fromstring(html), html


def text(element) -> str:
    return " ".join(element.text_content().split())


def hrefs(doc) -> list[str]:
    return [a.get("href") for a in doc.iter("a")]


# ---------------------------------------------------------------- every page


def test_stylesheet_is_plain_xslt_1() -> None:
    root = etree.parse(str(STYLESHEET)).getroot()
    assert root.get("version") == "1.0"
    namespaces = set(root.nsmap.values())
    for element in root.iter(etree.Element):
        namespaces |= set(element.nsmap.values())
    assert not any("exslt.org" in uri for uri in namespaces), "browsers lack most EXSLT"
    assert not root.xpath("//@disable-output-escaping"), "Firefox ignores it"
    assert not root.xpath("//@*[contains(., 'document(')]"), "the page loads nothing"
    assert not root.xpath(
        "//xsl:import | //xsl:include",
        namespaces={"xsl": "http://www.w3.org/1999/XSL/Transform"},
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_page_is_self_contained(transform, name) -> None:
    doc, html = render(transform, SAMPLES[name])
    for element in doc.iter("link", "script", "img", "iframe", "object", "embed"):
        for attribute in ("href", "src", "data"):
            assert not re.match(r"\s*(https?:)?//", element.get(attribute) or ""), (
                f"{element.tag} loads {element.get(attribute)}"
            )
    assert not list(doc.iter("script")), "no scripts at all"
    assert not list(doc.iter("img")), "no images at all"
    styles = " ".join(style.text_content() for style in doc.iter("style"))
    assert "@import" not in styles
    assert not re.search(r"url\s*\(", styles), "the embedded CSS loads nothing"
    assert not re.search(r"@import\s+(url\()?['\"]?(https?:)?//", html)


@pytest.mark.parametrize("name", SAMPLES)
def test_page_structure(transform, name) -> None:
    doc, html = render(transform, SAMPLES[name])
    assert html.lstrip().lower().startswith("<!doctype html")
    assert doc.get("lang") == "en"
    viewport = doc.xpath("//head/meta[@name='viewport']")
    assert viewport
    assert "width=device-width" in viewport[0].get("content")
    assert doc.xpath("//head/style")
    assert len(doc.xpath("//body/header")) == 1
    assert len(doc.xpath("//body/main")) == 1
    assert len(doc.xpath("//h1")) == 1
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading levels skip: {levels}"
    for th in doc.iter("th"):
        assert th.get("scope") in ("row", "col"), lxml.html.tostring(th)
    # Navigation, relative to the base URL in <request>.
    nav = hrefs(doc.xpath("//header/nav")[0])
    assert nav == [
        f"{BASE}?verb=Identify",
        f"{BASE}?verb=ListMetadataFormats",
        f"{BASE}?verb=ListSets",
        f"{BASE}?verb=ListIdentifiers&metadataPrefix=oai_dc",
        f"{BASE}?verb=ListRecords&metadataPrefix=oai_dc",
    ]
    # Response date and the request, near the top.
    main = text(doc.xpath("//main")[0])
    assert "2024-05-01T10:00:00Z" in main
    assert doc.xpath("//main//time[@datetime='2024-05-01T10:00:00Z']")
    assert f"{BASE}?verb=" in main


# ---------------------------------------------------------------- Identify


def test_identify(transform) -> None:
    doc, _ = render(transform, IDENTIFY)
    assert text(doc.xpath("//h1")[0]) == "Opis Test Archive"
    assert "Opis Test Archive" in doc.findtext(".//title")
    assert text(doc.xpath("//h2")[0]) == "Identify"
    links = hrefs(doc)
    assert "mailto:archivist@opis.example.org" in links
    assert BASE in links
    body = text(doc.body)
    for value in ("2023-01-02T03:04:05Z", "persistent", "YYYY-MM-DDThh:mm:ssZ", "gzip"):
        assert value in body
    sample = "oai:opis.example.org:GAPPOD/f.1/op.89/d.112"
    assert f"{BASE}?verb=GetRecord&metadataPrefix=oai_dc&identifier={sample}" in links


# ---------------------------------------------------------------- ListRecords


def test_list_records(transform) -> None:
    doc, _ = render(transform, LIST_RECORDS)
    assert text(doc.xpath("//h1")[0]) == "OAI-PMH"
    assert "ListRecords" in doc.findtext(".//title")
    articles = doc.xpath("//main//article")
    assert len(articles) == 3
    first = articles[0]
    assert "Письмо о поставке зерна" in text(first)
    assert first.xpath(".//dd[@lang='ru' and contains(., 'Письмо')]")
    labels = [text(dt) for dt in first.xpath(".//dl//dt")]
    assert {"title", "creator", "date", "identifier"} <= set(labels)
    links = hrefs(first)
    ident = "oai:opis.example.org:GAPPOD/f.1/op.89/d.112"
    for prefix in ("oai_dc", "marc21", "mods"):
        assert f"{BASE}?verb=GetRecord&metadataPrefix={prefix}&identifier={ident}" in links
    assert f"{BASE}?verb=ListMetadataFormats&identifier={ident}" in links
    assert f"{BASE}?verb=ListIdentifiers&metadataPrefix=oai_dc&set=archive:gappod:f.1" in links
    assert "https://opis.example.org/records/d.112" in links
    assert not any(h.startswith("javascript:") for h in links), "only http(s) values link"
    assert "javascript:alert(1)" in text(first)


def test_deleted_record_is_marked(transform) -> None:
    doc, _ = render(transform, LIST_RECORDS)
    deleted = doc.xpath("//article[contains(concat(' ', @class, ' '), ' deleted ')]")
    assert len(deleted) == 1
    assert "d.7&x" in text(deleted[0])
    assert "Deleted" in text(deleted[0].xpath(".//h3")[0])
    assert "deleted" in text(deleted[0]).lower()
    others = doc.xpath("//article[not(contains(@class, 'deleted'))]")
    assert all("Deleted" not in text(a.xpath(".//h3")[0]) for a in others)
    # "&" in an identifier is percent-encoded in the links built from it.
    assert any(
        h.endswith("identifier=oai:opis.example.org:GAPPOD/f.1/op.89/d.7%26x")
        for h in hrefs(deleted[0])
    )


def test_marc21_record_is_a_table(transform) -> None:
    doc, _ = render(transform, LIST_RECORDS)
    marc = doc.xpath("//article[3]//table[contains(@class, 'marc')]")
    assert marc
    rows = {text(tr.xpath("th")[0]): tr for tr in marc[0].xpath(".//tbody/tr")}
    assert {"LDR", "008", "245", "856"} <= set(rows)
    cells = [text(td) for td in rows["245"].xpath("td")]
    assert cells[0] == "1" and cells[1] == "0"
    assert "$a Report on the harvest" in cells[2]
    assert "$f 1921" in cells[2]
    assert "blank" in text(rows["856"].xpath("td")[1])
    assert "https://opis.example.org/records/d.3" in hrefs(rows["856"])
    assert [text(th) for th in marc[0].xpath(".//thead//th")] == [
        "Tag",
        "Ind 1",
        "Ind 2",
        "Subfields",
    ]


def test_next_page_link(transform) -> None:
    doc, _ = render(transform, LIST_RECORDS)
    nxt = doc.xpath("//a[@rel='next']")
    assert len(nxt) == 1
    assert nxt[0].get("href") == f"{BASE}?verb=ListRecords&resumptionToken={TOKEN}"
    body = text(doc.body)
    assert "2024-05-08T10:00:00Z" in body
    assert "Showing 1–3 of 10 records" in body


def test_last_page_has_no_next_link(transform) -> None:
    last = LIST_RECORDS.replace(
        f'cursor="0" completeListSize="10"\n                   '
        f'expirationDate="2024-05-08T10:00:00Z">{TOKEN}</resumptionToken>',
        'cursor="7" completeListSize="10"/>',
    )
    assert last != LIST_RECORDS
    doc, _ = render(transform, last)
    assert not doc.xpath("//a[@rel='next']")
    body = text(doc.body)
    assert "last page" in body
    assert "Showing 8–10 of 10 records" in body


# ---------------------------------------------------------------- ListSets, formats, errors


def test_list_sets(transform) -> None:
    doc, _ = render(transform, LIST_SETS)
    assert text(doc.xpath("//h2")[0]) == "ListSets"
    links = hrefs(doc)
    for spec in ("archive:gappod", "archive:gappod:f.1"):
        assert f"{BASE}?verb=ListIdentifiers&metadataPrefix=oai_dc&set={spec}" in links
    body = text(doc.body)
    assert "State Archive of Perm Region" in body
    assert "Documents of the regional party archive." in body
    assert "2 sets" in body


def test_list_metadata_formats(transform) -> None:
    doc, _ = render(transform, LIST_METADATA_FORMATS)
    assert text(doc.xpath("//h2")[0]) == "ListMetadataFormats"
    links = hrefs(doc)
    for prefix in ("oai_dc", "marc21", "mods"):
        assert f"{BASE}?verb=ListRecords&metadataPrefix={prefix}" in links
    body = text(doc.body)
    assert "http://www.loc.gov/MARC21/slim" in body
    assert "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd" in body


def test_error(transform) -> None:
    doc, _ = render(transform, ERROR)
    assert text(doc.xpath("//h2")[0]) == "Error"
    assert "Error" in doc.findtext(".//title")
    body = text(doc.body)
    assert "idDoesNotExist" in body
    assert "no record has the identifier oai:opis.example.org:nothing" in body
    # The request echoed: its arguments, by name.
    echoed = {
        text(tr.xpath("th")[0]): text(tr.xpath("td")[0])
        for tr in doc.xpath("//main//table//tr[th[@scope='row']]")
    }
    assert echoed == {
        "verb": "GetRecord",
        "metadataPrefix": "oai_dc",
        "identifier": "oai:opis.example.org:nothing",
    }


def test_error_without_echoed_arguments(transform) -> None:
    bad_verb = (
        HEAD
        + f"""<request>{BASE}</request>
<error code="badVerb">the verb argument is missing</error>
</OAI-PMH>
"""
    )
    doc, _ = render(transform, bad_verb)
    body = text(doc.body)
    assert "badVerb" in body
    assert "No arguments are echoed" in body
