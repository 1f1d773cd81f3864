"""The record API over real HTTP: tokens, PUT/GET/DELETE, limits, images, the OpenAPI.

Every answer from ``/api/records`` is checked against the OpenAPI document the server
publishes: its status must be documented for the method, and its body must match the
documented schema. So these tests also test the document against the live behaviour.
"""

from __future__ import annotations

import calendar
import copy
import hashlib
import http.client
import json
import socket
import struct
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from repository.api import openapi
from repository.api.auth import Tokens, parse_token
from repository.api.routes import WRITER
from repository.intake.demo import page_image
from repository.keys import RENDERER, STORE
from repository.records.prepare import prepare
from repository.settings import SettingsError
from repository.store import NotFound
from tests.conftest import wait_until
from tests.live import LiveServer, OpisProcess, ingest, make_settings

EDITOR = "editor-secret-0123456789"
READER = "reader-secret-0123456789"
ROBOT = "robot-secret-0123456789"
TOKENS = [
    f"editor:{EDITOR}",
    f"reader:{READER}:read",
    f"robot:sha256:{hashlib.sha256(ROBOT.encode()).hexdigest()}",
]
LIMIT = 3_000_000
KEY = "GAPPOD/f.1/op.89/d.112"
LETTER = {
    "reference": "GAPPOD, f.1, op.89, d.112",
    "title": "Letter from Bagirov to Stalin",
    "date": "1946-04-20",
    "description": "A letter about Qavam delaying talks.",
    "creators": ["Bagirov, M. D."],
    "contributors": [{"name": "Goldberg, Gary", "role": "translator"}],
    "language": ["ru"],
    "source": {"id": "120502", "url": "https://digitalarchive.wilsoncenter.org/document/120502"},
}
KOREA = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.2%2Fb/no.00394"
KOREA_RECORD = {
    "reference": "MNL OL XIX-J-1-j É-Korea, 1972, 60. doboz, 2/b, 00394",
    "title": "Report on Korea",
}


# -- the OpenAPI document, used to check every answer ------------------------------------

_DOC = openapi.document(make_settings("sqlite:///unused.db", Path("unused"), port=1))
_REGISTRY = Registry().with_resource(
    "urn:opis", Resource.from_contents(copy.deepcopy(_DOC), default_specification=DRAFT202012)
)


def conforms(method: str, path: str, status: int, body: bytes) -> None:
    """The answer's status is documented for the operation, and its body matches."""
    template = "/api/openapi.json" if path.startswith("/api/openapi") else "/api/records/{key}"
    name = "get" if method == "HEAD" else method.lower()
    if name not in _DOC["paths"][template]:
        assert status in (204, 405), f"{method} {path}: {status}"
        return
    operation = _DOC["paths"][template][name]
    documented = operation["responses"]
    assert str(status) in documented, f"{method} {path}: {status} is not in the OpenAPI document"
    content = documented[str(status)].get("content")
    if content is None or method == "HEAD":
        return
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        schema = {"$ref": "urn:opis" + schema["$ref"]}
    errors = list(Draft202012Validator(schema, registry=_REGISTRY).iter_errors(json.loads(body)))
    assert not errors, f"{method} {path} {status}: {[e.message for e in errors]}"


# -- a small client -----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Client:
    def __init__(self, port: int, server: LiveServer | None = None) -> None:
        self.port = port
        self.server = server

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers=None
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            conn.close()
        if path.startswith("/api/"):
            conforms(method, path, answer.status, answer.body)
            assert b"Traceback" not in answer.body
        return answer

    def put(
        self,
        key: str,
        record: dict | bytes | str,
        *,
        token: str | None = EDITOR,
        files: dict[str, bytes] | None = None,
        headers: dict | None = None,
    ) -> Answer:
        head = {"Authorization": f"Bearer {token}"} if token else {}
        if files is not None:
            body, kind = multipart(record, files)
        else:
            body = record if isinstance(record, bytes | str) else json.dumps(record)
            kind = "application/json"
        head["Content-Type"] = kind
        head.update(headers or {})
        return self.request("PUT", f"/api/records/{key}", body, head)

    def get(self, key: str) -> Answer:
        return self.request("GET", f"/api/records/{key}")

    def delete(self, key: str, *, token: str | None = EDITOR) -> Answer:
        head = {"Authorization": f"Bearer {token}"} if token else {}
        return self.request("DELETE", f"/api/records/{key}", None, head)

    def counts(self) -> dict[str, int]:
        return self.server.call(self.server.app[STORE].counts())


