"""What happened to each input of a run (ingest, harvest): the report the command prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from repository.store.writes import ADDED, DELETED, UNCHANGED, UPDATED

FAILED, SKIPPED = "failed", "skipped"
STATUSES = (ADDED, UPDATED, UNCHANGED, DELETED, FAILED, SKIPPED)


@dataclass
class Entry:
    """What happened to one input record (or one skipped input)."""

    source: str
    status: str
    key: str | None = None
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the run, said once

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def written(self) -> int:
        """Records added or updated."""
        return self.count(ADDED) + self.count(UPDATED)

    @property
    def failed(self) -> bool:
        return any(e.status == FAILED for e in self.entries)

    def summary(self) -> str:
        """Counts by status; deletions only when the run had any, as ingest never deletes."""
        shown = [s for s in STATUSES if s != DELETED or self.count(DELETED)]
        return ", ".join(f"{self.count(s)} {s}" for s in shown)
