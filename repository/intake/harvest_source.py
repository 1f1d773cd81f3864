"""The OAI-PMH client side of ``opis harvest``: the ``oaipmh`` client with a transport
that survives real providers.

The ``oaipmh`` client parses responses and raises OAI errors; what it does not do is
what harvests of real catalogues need (oai-user-pain.md §1, §5, §6): a timeout on every
request, retries with backoff after network errors and any 5xx, ``Retry-After``
honoured (capped) on 503 and 429, and OAI error documents read even when a provider
sends them with a 4xx status. ``makeRequest`` is replaced to do that, and ``parse``
to refuse DTD tricks (no entity is resolved, nothing is fetched). Pages are driven
one request at a time, so the caller sees each resumption token and can checkpoint
it; the client's own list generator would also stop silently at a page with no records.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from lxml import etree
from oaipmh import common, error
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry

from metadata import untrusted_xml
from repository.http.dates import parse_http_date

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
NAMESPACES = {"oai": OAI}
USER_AGENT = "opis-harvest"
# Statuses worth asking again: throttling and server-side failures.
_RETRY_STATUSES = {429} | set(range(500, 600))


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request: attempts, waits and the per-request timeout (seconds)."""

    attempts: int = 8  # tries per request, the first included
    backoff: float = 1.0  # wait after the first failure without Retry-After; doubles
    max_wait: float = 300.0  # cap on any single wait, Retry-After included
    timeout: float = 60.0  # connect and each read

    def wait(self, attempt: int) -> float:
        return min(self.max_wait, self.backoff * 2.0 ** (attempt - 1))


class HarvestError(Exception):
    """A request that failed for good (after retries), or a response that cannot be used."""


@dataclass(frozen=True)
class Identity:
    """From Identify: the granularity ``from`` must use, and the identifier namespace."""

    day_granularity: bool
    repository_identifier: str | None


