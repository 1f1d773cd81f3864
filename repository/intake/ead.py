"""Ingesting EAD finding aids (``.xml``): every component a unit, whole or not at all.

A finding aid is read through once to check it (streaming, nothing kept but the page
images its ``<dao>`` links name), its page images are then stored, and only then is it
read again to store its units, so a bad file, or a ``<dao>`` naming an image outside
the finding aid's folder or one that cannot be read, stores no unit and says which
element is wrong (ead_images.py). The identities of the units a finding aid gave are
kept in the store's meta table (``ead:<hash of the eadid>``); ingesting a revised
finding aid deletes (tombstones) the units it no longer has. Unchanged units keep their
datestamps, as every re-ingested record does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from metadata import identity as ident
from metadata.readers.ead import NotEAD, read_ead
from metadata.readers.limits import Limits
from metadata.readers.result import ReaderError, ReadResult
from metadata.record import Page, Record
from metadata.references import document_key
from repository.intake.ead_images import check_pages, store_pages
from repository.intake.failures import failure
from repository.records.page_images import ImageStore
from repository.records.prepare import with_pages
from repository.records.report import FAILED, SKIPPED, Entry, Report
from repository.store import Store


class Run(Protocol):
    """What a finding aid needs of the ingest run it is part of (intake/ingest.py)."""

    store: Store
    report: Report
    limits: Limits
    images: ImageStore

    async def queue(self, source: str, result: ReadResult) -> None: ...

    async def flush(self) -> None: ...


EAD_SUFFIXES = {".xml", ".ead"}


def _meta_name(finding_aid: str) -> str:
    return "ead:" + hashlib.sha256(finding_aid.encode()).hexdigest()[:40]


async def ingest_finding_aid(ingest: Run, path: Path, archive: str | None = None) -> None:
    """Store the units of the finding aid(s) in ``path``; report each one in ``ingest``."""
    name = str(path)
    seen: dict[str, list[str]] = {}  # finding aid -> identities of its units
    with_images: list[Record] = []  # units whose <dao> links name image files
    try:
        with open(path, "rb") as handle:
            for result in read_ead(handle, name=name, archive=archive, limits=ingest.limits):
                aid = result.record.finding_aid or ""
                seen.setdefault(aid, []).append(ident.identity(result.record))
                if result.record.pages:
                    with_images.append(result.record)
        pages = await _store_images(ingest, with_images, path)
    except NotEAD:
        message = "XML that is not an EAD finding aid (no <ead> element): skipped"
        ingest.report.add(Entry(name, SKIPPED, message=message))
        return
    except Exception as exc:
        ingest.report.add(Entry(name, FAILED, message=str(failure(name, exc))))
        return
    with open(path, "rb") as handle:
        for result in read_ead(handle, name=name, archive=archive, limits=ingest.limits):
            record = result.record
            if record.pages:
                record = with_pages(record, list(pages[ident.identity(record)]))
                result = ReadResult(record, result.warnings)
            await ingest.queue(f"{name}#{_where(record)}", result)
    await ingest.flush()
    for aid, identities in seen.items():
        meta = _meta_name(aid)
        before = await ingest.store.get_meta(meta)
        if before:
            gone = set(before.split("\n")) - set(identities)
            keys = await ingest.store.keys_by_identity(sorted(gone))
            for identity in sorted(gone):
                key = keys.get(identity)
                if key is None:
                    continue
                outcome = await ingest.store.delete(key)
                if outcome is not None and outcome.status != "unchanged":
                    ingest.report.add(
                        Entry(f"{name} (no longer in the finding aid)", outcome.status, key)
                    )
            await ingest.store.stamp()
        await ingest.store.set_meta(meta, "\n".join(identities))


def _where(record: Record) -> str:
    """The unit's path in the finding aid (``fond.12/series.3``), as reports name it."""
    reference = record.reference
    return "/".join(f"{n}.{v}" for n, v in reference.levels) if reference else ""


async def _store_images(run: Run, units: list[Record], path: Path) -> dict[str, tuple[Page, ...]]:
    """The stored page images of each unit (by identity), named by its ``<dao>`` links.

    Every link is checked before any image is stored; ReaderError names the finding
    aid, the unit and the link when one cannot be had.
    """
    for record in units:
        with _naming(record, path):
            check_pages(record, path.parent)
    stored: dict[str, tuple[Page, ...]] = {}
    for record in units:
        with _naming(record, path):
            pages = await store_pages(run.images, record, path.parent, run.limits)
        stored[ident.identity(record)] = pages
    return stored


@contextmanager
def _naming(record: Record, path: Path) -> Iterator[None]:
    """A ReaderError about a unit's images, with the finding aid and the unit named."""
    try:
        yield
    except ReaderError as exc:
        key = document_key(record.reference) if record.reference else _where(record)
        raise ReaderError(f"{path}: unit {key} ({record.title}): {exc}") from None
