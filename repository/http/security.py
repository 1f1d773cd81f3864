"""The headers every response carries, whatever made it.

The guard (``ops/middleware.py``) adds them to every answer that passes it; the one
kind made before any middleware runs, the answer to ``Expect: 100-continue``, adds them
itself.
"""

from __future__ import annotations

from collections.abc import MutableMapping

NAME, VALUE = "X-Content-Type-Options", "nosniff"


def mark(headers: MutableMapping[str, str]) -> None:
    headers.setdefault(NAME, VALUE)
