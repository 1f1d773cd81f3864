"""A small OAI-PMH client for the tests: every response it receives is schema-checked.

It speaks plain HTTP (urllib) so the tests see exactly what a harvester sees, and it
asserts the flow-control rules on every list it follows: no empty page, exact cursor,
the final token empty with no whitespace.
"""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from lxml import etree

from tests.xmlschemas import validate_oai_response

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {
    "oai": OAI,
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "mods": "http://www.loc.gov/mods/v3",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
}
RESPONSE_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    tree: etree._Element | None = field(default=None, repr=False)

    def find(self, path: str) -> etree._Element | None:
        return self.tree.find(path, NS)

    def findall(self, path: str) -> list[etree._Element]:
        return self.tree.findall(path, NS)

    def text(self, path: str) -> str | None:
        found = self.find(path)
        return found.text if found is not None else None

    @property
    def errors(self) -> list[str]:
        return [e.get("code") for e in self.findall("oai:error")]

    @property
    def response_date(self) -> str:
        return self.text("oai:responseDate")


def call(
    base: str,
    query: str | dict | list | None = None,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    validate: bool = True,
) -> Reply:
    """One request; a 200 text/xml reply is parsed and validated against the XSDs."""
    if isinstance(query, dict | list):
        query = urllib.parse.urlencode(query)
    url = base + (f"?{query}" if query is not None else "")
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, got, data = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, got, data = exc.code, dict(exc.headers), exc.read()
    if got.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    reply = Reply(status, got, data)
    if status == 200 and method != "HEAD" and got.get("Content-Type", "").startswith("text/xml"):
        if validate:
            validate_oai_response(data)
        reply.tree = etree.fromstring(data)
        assert RESPONSE_DATE.match(reply.response_date), reply.response_date
    return reply


def post(base: str, form: dict | list | str, **kwargs) -> Reply:
    data = form if isinstance(form, str) else urllib.parse.urlencode(form)
    return call(base, None, method="POST", body=data.encode(), **kwargs)


@dataclass
class Harvest:
    items: list[etree._Element]
    pages: list[Reply]

    @property
    def identifiers(self) -> list[str]:
        return [_header(i).findtext("oai:identifier", namespaces=NS) for i in self.items]

    def headers(self) -> dict[str, tuple[str, bool, tuple[str, ...]]]:
        """identifier -> (datestamp, deleted, setSpecs)."""
        out = {}
        for item in self.items:
            h = _header(item)
            out[h.findtext("oai:identifier", namespaces=NS)] = (
                h.findtext("oai:datestamp", namespaces=NS),
                h.get("status") == "deleted",
                tuple(s.text for s in h.findall("oai:setSpec", NS)),
            )
        return out


def _header(item: etree._Element) -> etree._Element:
    return item if item.tag == f"{{{OAI}}}header" else item.find("oai:header", NS)


def harvest(base: str, verb: str, **params: str) -> Harvest:
    """Follow a list to its end, checking the flow-control rules on every page."""
    element = {"ListRecords": "record", "ListIdentifiers": "header", "ListSets": "set"}[verb]
    query = {"verb": verb, **params}
    items: list[etree._Element] = []
    pages: list[Reply] = []
    start = None if "resumptionToken" in params else 0
    while True:
        reply = call(base, query)
        pages.append(reply)
        if reply.errors:
            assert reply.errors == ["noRecordsMatch"] and not items, reply.body[:500]
            return Harvest(items, pages)
        found = reply.findall(f"oai:{verb}/oai:{element}")
        assert found, "a page with no items"
        token = reply.find(f"oai:{verb}/oai:resumptionToken")
        if token is not None:
            if start is None:  # a harvest resumed from a token starts at that token's cursor
                start = int(token.get("cursor"))
            assert int(token.get("cursor")) == start + len(items), (
                "cursor must count items before this page"
            )
        items.extend(found)
        if token is None:
            assert len(pages) == 1, "a resumed list must end with an empty token"
            return Harvest(items, pages)
        if not token.text:
            assert len(token) == 0 and token.text is None, "the final token must be truly empty"
            return Harvest(items, pages)
        assert token.text.strip() == token.text
        query = {"verb": verb, "resumptionToken": token.text}
