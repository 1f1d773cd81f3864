"""What every reader hands back: a record plus the things it could not find."""

from __future__ import annotations

from dataclasses import dataclass

from metadata.record import Record


@dataclass(frozen=True)
class ReadResult:
    """One record read from an input, and warnings about what was missing or repaired.

    Warnings never stop ingest; they tell the operator what the record lacks
    (no date, citation not on the page, characters removed ...).
    """

    record: Record
    warnings: tuple[str, ...] = ()


class ReaderError(ValueError):
    """Input that cannot become a record; the message says what is wrong and where.

    ``record`` (1-based position in the input) and ``line`` are set when the input
    holds several records, so a report can point at the failing one.
    """

    def __init__(
        self,
        message: str,
        *,
        record: int | None = None,
        line: int | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.record = record
        self.line = line
        self.problems = problems or (message,)
