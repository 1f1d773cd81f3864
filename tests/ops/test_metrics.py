"""Metrics are kept by route object and named only when scraped: what a scrape shows."""

from __future__ import annotations

from aiohttp import web

from repository.ops.metrics import Metrics


def _resource(app: web.Application, path: str) -> web.AbstractResource:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    return app.router.add_get(path, handler).resource


def test_routes_are_named_by_their_pattern_and_merged_when_two_share_it() -> None:
    app = web.Application()
    first, second = _resource(app, "/oai"), _resource(app, "/{archive}/{fond}")
    twin = web.PlainResource("/oai")  # a second resource with the same pattern
    metrics = Metrics()
    metrics.observe(first, "GET", 200, 0.002)
    metrics.observe(twin, "GET", 200, 0.0004)
    metrics.observe(second, "GET", 404, 3.0)
    metrics.observe(None, "GET", 404, 0.0001)  # aiohttp's own 404: no resource
    text = metrics.exposition({})
    assert 'opis_requests_total{route="/oai",method="GET",status="200"} 2' in text
    assert 'opis_requests_total{route="/{archive}/{fond}",method="GET",status="404"} 1' in text
    assert 'opis_requests_total{route="unmatched",method="GET",status="404"} 1' in text
    # the histogram is cumulative: 0.0004 s falls under every bound, 0.002 s from 0.0025 on
    assert 'opis_request_duration_seconds_bucket{route="/oai",le="0.001"} 1' in text
    assert 'opis_request_duration_seconds_bucket{route="/oai",le="0.0025"} 2' in text
    assert 'opis_request_duration_seconds_bucket{route="/oai",le="+Inf"} 2' in text
    assert 'opis_request_duration_seconds_sum{route="/oai"} 0.002400' in text
    assert 'opis_request_duration_seconds_count{route="/oai"} 2' in text
    assert 'opis_request_duration_seconds_bucket{route="/{archive}/{fond}",le="2.5"} 0' in text
    assert 'opis_request_duration_seconds_bucket{route="/{archive}/{fond}",le="5.0"} 1' in text