def multipart(record: dict | bytes | str, files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = f"opis-{uuid.uuid4().hex}"
    data = record if isinstance(record, bytes | str) else json.dumps(record)
    data = data.encode() if isinstance(data, str) else data
    parts = [("record", None, "application/json", data)]
    parts += [("image", name, "application/octet-stream", body) for name, body in files.items()]
    out = bytearray()
    for name, filename, kind, body in parts:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        out += f"Content-Type: {kind}\r\n\r\n".encode() + body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def raw_exchange(port: int, head: str, chunks=(), *, wait_for_100: bool = False) -> bytes:
    """Send a request by hand (to control Content-Length and chunking); what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        if wait_for_100:
            interim = sock.recv(65536)
            if not interim.startswith(b"HTTP/1.1 100"):
                return interim + _read_all(sock)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest was sent
        return _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return out
            out += data
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if length and len(rest) >= length[0]:
                    return out
    except (ConnectionResetError, TimeoutError):
        return out


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    + b"<text>&lol9;</text></svg>"
)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scans() -> list[bytes]:
    return [page_image([f"page {n}"], seed=n, title="API test") for n in (1, 2)]


@pytest.fixture
def image_root(tmp_path: Path, scans: list[bytes]) -> Path:
    root = tmp_path / "incoming"
    (root / "scans").mkdir(parents=True)
    (root / "scans" / "001.jpg").write_bytes(scans[0])
    (tmp_path / "secret.jpg").write_bytes(scans[1])  # outside the root: must stay unreadable
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    return root


@pytest.fixture
def start(database_url: str, tmp_path: Path):
    servers: list[LiveServer] = []

    def start(records: dict | None = None, **auth) -> Client:
        values = {"tokens": TOKENS, "max_body_bytes": LIMIT, **auth}
        settings = make_settings(
            database_url,
            tmp_path / f"data{len(servers)}",
            auth=values,
            images={"max_input_pixels": 10_000_000},
            **({"records": records} if records else {}),
        )
        server = LiveServer(settings).__enter__()
        servers.append(server)
        return Client(settings.server.port, server)

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def api(start, image_root: Path) -> Client:
    return start(image_root=str(image_root))


# -- tokens -------------------------------------------------------------------------------


def test_token_entries_parse_with_scope_and_hashed_secrets():
    editor, reader, robot = Tokens(TOKENS).tokens
    assert (editor.name, editor.can_write) == ("editor", True)
    assert (reader.name, reader.can_write) == ("reader", False)
    assert robot.digest == hashlib.sha256(ROBOT.encode()).digest()
    assert parse_token("odd:sha256:" + "a" * 64 + ":read").scope == "read"
    tokens = Tokens(TOKENS)
    assert tokens.check(f"Bearer {EDITOR}").name == "editor"
    assert tokens.check(f"bearer   {ROBOT}").name == "robot"
    for header in (
        None,
        "",
        EDITOR,
        f"Basic {EDITOR}",
        f"Bearer {EDITOR}x",
        "Bearer ",
        "Bearer a b",
    ):
        assert tokens.check(header) is None


@pytest.mark.parametrize(
    "entries",
    [["nameonly"], [":secret"], ["bad name:secret"], ["x:"], ["x:sha256:abc"], ["a:1", "a:2"]],
)
def test_bad_token_entries_stop_the_server_naming_the_problem(entries):
    with pytest.raises(SettingsError, match=r"auth\.tokens"):
        Tokens(entries)


def test_bad_token_entry_never_shows_the_secret():
    with pytest.raises(SettingsError) as info:
        Tokens(["bad name:hunter2-secret"])
    assert "hunter2" not in str(info.value)


def test_writes_need_a_token_that_may_write(api: Client):
    missing = api.put(KEY, LETTER, token=None)
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="opis"'
    wrong = api.put(KEY, LETTER, token="not-a-token")
    assert wrong.status == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    read_only = api.put(KEY, LETTER, token=READER)
    assert read_only.status == 403
    assert "reader" in read_only.json["error"]
    assert api.delete(KEY, token=None).status == 401
    assert api.delete(KEY, token=READER).status == 403
    assert api.get(KEY).status == 404
    assert api.counts()["live"] == 0
    assert api.put(KEY, LETTER, token=ROBOT).status == 201  # a secret stored as sha256


def test_access_log_names_the_token_and_never_the_secret(database_url: str, tmp_path: Path):
    settings = make_settings(
        database_url, tmp_path / "data", server={"access_log": True}, auth={"tokens": TOKENS}
    )
    with OpisProcess(settings) as process:
        client = Client(settings.server.port)
        assert client.put(KEY, LETTER).status == 201
        assert client.put(KEY, LETTER, token=READER).status == 403
        assert client.put(KEY, LETTER, token="guess").status == 401
        assert client.get(KEY).status == 200
        process.stop()
        log = process.log()
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    writes = [(e["method"], e["status"], e.get("token")) for e in entries if "/api/" in e["path"]]
    assert ("PUT", 201, "editor") in writes
    assert ("PUT", 403, "reader") in writes
    assert ("PUT", 401, None) in writes
    assert ("GET", 200, None) in writes
    assert EDITOR not in log and READER not in log


# -- PUT, GET, DELETE ---------------------------------------------------------------------


def test_put_adds_then_updates_then_finds_unchanged(api: Client):
    added = api.put(KEY, LETTER)
    assert added.status == 201
    assert added.headers["Location"].endswith(f"/api/records/{KEY}")
    body = added.json
    assert (body["key"], body["status"], body["deleted"]) == (KEY, "added", False)
    assert body["datestamp"] is not None  # stamped before the answer: OAI shows it now
    assert body["record"] == LETTER | {"description": [{"value": LETTER["description"]}]}

    again = api.put(KEY, LETTER)
    assert (again.status, again.json["status"]) == (200, "unchanged")
    assert again.json["datestamp"] == body["datestamp"]

    # datestamps have a granularity of seconds: an update in the same second would get
    # the same one, so wait until the clock has moved past the first write's second
    first_second = calendar.timegm(time.strptime(body["datestamp"], "%Y-%m-%dT%H:%M:%SZ"))
    wait_until(lambda: int(time.time()) > first_second, 5, "the next second")
    changed = api.put(KEY, LETTER | {"title": "Letter from Bagirov to Stalin and Molotov"})
    assert (changed.status, changed.json["status"]) == (200, "updated")
    assert changed.json["datestamp"] > body["datestamp"]

    shown = api.get(KEY)
    assert shown.status == 200
    assert shown.json["record"]["title"] == "Letter from Bagirov to Stalin and Molotov"
    assert (
        api.request(
            "GET", f"/api/records/{KEY}", headers={"If-None-Match": shown.headers["ETag"]}
        ).status
        == 304
    )
    # what GET shows can be sent back unchanged
    assert api.put(KEY, shown.json["record"]).json["status"] == "unchanged"
    oai = api.request(
        "GET", f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:opis.example.org:{KEY}"
    )
    assert b"Letter from Bagirov to Stalin and Molotov" in oai.body


def test_put_reports_warnings_and_reader_problems(api: Client):
    warned = api.put(KEY, LETTER | {"colour": "red"})
    assert warned.status == 201
    assert 'unknown field "colour" ignored' in warned.json["warnings"]
    bad = api.put(KEY, {"reference": "GAPPOD, f.1, op.89, d.112", "title": 3, "date": "1946-02-30"})
    assert bad.status == 422
    assert '"title" must be a non-empty string, not a number' in bad.json["details"]
    assert any("no day 30" in d for d in bad.json["details"])
    assert api.put(KEY, b'{"title": "x",').status == 400
    assert "malformed JSON" in api.put(KEY, b'{"title": "x",').json["error"]
    assert api.put(KEY, b"\xff\xfe{}").status == 400
    assert api.put(KEY, b"[" * 100_000 + b"]" * 100_000).status == 400
    assert api.put(KEY, b'{"title": NaN}').status == 400
    assert api.put(KEY, b"1" * 5000).status == 400  # longer than Python reads as an int
    assert api.put(KEY, [LETTER]).status == 422  # one record per PUT
    assert api.counts()["live"] == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"reference": "\u0015", "title": "0"},
            '"reference" must be a non-empty string, not only characters XML 1.0 forbids (U+0015)',
        ),
        (
            {"title": "\u0007\ufffe"},
            '"title" must be a non-empty string, not only characters XML 1.0 forbids '
            "(U+0007, U+FFFE)",
        ),
        (
            {"text": [{"kind": "translation", "content": "\u0000"}]},
            '"text[0].content" must be a non-empty string, not only characters XML 1.0 forbids '
            "(U+0000)",
        ),
    ],
)
def test_a_required_field_of_forbidden_characters_is_422_not_500(api: Client, fields, problem):
    answer = api.put(KEY, LETTER | fields)
    assert answer.status == 422, answer.body[:300]
    assert problem in answer.json["details"]
    assert api.counts()["live"] == 0


@pytest.mark.parametrize("depth", [100, 900, 5_000, 100_000])
def test_deep_nesting_is_a_clear_4xx(api: Client, depth: int):
    deep = b'{"reference": "GAPPOD, f.1, op.89, d.112", "title": ' + b"[" * depth
    for body in (b"[" * depth, deep + b"]" * depth + b"}", deep):
        answer = api.put(KEY, body)
        assert answer.status in (400, 422), answer.body[:300]
        assert answer.json["error"]
    assert api.counts()["live"] == 0


def test_records_over_the_field_limits_are_refused_naming_the_limit(start):
    api = start(records={"max_list_items": 3, "max_pages": 2})
    title = api.put(KEY, LETTER | {"title": "x" * 2_001})
    assert title.status == 422
    assert (
        "title is 2,001 characters; the limit is 2,000 (records.max_title_chars)"
        in (title.json["details"])
    )
    many = api.put(KEY, LETTER | {"subjects": ["a", "b", "c", "d"]})
    assert many.status == 422
    assert many.json["details"] == [
        "subjects has 4 entries; the limit is 3 (records.max_list_items)"
    ]
    pages = api.put(KEY, LETTER | {"pages": ["1.jpg", "2.jpg", "3.jpg"]})
    assert pages.status == 422
    assert "pages has 3 page images; the limit is 2 (records.max_pages)" in pages.json["details"]
    uploads = api.put(KEY, LETTER, files={f"{n}.jpg": b"x" for n in range(3)})
    assert uploads.status == 422
    assert (
        "the record has 3 page images; the limit is 2 (records.max_pages)"
        in (uploads.json["details"])
    )
    assert api.counts() == {"live": 0, "deleted": 0, "images": 0, "pages": 0}
    assert api.put(KEY, LETTER | {"subjects": ["a", "b", "c"]}).status == 201


def test_a_ten_megabyte_title_is_refused(start):
    api = start(max_body_bytes=20_000_000)
    answer = api.put(KEY, LETTER | {"title": "x" * 10_485_760})
    assert answer.status == 422
    assert answer.json["details"] == [
        "title is 10,485,760 characters; the limit is 2,000 (records.max_title_chars)"
    ]


def test_null_counts_as_left_out_for_type_and_types(api: Client):
    both = api.put(KEY, LETTER | {"types": ["Letter"], "type": None})
    assert both.status == 201, both.json
    assert both.json["record"]["types"] == ["Letter"]
    other = api.put(KEY, LETTER | {"types": None, "type": "Report"})
    assert (other.status, other.json["record"]["types"]) == (200, ["Report"])
    assert api.put(KEY, LETTER | {"types": ["Letter"], "type": "Letter"}).status == 422


def test_get_of_a_record_without_a_reference_conforms(api: Client, tmp_path: Path):
    """Page text without a citation is keyed under UNCITED/ and shown without `reference`."""
    page = tmp_path / "note.txt"
    page.write_text(
        "Skip to content\n\nMarch 3, 1950\n\nNote on the delivery of coal to the depot\n\n"
        "The coal arrived two days late and the depot manager asked for a receipt.\n"
    )
    report = ingest(api.server.settings, [page])
    (entry,) = report.entries
    assert entry.key.startswith("UNCITED/")
    shown = api.get(entry.key)  # the client checks the answer against the OpenAPI schemas
    assert shown.status == 200
    assert "reference" not in shown.json["record"]
    assert shown.json["record"]["title"] == "Note on the delivery of coal to the depot"


def test_a_multipart_part_without_a_file_name_is_an_image_named_by_the_part(
    api: Client, scans: list[bytes]
):
    boundary = "opis-parts"
    parts = [
        ("record", json.dumps(LETTER | {"pages": ["001.jpg"]}).encode()),
        ("001.jpg", scans[0]),
    ]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
            for name, data in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    head = {
        "Authorization": f"Bearer {EDITOR}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    answer = api.request("PUT", f"/api/records/{KEY}", body, head)
    assert answer.status == 201, answer.json
    assert answer.json["record"]["pages"] == [{"image": hashlib.sha256(scans[0]).hexdigest()}]


def test_put_to_a_key_no_record_can_have_is_422(api: Client):
    answer = api.put("GAPPOD/" + "x" * 1_000, LETTER)
    assert answer.status == 422
    assert "at most 1000 characters" in answer.json["error"]
    assert api.get("GAPPOD/" + "x" * 1_000).status == 404


def test_key_with_escapes_is_read_from_the_raw_path(api: Client):
    lower = KOREA.replace("%C3%89", "%c3%89")
    answer = api.put(lower, KOREA_RECORD)
    assert answer.status == 201
    assert answer.json["key"] == KOREA
    assert api.get(KOREA).json["record"]["title"] == "Report on Korea"
    decoded = KOREA.replace("%2F", "/")  # another key: tet.2 then b
    assert api.get(decoded).status == 404
    elsewhere = api.put(decoded, KOREA_RECORD)  # the same document: it has its key
    assert (elsewhere.status, elsewhere.json["expected_key"]) == (409, KOREA)


def test_put_under_another_key_is_refused_and_says_where(api: Client):
    other = api.put("GAPPOD/f.1/op.89/d.113", LETTER)
    assert other.status == 422
    assert other.json["expected_key"] == KEY
    assert api.counts()["live"] == 0

    assert api.put(KEY, LETTER).status == 201
    # the same document (same source id) under another reference: it keeps its key
    moved = LETTER | {"reference": "GAPPOD, f.1, op.89, d.114"}
    known = api.put("GAPPOD/f.1/op.89/d.114", moved)
    assert known.status == 409
    assert known.json["expected_key"] == KEY
    kept = api.put(KEY, moved)  # sent to the key it has, it is updated there: keys never change
    assert (kept.status, kept.json["status"], kept.json["key"]) == (200, "updated", KEY)
    assert api.get(KEY).json["record"]["reference"] == "GAPPOD, f.1, op.89, d.114"
    # another document (another source id) asking for a key that is taken
    stranger = LETTER | {"source": {"id": "999"}}
    taken = api.put(KEY, stranger)
    assert taken.status == 409
    assert "different document" in taken.json["error"]
    assert api.put(f"{KEY}/doc.999", stranger).status == 201
    assert api.counts()["live"] == 2


def test_the_check_inside_the_transaction_rolls_the_write_back(api: Client):
    """A record that would land under another key than asked leaves nothing behind."""
    from metadata.readers import read_json_records

    (result,) = read_json_records(json.dumps(LETTER))
    prepared, _ = prepare(result.record, api.server.app[RENDERER])
    writer = api.server.app[WRITER]
    with pytest.raises(Exception, match="gets the key"):
        api.server.call(writer._write("GAPPOD/f.1/op.89/d.112/doc.x", prepared))
    with pytest.raises(NotFound):
        api.server.call(api.server.app[STORE].get(KEY))
    assert api.counts() == {"live": 0, "deleted": 0, "images": 0, "pages": 0}


def test_a_failure_inside_the_write_leaves_no_half_record(api: Client, monkeypatch, scans):
    from repository.store import writes

    async def broken_index(*args, **kwargs):
        raise RuntimeError("disk on fire at /srv/secret/path")

    monkeypatch.setattr(writes.search, "index", broken_index)
    answer = api.put(KEY, LETTER | {"pages": ["001.jpg"]}, files={"001.jpg": scans[0]})
    assert answer.status == 500
    assert b"secret" not in answer.body and b"fire" not in answer.body
    monkeypatch.undo()
    assert api.get(KEY).status == 404
    counts = api.counts()
    assert (counts["live"], counts["pages"]) == (0, 0)
    assert api.put(KEY, LETTER | {"pages": ["001.jpg"]}, files={"001.jpg": scans[0]}).status == 201


def test_concurrent_puts_of_one_new_document_store_it_once(api: Client):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.put(KEY, LETTER), range(4)))
    statuses = sorted(a.status for a in answers)
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}  # 409: lost the race, "send it again"
    assert api.counts()["live"] == 1
    assert api.put(KEY, LETTER).json["status"] == "unchanged"


def test_a_record_with_a_very_long_word_is_stored(api: Client):
    """Words longer than a search index takes (2047 bytes on PostgreSQL) are valid text."""
    record = LETTER | {
        "description": "é" * 3000,
        "text": [{"kind": "translation", "content": "x" * 5000}],
    }
    answer = api.put(KEY, record)
    assert answer.status == 201, answer.json


def test_delete_leaves_a_tombstone(api: Client):
    assert api.delete(KEY).status == 404
    assert api.put(KEY, LETTER).status == 201
    deleted = api.delete(KEY)
    assert deleted.status == 200
    assert (deleted.json["status"], deleted.json["deleted"]) == ("deleted", True)
    gone = api.get(KEY)
    assert gone.status == 410
    assert gone.json["deleted"] is True
    assert gone.json["record"]["title"] == LETTER["title"]
    assert api.delete(KEY).json["status"] == "unchanged"
    assert api.counts()["deleted"] == 1
    oai = api.request(
        "GET", f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:opis.example.org:{KEY}"
    )
    assert b'status="deleted"' in oai.body
    back = api.put(KEY, LETTER)  # the same document again: its tombstone comes back to life
    assert (back.status, back.json["status"], back.json["deleted"]) == (200, "updated", False)


def test_reads_are_public_and_errors_are_json(api: Client):
    assert api.get(KEY).json["error"] == f"no record has the key {KEY}"
    assert api.put(KEY, LETTER, token=EDITOR).status == 201
    assert api.get(KEY).status == 200
    assert api.request("HEAD", f"/api/records/{KEY}").status == 200
    for path in ("/api/records/..%2f..%2fetc/passwd", "/api/records/%2e%2e/%2e%2e/x"):
        assert api.request("GET", path).status == 404
    assert api.request("GET", "/api/nothing/here").json["error"].startswith("no such API")
    not_allowed = api.request(
        "POST", f"/api/records/{KEY}", b"{}", {"Authorization": f"Bearer {EDITOR}"}
    )
    assert not_allowed.status == 405
    assert "PUT" in not_allowed.headers["Allow"]


# -- limits and content types ---------------------------------------------------------------


def _head(key: str, length: int | None, *, token: str = EDITOR, extra: str = "") -> str:
    size = (
        f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    )
    return (
        f"PUT /api/records/{key} HTTP/1.1\r\nHost: opis\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{size}{extra}\r\n"
    )


def test_413_from_content_length_before_the_body_is_read(api: Client):
    started = time.monotonic()
    raw = raw_exchange(api.port, _head(KEY, 10**12))  # no body is ever sent
    assert status_of(raw) == 413
    assert time.monotonic() - started < 10
    body = json.loads(raw.partition(b"\r\n\r\n")[2])
    assert body["max_body_bytes"] == LIMIT
    assert status_of(raw_exchange(api.port, _head(KEY, 10**12, token="guess"))) == 401


def test_expect_100_continue_gets_the_refusal_instead(api: Client):
    refused = raw_exchange(api.port, _head(KEY, 10**12, extra="Expect: 100-continue\r\n"))
    assert status_of(refused) == 413
    assert b"100 Continue" not in refused
    body = json.dumps(LETTER).encode()
    accepted = raw_exchange(
        api.port,
        _head(KEY, len(body), extra="Expect: 100-continue\r\n"),
        [body],
        wait_for_100=True,
    )
    assert status_of(accepted) == 201


@pytest.mark.parametrize("kind", ["json", "multipart"])
def test_413_while_streaming_without_a_length(api: Client, kind: str):
    chunk = b"x" * 65536
    frames = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (LIMIT // len(chunk) + 20)
    head = _head(KEY, None)
    if kind == "multipart":
        head = head.replace("application/json", "multipart/form-data; boundary=b")
        opening = b'--b\r\nContent-Disposition: form-data; name="image"; filename="1.jpg"\r\n\r\n'
        frames.insert(0, b"%x\r\n%s\r\n" % (len(opening), opening))
    raw = raw_exchange(api.port, head, frames)
    assert status_of(raw) == 413
    assert api.counts()["live"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/xml"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/json; charset=latin-1"},
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        {},
    ],
)
def test_415_for_bodies_that_are_not_json_or_multipart(api: Client, headers: dict):
    head = {"Authorization": f"Bearer {EDITOR}", **headers}
    answer = api.request("PUT", f"/api/records/{KEY}", b"<record/>", head)
    assert answer.status == 415
    assert api.counts()["live"] == 0


# -- page images ----------------------------------------------------------------------------


def test_multipart_upload_stores_the_pages(api: Client, scans: list[bytes]):
    record = LETTER | {"pages": [{"image": "001.jpg", "label": "l. 1"}, "002.jpg"]}
    answer = api.put(KEY, record, files={"001.jpg": scans[0], "002.jpg": scans[1]})
    assert answer.status == 201, answer.json
    pages = answer.json["record"]["pages"]
    assert [p.get("label") for p in pages] == ["l. 1", None]
    assert [p["image"] for p in pages] == [hashlib.sha256(s).hexdigest() for s in scans]
    assert api.counts()["pages"] == 2
    manifest = api.request("GET", f"/iiif/3/{KEY}/manifest")
    assert manifest.status == 200 and manifest.json["items"]
    # the stored ids may be sent back: the same record, unchanged, with no upload
    assert api.put(KEY, answer.json["record"]).json["status"] == "unchanged"


def test_uploads_without_pages_are_taken_in_file_name_order(api: Client, scans: list[bytes]):
    answer = api.put(KEY, LETTER, files={"b.jpg": scans[1], "a.jpg": scans[0]})
    assert answer.status == 201
    ids = [p["image"] for p in answer.json["record"]["pages"]]
    assert ids == [hashlib.sha256(s).hexdigest() for s in scans]


def test_upload_problems_are_422_and_write_nothing(api: Client, scans: list[bytes]):
    named = LETTER | {"pages": ["001.jpg"]}
    missing = api.put(KEY, named, files={})
    assert missing.status == 422 and "001.jpg" in missing.json["details"][0]
    extra = api.put(KEY, named, files={"001.jpg": scans[0], "999.jpg": scans[1]})
    assert extra.status == 422 and "999.jpg" in extra.json["details"][0]
    body, kind = multipart(LETTER, {})
    no_record = body.replace(b'name="record"', b'name="other"')
    head = {"Authorization": f"Bearer {EDITOR}", "Content-Type": kind}
    assert api.request("PUT", f"/api/records/{KEY}", no_record, head).status == 400
    assert api.counts() == {"live": 0, "deleted": 0, "images": 0, "pages": 0}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not an image at all", "not an image"),
        (png_claiming(100_000, 100_000), "pixels"),
        (ENTITY_BOMB, ""),
    ],
    ids=["garbage", "pixel-bomb", "xml-entity-bomb"],
)
def test_a_bad_image_is_422_naming_it_and_nothing_is_written(
    api: Client, scans: list[bytes], data: bytes, reason: str
):
    record = LETTER | {"pages": ["001.jpg", "002.jpg"]}
    started = time.monotonic()
    answer = api.put(KEY, record, files={"001.jpg": scans[0], "002.jpg": data})
    assert time.monotonic() - started < 20
    assert answer.status == 422
    assert "'002.jpg'" in answer.json["error"] and reason in answer.json["error"]
    assert api.get(KEY).status == 404
    assert api.counts()["live"] == 0 and api.counts()["pages"] == 0


def test_an_invalid_record_with_good_images_writes_nothing(api: Client, scans: list[bytes]):
    record = LETTER | {"date": "1946-13-01", "pages": ["001.jpg"]}
    answer = api.put(KEY, record, files={"001.jpg": scans[0]})
    assert answer.status == 422
    assert any('"date"' in d for d in answer.json["details"])
    assert api.counts() == {"live": 0, "deleted": 0, "images": 0, "pages": 0}


def test_images_by_reference_under_the_image_root(api: Client, scans: list[bytes]):
    answer = api.put(KEY, LETTER | {"pages": [{"image": "scans/001.jpg", "label": "l. 1"}]})
    assert answer.status == 201, answer.json
    assert answer.json["record"]["pages"][0]["image"] == hashlib.sha256(scans[0]).hexdigest()


@pytest.mark.parametrize(
    "name",
    [
        "../secret.jpg",
        "scans/../../secret.jpg",
        "..\\secret.jpg",
        "%2e%2e%2fsecret.jpg",
        "..%2fsecret.jpg",
        "ABSOLUTE",
        "link.jpg",
        "outside/secret.jpg",
        "scans",
        "",
    ],
)
def test_references_outside_the_image_root_are_refused(api: Client, image_root: Path, name: str):
    if name == "ABSOLUTE":
        name = str(image_root.parent / "secret.jpg")
    answer = api.put(KEY, LETTER | {"pages": [{"image": name or " "}]})
    assert answer.status == 422
    assert str(image_root) not in answer.body.decode()  # the server's folder is never shown
    assert api.counts() == {"live": 0, "deleted": 0, "images": 0, "pages": 0}


def test_references_are_refused_when_no_image_root_is_set(start):
    api = start()
    answer = api.put(KEY, LETTER | {"pages": ["scans/001.jpg"]})
    assert answer.status == 422
    assert "auth.image_root" in answer.json["details"][0]


# -- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document_is_valid_and_served(api: Client):
    served = api.request("GET", "/api/openapi.json")
    assert served.status == 200
    document = served.json
    validate_openapi(document)
    assert document["servers"][0]["url"] == api.server.settings.base_url
    put = document["paths"]["/api/records/{key}"]["put"]
    assert set(put["responses"]) >= {"200", "201", "400", "401", "403", "409", "413", "415", "422"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    fields = set(document["components"]["schemas"]["Record"]["properties"])
    documented = (Path(__file__).parents[2] / "docs" / "json-records.md").read_text()
    assert all(f"`{name}`" in documented for name in fields)
    again = api.request(
        "GET", "/api/openapi.json", headers={"If-None-Match": served.headers["ETag"]}
    )
    assert again.status == 304
