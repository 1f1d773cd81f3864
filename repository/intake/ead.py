"""Ingesting EAD finding aids (``.xml``): every component a unit, whole or not at all.

A finding aid is read through once to check it (streaming, nothing kept), and only
then read again to store its units, so a bad file stores nothing and says which
element is wrong. The identities of the units a finding aid gave are kept in the
store's meta table (``ead:<hash of the eadid>``); ingesting a revised finding aid
deletes (tombstones) the units it no longer has. Unchanged units keep their datestamps,
as every re-ingested record does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from metadata import identity as ident
from metadata.readers.ead import NotEAD, read_ead
from metadata.readers.limits import Limits
from metadata.readers.result import ReadResult
from repository.intake.failures import failure
from repository.records.report import FAILED, SKIPPED, Entry, Report
from repository.store import Store


class Run(Protocol):
    """What a finding aid needs of the ingest run it is part of (intake/ingest.py)."""

    store: Store
    report: Report
    limits: Limits

    async def queue(self, source: str, result: ReadResult) -> None: ...

    async def flush(self) -> None: ...


EAD_SUFFIXES = {".xml", ".ead"}


def _meta_name(finding_aid: str) -> str:
    return "ead:" + hashlib.sha256(finding_aid.encode()).hexdigest()[:40]


async def ingest_finding_aid(ingest: Run, path: Path, archive: str | None = None) -> None:
    """Store the units of the finding aid(s) in ``path``; report each one in ``ingest``."""
    name = str(path)
    seen: dict[str, list[str]] = {}  # finding aid -> identities of its units
    try:
        with open(path, "rb") as handle:
            for result in read_ead(handle, name=name, archive=archive, limits=ingest.limits):
                aid = result.record.finding_aid or ""
                seen.setdefault(aid, []).append(ident.identity(result.record))
    except NotEAD:
        message = "XML that is not an EAD finding aid (no <ead> element): skipped"
        ingest.report.add(Entry(name, SKIPPED, message=message))
        return
    except Exception as exc:
        ingest.report.add(Entry(name, FAILED, message=str(failure(name, exc))))
        return
    with open(path, "rb") as handle:
        for result in read_ead(handle, name=name, archive=archive, limits=ingest.limits):
            reference = result.record.reference
            where = "/".join(f"{n}.{v}" for n, v in reference.levels) if reference else ""
            await ingest.queue(f"{name}#{where}", result)
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
