"""The service skeleton: health, metrics, access logs, errors, overload and shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from aiohttp import web

from repository.keys import METRICS
from tests.iiif_rules import request, write_folder
from tests.live import LiveServer, OpisProcess, ingest, make_settings, settings_environ
from tests.oai_client import call


def test_healthz_checks_the_store(database_url, tmp_path):
    with LiveServer(make_settings(database_url, tmp_path / "data")) as server:
        reply = call(server.url("/healthz"), validate=False)
        assert reply.status == 200 and json.loads(reply.body) == {"status": "ok"}


def test_metrics_count_requests_by_route_and_status(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data")
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"reference": "GARF, f. 1, op. 1, d. 1", "title": "One"}))
    ingest(settings, [path])
    get_record = {
        "verb": "GetRecord",
        "metadataPrefix": "oai_dc",
        "identifier": "oai:opis.example.org:GARF/f.1/op.1/d.1",
    }
    with LiveServer(settings) as server:
        call(server.url("/oai"), "verb=Identify")
        call(server.url("/oai"), "verb=Identify")
        call(server.url("/nowhere"), validate=False)
        first = call(server.url("/oai"), get_record)
        again = call(server.url("/oai"), get_record)  # from memory this time
        body = urllib.request.urlopen(server.url("/metrics")).read().decode()
    assert b"<GetRecord>" in first.body
    assert again.body.split(b"</responseDate>")[1] == first.body.split(b"</responseDate>")[1]
    assert 'opis_requests_total{route="/oai",method="GET",status="200"} 4' in body
    assert 'opis_requests_total{route="unmatched",method="GET",status="404"} 1' in body
    assert 'opis_request_duration_seconds_count{route="/oai"} 4' in body
    assert "opis_records 1" in body and "opis_records_deleted 0" in body
    # Identify is never memoised, so neither a hit nor a miss: the first GetRecord missed
    assert "opis_memo_hits_total 1" in body and "opis_memo_misses_total 1" in body
    assert "opis_memo_bytes 0" not in body


def test_no_stack_trace_reaches_a_client(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")

    async def broken(request):
        raise RuntimeError("secret internals")

    with LiveServer(settings, routes=[("GET", "/boom", broken)]) as server:
        reply = call(server.url("/boom"), validate=False)
    assert reply.status == 500
    assert b"secret internals" not in reply.body and b"Traceback" not in reply.body


def test_sigterm_stops_gracefully_and_logs_json(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data", server={"access_log": True})
    process = OpisProcess(settings).start()
    call(process.base + "/oai", "verb=Identify", headers={"User-Agent": "probe/1"})
    assert process.stop() == 0
    lines = process.log().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    oai = [e for e in entries if e["path"].startswith("/oai")]
    assert oai and oai[0]["status"] == 200 and oai[0]["agent"] == "probe/1"
    assert {"ts", "remote", "method", "seconds", "bytes"} <= set(oai[0])


def test_opis_serve_accepts_long_oai_requests(sqlite_url, tmp_path):
    """A 20 KB GET (a long identifier or token) is an OAI answer, not an HTTP 400."""
    settings = make_settings(sqlite_url, tmp_path / "data")
    with OpisProcess(settings) as process:
        identifier = "oai:opis.example.org:" + "x" * 20_000
        reply = call(
            process.base + "/oai",
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": identifier},
        )
        assert reply.status == 200 and reply.errors == ["idDoesNotExist"]
        assert "Failed to create request handler" not in process.log()


def _held_port() -> socket.socket:
    """A port some other program listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize("workers", [1, 2])
