"""Hostile and random requests over HTTP: never a 5xx, every OAI answer schema-valid,
no pixel work for an image request the limits refuse.

CI runs a few hundred cases per test; ``OPIS_FUZZ_EXAMPLES=10000`` runs the long variant.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from manifests.image_api import ImageRequestError, Limits, parse
from repository.iiif.routes import IMAGE_SERVICE
from repository.intake.demo import page_image
from repository.oai.errors import CODES
from tests.conftest import fuzz_examples
from tests.live import LiveServer, ingest, make_settings
from tests.xmlschemas import validate_oai_response

NAMES = ["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"]
VERBS = [
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "GetRecord",
    "ListIdentifiers",
    "ListRecords",
    "GetMetadata",
    "identify",
    "",
]
DATES = [
    "2020-01-01",
    "2020-01-01T00:00:00Z",
    "2021-02-30",
    "2020-13-01",
    "2020",
    "2020-01-01T24:00:00Z",
    "2020-01-01T00:00:00.5Z",
    "9999-12-31",
    "0000-01-01",
    "-2020-01-01",
    "2020-01-01T00:00:00+01:00",
]
SETTINGS = settings(
    max_examples=fuzz_examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    doc = folder / "doc"
    doc.mkdir()
    (doc / "record.json").write_text(
        json.dumps(
            {"reference": "GAPPOD, f.1, op.89, d.112", "title": "Letter", "source": {"id": "s"}}
        )
    )
    (doc / "001.jpg").write_bytes(page_image(["fuzz"], seed=1, title="fuzz"))
    path = folder / "r.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"reference": f"RGASPI, f. 17, op. 3, d. {n}", "title": f"Протокол {n}"})
            for n in range(12)
        )
    )
    data = folder / "data"
    cfg = make_settings(
        f"sqlite:///{folder}/opis.db",
        data,
        oai={"page_size": 5},
        images={"max_width": 2000, "max_height": 2000, "max_area": 2_000_000},
    )
    ingest(cfg, [path, doc])
    with LiveServer(cfg) as live:
        live.connection = http.client.HTTPConnection("127.0.0.1", cfg.server.port, timeout=30)
        first = _send(live, "GET", "/oai?verb=ListRecords&metadataPrefix=oai_dc")
        live.token = etree.fromstring(first[2]).findtext(
            ".//{http://www.openarchives.org/OAI/2.0/}resumptionToken"
        )
        live.image_id = _image_id(live)
        service = live.app[IMAGE_SERVICE]
        live.renders = []
        produce = service._produce

        async def counted(image, plan):
            live.renders.append(plan.canonical_params())
            return await produce(image, plan)

        service._produce = counted
        yield live


def _image_id(live) -> str:
    status, _, body = _send(live, "GET", "/iiif/3/GAPPOD/f.1/op.89/d.112/manifest")
    assert status == 200
    service = json.loads(body)["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
    return service.rsplit("/", 1)[1]


def _send(
    live, method: str, target: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    for attempt in range(2):
        try:
            live.connection.request(method, target, body=body, headers=headers or {})
            response = live.connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except (http.client.HTTPException, ConnectionError):
            live.connection.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "oai_dc",
            "marc21",
            "mods",
            "GAPPOD",
            "GAPPOD:f.1",
            "x" * 5000,
            "oai:opis.example.org:GAPPOD/f.1/op.89/d.112",
            "oai:x:y",
            "'\"<>&",
            "%",
            "\u0000",
            "\ufffe",
            "ГАППОД",
        ]
    ),
    st.sampled_from(DATES),
)


@st.composite
def oai_queries(draw) -> bytes:
    pairs = [("verb", draw(st.sampled_from(VERBS)))] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.one_of(st.sampled_from(NAMES), st.text(max_size=10)))
        pairs.append((name, draw(texts)))
    query = urllib.parse.urlencode(pairs).encode()
    if draw(st.integers(0, 9)) == 0:  # bytes that are not UTF-8 once decoded
        query += b"&identifier=%ff%fe"
    return query


def _check_oai(status: int, headers: dict, body: bytes) -> None:
    assert status == 200, (status, body[:300])
    assert headers["Content-Type"].startswith("text/xml")
    validate_oai_response(body)
    codes = {
        e.get("code")
        for e in etree.fromstring(body).iter("{http://www.openarchives.org/OAI/2.0/}error")
    }
    assert codes <= CODES


@SETTINGS
@given(query=oai_queries(), post=st.booleans())
def test_oai_arguments_never_break_the_protocol(server, query, post):
    if post:
        status, headers, body = _send(
            server, "POST", "/oai", query, {"Content-Type": "application/x-www-form-urlencoded"}
        )
    else:
        status, headers, body = _send(server, "GET", "/oai?" + query.decode("ascii"))
    _check_oai(status, headers, body)


@SETTINGS
@given(
    mutation=st.one_of(st.integers(0, 400), st.text(max_size=8)),
    verb=st.sampled_from(["ListRecords", "ListIdentifiers", "ListSets"]),
)
def test_tampered_tokens_are_bad_tokens(server, mutation, verb):
    token = server.token
    if isinstance(mutation, int):
        i = mutation % len(token)
        token = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    else:
        token = token + mutation
    query = urllib.parse.urlencode({"verb": verb, "resumptionToken": token})
    status, headers, body = _send(server, "GET", "/oai?" + query)
    _check_oai(status, headers, body)
    if verb != "ListRecords" or token != server.token:
        assert b"<error" in body


segments = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20),
    st.sampled_from(
        [
            "full",
            "square",
            "max",
            "^max",
            "0,0,100,100",
            "pct:10,10,50,50",
            "-1,0,10,10",
            "0,0,999999999,999999999",
            "99999999,",
            ",99999999",
            "^99999,",
            "pct:1000",
            "!99999,99999",
            "^!5000,5000",
            "0",
            "90",
            "!180",
            "359.5",
            "361",
            "-90",
            "1e9",
            "default.jpg",
            "gray.png",
            "bitonal.webp",
            "color.tif",
            "default.pdf",
            "default",
            ".jpg",
            "default.jpg.jpg",
            "%2e%2e",
            "..",
            "%2F",
        ]
    ),
)


@SETTINGS
@given(region=segments, size=segments, rotation=segments, quality=segments, own=st.booleans())
def test_image_requests_never_5xx_and_refusals_cost_no_pixels(
    server, region, size, rotation, quality, own
):
    image_id = server.image_id if own else "0" * 64
    parts = [urllib.parse.quote(p, safe=",:!^.") for p in (region, size, rotation, quality)]
    target = f"/iiif/image/3/{image_id}/" + "/".join(parts)
    before = len(server.renders)
    status, _, _ = _send(server, "GET", target)
    assert status < 500 or status == 501, (target, status)
    try:
        limits = Limits(2000, 2000, 2_000_000)
        parse(image_id, region, size, rotation, quality).resolve(1400, 2000, limits)
        refused = False
    except (ImageRequestError, ValueError):
        refused = True
    if refused or not own:
        assert len(server.renders) == before, f"pixel work for a refused request {target}"
        assert status >= 400
