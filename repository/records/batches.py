"""Writing prepared records in batches, so that one bad record costs only itself.

A batch is one transaction: fast, and all or nothing. When it fails, its records are
written again one by one, and only the ones that fail on their own are reported as
failed, with the reason. The fallback is logged, since it means a record (or the
database) refused something.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from repository.records.report import FAILED, Entry, Report
from repository.store import Store
from repository.store.writes import Outcome, Prepared

log = logging.getLogger("opis")


@dataclass
class Pending:
    """A prepared record waiting for its batch, with where it came from."""

    source: str
    prepared: Prepared
    warnings: list[str] = field(default_factory=list)


async def write_batch(store: Store, batch: Sequence[Pending], report: Report) -> None:
    """Write ``batch``; every record ends in ``report`` as written or failed."""
    if not batch:
        return
    try:
        outcomes: list[Outcome | None] = list(await store.write([p.prepared for p in batch]))
    except Exception as exc:
        log.warning(
            "a batch of %d records failed (%s); writing them one by one",
            len(batch),
            str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__,
        )
        outcomes = [await _write_one(store, pending, report) for pending in batch]
    for pending, outcome in zip(batch, outcomes, strict=True):
        if outcome is not None:
            report.add(
                Entry(pending.source, outcome.status, outcome.key, warnings=tuple(pending.warnings))
            )


async def _write_one(store: Store, pending: Pending, report: Report) -> Outcome | None:
    try:
        (outcome,) = await store.write([pending.prepared])
    except Exception as exc:  # this record's own failure: reported, the others go on
        report.add(Entry(pending.source, FAILED, message=f"not stored: {exc}"))
        return None
    return outcome
