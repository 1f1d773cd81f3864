"""Prometheus text metrics: requests by route and status, latency histograms.

Small on purpose: counters and one histogram family kept in dicts, rendered in the
text exposition format. Each worker process keeps its own (scrape each worker, or
sum them at the proxy); record counts come from the store at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import accumulate

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency_buckets: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.in_flight = 0
        self.rejected = 0

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Counted where each falls (one bucket, not all above it): cumulated when shown."""
        self.requests[(route, method, status)] += 1
        buckets = self.latency_buckets.get(route)
        if buckets is None:
            buckets = self.latency_buckets[route] = [0] * (len(BUCKETS) + 1)
        buckets[bisect_left(BUCKETS, seconds)] += 1
        self.latency_sum[route] += seconds
        self.latency_count[route] += 1

    def exposition(self, gauges: Mapping[str, tuple[str, float]]) -> str:
        lines: list[str] = [
            "# HELP opis_requests_total HTTP requests by route, method and status.",
            "# TYPE opis_requests_total counter",
        ]
        for (route, method, status), n in sorted(self.requests.items()):
            labels = f'route="{_esc(route)}",method="{method}",status="{status}"'
            lines.append(f"opis_requests_total{{{labels}}} {n}")
        lines += [
            "# HELP opis_request_duration_seconds Time to answer, by route.",
            "# TYPE opis_request_duration_seconds histogram",
        ]
        for route in sorted(self.latency_count):
            label = f'route="{_esc(route)}"'
            for bound, n in zip(BUCKETS, accumulate(self.latency_buckets[route]), strict=False):
                lines.append(f'opis_request_duration_seconds_bucket{{{label},le="{bound}"}} {n}')
            lines.append(
                f'opis_request_duration_seconds_bucket{{{label},le="+Inf"}} '
                f"{self.latency_count[route]}"
            )
            lines.append(
                f"opis_request_duration_seconds_sum{{{label}}} {self.latency_sum[route]:.6f}"
            )
            lines.append(
                f"opis_request_duration_seconds_count{{{label}}} {self.latency_count[route]}"
            )
        lines += _gauges(
            [
                ("opis_requests_in_flight", "Requests being answered now.", self.in_flight),
                (
                    "opis_requests_rejected_total",
                    "Requests refused with 503 (overload).",
                    self.rejected,
                ),
            ]
        )
        lines += _gauges((name, help_text, value) for name, (help_text, value) in gauges.items())
        return "\n".join(lines) + "\n"


def _gauges(items: Iterable[tuple[str, str, float]]) -> list[str]:
    out = []
    for name, help_text, value in items:
        kind = "counter" if name.endswith("_total") else "gauge"
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    return out


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