def test_opis_serve_on_a_busy_port_says_so_in_one_line(sqlite_url, tmp_path, workers):
    with _held_port() as held:
        port = held.getsockname()[1]
        settings = make_settings(sqlite_url, tmp_path / "data", port=port)
        env = {**os.environ, **settings_environ(settings)}
        done = subprocess.run(
            [sys.executable, "-m", "repository", "serve", "--workers", str(workers)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    expected = f"port {port} on 127.0.0.1 is in use; choose another with --port or server.port"
    assert lines == [expected], done.stderr
    assert "serving" not in done.stderr.lower() and "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_a_port_taken_after_the_check_is_reported_the_same_way(
    sqlite_url, tmp_path, workers, monkeypatch, capfd
):
    """Someone takes the port between the check and the listen: the worker that finds it
    says so, and the server stops (with workers, rather than starting them again)."""
    from repository import serve

    monkeypatch.setattr(serve, "port_problem", lambda host, port: None)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    with _held_port() as held:
        port = held.getsockname()[1]
        settings = make_settings(
            sqlite_url, tmp_path / "data", port=port, server={"workers": workers}
        )
        try:
            with pytest.raises(SystemExit) as exit_info:
                serve.run(settings)
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
    assert exit_info.value.code == 2
    err = capfd.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port or server.port" in err
    assert "Traceback" not in err and "serving" not in err.lower()
    assert "starting it again" not in err


def test_every_response_says_nosniff(sqlite_url, tmp_path):
    """X-Content-Type-Options on every kind of answer: OAI XML, JSON, IIIF documents and
    images, HTML, static files, errors of every origin, 304s, 503s."""
    settings = make_settings(
        sqlite_url,
        tmp_path / "data",
        auth={"tokens": ["editor:s3cret-s3cret-s3cret"]},
    )
    folder = write_folder(
        tmp_path / "doc",
        record={
            "reference": "GARF, f. 1, op. 1, d. 1",
            "title": "One",
            "pages": [{"image": "p.jpg"}],
        },
    )
    assert not ingest(settings, [folder]).failed

    async def broken(request):
        raise RuntimeError("boom")

    async def raises_http(request):
        raise web.HTTPConflict(text="no\n")

    routes = [("GET", "/test/boom", broken), ("GET", "/test/conflict", raises_http)]
    with LiveServer(settings, routes=routes) as server:
        manifest = request(server.url("/iiif/3/GARF/f.1/op.1/d.1/manifest"))
        image_id = manifest.json()["items"][0]["items"][0]["items"][0]["body"]["service"][0][
            "id"
        ].rsplit("/", 1)[1]
        image = f"/iiif/image/3/{image_id}"
        samples = {
            "OAI XML": ("GET", "/oai?verb=Identify", {}),
            "OAI POST": ("POST", "/oai?verb=Identify", {}),
            "health JSON": ("GET", "/healthz", {}),
            "metrics": ("GET", "/metrics", {}),
            "API JSON": ("GET", "/api/records/GARF/f.1/op.1/d.1", {}),
            "OpenAPI": ("GET", "/api/openapi.json", {}),
            "API 401": ("PUT", "/api/records/GARF/f.1/op.1/d.2", {}),
            "manifest": ("GET", "/iiif/3/GARF/f.1/op.1/d.1/manifest", {}),
            "manifest 304": (
                "GET",
                "/iiif/3/GARF/f.1/op.1/d.1/manifest",
                {"If-None-Match": manifest.headers["etag"]},
            ),
            "manifest HEAD": ("HEAD", "/iiif/3/GARF/f.1/op.1/d.1/manifest", {}),
            "collection": ("GET", "/iiif/3/collection", {}),
            "preflight": (
                "OPTIONS",
                "/iiif/3/collection",
                {"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
            ),
            "info.json": ("GET", f"{image}/info.json", {}),
            "image redirect": ("GET", image, {}),
            "JPEG": ("GET", f"{image}/full/max/0/default.jpg", {}),
            "image 400": ("GET", f"{image}/full/nonsense/0/default.jpg", {}),
            "image 404": ("GET", f"/iiif/image/3/{'0' * 64}/info.json", {}),
            "discovery": ("GET", "/iiif/discovery/collection.json", {}),
            "home HTML": ("GET", "/", {}),
            "record HTML": ("GET", "/records/GARF/f.1/op.1/d.1", {}),
            "static": ("GET", "/static/oai.xsl", {}),
            "static 404": ("GET", "/static/nothing.css", {}),
            "unmatched 404": ("GET", "/nowhere", {}),
            "405": ("DELETE", "/oai", {}),
            "raised HTTPException": ("GET", "/test/conflict", {}),
            "500": ("GET", "/test/boom", {}),
        }
        seen = {}
        for name, (method, path, headers) in samples.items():
            reply = request(server.url(path), method, headers)
            seen[name] = reply.status
            assert reply.headers.get("x-content-type-options") == "nosniff", (name, reply.status)
        assert seen["manifest 304"] == 304 and seen["500"] == 500 and seen["405"] == 405
        assert seen["static"] == 200 and seen["image 400"] == 400 and seen["API 401"] == 401

        # Expect: 100-continue is answered before any middleware runs
        with socket.create_connection(("127.0.0.1", settings.server.port), timeout=10) as sock:
            sock.sendall(
                b"PUT /api/records/GARF/f.1/op.1/d.2 HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 10\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            head = sock.recv(65536).split(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 401") and b"x-content-type-options: nosniff" in head

        # and the 503 of a full server
        server.app[METRICS].in_flight = settings.server.max_concurrent_requests
        try:
            busy = request(server.url("/oai?verb=Identify"))
        finally:
            server.app[METRICS].in_flight = 0
        assert busy.status == 503 and busy.headers["x-content-type-options"] == "nosniff"
