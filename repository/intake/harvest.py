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
from urllib.parse import urlencode

from oaipmh import error

from metadata import identity
from metadata.errors import RecordError
from metadata.readers.oai_map import FieldMap
from metadata.readers.oai_xml import PREFIXES, read_oai_record
from metadata.readers.result import ReaderError
from metadata.record import Record, Source
from repository.intake.harvest_source import HarvestError, OaiClient, Page, RetryPolicy
from repository.intake.harvest_state import HarvestSource, State, load, save
from repository.records.batches import Pending, write_batch
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.records.report import FAILED, SKIPPED, STATUSES, Entry, Report
from repository.settings import Settings
from repository.store import Store
from repository.store.lookup import keys_by_identity

# A harvested record ready to write: its OAI identifier, the prepared row, its warnings.
_DATESTAMP = re.compile(r"^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\dZ)?$")

log = logging.getLogger("opis")


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

    def __post_init__(self) -> None:
        if self.prefix not in PREFIXES:
            raise ValueError(f"--prefix must be one of {', '.join(PREFIXES)}, not {self.prefix!r}")
        if self.from_ is not None and not _DATESTAMP.match(self.from_):
            raise ValueError(f"--from must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ: {self.from_!r}")

    @property
    def source(self) -> HarvestSource:
        return HarvestSource(self.url, self.set, self.prefix)


@dataclass
class HarvestReport(Report):
    """Ingest's report plus deletions and notes (retries, restarts) about the run."""

    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return ", ".join(f"{self.count(s)} {s}" for s in STATUSES)


def harvested_source(base: str, prefix: str, identifier: str) -> Source:
    """The ``source`` of a harvested record: its OAI identifier and its GetRecord URL."""
    query = urlencode({"verb": "GetRecord", "metadataPrefix": prefix, "identifier": identifier})
    return Source(id=identifier, url=f"{base}{'&' if '?' in base else '?'}{query}")


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

    async def run(self) -> HarvestReport:
        options = self.options
        client = OaiClient(options.url, options.prefix, options.retry, on_retry=self._retrying)
        try:
            await self._follow(client, await load(self.store, options.source))
        except HarvestError as exc:
            self.report.add(Entry(options.url, FAILED, message=f"{exc}; run again to resume"))
        except error.ErrorBase as exc:
            message = f"the source answered {exc.oainame()}: {exc}"
            self.report.add(Entry(options.url, FAILED, message=message))
        finally:
            client.close()
        return self.report

    def _retrying(self, reason: str, wait: float) -> None:
        self.report.notes.append(f"{reason}; retrying in {wait:g} s")

    async def _follow(self, client: OaiClient, state: State) -> None:
        day = await asyncio.to_thread(client.day_granularity)
        page, started, window = await self._first_page(client, state, day)
        self._on_total(page.size, page.cursor or 0)
        seen: set[str] = set()
        while True:
            await self._take(page)
            if page.token is None:
                await save(self.store, self.options.source, State(last=started))
                return
            if page.token in seen:
                raise HarvestError(f"{self.options.url}: the source repeats resumption tokens")
            seen.add(page.token)
            checkpoint = State(state.last, page.token, window, started)
            await save(self.store, self.options.source, checkpoint)
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

    # -- one page ---------------------------------------------------------------

    async def _take(self, page: Page) -> None:
        pending: list[Pending] = []
        for header, raw in page.records:
            identifier = header.identifier()
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
                raw, options.prefix, source=source, field_map=options.field_map
            )
            prepared, warnings = prepare(result.record, self.renderer)
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

    async def _delete(self, identifier: str) -> None:
        source = harvested_source(self.options.url, self.options.prefix, identifier)
        wanted = identity.identity(Record(title="", source=source))
        key = (await keys_by_identity(self.store, [wanted])).get(wanted)
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
    store = await Store(settings.database.url).open()
    try:
        if not progress:
            return await Harvest(store, Renderer(settings), options).run()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn("harvest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task("harvest", total=None)
            run = Harvest(
                store,
                Renderer(settings),
                options,
                on_total=lambda total, done: bar.update(task, total=total, completed=done),
                on_progress=lambda n: bar.advance(task, n),
            )
            return await run.run()
    finally:
        await store.close()


def run_command(
    settings: Settings,
    url: str,
    *,
    set_spec: str | None,
    from_: str | None,
    prefix: str,
    map_path: str | None,
    full: bool,
    retry: tuple[int, float, float],
    verbose: bool,
) -> int:
    """``opis harvest``: run, print the report like ingest does, return the exit status."""
    import sys
    from pathlib import Path

    import click

    from metadata.readers.oai_map import FieldMapError

    attempts, timeout, max_wait = retry
    try:
        field_map = None
        if map_path:
            field_map = FieldMap.from_text(Path(map_path).read_text(encoding="utf-8"), map_path)
        options = HarvestOptions(
            url.rstrip("?"),
            set_spec,
            prefix,
            from_,
            full,
            field_map,
            RetryPolicy(max(1, attempts), min(1.0, max_wait), max_wait, timeout),
        )
    except (OSError, ValueError, FieldMapError) as exc:
        raise click.UsageError(str(exc)) from exc
    report = asyncio.run(harvest(settings, options, progress=sys.stderr.isatty()))
    for note in report.notes:
        click.echo(f"note    {note}", err=True)
    for entry in report.entries:
        if entry.status == FAILED:
            click.echo(f"FAILED  {entry.source}: {entry.message}", err=True)
        elif verbose:
            target = f" -> {entry.key}" if entry.key else f": {entry.message}"
            click.echo(f"{entry.status:<9} {entry.source}{target}")
        for warning in entry.warnings:
            click.echo(f"warning {entry.source}: {warning}", err=True)
    click.echo(report.summary())
    return 1 if report.failed else 0
