"""The OpenAPI description, run against a live server as a property-based test (schemathesis).

Schemathesis reads the description the server publishes (``/api/openapi.json``) and
generates requests for every operation from it: requests that fit its schemas
(positive) and requests that break them (negative). Keys are often those of records
that exist (one cited, one without any reference under ``UNCITED/``, one deleted), and a
PUT of a record is often sent to the key that record belongs under, so the answers that
show records (200, 201, 410) are checked too, not only the refusals. Every answer must

* not be a 5xx;
* have a status the description documents for the operation;
* have the documented content type and headers, and a body that matches the schema.

CI runs a short variant; ``OPIS_FUZZ_EXAMPLES=1000`` runs a long one.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import EncodedPath
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from metadata import identity as ident
from metadata.readers import ReadResult, read_json_records
from repository.keys import STORE
from repository.records.prepare import with_reference
from tests.api.test_api import EDITOR, READER, TOKENS
from tests.conftest import fuzz_examples
from tests.live import LiveServer, ingest, make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    ("/api/records/{key}", "GET"),
    ("/api/records/{key}", "PUT"),
    ("/api/records/{key}", "DELETE"),
    ("/api/openapi.json", "GET"),
]
CITED = {
    "reference": "GAPPOD, f.1, op.89, d.112",
    "title": "Letter from Bagirov to Stalin",
    "types": ["Letter"],
    "source": {"id": "120502"},
}
GONE = {"reference": "GAPPOD, f.1, op.89, d.106", "title": "To be deleted"}
UNCITED_PAGE = (
    "Skip to content\n\nMarch 3, 1950\n\nNote on the delivery of coal to the depot\n\n"
    "The coal arrived two days late and the depot manager asked for a receipt.\n"
)
AUTHORISATIONS = st.sampled_from(
    [f"Bearer {EDITOR}"] * 6 + [f"Bearer {READER}", "Bearer not-a-token", None]
)


@pytest.fixture(scope="module")
def live(module_database_url, tmp_path_factory):
    """A server with three records to find, and the description it publishes, loaded."""
    folder = tmp_path_factory.mktemp("api-schema")
    settings = make_settings(
        module_database_url,
        folder / "data",
        auth={"tokens": TOKENS, "max_body_bytes": 1_000_000},
    )
    (folder / "records.jsonl").write_text("\n".join(json.dumps(r) for r in (CITED, GONE)))
    (folder / "note.txt").write_text(UNCITED_PAGE)
    report = ingest(settings, [folder / "records.jsonl", folder / "note.txt"])
    keys = [entry.key for entry in report.entries]
    assert len(keys) == 3 and keys[2].startswith("UNCITED/"), report.entries
    with LiveServer(settings) as server:
        server.call(server.app[STORE].delete(keys[1]))
        server.call(server.app[STORE].stamp())
        schema = schemathesis.openapi.from_url(server.url("/api/openapi.json"))
        yield server, schema, keys


def as_sent(key: str) -> str:
    """A key as it stands in its URL: its ``/`` and escapes as they are.

    Schemathesis, like any OpenAPI client, percent-encodes a path parameter whole, ``/``
    included (``GAPPOD%2Ff.1``), which names another key (the description says to send
    the key unescaped). Marked as encoded already, the key is sent as it stands.
    """
    return EncodedPath(key)


def right_key(record: object) -> str | None:
    """The key a valid record belongs under (where a PUT of it can succeed)."""
    if not isinstance(record, dict):
        return None
    try:
        (result,) = read_json_records(json.dumps(record))
        if not isinstance(result, ReadResult):
            return None
        return ident.locator(with_reference(result.record)[0])
    except Exception:  # whatever the generator made, the test decides nothing on it
        return None


# How the reader words a field of the wrong JSON type: a body that fits the schema never
# earns one of these (the schema cannot state everything the reader checks, such as real
# dates, language codes and non-blank text, so other 422s are fine).
WRONG_SHAPE = (
    "not null",
    "not a number",
    "not a boolean",
    "not a list",
    "not an object",
    "not a string",
    "are both given",
    "must be a list",
    "must be an object",
)


def refused_for_its_shape(status: int, body: bytes) -> list[str]:
    """Why an answer to a PUT whose body fits the schema says it does not."""
    if status == 400:
        return [f"400: {body[:300]!r}"]
    if status != 422:
        return []
    details = json.loads(body).get("details", [])
    return [d for d in details if any(phrase in d for phrase in WRONG_SHAPE)]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=lambda v: v.strip("/"))
def test_the_api_answers_as_its_openapi_description_says(live, path, method):
    server, schema, known = live
    operation = schema[path][method]
    strategies = {mode: operation.as_strategy(mode) for mode in GenerationMode}
    seen: Counter[str] = Counter()

    @settings(
        max_examples=fuzz_examples(100),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mode=st.sampled_from(list(GenerationMode)), data=st.data())
    def check(mode, data):
        case = data.draw(strategies[mode], label="case")
        if case.path_parameters and "key" in case.path_parameters:
            key = data.draw(st.sampled_from(["generated", "known", "right"]), label="key")
            if key == "known":
                case.path_parameters["key"] = as_sent(data.draw(st.sampled_from(known)))
            elif key == "right" and method == "PUT":
                body = case.body
                record = body.get("record") if case.media_type != "application/json" else body
                belongs = right_key(record) if isinstance(body, dict) else None
                if belongs:
                    case.path_parameters["key"] = as_sent(belongs)
        headers = {}
        if method in ("PUT", "DELETE"):
            authorisation = data.draw(AUTHORISATIONS, label="authorisation")
            if authorisation:
                headers["Authorization"] = authorisation
        response = case.call_and_validate(
            base_url=server.url(""), headers=headers, checks=CHECKS, timeout=60
        )
        seen[f"{mode.value} {response.status_code}"] += 1
        if method == "PUT" and mode == GenerationMode.POSITIVE:
            wrong = refused_for_its_shape(response.status_code, response.content)
            request = response.request
            assert not wrong, (
                f"a body that fits the schema was refused for its shape: {wrong}\n"
                f"{request.method} {request.url}\n{request.headers}\n{request.body!r:.2000}"
            )

    check()
    print(f"{method} {path}: answers by generation mode and status: {dict(sorted(seen.items()))}")


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(data=st.data())
def test_every_part_name_the_description_allows_is_read_back_as_sent(data):
    """The schema's pattern for a part's name keeps out what aiohttp's reader of the
    Content-Disposition header would change (leading slashes, backslashes, semicolons).
    Names are sent as requests and schemathesis send them (urllib3, HTML5 form style,
    which writes a quotation mark as %22: those two are left out here)."""
    from aiohttp.multipart import parse_content_disposition
    from urllib3.fields import format_multipart_header_param

    from repository.api.openapi import document
    from repository.settings import Settings

    put = document(Settings())["paths"]["/api/records/{key}"]["put"]
    schema = put["requestBody"]["content"]["multipart/form-data"]["schema"]
    pattern = schema["propertyNames"]["pattern"]
    tricky = st.sampled_from("/\\;=. \t'a0é")  # what a header parameter's reader may change
    names = st.text(st.one_of(tricky, st.characters(exclude_characters='"%')), min_size=1)
    name = data.draw(names.filter(lambda n: re.fullmatch(pattern, n) is not None))
    header = "form-data; " + format_multipart_header_param("name", name)
    assert parse_content_disposition(header) == ("form-data", {"name": name})
