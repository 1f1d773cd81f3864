"""The service skeleton: health, metrics, access logs, errors, overload and shutdown."""

from __future__ import annotations

import json
import urllib.request

from tests.live import LiveServer, OpisProcess, ingest, make_settings
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
    with LiveServer(settings) as server:
        call(server.url("/oai"), "verb=Identify")
        call(server.url("/oai"), "verb=Identify")
        call(server.url("/nowhere"), validate=False)
        body = urllib.request.urlopen(server.url("/metrics")).read().decode()
    assert 'opis_requests_total{route="/oai",method="GET",status="200"} 2' in body
    assert 'opis_requests_total{route="unmatched",method="GET",status="404"} 1' in body
    assert 'opis_request_duration_seconds_count{route="/oai"} 2' in body
    assert "opis_records 1" in body and "opis_records_deleted 0" in body


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
