"""What a scrape of /metrics shows for the requests observed: counts and histograms."""

from __future__ import annotations

from repository.ops.metrics import Metrics


def test_counts_by_route_and_status_and_a_cumulative_histogram_by_route() -> None:
    metrics = Metrics()
    metrics.observe("/oai", "GET", 200, 0.002)
    metrics.observe("/oai", "GET", 200, 0.0004)
    metrics.observe("/{archive}/{fond}", "GET", 404, 3.0)
    metrics.observe("unmatched", "GET", 404, 0.0001)  # the guard's name for no route
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
