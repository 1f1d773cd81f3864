"""The result of parsing one citation string."""

from __future__ import annotations

from dataclasses import dataclass

from metadata.record import Reference


@dataclass(frozen=True)
class Citation:
    """A citation as written and what was read from it.

    ``references[0]`` is the primary reference; the rest are alternates (the same
    document in another archive, or further units the string lists). ``error`` is set
    exactly when nothing was found. ``inferred_archive`` says the primary archive was
    implied by the citation's style rather than named. ``archive_known`` says the
    primary archive is in the installed registry; it is False for an archive code the
    registry lacks that was taken as given (``MYARCH f.12 op.3 d.45``), and when there is
    no archive. ``remainder`` keeps the text that is not part of a reference (credits,
    physical description, handling caveats).
    """

    input: str
    references: tuple[Reference, ...]
    error: str | None = None
    inferred_archive: bool = False
    remainder: str = ""
    archive_known: bool = False

    @property
    def primary(self) -> Reference | None:
        return self.references[0] if self.references else None


@dataclass(frozen=True)
class Found:
    """What one reader recognised: references, the span it consumed, how it knew the archive."""

    references: tuple[Reference, ...]
    start: int
    end: int
    inferred: bool = False


def found_reference(
    code: str,
    levels: list[tuple[str, str]],
    pages: str | None,
    start: int,
    end: int,
    inferred: bool = False,
) -> Found | None:
    """One reference from the levels that have a value; None when none has."""
    levels = [(name, value.strip()) for name, value in levels if value and value.strip()]
    if not levels:
        return None
    return Found((Reference(code, tuple(levels), pages),), start, end, inferred)
