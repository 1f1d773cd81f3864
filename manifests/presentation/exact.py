"""Keeping ids exactly as written through iiif-prezi3.

iiif-prezi3 validates with pydantic, whose ``AnyUrl`` normalises URLs on the way in: it
lower-cases the host, drops a default port, adds a slash to a bare host and
percent-encodes non-ASCII. Any of those makes an ``id`` differ from the URL the
resource is served at (P3 §3.2), which viewers and validators reject. So every URL is
registered here as it is written, and after serialisation each value pydantic rewrote
is put back; an ``id`` that was never registered is an error, not a silent change.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import AnyUrl

from metadata.errors import RenderError

# The properties iiif-prezi3 types as AnyUrl in what the builders emit.
URL_KEYS = frozenset({"id", "target", "rights"})


class ExactUrls:
    """A register of the URLs a document uses: ``urls(text)`` records and returns it."""

    def __init__(self) -> None:
        self._by_normalised: dict[str, str] = {}
        self._written: set[str] = set()

    def __call__(self, url: str) -> str:
        normalised = str(AnyUrl(url))
        known = self._by_normalised.setdefault(normalised, url)
        if known != url:
            raise RenderError(f"{url!r} and {known!r} are one URL once normalised")
        self._written.add(url)
        return url

    def register(self, resource: Any) -> Any:
        """Register every URL inside a prepared resource (a thumbnail with its service)."""
        if isinstance(resource, list):
            for item in resource:
                self.register(item)
        elif isinstance(resource, dict):
            for key, value in resource.items():
                if key in URL_KEYS and isinstance(value, str):
                    self(value)
                else:
                    self.register(value)
        return resource

    def dump(self, model: Any) -> dict[str, Any]:
        """The model as JSON data with every registered URL restored to its spelling."""
        doc: dict[str, Any] = json.loads(model.json())
        self._restore(doc)
        return doc

    def _restore(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self._restore(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in URL_KEYS and isinstance(value, str):
                    if value not in self._by_normalised and value not in self._written:
                        raise ValueError(f"{key} {value!r} was not registered as written")
                    node[key] = self._by_normalised.get(value, value)
                else:
                    self._restore(value)
