"""``opis harvest``: another repository's OAI-PMH records into this store, incrementally.

Each page is read (metadata/readers/oai_xml.py), prepared and written like ingest's
records, one transaction per page, and only then is the checkpoint for the next page
saved (repository/harvest_state.py); so an interrupted run leaves whole pages behind
and the next run continues where it stopped. Writes are idempotent by identity, so a
page harvested twice changes nothing the second time.

A harvested record's source id is its OAI identifier and its source URL the record's
GetRecord URL at the provider. Its identity (metadata/identity.py) is therefore the
provider's host plus the OAI identifier: the same on every harvest, whatever the
record's content, and computable from a bare deleted header, which is how a deletion
finds the key the document has here and turns it into a tombstone.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from oaipmh import error

from metadata import identity
from metadata.errors import RecordError
from metadata.readers.oai_map import FieldMap
from metadata.readers.oai_xml import PREFIXES, read_oai_record
from metadata.readers.result import ReaderError
from metadata.record import Record, Source
from metadata.references import parse_key
from metadata.references.keys import ARCHIVE_CODE, encode_value
from repository.intake.gc_tuning import bulk_collection
from repository.intake.harvest_source import (
    HarvestError,
    NotOaiError,
    OaiClient,
    Page,
    RetryPolicy,
)
from repository.intake.harvest_state import HarvestSource, State, load, save
from repository.intake.progress import progress_bar
from repository.records.batches import Pending, write_batch
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.records.report import FAILED, SKIPPED, STATUSES, Entry, Report
from repository.settings import Settings, install_registry
from repository.store import Store

# A harvested record ready to write: its OAI identifier, the prepared row, its warnings.
_OAI_IDENTIFIER = re.compile(r"oai:(?P<namespace>[A-Za-z0-9.-]+):(?P<local>.+)", re.S)
_DATESTAMP = re.compile(r"^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\dZ)?$")

log = logging.getLogger("opis")
CHECK_URL = "check the URL (it usually ends in /oai or /request)"


class _NotAnEndpoint(HarvestError):
    """The URL's first answer was not OAI-PMH (the message says what it was)."""


@dataclass(frozen=True)
class HarvestOptions:
    """What to harvest and how: ``opis harvest``'s arguments."""

    url: str
    set: str | None = None
    prefix: str = "oai_dc"
    from_: str | None = None  # overrides the remembered date; YYYY-MM-DD[Thh:mm:ssZ]
    full: bool = False  # ignore what is remembered and harvest everything
    field_map: FieldMap | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # The branch for records that have no citation: a code (A-Z, 0-9, hyphens); by
    # default the source's repositoryIdentifier (or host), see branch_code.
    archive: str | None = None

    def __post_init__(self) -> None:
        if self.archive is not None and not ARCHIVE_CODE.fullmatch(self.archive):
            raise ValueError(f"--archive must be a code (A-Z, 0-9 and hyphens): {self.archive!r}")
        if self.prefix not in PREFIXES:
            raise ValueError(f"--prefix must be one of {', '.join(PREFIXES)}, not {self.prefix!r}")
        if self.from_ is not None and not _DATESTAMP.match(self.from_):
            raise ValueError(f"--from must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ: {self.from_!r}")

    @property
    def source(self) -> HarvestSource:
        return HarvestSource(self.url, self.set, self.prefix)


@dataclass
class HarvestReport(Report):
    """Ingest's report, with deletions always counted."""

    def summary(self) -> str:
        return ", ".join(f"{self.count(s)} {s}" for s in STATUSES)


def harvested_source(base: str, prefix: str, identifier: str) -> Source:
    """The ``source`` of a harvested record: its OAI identifier and its GetRecord URL."""
    query = urlencode({"verb": "GetRecord", "metadataPrefix": prefix, "identifier": identifier})
    return Source(id=identifier, url=f"{base}{'&' if '?' in base else '?'}{query}")


def branch_code(namespace: str) -> str:
    """A source's repositoryIdentifier (or host) as an archive code: ``lib.example.org``
    becomes ``LIB-EXAMPLE-ORG``, the first segment of the keys of its uncited records."""
    return "-".join(re.findall(r"[A-Z0-9]+", namespace.upper())) or "HARVESTED"


def split_identifier(identifier: str, namespace: str | None) -> tuple[str | None, str]:
    """(namespace, local part) of an OAI identifier: ``oai:<namespace>:<local>`` as the
    oai-identifier scheme writes it (the source's Identify names the namespace, or the
    identifier itself does); (None, all of it) for identifiers of another form."""
    if namespace and identifier.startswith(f"oai:{namespace}:"):
        return namespace, identifier[len(namespace) + 5 :]
    found = _OAI_IDENTIFIER.match(identifier)
    if found:
        return found["namespace"], found["local"]
    return None, identifier


