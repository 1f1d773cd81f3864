"""The ``rights`` URI of a manifest, from the record's free-text rights statement.

IIIF wants a single URI, and for Creative Commons and RightsStatements.org it MUST be
their ``http://`` form (P3 §3.1; the official validator rejects ``https``), so every
configured URI is normalised to that form whatever was written in the settings.
"""

from __future__ import annotations

from collections.abc import Iterable

_HTTP_ONLY = ("creativecommons.org/", "rightsstatements.org/")


def http_form(uri: str) -> str:
    """``https://creativecommons.org/...`` -> ``http://creativecommons.org/...``."""
    for host in _HTTP_ONLY:
        for scheme in ("https://", "https://www."):
            if uri.startswith(scheme + host):
                return "http://" + uri[len(scheme) :]
        if uri.startswith("http://www." + host):
            return "http://" + uri[len("http://www.") :]
    return uri


def rights_uri(text: str | None, mapping: Iterable[tuple[str, str]], default: str) -> str:
    """The first mapping entry whose text occurs in ``text`` (case-insensitive), else default."""
    folded = (text or "").casefold()
    if folded:
        for needle, uri in mapping:
            if needle.casefold() in folded:
                return http_form(uri)
    return http_form(default)
