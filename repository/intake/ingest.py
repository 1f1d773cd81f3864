"""``opis ingest``: files, folders and globs into the store, idempotently.

Each record is prepared (parsed, rendered) outside any transaction, then written in
batches, one transaction per batch, so a record is in the store whole or not at all and
an interrupted run leaves only whole records behind; running it again completes it.
A batch that fails is retried record by record, so one bad record fails alone.
Reading is guarded the same way: whatever goes wrong while reading one input (a file,
a line of JSON Lines, an element of an array, a folder) fails that input with its name
and the reason, never the run. Every record is held to the ``[records]`` limits.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import multiprocessing
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from metadata.errors import RecordError
from metadata.readers import (
    JsonLine,
    Limits,
    ReaderError,
    ReadResult,
    json_lines,
    read_json_line,
    read_json_records,
    read_page_text,
)
from metadata.readers.limits import DEFAULT_LIMITS, too_many_pages
from metadata.record import Page, Record
from metadata.references.registry import current
from repository.intake.ead import EAD_SUFFIXES, ingest_finding_aid
from repository.intake.failures import failure, os_reason
from repository.intake.gc_tuning import bulk_collection, for_bulk_work
from repository.intake.progress import progress_bar
from repository.records.batches import Pending, write_batch
from repository.records.page_images import (
    ImageStore,
    StoredImage,
    sweep_orphan_images,
)
from repository.records.pagetext import PageText, PageTextError, read_file
from repository.records.prepare import prepare, with_pages
from repository.records.renditions import Renderer
from repository.records.report import FAILED, SKIPPED, Entry, Report
from repository.settings import Settings, install_registry
from repository.store import Store
from repository.store.bodies import Chosen
from repository.store.writes import Prepared, pack_ahead

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".pdf", ".jp2"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
LINES_SUFFIXES = {".jsonl", ".ndjson"}
TEXT_SUFFIXES = {".txt"}

log = logging.getLogger("opis")
# Worker processes fork from a server process that has imported this module: a new one
# costs a fork, where a spawned one imported Opis again (over a second of CPU each).
_CONTEXT = multiprocessing.get_context("forkserver")


@dataclass(frozen=True)
class Unread:
    """A line of JSON Lines not parsed yet: preparing parses it, in a worker process for
    a big input (reading it here would make the main process, which writes, the
    narrowest stage). ``base``: the folder its page images are named from."""

    line: JsonLine
    base: Path


Read = ReadResult | Unread


class Ingest:
    def __init__(
        self,
        store: Store,
        renderer: Renderer,
        images: ImageStore,
        *,
        batch_size: int = 500,
        workers: int = 0,
        on_progress: Callable[[int], None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.limits = limits or renderer.settings.records
        self.renderer = renderer
        self.images = images
        self.batch_size = batch_size
        self.report = Report()
        self._unregistered: Counter[str] = Counter()  # archive codes the registry lacks
        self.workers = workers
        self._unprepared: list[tuple[str, Read]] = []
        self._inflight: asyncio.Future[list[Pending]] | None = None
        self._writing: asyncio.Future[None] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._text_pool: ProcessPoolExecutor | None = None
        self._on_progress = on_progress or (lambda n: None)
        # page text read with a document folder, by source, until the record is prepared
        self._page_texts: dict[str, tuple[PageText | None, ...]] = {}
        # the store's dictionaries, for worker processes to pack what they prepare
        self._dictionaries: Chosen = {}
        self.archive: str | None = None  # opis ingest --archive: finding aids' archive code

    async def run(self, paths: Iterable[str]) -> Report:
        for kind, path, reason in expand(paths):
            if kind == SKIPPED:
                self.report.add(Entry(str(path), SKIPPED, message=_skip_reason(path)))
                continue
            if kind == FAILED:
                self.report.add(Entry(str(path), FAILED, message=reason))
                self._on_progress(1)
                continue
            if kind == "ead":  # a finding aid: whole or not at all (repository/intake/ead.py)
                await ingest_finding_aid(self, path, self.archive)
                continue
            async for source, result in self._read(kind, path):
                if isinstance(result, Exception):
                    self.report.add(Entry(source, FAILED, message=str(result)))
                    self._on_progress(1)
                    continue
                await self.queue(source, result)
        try:
            await self.flush()
        finally:
            self.close()
        for code, count in sorted(self._unregistered.items()):
            self.report.notes.append(
                f"{count} record{'s' if count > 1 else ''} cite the archive code {code}, which "
                "the registry does not know; keys use it as written. Declare it in the "
                "settings file's [[archives]] to give it a name and aliases (opis archives "
                "lists the registry)"
            )
        return self.report

    async def _read(self, kind: str, path: Path) -> AsyncIterator[tuple[str, Read | Exception]]:
        """Each record of one input, or the reason it failed; never an exception. A line
        of JSON Lines comes as it is (``Unread``): it is parsed as it is prepared.

        Whatever goes wrong while reading costs only the input it happens in: a record
        (a line of JSON Lines, an element of an array), or the file or folder when the
        failure is the whole input's. Unexpected failures are logged with their traceback.
        """
        name = str(path)
        if kind == "folder":
            yield name, await _guarded(name, self._read_folder(path))
            return
        try:
            results, many = self._records_in(kind, path)
        except Exception as exc:
            yield name, failure(name, exc)
            return
        read = 0
        iterator = iter(results)
        while True:
            try:
                result = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # the input cannot be read past here
                where = f"{path}:{read + 1}" if many else name
                yield where, failure(where, exc, after=read)
                return
            read += 1
            source = f"{path}:{read}" if many else name
            if isinstance(result, Exception):
                yield source, result
                continue
            if isinstance(result, JsonLine):
                yield source, Unread(result, path.parent)
                continue
            yield source, await _guarded(source, self._with_images(result, path.parent))

    def _records_in(
        self, kind: str, path: Path
    ) -> tuple[Iterable[ReadResult | JsonLine | ReaderError], bool]:
        """The records of a file, and whether it may hold several (JSON Lines are read
        lazily, and parsed as they are prepared)."""
        if path.suffix.lower() in LINES_SUFFIXES:
            return _stream_lines(path), True
        text = _read_text(path)
        if kind == "text":
            return [read_page_text(text, limits=self.limits)], False
        results = read_json_records(text, limits=self.limits)
        return results, len(results) > 1

    async def _read_folder(self, folder: Path) -> ReadResult:
        """A document folder: ``record.json`` or ``record.txt`` plus its page images."""
        if (folder / "record.json").is_file():
            results = read_json_records(_read_text(folder / "record.json"), limits=self.limits)
            if len(results) != 1:
                raise ReaderError(f"{folder}/record.json must hold exactly one record")
            if isinstance(results[0], Exception):
                raise results[0]
            result = results[0]
        else:
            result = read_page_text(_read_text(folder / "record.txt"), limits=self.limits)
        if not result.record.pages:
            names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            problem = too_many_pages(len(names), self.limits, "the folder")
            if problem:
                raise ReaderError(problem)
            record = _replace_pages(result.record, tuple(Page(image=n) for n in names))
            result = ReadResult(record, result.warnings)
        texts: list[PageText | None] = []
        done = await self._with_images(result, folder, texts)
        if any(t is not None for t in texts):
            self._page_texts[str(folder)] = tuple(texts)
        return done

    async def _with_images(
        self, result: ReadResult, base: Path, texts: list[PageText | None] | None = None
    ) -> ReadResult:
        """Store the page images; with ``texts``, also read each image's page text (the
        ALTO or PAGE XML file with the image's base name) into it, in page order."""
        if not result.record.pages:
            return result
        stored: list[Page] = []
        # each page's text is read while the next page's image is stored
        placing: list[asyncio.Future[list[PageText | None]]] = []
        beside: dict[Path, dict[str, Path]] = {}  # folder -> its page text files by base name
        try:
            for page in result.record.pages:
                path = self.images.resolve_input(page.image, base)
                images = await self.images.store_file(path)
                for n, image in enumerate(images):
                    label = (
                        page.label
                        if n == 0
                        else (f"{page.label} ({n + 1})" if page.label else None)
                    )
                    stored.append(Page(image.id, label, image.width, image.height))
                if texts is not None:
                    if path.parent not in beside:
                        beside[path.parent] = _page_text_files(path.parent)
                    xml = beside[path.parent].get(path.stem)
                    placing.append(asyncio.ensure_future(self._page_text_of(path, images, xml)))
                problem = too_many_pages(
                    len(stored), self.limits, "the record (multi-page images split)"
                )
                if problem:
                    raise ReaderError(problem)
            for placed in await asyncio.gather(*placing):
                if texts is not None:
                    texts += placed
        finally:
            for task in placing:
                task.add_done_callback(_consumed)
        return ReadResult(with_pages(result.record, stored), result.warnings)

    async def _page_text_of(
        self, image_path: Path, images: list[StoredImage], xml: Path | None
    ) -> list[PageText | None]:
        """The page text beside an image, read for the stored image; None for each page
        when there is none."""
        if xml is None:
            return [None] * len(images)
        if len(images) != 1:
            raise ReaderError(
                f"{xml.name}: page text for {image_path.name}, which holds {len(images)} "
                "pages; give each page its own image and page text"
            )
        image = images[0]
        reading = partial(
            read_file, xml, image_name=image_path.name, width=image.width, height=image.height
        )
        try:
            return [
                await asyncio.get_running_loop().run_in_executor(self._text_executor(), reading)
            ]
        except PageTextError as exc:
            raise ReaderError(str(exc)) from None

    def _text_executor(self) -> Executor | None:
        """Where page text is read: a process of its own when ingest has worker
        processes (reading is Python work, which in this process would hold up the
        image work through the GIL: measured, it cost the image work as much again);
        otherwise the default threads."""
        if self.workers > 0 and self._text_pool is None:
            context = multiprocessing.get_context("spawn")
            self._text_pool = ProcessPoolExecutor(1, mp_context=context)
        return self._text_pool

    async def queue(self, source: str, result: Read) -> None:
        self._unprepared.append((source, result))
        if len(self._unprepared) >= self.batch_size:
            await self._dispatch()

    async def _dispatch(self) -> None:
        """Start preparing the queued records, and writing the batch prepared before.

        Three stages overlap: reading the next records (here, once this returns),
        preparing these (worker processes) and writing the previous batch (a task, most
        of whose time is the database's). Batches are written one after another, in order.
        """
        chunk, self._unprepared = self._unprepared, []
        if not chunk:
            return
        preparing = asyncio.ensure_future(self._prepare(chunk, big=len(chunk) >= self.batch_size))
        if self._inflight is not None:
            prepared = await self._inflight
            await self._written()
            self._writing = asyncio.ensure_future(self._write(prepared))
        self._inflight = preparing

    async def _written(self) -> None:
        """Wait for the batch being written (its failure is this run's)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing

    async def flush(self) -> None:
        await self._dispatch()
        await self._written()
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            await self._write(await inflight)

    async def _prepare(self, chunk: list[tuple[str, Read]], *, big: bool) -> list[Pending]:
        """Parse, key and render records: in worker processes for big inputs. A record
        parsed there that names page images comes back unprepared: its images are
        stored here, and it is prepared here."""
        records = [
            result.line if isinstance(result, Unread) else result.record for _, result in chunk
        ]
        texts = [self._page_texts.pop(source, ()) for source, _ in chunk]
        if big and self._pool is None and self.workers > 0:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=_processes(),
                initializer=_init_worker,
                initargs=(self.renderer.settings,),
            )
        if self._pool is not None:
            loop = asyncio.get_running_loop()
            size = -(-len(records) // self.workers)
            parts = [
                (records[i : i + size], texts[i : i + size]) for i in range(0, len(records), size)
            ]
            done = await asyncio.gather(
                *(
                    loop.run_in_executor(
                        self._pool,
                        _prepare_many,
                        part,
                        None,
                        part_texts,
                        self._dictionaries,
                        self.limits,
                    )
                    for part, part_texts in parts
                )
            )
            outcomes = [item for part in done for item in part]
        else:
            outcomes = _prepare_many(records, self.renderer, texts, limits=self.limits)
        pending = []
        for (source, result), (prepared, extra) in zip(chunk, outcomes, strict=True):
            read = result.warnings if isinstance(result, ReadResult) else ()
            if isinstance(extra, ReadResult) and isinstance(result, Unread):
                stored = await _guarded(source, self._with_images(extra, result.base))
                if isinstance(stored, Exception):
                    extra = str(stored)
                else:
                    [(prepared, extra)] = _prepare_many([stored.record], self.renderer)
                    read = stored.warnings
            if prepared is None or isinstance(extra, ReadResult):
                self.report.add(Entry(source, FAILED, message=str(extra)))
                self._on_progress(1)
                continue
            prepared.rerender = self.renderer.renditions
            pending.append(Pending(source, prepared, [*read, *extra]))
            if prepared.archive and prepared.archive not in current():
                self._unregistered[prepared.archive] += 1
        return pending

    async def _write(self, batch: list[Pending]) -> None:
        if not batch:
            return
        await self.store.add_images(self.images.pending_rows())
        await write_batch(self.store, batch, self.report)
        await self.store.stamp()
        if self._pool is not None:
            self._dictionaries = await self.store.dictionaries(self._dictionaries)
        self._on_progress(len(batch))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._text_pool is not None:  # idle by now: it exits in its own time
            self._text_pool.shutdown(wait=False, cancel_futures=True)
            self._text_pool = None


def expand(paths: Iterable[str]) -> list[tuple[str, Path, str]]:
    """Inputs in a stable order: (kind, path, reason) with kind text/json/folder/skipped/failed.

    ``reason`` says why a failed input failed (no such file, a folder that cannot be
    listed ...); a folder that cannot be walked fails alone, never the run.
    """
    out: list[tuple[str, Path, str]] = []
    for raw in paths:
        matches = sorted(glob.glob(raw)) if glob.has_magic(raw) else [raw]
        if not matches:
            out.append((FAILED, Path(raw), _MISSING))
        for match in matches:
            out.extend(_classify(Path(match), set()))
    return out


_MISSING = "no such file or folder"


def _classify(path: Path, seen: set[Path]) -> list[tuple[str, Path, str]]:
    try:
        if path.is_dir():
            if (path / "record.json").is_file() or (path / "record.txt").is_file():
                return [("folder", path, "")]
            real = path.resolve()
            if real in seen:  # a link to a folder this walk has read (perhaps a loop)
                return [(SKIPPED, path, "")]
            seen.add(real)
            found: list[tuple[str, Path, str]] = []
            for child in sorted(path.iterdir(), key=lambda p: p.name):
                if child.name.startswith("."):
                    continue
                found.extend(_classify(child, seen))
            return found
        if not path.exists():
            return [(FAILED, path, _MISSING)]
    except (OSError, RecursionError) as exc:
        return [(FAILED, path, f"cannot be read: {os_reason(exc)}")]
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [("text", path, "")]
    if suffix in JSON_SUFFIXES:
        return [("json", path, "")]
    if suffix in EAD_SUFFIXES:
        return [("ead", path, "")]
    return [(SKIPPED, path, "")]


def _skip_reason(path: Path) -> str:
    if path.is_dir():
        return "a link to a folder already read in this walk"
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "an image outside a document folder (put it beside a record.json)"
    return f"not an input Opis reads ({path.suffix or 'no suffix'})"


def _stream_lines(path: Path) -> Iterator[JsonLine | ReaderError]:
    """JSON Lines read lazily, in bytes: a line that is not UTF-8 fails alone."""
    with open(path, "rb") as handle:
        yield from json_lines(handle)


async def _guarded(source: str, reading: Awaitable[ReadResult]) -> ReadResult | Exception:
    """What ``reading`` gives, or the reason it failed (see ``_failure``)."""
    try:
        return await reading
    except Exception as exc:
        return failure(source, exc)


_worker_renderer: Renderer | None = None


def _processes() -> multiprocessing.context.ForkServerContext:
    """Where the workers that prepare records come from (the fork server starts with the
    first). Only they: in ``opis serve`` the fork server is the render processes' (see
    repository/iiif/render_processes.py), and whoever starts it names what it imports."""
    _CONTEXT.set_forkserver_preload([__name__])
    return _CONTEXT


def _init_worker(settings: Settings) -> None:
    global _worker_renderer
    for_bulk_work()
    install_registry(settings)
    _worker_renderer = Renderer(settings)


Outcome = tuple[Prepared | None, list[str] | str | ReadResult]


def _prepare_many(
    records: Sequence[Record | JsonLine],
    renderer: Renderer | None = None,
    texts: list[tuple[PageText | None, ...]] | None = None,
    dictionaries: Chosen | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Outcome]:
    """Prepare records (in a worker process, with that process's renderer); ``texts``:
    each record's page text, when it has any; with ``dictionaries``, packed with them
    (``pack_ahead``: the writes, one after another in the main process, are the
    pipeline's narrowest stage). A line of JSON Lines is parsed first, held to
    ``limits``; one that names page images comes back as read (a ``ReadResult`` in
    place of the warnings), for its images to be stored where the store is.

    Each outcome: the prepared record and its warnings, or None and why it failed.
    """
    renderer = renderer or _worker_renderer
    out: list[Outcome] = []
    for n, item in enumerate(records):
        read: tuple[str, ...] = ()
        try:
            if isinstance(item, JsonLine):
                result = read_json_line(item, limits)
                if isinstance(result, ReaderError):
                    out.append((None, str(result)))
                    continue
                if result.record.pages:
                    out.append((None, result))
                    continue
                record, read = result.record, result.warnings
            else:
                record = item
            if renderer is None:  # a worker process not started by _init_worker
                raise RuntimeError("no renderer in this process")
            page_texts = texts[n] if texts else ()
            prepared, warnings = prepare(record, renderer, page_texts=page_texts)
        except RecordError as exc:
            out.append((None, f"cannot render: {exc}"))
            continue
        except Exception as exc:  # a fault in Opis: logged as one, and costs only this record
            what = f"line {item.line}" if isinstance(item, JsonLine) else repr(item.title[:100])
            log.exception("preparing %s failed", what)
            out.append((None, f"internal error (please report it): {exc!r}"))
            continue
        prepared.rerender = None  # bound to this process's renderer; the caller sets its own
        if dictionaries:
            pack_ahead(prepared, dictionaries)
        out.append((prepared, [*read, *warnings]))
    return out


PAGE_TEXT_SUFFIX = ".xml"


def _page_text_files(folder: Path) -> dict[str, Path]:
    """A folder's page text files (``.xml``: ALTO or PAGE XML) by base name, listed once
    for all the images in it."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == PAGE_TEXT_SUFFIX:
            found.setdefault(path.stem, path)
    return found


def _consumed(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # the input failed already; this one's error is not news


def _read_text(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read()


def _replace_pages(record: Record, pages: tuple[Page, ...]) -> Record:
    return replace(record, pages=pages)


def input_size(paths: Iterable[tuple[str, Path, str]]) -> int:
    return sum(os.path.getsize(p) for kind, p, _ in paths if kind in ("text", "json"))


async def ingest_paths(
    settings: Settings, paths: list[str], *, progress: bool = False, archive: str | None = None
) -> Report:
    """Open the store, ingest, close: what ``opis ingest`` runs."""
    install_registry(settings)
    store = await Store(settings.database.url).open()
    try:
        with progress_bar("ingest", progress) as bar, bulk_collection():
            ingest = Ingest(
                store,
                Renderer(settings),
                ImageStore(settings),
                workers=os.cpu_count() or 1,
                on_progress=bar.advance,
            )
            ingest.archive = archive
            report = await ingest.run(paths)
        await sweep_orphan_images(settings, store)  # image folders no record uses
        await store.tidy(report.written)
        return report
    finally:
        await store.close()