class NotOaiError(HarvestError):
    """A response that is not OAI-PMH at all: a 404, an HTML page, XML of another kind.

    ``reason`` says what came back, for the message that tells the operator to check
    the URL when the very first request (Identify) gets one.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason


@dataclass
class Page:
    """One list response: its records (header, metadata bytes or None) and the token."""

    response_date: str
    records: list[tuple[common.Header, bytes | None]]
    token: str | None = None
    size: int | None = None  # completeListSize, when the provider gives it
    cursor: int | None = None


class OaiClient(Client):  # type: ignore[misc]  # oaipmh has no types: Client is Any
    """``oaipmh.client.Client`` with a retrying, time-bounded transport (HTTP GET)."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        policy: RetryPolicy | None = None,
        *,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        registry = MetadataRegistry()
        registry.registerReader(prefix, _raw_metadata)
        super().__init__(base_url, registry, force_http_get=True)
        self.prefix = prefix
        self.policy = policy or RetryPolicy()
        self.on_retry = on_retry or (lambda reason, wait: None)
        self.response_date: str | None = None
        self._stop = threading.Event()

    def close(self) -> None:
        """Stop waiting between retries (the harvest is being interrupted)."""
        self._stop.set()

    # -- the transport --------------------------------------------------------

    def makeRequest(self, **kw: str) -> bytes:  # the oaipmh client's hook
        url = f"{self._base_url}?{urlencode(kw)}"
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=policy.timeout) as response:
                    data: bytes = response.read()
                    return data
            except urllib.error.HTTPError as exc:
                body = _read(exc)
                if exc.code not in _RETRY_STATUSES:
                    if b"OAI-PMH" in body[:2000]:  # an OAI error sent with a 4xx status
                        return body
                    raise NotOaiError(url, f"HTTP {exc.code} {exc.reason}") from None
                reason = f"HTTP {exc.code}"
                wait = retry_after(exc.headers.get("Retry-After"))
                if wait is None:
                    wait = policy.wait(attempt)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = _network_reason(exc)
                wait = policy.wait(attempt)
            if attempt == policy.attempts:
                raise HarvestError(f"{url}: {reason}; gave up after {attempt} attempts")
            wait = min(wait, policy.max_wait)
            self.on_retry(f"{reason} from {self._base_url}", wait)
            if self._stop.wait(wait):
                raise HarvestError(f"{url}: interrupted while waiting to retry")
        raise AssertionError("unreachable")  # pragma: no cover

    def parse(self, xml: bytes) -> etree._Element:
        """Parse a response without resolving entities or loading anything from the network.

        A page of HTML, or XML whose root is not ``OAI-PMH``, is a ``NotOaiError``.
        """
        parser = untrusted_xml.parser()
        try:
            tree = etree.fromstring(xml, parser)
        except etree.XMLSyntaxError:
            kind = _not_xml(xml)
            if kind:
                raise NotOaiError(self._base_url, f"{kind}, not OAI-PMH XML") from None
            raise
        if tree.tag != f"{{{OAI}}}OAI-PMH":
            name = etree.QName(tree).localname
            reason = (
                "an HTML page, not OAI-PMH XML"
                if name.lower() == "html"
                else f"XML, but not OAI-PMH (its root element is <{name}>)"
            )
            raise NotOaiError(self._base_url, reason)
        self.response_date = tree.findtext(f"{{{OAI}}}responseDate")
        return tree

    # -- requests ---------------------------------------------------------------

    def identify(self) -> Identity:
        """What the source's Identify says that a harvest needs."""
        tree = self._request(verb="Identify")
        identify = tree.find(f"{{{OAI}}}Identify")
        granularity = tree.findtext(f"{{{OAI}}}Identify/{{{OAI}}}granularity")
        namespace = None
        if identify is not None:  # the oai-identifier description, when there is one
            namespace = identify.findtext(f".//{{{OAI_IDENTIFIER}}}repositoryIdentifier")
        return Identity(
            day_granularity=granularity == "YYYY-MM-DD",
            repository_identifier=namespace.strip() if namespace else None,
        )

    def list_records(self, **args: str) -> Page:
        """One ListRecords page; ``NoRecordsMatch`` is an empty, final page."""
        try:
            tree = self._request(verb="ListRecords", **args)
        except error.NoRecordsMatchError:
            return Page(self.response_date or "", [])
        try:
            records, token = self.buildRecords(
                self.prefix, NAMESPACES, self.getMetadataRegistry(), tree
            )
        except error.DatestampError as exc:
            raise HarvestError(f"{self._base_url}: a record header has a bad datestamp") from exc
        found = tree.find(f"{{{OAI}}}ListRecords/{{{OAI}}}resumptionToken")
        return Page(
            tree.findtext(f"{{{OAI}}}responseDate") or "",
            [(header, metadata) for header, metadata, _about in records],
            token.strip() if token else None,
            _int(found.get("completeListSize")) if found is not None else None,
            _int(found.get("cursor")) if found is not None else None,
        )

    def get_record(self, identifier: str) -> tuple[common.Header, bytes | None] | None:
        """One record again (a record that failed before is retried by itself)."""
        try:
            tree = self._request(
                verb="GetRecord", identifier=identifier, metadataPrefix=self.prefix
            )
        except error.IdDoesNotExistError:
            return None
        records, _ = self.buildRecords(self.prefix, NAMESPACES, self.getMetadataRegistry(), tree)
        return (records[0][0], records[0][1]) if records else None

    def _request(self, **args: str) -> etree._Element:
        try:
            tree: etree._Element = self.makeRequestErrorHandling(**args)  # from self.parse
            return tree
        except error.XMLSyntaxError as exc:
            cause = exc.__cause__
            raise NotOaiError(
                self._base_url, f"the {args.get('verb')} response is not XML ({cause})"
            ) from None


def _not_xml(data: bytes) -> str | None:
    """What a response that does not parse as XML plainly is, if it is plain."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "an empty response"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page"
    if head.startswith((b"{", b"[")):
        return "JSON"
    return None


def _raw_metadata(element: etree._Element) -> bytes | None:
    """The registry's reader: the ``<metadata>`` child as bytes, for the record reader."""
    child = next((c for c in element if isinstance(c.tag, str)), None)
    return etree.tostring(child) if child is not None else None


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def _network_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "timed out"
    text = str(reason) or reason.__class__.__name__
    return f"network error ({text})"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
