"""Prometheus text metrics: requests by route and status, latency histograms.

Small on purpose: counters and one histogram family kept in dicts, rendered in the
text exposition format. Each worker process keeps its own (scrape each worker, or
sum them at the proxy); record counts come from the store at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from itertools import accumulate

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counts by route, method and status, and each route's latency histogram.

    A route is kept as the key its requests give (``route_key``: the resource, or None
    for aiohttp's own 404 and 405) and named only when scraped: a request pays for a
    dict update, not for working out a label.
    """

    def __init__(self) -> None:
        self.requests: dict[tuple[Hashable, str, int], int] = defaultdict(int)
        self.latency: dict[Hashable, list[int]] = {}  # a count per bucket, one beyond
        self.latency_sum: dict[Hashable, float] = defaultdict(float)
        self.in_flight = 0
        self.rejected = 0

    def observe(self, route: Hashable, method: str, status: int, seconds: float) -> None:
        """Counted where each falls (one bucket, not all above it): cumulated when shown."""
        self.requests[(route, method, status)] += 1
        latency = self.latency.get(route)
        if latency is None:
            latency = self.latency[route] = [0] * (len(BUCKETS) + 1)
        latency[bisect_left(BUCKETS, seconds)] += 1
        self.latency_sum[route] += seconds

    def exposition(self, gauges: Mapping[str, tuple[str, float]]) -> str:
        requests: dict[tuple[str, str, int], int] = defaultdict(int)
        for (route, method, status), count in self.requests.items():
            requests[(route_label(route), method, status)] += count
        latency: dict[str, list[int]] = {}
        seconds: dict[str, float] = defaultdict(float)
        for route, counts in self.latency.items():
            label = route_label(route)
            summed = latency.setdefault(label, [0] * len(counts))
            latency[label] = [a + b for a, b in zip(summed, counts, strict=True)]
            seconds[label] += self.latency_sum[route]
        lines: list[str] = [
            "# HELP opis_requests_total HTTP requests by route, method and status.",
            "# TYPE opis_requests_total counter",
        ]
        for (route, method, status), n in sorted(requests.items()):
            labels = f'route="{_esc(route)}",method="{method}",status="{status}"'
            lines.append(f"opis_requests_total{{{labels}}} {n}")
        lines += [
            "# HELP opis_request_duration_seconds Time to answer, by route.",
            "# TYPE opis_request_duration_seconds histogram",
        ]
        for route in sorted(latency):
            label = f'route="{_esc(route)}"'
            buckets = latency[route]
            for bound, n in zip(BUCKETS, accumulate(buckets), strict=False):
                lines.append(f'opis_request_duration_seconds_bucket{{{label},le="{bound}"}} {n}')
            count = sum(buckets)
            lines.append(f'opis_request_duration_seconds_bucket{{{label},le="+Inf"}} {count}')
            lines.append(f"opis_request_duration_seconds_sum{{{label}}} {seconds[route]:.6f}")
            lines.append(f"opis_request_duration_seconds_count{{{label}}} {count}")
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


def route_label(route: Hashable) -> str:
    """A route key's label: its resource's pattern; "unmatched" for none."""
    canonical = getattr(route, "canonical", None)
    return canonical if isinstance(canonical, str) else "unmatched"


def _gauges(items: Iterable[tuple[str, str, float]]) -> list[str]:
    out = []
    for name, help_text, value in items:
        kind = "counter" if name.endswith("_total") else "gauge"
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    return out


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
