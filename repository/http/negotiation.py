"""Quality lists (RFC 9110 §12.4.2): ``Accept``, ``Accept-Encoding``, ``Accept-Language``.

Every header of that shape is read here once: items separated by commas, each a value
with ``;name=value`` parameters, ``q`` among them (1 when absent, 0 when unreadable).
"""

from __future__ import annotations

import functools
from typing import NamedTuple


class Range(NamedTuple):
    """One item: its value (lower case), its other parameters, its quality, its position."""

    value: str
    params: dict[str, str]
    q: float
    position: int


def ranges(header: str) -> list[Range]:
    """The items of a quality list, in the order written (empty values left out)."""
    out = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        value = pieces[0].lower()
        if not value:
            continue
        params: dict[str, str] = {}
        q = 1.0
        for piece in pieces[1:]:
            name, _, raw = piece.partition("=")
            name, raw = name.strip().lower(), raw.strip().strip('"')
            if name == "q":
                try:
                    q = float(raw)
                except ValueError:
                    q = 0.0
            else:
                params[name] = raw
        out.append(Range(value, params, q, position))
    return out


@functools.lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``x-gzip`` is its old name).

    Cached: clients send a handful of distinct headers, and this is asked per request."""
    return any(r.value in ("gzip", "x-gzip") and r.q > 0 for r in ranges(accept_encoding))