def opis_key(local: str) -> str | None:
    """``local`` when it is an Opis key (another Opis's identifier carries its key)."""
    head, sep, token = local.rpartition("/doc.")
    try:
        unit = parse_key(head if sep else local)
    except ValueError:
        return None
    if sep:  # a document token: after a unit, or a branch code (UNCITED/doc.u1)
        return local if re.fullmatch(r"[A-Za-z0-9%-]+", token) else None
    return local if unit.levels else None  # a bare code ("1", "A12") is not a key


class Harvest:
    """One run over one source: follow the list, write each page, checkpoint, finish."""

    def __init__(
        self,
        store: Store,
        renderer: Renderer,
        options: HarvestOptions,
        *,
        on_total: Callable[[int | None, int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.options = options
        self.report = HarvestReport()
        self._on_total = on_total or (lambda total, done: None)
        self._on_progress = on_progress or (lambda n: None)
        self._resumable = False  # a checkpoint (a token to continue from) is saved
        self.limits = renderer.settings.records
        self._retried: set[str] = set()
        self.namespace: str | None = None  # the source's repositoryIdentifier

    async def run(self) -> HarvestReport:
        options = self.options
        client = OaiClient(options.url, options.prefix, options.retry, on_retry=self._retrying)
        try:
            state = await load(self.store, options.source)
            self._resumable = state.token is not None
            await self._follow(client, state)
        except _NotAnEndpoint as exc:
            message = f"{options.url} did not answer as an OAI-PMH endpoint: {exc}; {CHECK_URL}"
            self.report.add(Entry(options.url, FAILED, message=message + self._resume()))
        except HarvestError as exc:
            self.report.add(Entry(options.url, FAILED, message=f"{exc}{self._resume()}"))
        except error.ErrorBase as exc:
            message = f"the source answered {exc.oainame()}: {exc}"
            self.report.add(Entry(options.url, FAILED, message=message))
        finally:
            client.close()
        return self.report

    def _resume(self) -> str:
        """The advice to run again, only when a checkpoint says where to resume from."""
        return "; run again to resume" if self._resumable else ""

    def _retrying(self, reason: str, wait: float) -> None:
        self.report.notes.append(f"{reason}; retrying in {wait:g} s")

    async def _follow(self, client: OaiClient, state: State) -> None:
        try:  # the first request: what answers it shows whether the URL is an endpoint
            source = await asyncio.to_thread(client.identify)
        except NotOaiError as exc:
            raise _NotAnEndpoint(exc.reason) from None
        self.namespace = source.repository_identifier
        await self._retry(client, state.failed)
        page, started, window = await self._first_page(client, state, source.day_granularity)
        self._on_total(page.size, page.cursor or 0)
        seen: set[str] = set()
        while True:
            await self._take(page)
            if page.token is None:
                failed = tuple(e.source for e in self.report.entries if e.status == FAILED)
                await save(self.store, self.options.source, State(last=started, failed=failed))
                self._resumable = False
                return
            if page.token in seen:
                raise HarvestError(f"{self.options.url}: the source repeats resumption tokens")
            seen.add(page.token)
            failed = tuple(e.source for e in self.report.entries if e.status == FAILED)
            checkpoint = State(state.last, page.token, window, started, failed)
            await save(self.store, self.options.source, checkpoint)
            self._resumable = True
            page = await asyncio.to_thread(client.list_records, resumptionToken=page.token)

    async def _first_page(
        self, client: OaiClient, state: State, day: bool
    ) -> tuple[Page, str, str | None]:
        """The first page: from the saved token, else a new list; with its start and window."""
        options = self.options
        if state.token and options.from_ is None and not options.full:
            try:
                page = await asyncio.to_thread(client.list_records, resumptionToken=state.token)
                self.report.notes.append("continued the interrupted harvest from its last token")
                return page, state.list_started or page.response_date, state.list_from
            except error.BadResumptionTokenError:
                since = state.list_from or "the beginning"
                self.report.notes.append(
                    f"the saved resumption token is no longer accepted; harvesting again "
                    f"from {since}"
                )
            window = state.list_from
        elif options.from_ is not None:
            window = options.from_
        else:
            window = None if options.full else state.last
        args = {"metadataPrefix": options.prefix}
        if options.set:
            args["set"] = options.set
        if window:
            args["from"] = window[:10] if day else window
        page = await asyncio.to_thread(client.list_records, **args)
        return page, page.response_date, window

    async def _retry(self, client: OaiClient, identifiers: tuple[str, ...]) -> None:
        """Records that could not be stored before, fetched and tried again one by one."""
        for identifier in identifiers:
            found = await asyncio.to_thread(client.get_record, identifier)
            if found is None:
                message = "failed before, and the source no longer has it"
                self.report.add(Entry(identifier, SKIPPED, message=message))
            else:
                await self._take(Page("", [found]))
            self._retried.add(identifier)

    # -- one page ---------------------------------------------------------------

    async def _take(self, page: Page) -> None:
        pending: list[Pending] = []
        for header, raw in page.records:
            identifier = header.identifier()
            if identifier in self._retried:
                continue  # retried at the start of this run, and listed again
            if header.isDeleted():
                await write_batch(self.store, pending, self.report)
                pending = []
                await self._delete(identifier)
                continue
            prepared = self._prepare(identifier, raw)
            if prepared is not None:
                pending.append(prepared)
        await write_batch(self.store, pending, self.report)
        await self.store.stamp()
        self._on_progress(len(page.records))

    def _prepare(self, identifier: str, raw: bytes | None) -> Pending | None:
        options = self.options
        if not raw:
            self.report.add(Entry(identifier, FAILED, message="the record has no metadata"))
            return None
        source = harvested_source(options.url, options.prefix, identifier)
        try:
            result = read_oai_record(
                raw, options.prefix, source=source, field_map=options.field_map, limits=self.limits
            )
            prepared, warnings = prepare(
                result.record, self.renderer, locator=self._locator(identifier, result.record)
            )
        except ReaderError as exc:
            self.report.add(Entry(identifier, FAILED, message=str(exc)))
            return None
        except RecordError as exc:
            self.report.add(Entry(identifier, FAILED, message=f"cannot render: {exc}"))
            return None
        except Exception as exc:  # a fault in Opis: logged as one, and costs only this record
            log.exception("preparing %s failed", identifier)
            message = f"internal error (please report it): {exc!r}"
            self.report.add(Entry(identifier, FAILED, message=message))
            return None
        return Pending(identifier, prepared, [*result.warnings, *warnings])

    def _locator(self, identifier: str, record: Record) -> str | None:
        """The key to ask for, when the citation does not decide it: another Opis's
        records keep their keys exactly; a record with no citation is keyed from its
        identifier under this source's branch (stable, so a re-harvest finds it)."""
        namespace, local = split_identifier(identifier, self.namespace)
        kept = opis_key(local)
        if kept is not None:
            return kept
        if record.reference is not None and record.reference.archive:
            return None
        host = urlsplit(self.options.url).hostname or ""
        branch = self.options.archive or branch_code(namespace or host)
        return f"{branch}/doc.{encode_value(local)}"

    async def _delete(self, identifier: str) -> None:
        source = harvested_source(self.options.url, self.options.prefix, identifier)
        wanted = identity.identity(Record(title="", source=source))
        key = (await self.store.keys_by_identity([wanted])).get(wanted)
        if key is None:
            message = "deleted at the source and never harvested here"
            self.report.add(Entry(identifier, SKIPPED, message=message))
            return
        outcome = await self.store.delete(key)
        status = outcome.status if outcome else SKIPPED
        self.report.add(Entry(identifier, status, key))


async def harvest(
    settings: Settings, options: HarvestOptions, *, progress: bool = False
) -> HarvestReport:
    """Open the store, harvest, close: what ``opis harvest`` runs."""
    install_registry(settings)
    store = await Store(settings.database.url).open()
    try:
        with progress_bar("harvest", progress) as bar, bulk_collection():
            run = Harvest(
                store, Renderer(settings), options, on_total=bar.update, on_progress=bar.advance
            )
            report = await run.run()
        await store.tidy(report.written)
        return report
    finally:
        await store.close()


def command_options(
    url: str,
    *,
    set_spec: str | None,
    from_: str | None,
    prefix: str,
    map_path: str | None,
    full: bool,
    retry: tuple[int, float, float],
    archive: str | None = None,
) -> HarvestOptions:
    """``opis harvest``'s arguments as options; ValueError (the message says why) if unusable."""
    attempts, timeout, max_wait = retry
    field_map = None
    if map_path:
        try:
            text = Path(map_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"--map {map_path}: {exc.strerror or exc}") from exc
        field_map = FieldMap.from_text(text, map_path)
    return HarvestOptions(
        url.rstrip("?"),
        set_spec,
        prefix,
        from_,
        full,
        field_map,
        RetryPolicy(max(1, attempts), min(1.0, max_wait), max_wait, timeout),
        archive,
    )
