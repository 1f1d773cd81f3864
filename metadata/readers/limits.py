"""How large a record may be: one check that every reader applies to what it read.

A record that is far larger than any real archival description (a title of megabytes,
a hundred thousand subjects) would still be stored and rendered, and then weigh on
every page and OAI response that shows it. Every reader (JSON records, page text, OAI
records, and so every input: files, folders, harvest, the write API) ends by checking
its record here, and a record over a limit is refused whole, with a message naming the
field, its size, the limit and the setting that holds it:

    title is 10,485,760 characters; the limit is 2,000 (records.max_title_chars)

The limits are ``Limits`` fields, named like the settings in the ``[records]``
section (config/opis.toml says why each default is what it is). Characters are
counted after cleaning (NFC, XML-forbidden characters removed), as the record keeps
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metadata.readers.result import ReaderError, ReadResult
from metadata.record import Record

SECTION = "records"


@dataclass(frozen=True)
class Limits:
    """The limits a record must keep (settings section ``[records]``)."""

    max_title_chars: int = 2_000
    max_reference_chars: int = 1_000
    max_value_chars: int = 10_000
    max_description_chars: int = 100_000
    max_text_chars: int = 5_000_000
    max_list_items: int = 1_000
    max_pages: int = 10_000


DEFAULT_LIMITS = Limits()


def _setting(name: str) -> str:
    return f"{SECTION}.{name}"


def too_long(name: str, value: str, limit: int, setting: str) -> str | None:
    """The problem with ``value`` when it has more than ``limit`` characters."""
    if len(value) <= limit:
        return None
    return f"{name} is {len(value):,} characters; the limit is {limit:,} ({_setting(setting)})"


def too_many(name: str, count: int, limits: Limits, what: str = "entries") -> str | None:
    """The problem with a list of ``count`` entries (``max_list_items``)."""
    if count <= limits.max_list_items:
        return None
    return (
        f"{name} has {count:,} {what}; the limit is {limits.max_list_items:,} "
        f"({_setting('max_list_items')})"
    )


def too_many_pages(count: int, limits: Limits, where: str = "pages") -> str | None:
    """The problem with a record of ``count`` page images (``max_pages``)."""
    if count <= limits.max_pages:
        return None
    return (
        f"{where} has {count:,} page images; the limit is {limits.max_pages:,} "
        f"({_setting('max_pages')})"
    )


class _Check:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.problems: list[str] = []

    def add(self, problem: str | None) -> None:
        if problem is not None:
            self.problems.append(problem)

    def value(self, name: str, value: str | None, setting: str = "max_value_chars") -> None:
        if value is not None:
            self.add(too_long(name, value, getattr(self.limits, setting), setting))

    def values(
        self,
        name: str,
        values: Sequence[str | None],
        setting: str = "max_value_chars",
        *,
        part: str = "",
        counted: bool = True,
    ) -> None:
        """A list field: its length, then its first over-long entry (one problem each)."""
        if counted:
            self.add(too_many(name, len(values), self.limits))
        limit = getattr(self.limits, setting)
        for i, value in enumerate(values):
            if value is not None and len(value) > limit:
                self.add(too_long(f"{name}[{i}]{part}", value, limit, setting))
                return


def record_problems(record: Record, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Every limit ``record`` exceeds, named by its JSON record field; [] when none."""
    check = _Check(limits)
    check.value("title", record.title, "max_title_chars")
    check.value("reference", record.citation, "max_reference_chars")
    check.value("date", record.date)
    check.values("description", [d.value for d in record.description], "max_description_chars")
    check.values("creators", record.creators)
    check.values("contributors", [a.name for a in record.contributors])
    check.values("contributors", [a.role for a in record.contributors], part=".role", counted=False)
    check.values("language", record.language)
    check.values("subjects", record.subjects)
    check.values("places", record.places)
    check.values("collections", record.collections)
    check.values("types", record.types)
    check.value("publisher", record.publisher)
    check.value("rights", record.rights)
    check.values("funders", record.funders)
    check.values("text", [t.content for t in record.text], "max_text_chars", part=".content")
    check.value("source.id", record.source.id)
    check.value("source.url", record.source.url)
    check.add(too_many_pages(len(record.pages), limits))
    pages = record.pages[: limits.max_pages]
    check.values("pages", [p.image for p in pages], part=".image", counted=False)
    check.values("pages", [p.label for p in pages], part=".label", counted=False)
    return check.problems


def within_limits(result: ReadResult, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """``result`` itself, or a ``ReaderError`` listing every limit its record exceeds."""
    problems = record_problems(result.record, limits)
    if problems:
        raise ReaderError("; ".join(problems), problems=tuple(problems))
    return result
