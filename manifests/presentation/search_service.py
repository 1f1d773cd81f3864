"""The Content Search services a manifest with page text declares (P3 §5.7 ``service``).

Both versions, each with its autocomplete service: ``SearchService2`` for clients of
Content Search 2.0 (Clover), and ``SearchService1`` with the 1.0 ``profile`` for those
that know only 1.0 (Mirador 3 and 4, Universal Viewer), in the form the Presentation 3
specification gives for older services.
"""

from __future__ import annotations

from typing import Any

from . import urls

SEARCH1_PROFILE = "http://iiif.io/api/search/1/search"
AUTOCOMPLETE1_PROFILE = "http://iiif.io/api/search/1/autocomplete"


def blocks(base: str, key: str) -> list[dict[str, Any]]:
    return [
        {
            "id": urls.search(base, key, 2),
            "type": "SearchService2",
            "service": [{"id": urls.autocomplete(base, key, 2), "type": "AutoCompleteService2"}],
        },
        {
            "id": urls.search(base, key, 1),
            "type": "SearchService1",
            "profile": SEARCH1_PROFILE,
            "service": [
                {
                    "id": urls.autocomplete(base, key, 1),
                    "type": "AutoCompleteService1",
                    "profile": AUTOCOMPLETE1_PROFILE,
                }
            ],
        },
    ]
