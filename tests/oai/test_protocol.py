"""OAI-PMH 2.0 to the letter: the checks of oai-conformance.md, over a real port.

Every response is validated against the official schemas (payloads included) by the
client in tests/oai_client.py. Check ids (A1, B4 ...) follow the conformance list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.parse
from dataclasses import replace

import pytest

from repository.oai.dates import format_us
from tests.live import LiveServer, free_port, ingest, make_settings
from tests.oai_client import NS, call, harvest, post
from tests.synthetic import records
from tests.xmlschemas import validate_oai_response

PAGE = 10


@pytest.fixture(scope="module")
def server(module_database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oai")
    items = list(records(43, seed=7))
    items[0]["collections"] = ["Iran crisis"]
    items[1]["title"] = "Протокол заседания Политбюро ЦК ВКП(б)"
    items[2]["title"] = "Bad \u000b chars \u0003 in \ufffe title"
    items.append(
        {
            "reference": "GAPPOD, f.1, op.89, d.112",
            "title": "Letter about Qavam",
            "date": "1946-04-20",
            "source": {"id": "seed"},
        }
    )
    items.append(
        {
            "reference": "GAPPOD, f.1, op.89, d.106",
            "title": "To be deleted",
            "source": {"id": "gone"},
        }
    )
    path = folder / "records.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items))
    settings = make_settings(
        module_database_url, folder / "data", oai={"page_size": PAGE, "set_page_size": 7}
    )
    report = ingest(settings, [path])
    assert report.count("added") == len(items), report.entries
    with LiveServer(settings) as live:
        from repository.keys import STORE

        live.call(live.app[STORE].delete("GAPPOD/f.1/op.89/d.106"))
        live.call(live.app[STORE].stamp())
        live.oai = live.url("/oai")
        live.total = len(items)
        live.id_prefix = f"oai:{settings.repository.identifier}:"
        live.seed = live.id_prefix + "GAPPOD/f.1/op.89/d.112"
        live.deleted = live.id_prefix + "GAPPOD/f.1/op.89/d.106"
        yield live


# -- A. HTTP embedding and envelope ----------------------------------------------------------


def test_a1_a2_a5_a6_a7_identify(server):
    reply = call(server.oai, "verb=Identify")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert reply.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    request = reply.find("oai:request")
    assert request.text == server.oai and dict(request.attrib) == {"verb": "Identify"}
    assert reply.tree.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    )
    moment = dt.datetime.strptime(reply.response_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 300


def test_a3_a4_post_answers_like_get(server):
    get = call(server.oai, "verb=Identify")
    posted = post(server.oai, "verb=Identify")
    assert posted.find("oai:Identify") is not None
    strip = re.compile(rb"<responseDate>[^<]*</responseDate>")
    assert strip.sub(b"", get.body) == strip.sub(b"", posted.body)
    query = {"verb": "GetRecord", "identifier": server.seed, "metadataPrefix": "oai_dc"}
    a, b = call(server.oai, query), post(server.oai, query)
    assert strip.sub(b"", a.body) == strip.sub(b"", b.body)
    assert b.find("oai:GetRecord/oai:record/oai:metadata") is not None


def test_a8_errors_are_http_200(server):
    reply = call(server.oai, "verb=nastyVerb")
    assert reply.status == 200 and reply.errors == ["badVerb"]


def test_a9_gzip_exactly_when_accepted(server):
    assert call(server.oai, "verb=Identify").text("oai:Identify/oai:compression") == "gzip"
    zipped = call(server.oai, "verb=Identify", headers={"Accept-Encoding": "gzip, identity;q=0.5"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    plain = call(server.oai, "verb=Identify", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    refused = call(server.oai, "verb=Identify", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_a9_a_gzipped_page_holds_the_same_document(server):
    """A list page compressed (by ISA-L, not zlib) is one gzip stream of the same XML."""
    query = "verb=ListRecords&metadataPrefix=oai_dc"
    zipped = call(server.oai, query, headers={"Accept-Encoding": "gzip"})
    plain = call(server.oai, query, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["Content-Encoding"] == "gzip" and len(zipped.body) > 2000
    # what moves with the second each page is made in: the date, the token's expiry and
    # its issue time inside it
    moving = re.compile(
        rb"<responseDate>[^<]+</responseDate>|expirationDate=\"[^\"]+\"|>[^<>]+</resumptionToken>"
    )
    assert moving.sub(b"", zipped.body) == moving.sub(b"", plain.body)
    assert b"<resumptionToken" in plain.body


def test_a10_bare_base_url_is_bad_verb_not_redirect(server):
    reply = call(server.oai)
    assert reply.status == 200 and reply.errors == ["badVerb"]
    assert dict(reply.find("oai:request").attrib) == {}


def test_a11_put_is_405_with_allow(server):
    reply = call(server.oai, "verb=Identify", method="PUT", body=b"")
    assert reply.status == 405
    assert set(reply.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_a12_head(server):
    reply = call(server.oai, "verb=Identify", method="HEAD")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"


def test_a14_long_post_body_is_read(server):
    reply = post(server.oai, {"verb": "ListRecords", "resumptionToken": "x" * 4096})
    assert reply.errors == ["badResumptionToken"]


# -- B. Verbs, arguments, error codes ------------------------------------------------------

ERRORS = [
    ("B2", "junk", {"badVerb"}),
    ("B3", "verb=junk", {"badVerb"}),
    ("B4", "verb=Identify&verb=Identify", {"badVerb"}),
    ("B5", "verb=identify", {"badVerb"}),
    ("B6", "verb=GetMetadata&identifier={ID}&metadataPrefix=oai_dc", {"badVerb"}),
    ("B7", "verb=Identify&test=test", {"badArgument"}),
    ("B8", "verb=Identify&resumptionToken=x", {"badArgument"}),
    ("B9", "verb=GetRecord&metadataPrefix=oai_dc", {"badArgument"}),
    ("B10", "verb=GetRecord&identifier={ID}", {"badArgument"}),
    ("B11", 'verb=GetRecord&identifier=invalid"id&metadataPrefix=oai_dc', {"badArgument"}),
    (
        "B12",
        "verb=GetRecord&identifier=oai:archive.example.org:no/such/item&metadataPrefix=oai_dc",
        {"idDoesNotExist"},
    ),
    (
        "B13",
        "verb=GetRecord&identifier={ID}&metadataPrefix=nosuchformat",
        {"cannotDisseminateFormat"},
    ),
    (
        "B14",
        "verb=GetRecord&identifier={ID}&metadataPrefix=oai_dc&metadataPrefix=oai_dc",
        {"badArgument"},
    ),
    ("B15", "verb=ListRecords", {"badArgument"}),
    ("B16", "verb=ListIdentifiers", {"badArgument"}),
    ("B17", "verb=ListRecords&metadataPrefix=nosuchformat", {"cannotDisseminateFormat"}),
    ("B18", "verb=ListRecords&metadataPrefix=", {"badArgument"}),
    ("B19", "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marc21", {"badArgument"}),
    ("B20", "verb=ListRecords&metadataPrefix=oai_dc&from=junk", {"badArgument"}),
    ("B21", "verb=ListRecords&metadataPrefix=oai_dc&until=junk", {"badArgument"}),
    ("B22", "verb=ListIdentifiers&from=junk", {"badArgument"}),
    # a bad date and an unknown format: the bad date is answered (nothing echoed)
    ("B22b", "verb=ListIdentifiers&metadataPrefix=0&from=0", {"badArgument"}),
    (
        "B23",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2020-01-01T00:00:00Z",
        {"badArgument"},
    ),
    (
        "B24",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2002-02-05&until=2002-02-06T05:35:00Z",
        {"badArgument"},
    ),
    ("B25", "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00", {"badArgument"}),
    (
        "B26",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00%2B02:00",
        {"badArgument"},
    ),
    (
        "B27",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00.000Z",
        {"badArgument"},
    ),
    ("B28", "verb=ListRecords&metadataPrefix=oai_dc&from=2020", {"badArgument"}),
    ("B29", "verb=ListRecords&metadataPrefix=oai_dc&from=2021-02-30", {"badArgument"}),
    (
        "B30",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2023-01-01&until=2021-01-01",
        {"noRecordsMatch"},
    ),
    ("B32", "verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", {"noRecordsMatch"}),
    ("B33", "verb=ListRecords&metadataPrefix=oai_dc&set=no:such:set", {"noRecordsMatch"}),
    ("B36", "verb=ListRecords&resumptionToken=junk", {"badResumptionToken"}),
    ("B37", "verb=ListIdentifiers&resumptionToken=junk&until=2000-02-05", {"badArgument"}),
    ("B40", "verb=ListSets&resumptionToken=junk", {"badResumptionToken"}),
    (
        "B41",
        "verb=ListMetadataFormats&identifier=oai:archive.example.org:no/such/item",
        {"idDoesNotExist"},
    ),
    ("B43", "verb=ListRecords&metadataprefix=oai_dc", {"badArgument"}),
    ("B44", "verb=ListRecords&metadataPrefix=oai_dc&foo=bar", {"badArgument"}),
    ("B45", "verb=ListRecords&metadataPrefix=oai_dc&until=2020-01-01T24:00:00Z", {"badArgument"}),
    ("B49", "verb=ListRecords&resumptionToken=", {"badArgument"}),
    ("NUL", "verb=GetRecord&identifier=oai:x:%00&metadataPrefix=oai_dc", {"badArgument"}),
    ("UTF8", "verb=GetRecord&identifier=oai:x:%ff&metadataPrefix=oai_dc", {"badArgument"}),
    ("SET", "verb=ListRecords&metadataPrefix=oai_dc&set=bad%20set", {"badArgument"}),
]


@pytest.mark.parametrize(("check", "query", "codes"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(server, check, query, codes):
    query = query.replace("{ID}", urllib.parse.quote(server.seed, safe=":/"))
    for reply in (call(server.oai, query), post(server.oai, query)):
        assert reply.status == 200
        assert set(reply.errors) <= codes | {"badArgument"} and set(reply.errors) & codes
        request = reply.find("oai:request")
        assert request.text == server.oai
        if set(reply.errors) & {"badVerb", "badArgument"}:
            assert dict(request.attrib) == {}, "badVerb/badArgument must not echo arguments"


def test_b31_until_before_earliest_datestamp(server):
    earliest = call(server.oai, "verb=Identify").text("oai:Identify/oai:earliestDatestamp")
    year_before = f"{int(earliest[:4]) - 1}{earliest[4:]}"
    reply = call(server.oai, f"verb=ListRecords&metadataPrefix=oai_dc&until={year_before}")
    assert reply.errors == ["noRecordsMatch"]


# Dates at the ends of what YYYY-MM-DD can write: an OAI answer (a list or an OAI error),
# schema-valid, never a plain-text 500 (an until of 9999-12-31 once overflowed datetime).
FAR_DATES = [
    ({"until": "9999-12-31"}, "all"),
    ({"until": "9999-12-31T23:59:59Z"}, "all"),
    ({"from": "0001-01-01"}, "all"),
    ({"from": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"}, "all"),
    ({"from": "9999-12-31"}, "noRecordsMatch"),
    ({"until": "0001-01-01"}, "noRecordsMatch"),
    ({"from": "9999-12-31", "until": "0001-01-01"}, "noRecordsMatch"),
    ({"from": "9999-12-31T23:59:59Z", "until": "9999-12-31T23:59:59Z"}, "noRecordsMatch"),
]


@pytest.mark.parametrize(("dates", "expected"), FAR_DATES, ids=lambda v: str(v))
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_dates_far_in_the_future_or_past_get_an_oai_answer(server, verb, dates, expected):
    query = {"verb": verb, "metadataPrefix": "oai_dc", **dates}
    for reply in (call(server.oai, query, validate=False), post(server.oai, query, validate=False)):
        assert reply.status == 200, reply.body[:300]
        assert reply.headers["Content-Type"].startswith("text/xml")
        validate_oai_response(reply.body)
        if expected == "all":
            assert not reply.errors
            element = "record" if verb == "ListRecords" else "header"
            assert reply.findall(f"oai:{verb}/oai:{element}")
        else:
            assert reply.errors == [expected]
            assert dict(reply.find("oai:request").attrib) == query  # echoed: no badArgument
    if expected == "all":
        listed = harvest(server.oai, verb, metadataPrefix="oai_dc", **dates)
        assert len(listed.identifiers) == server.total


def test_b38_b39_tokens_are_exclusive_and_bound_to_their_verb(server):
    first = call(server.oai, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    token = first.text("oai:ListIdentifiers/oai:resumptionToken")
    with_prefix = call(
        server.oai,
        {"verb": "ListIdentifiers", "resumptionToken": token, "metadataPrefix": "oai_dc"},
    )
    assert with_prefix.errors == ["badArgument"]
    other_verb = call(server.oai, {"verb": "ListRecords", "resumptionToken": token})
    assert other_verb.errors == ["badResumptionToken"]


def test_b42_repeated_arguments_in_post_bodies(server):
    reply = post(server.oai, "verb=GetRecord&identifier=x:1&identifier=x:2&metadataPrefix=oai_dc")
    assert reply.errors == ["badArgument"]


def test_tampered_and_foreign_tokens_are_refused(server):
    token = call(server.oai, "verb=ListRecords&metadataPrefix=oai_dc").text(
        "oai:ListRecords/oai:resumptionToken"
    )
    body, signature = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{signature}", f"{body}.{signature[::-1]}", body):
        reply = call(server.oai, {"verb": "ListRecords", "resumptionToken": bad})
        assert reply.errors == ["badResumptionToken"]


def test_error_echo_keeps_valid_arguments(server):
    reply = call(server.oai, "verb=GetRecord&identifier=oai:x:y&metadataPrefix=oai_dc")
    assert reply.errors == ["idDoesNotExist"]
    assert dict(reply.find("oai:request").attrib) == {
        "verb": "GetRecord",
        "identifier": "oai:x:y",
        "metadataPrefix": "oai_dc",
    }


# -- C. Identify -----------------------------------------------------------------------


def test_c_identify_content(server):
    reply = call(server.oai, "verb=Identify")
    identify = "oai:Identify/oai:"
    assert reply.text(identify + "granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert reply.text(identify + "deletedRecord") == "persistent"
    assert reply.text(identify + "protocolVersion") == "2.0"
    assert reply.text(identify + "baseURL") == server.oai
    assert "@" in reply.text(identify + "adminEmail")
    assert not reply.text(identify + "adminEmail").startswith("mailto:")
    assert len(reply.findall("oai:Identify/oai:description/id:oai-identifier")) == 1
    sample = reply.text("oai:Identify/oai:description/id:oai-identifier/id:sampleIdentifier")
    assert (
        call(
            server.oai, {"verb": "GetRecord", "identifier": sample, "metadataPrefix": "oai_dc"}
        ).errors
        == []
    )
    earliest = reply.text(identify + "earliestDatestamp")
    stamps = [
        h[0]
        for h in harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc").headers().values()
    ]
    assert earliest == min(stamps), "earliestDatestamp is the earliest datestamp there is"


# -- D. Lists, flow control, sets, deletions ----------------------------------------------


def test_d1_d2_metadata_formats(server):
    reply = call(server.oai, "verb=ListMetadataFormats")
    formats = {
        f.findtext("oai:metadataPrefix", namespaces=NS): f
        for f in reply.findall("oai:ListMetadataFormats/oai:metadataFormat")
    }
    assert set(formats) == {"oai_dc", "marc21", "mods", "oai_ead", "edm", "oai_dcterms"}
    assert formats["oai_dc"].findtext("oai:schema", namespaces=NS) == (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )
    assert formats["oai_dc"].findtext("oai:metadataNamespace", namespaces=NS) == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/"
    )
    for identifier in (server.seed, server.deleted):
        one = call(server.oai, {"verb": "ListMetadataFormats", "identifier": identifier})
        assert len(one.findall("oai:ListMetadataFormats/oai:metadataFormat")) == 6


@pytest.mark.parametrize("prefix", ["oai_dc", "marc21", "mods"])
def test_d4_to_d15_full_lists_page_exactly(server, prefix):
    records = harvest(server.oai, "ListRecords", metadataPrefix=prefix)
    identifiers = harvest(server.oai, "ListIdentifiers", metadataPrefix=prefix)
    assert len(records.pages) == -(-server.total // PAGE)
    assert len(records.identifiers) == len(set(records.identifiers)) == server.total
    assert records.headers() == identifiers.headers()
    first_token = records.pages[0].find("oai:ListRecords/oai:resumptionToken")
    assert first_token.text and first_token.get("cursor") == "0"
    assert first_token.get("completeListSize") == str(server.total)
    expires = first_token.get("expirationDate")
    assert expires and expires > records.pages[0].response_date
    deleted = [i for i, (_, gone, _) in records.headers().items() if gone]
    assert deleted == [server.deleted]
    for item in records.items:
        header = item.find("oai:header", NS)
        if header.get("status") == "deleted":
            assert item.find("oai:metadata", NS) is None and item.find("oai:about", NS) is None
        else:
            assert item.find("oai:metadata", NS) is not None
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h[0]) for h in records.headers().values()
    )


def test_d11_d12_tokens_are_idempotent_and_old_ones_still_work(server):
    first = call(server.oai, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    token1 = first.text("oai:ListIdentifiers/oai:resumptionToken")
    a = call(server.oai, {"verb": "ListIdentifiers", "resumptionToken": token1})
    token2 = a.text("oai:ListIdentifiers/oai:resumptionToken")
    call(server.oai, {"verb": "ListIdentifiers", "resumptionToken": token2})
    b = call(server.oai, {"verb": "ListIdentifiers", "resumptionToken": token1})
    assert _ids(a) == _ids(b) and len(_ids(a)) == PAGE


def _ids(reply):
    return [e.text for e in reply.findall(".//oai:header/oai:identifier")]


def test_d16_d17_d18_bounds_are_inclusive(server):
    headers = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc").headers()
    stamp = headers[server.seed][0]
    window = harvest(
        server.oai, "ListRecords", metadataPrefix="oai_dc", **{"from": stamp, "until": stamp}
    )
    assert server.seed in window.identifiers
    day = stamp[:10]
    by_day = harvest(
        server.oai, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": day, "until": day}
    )
    assert server.seed in by_day.identifiers
    later = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": stamp})
    assert all(h[0] >= stamp for h in later.headers().values())


def test_d19_d25_sets_include_descendants_and_headers_list_ancestors(server):
    everything = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc").headers()
    sets = harvest(server.oai, "ListSets")
    specs = [s.findtext("oai:setSpec", namespaces=NS) for s in sets.items]
    assert len(specs) == len(set(specs)) > 7, "ListSets pages like the other lists"
    for spec in specs:
        if ":" in spec:
            assert spec.rsplit(":", 1)[0] in specs, f"{spec} has no parent set listed"
        assert re.fullmatch(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*", spec)
    gappod = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc", set="GAPPOD")
    expected = {i for i, (_, _, s) in everything.items() if "GAPPOD" in s or i == server.deleted}
    assert set(gappod.identifiers) == expected
    assert server.seed in gappod.identifiers and server.deleted in gappod.identifiers
    child = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc", set="GAPPOD:f.1:op.89")
    assert set(child.identifiers) <= set(gappod.identifiers)
    for _identifier, (_, deleted, specs_of) in everything.items():
        if not deleted:
            for spec in specs_of:
                parent = spec.rsplit(":", 1)[0]
                assert ":" not in spec or parent in specs_of
    names = {
        s.findtext("oai:setSpec", namespaces=NS): s.findtext("oai:setName", namespaces=NS)
        for s in sets.items
    }
    assert (
        "Azerbaijan" in names["GAPPOD"] and names["GAPPOD:f.1:op.89"] == "GAPPOD, Fond 1, Opis 89"
    )
    assert names["collection:iran-crisis"] == "Iran crisis"


def test_d20_get_record_on_a_deleted_record(server):
    reply = call(
        server.oai, {"verb": "GetRecord", "identifier": server.deleted, "metadataPrefix": "marc21"}
    )
    header = reply.find("oai:GetRecord/oai:record/oai:header")
    assert header.get("status") == "deleted"
    assert reply.find("oai:GetRecord/oai:record/oai:metadata") is None


def test_d21_percent_encoded_identifier(server):
    query = "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + urllib.parse.quote(
        server.seed, safe=""
    )
    reply = call(server.oai, query)
    assert reply.find("oai:GetRecord/oai:record/oai:header/oai:identifier").text == server.seed


def test_d22_oai_dc_schema_location(server):
    reply = call(
        server.oai, {"verb": "GetRecord", "identifier": server.seed, "metadataPrefix": "oai_dc"}
    )
    dc = reply.find("oai:GetRecord/oai:record/oai:metadata/oai_dc:dc")
    assert dc.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )


def test_d24_get_record_header_equals_list_header(server):
    listed = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc").headers()
    for identifier in (server.seed, server.deleted):
        reply = call(
            server.oai, {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"}
        )
        header = reply.find("oai:GetRecord/oai:record/oai:header")
        got = (
            header.findtext("oai:datestamp", namespaces=NS),
            header.get("status") == "deleted",
            tuple(s.text for s in header.findall("oai:setSpec", NS)),
        )
        assert got == listed[identifier]


def test_d26_set_and_dates_intersect(server):
    headers = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc").headers()
    stamp = headers[server.seed][0]
    both = harvest(
        server.oai,
        "ListIdentifiers",
        metadataPrefix="oai_dc",
        set="GAPPOD",
        **{"from": stamp, "until": stamp},
    )
    in_set = set(
        harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc", set="GAPPOD").identifiers
    )
    in_dates = {i for i, h in headers.items() if h[0] == stamp}
    assert set(both.identifiers) == in_set & in_dates


def test_f2_f3_characters(server):
    reply = call(server.oai, "verb=ListRecords&metadataPrefix=oai_dc&set=RGASPI")
    titles = {t.text for t in reply.tree.iter("{http://purl.org/dc/elements/1.1/}title")}
    titles |= {
        t.text
        for p in harvest(server.oai, "ListRecords", metadataPrefix="oai_dc").items
        for t in p.iter("{http://purl.org/dc/elements/1.1/}title")
    }
    assert "Протокол заседания Политбюро ЦК ВКП(б)" in titles
    assert "Bad  chars  in  title" in titles
    body = harvest(server.oai, "ListRecords", metadataPrefix="mods").pages[0].body
    assert b"&#" not in body.replace(b"&#9;", b"")


def test_response_date_of_first_page_is_a_true_bound(server):
    """responseDate never precedes a datestamp in the list it starts."""
    records = harvest(server.oai, "ListIdentifiers", metadataPrefix="oai_dc")
    first = records.pages[0].response_date
    assert max(h[0] for h in records.headers().values()) <= first


def test_stylesheet_is_served(server):
    reply = call(server.url("/static/oai.xsl"), validate=False)
    assert reply.status == 200 and b"xsl:stylesheet" in reply.body


def test_tokens_survive_a_new_app_on_the_same_store(server):
    """Stateless tokens: another process sharing the store continues the list."""
    first = call(server.oai, "verb=ListRecords&metadataPrefix=marc21")
    token = first.text("oai:ListRecords/oai:resumptionToken")
    expected = call(server.oai, {"verb": "ListRecords", "resumptionToken": token}).body
    twin = replace(server.settings, server=replace(server.settings.server, port=free_port()))
    with LiveServer(twin) as other:
        again = call(other.url("/oai"), {"verb": "ListRecords", "resumptionToken": token})
        strip = re.compile(
            rb"<responseDate>[^<]*</responseDate>|<request[^>]*>[^<]*</request>|"
            rb"expirationDate=\"[^\"]*\"|<resumptionToken[^>]*>[^<]*<"
        )
        assert strip.sub(b"", again.body) == strip.sub(b"", expected)


def test_format_us_truncates_to_the_second():
    assert format_us(
        int(time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, 0)) * 1e6) + 999_999 - time.timezone * 1_000_000
    ).endswith(":05Z")
