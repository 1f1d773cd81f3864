"""Readings of record fields that MARC and MODS (and partly Dublin Core) share.

Dates, relator roles, person-or-body and the generated notes are decided once here so
the three formats never disagree about the same record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as _date
from functools import lru_cache, wraps
from typing import TypeVar

from metadata import languages
from metadata.record import Record

from ._xml import text, unique
from .context import CrosswalkContext

K = TypeVar("K")
T = TypeVar("T")


def per_record(read: Callable[[K], T]) -> Callable[[K], T]:
    """``read`` remembered for the record (or context) last asked about, the same object:
    the six formats ask the same of one record in a row, and a record never changes. The
    answer is shared, so it must not be changed either (tuples)."""
    last: list[tuple[K | None, T | None]] = [(None, None)]

    @wraps(read)
    def remembered(record: K) -> T:
        seen, answer = last[0]
        if seen is not record:
            answer = read(record)
            last[0] = (record, answer)
        return answer  # type: ignore[return-value]

    return remembered


# ---------------------------------------------------------------- dates

_W3CDTF = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Dates:
    """A record date read as W3CDTF: a single date, or a ``start/end`` range.

    ``start`` is None when the text is not W3CDTF (then only ``text`` is usable).
    """

    text: str
    start: str | None = None
    end: str | None = None

    @property
    def start_year(self) -> str | None:
        return self.start[:4] if self.start else None

    @property
    def end_year(self) -> str | None:
        return self.end[:4] if self.end else None


def _w3cdtf(value: str) -> str | None:
    """``value`` if it is a real YYYY, YYYY-MM or YYYY-MM-DD date, else None."""
    match = _W3CDTF.fullmatch(value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    try:  # year 0000, month 13 or 30 February raise
        _date(int(year), int(month) if month else 1, int(day) if day else 1)
    except ValueError:
        return None
    return value.strip()


@lru_cache(maxsize=256)
def read_date(value: str | None) -> Dates | None:
    """Read the record's date: ``1946-04-20``, ``1945-07``, ``1952``, ``1946-04-17/1946-04-20``."""
    cleaned = text(value)
    if not cleaned:
        return None
    if "/" in cleaned:
        first, _, last = cleaned.partition("/")
        start, end = _w3cdtf(first), _w3cdtf(last)
        if start and end and start <= end:
            return Dates(cleaned, start, end)
        return Dates(cleaned)
    return Dates(cleaned, _w3cdtf(cleaned))


# ---------------------------------------------------------------- roles and names


@dataclass(frozen=True)
class Role:
    """A MARC relator: term and code, or the record's own wording with no code."""

    term: str
    code: str | None


AUTHOR = Role("author", "aut")
CONTRIBUTOR = Role("contributor", "ctb")

# Searched in order in the case-folded role text; the first hit wins.
# "obtained by" (who got the copy out of the archive for the publisher) has no relator of
# its own: "collector" is MARC's term for whoever brings items from various sources
# together to be described as a collection, and is explicitly meant for manuscripts.
_RELATORS: tuple[tuple[str, Role], ...] = (
    ("translat", Role("translator", "trl")),
    ("obtain", Role("collector", "col")),
    ("collect", Role("collector", "col")),
    ("edit", Role("editor", "edt")),
    ("transcri", Role("transcriber", "trc")),
    ("compil", Role("compiler", "com")),
    ("annotat", Role("annotator", "ann")),
    ("fund", Role("funder", "fnd")),
    ("sponsor", Role("sponsor", "spn")),
    ("donor", Role("donor", "dnr")),
    ("donat", Role("donor", "dnr")),
    ("addressee", Role("addressee", "rcp")),
    ("recipient", Role("addressee", "rcp")),
    ("signer", Role("signer", "sgn")),
    ("signator", Role("signer", "sgn")),
    ("photograph", Role("photographer", "pht")),
    ("publish", Role("publisher", "pbl")),
    ("author", AUTHOR),
    ("writ", AUTHOR),
    ("creat", Role("creator", "cre")),
    ("contribut", CONTRIBUTOR),
)


@lru_cache(maxsize=256)
def relator(role: str | None) -> Role:
    """The MARC relator for a record role (``translator``, ``obtained by`` ...).

    No role means "contributor"; a role we do not know keeps its wording and no code.
    """
    wording = text(role)
    if not wording:
        return CONTRIBUTOR
    folded = wording.casefold()
    for needle, found in _RELATORS:
        if needle in folded:
            return found
    return Role(wording, None)


# Words that make a name a body (committee, embassy ...) rather than a person. The record
# keeps names as plain strings, so this is a heuristic; a person is the default.
_BODY = re.compile(
    r"\b(?:committee|ministry|embassy|consulate|legation|mission|council|party|department|"
    r"office|government|bureau|politburo|presidium|secretariat|commission|commissariat|"
    r"agency|academy|institute|university|archives?|union|congress|assembly|parliament|"
    r"majlis|front|army|command|headquarters|staff|directorate|administration|association|"
    r"federation|society|league|organi[sz]ation|corporation|company|bank|court|soviet|"
    r"cabinet|delegation|section|group|center|centre|foundation|program(?:me)?|"
    r"cc|cpsu|cpc|ccp|kgb|mgb|nkvd|mvd|nkgb|gru|tass|sed|swp|mfa|prc|dprk|ussr|gdr|urss)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1024)
def is_body(name: str) -> bool:
    """True when ``name`` looks like a corporate body (MARC 110/710, MODS corporate)."""
    return _BODY.search(name) is not None


@dataclass(frozen=True)
class Name:
    """A creator or contributor as the rich formats write it."""

    name: str
    role: Role
    corporate: bool


@per_record
def names(record: Record) -> tuple[Name, ...]:
    """Creators (as authors) then contributors (with their relators), empty names dropped."""
    out = [Name(n, AUTHOR, is_body(n)) for n in unique(record.creators)]
    for agent in record.contributors:
        cleaned = text(agent.name)
        if cleaned:
            out.append(Name(cleaned, relator(agent.role), is_body(cleaned)))
    return tuple(out)


# ---------------------------------------------------------------- notes and strings


def title(record: Record) -> str:
    """The title, or a devised ``[Untitled]`` when cleaning leaves nothing."""
    return text(record.title) or "[Untitled]"


def publishers(record: Record, ctx: CrosswalkContext) -> list[str]:
    """Who published the digital copy: the record's publisher, then this repository."""
    return unique([record.publisher, ctx.repository_name])


def sheets(ctx: CrosswalkContext) -> str | None:
    """The sheets of the unit the document occupies, as archives cite them (``ll. 9-15``)."""
    value = text(ctx.sheets)
    return f"ll. {value}" if value else None


def citation(record: Record, ctx: CrosswalkContext) -> str | None:
    """The reference as the source cited it; else the canonical one with the sheets."""
    cited = text(record.citation)
    if cited:
        return cited
    canonical = text(ctx.reference_canonical)
    if not canonical:
        return None
    leaves = sheets(ctx)
    return f"{canonical}, {leaves}" if leaves else canonical


@per_record
def hierarchy(ctx: CrosswalkContext) -> tuple[tuple[str, str], ...]:
    """The (label, value) levels fond > opis > delo with empty ones dropped."""
    return tuple((text(label), text(value)) for label, value in ctx.hierarchy if text(value))


def hierarchy_title(levels: tuple[tuple[str, str], ...]) -> str:
    """``Fond 1, Opis 89, Delo 112``."""
    return ", ".join(f"{label} {value}".strip() for label, value in levels)


@per_record
def full_text_note(record: Record) -> str | None:
    """A note that a transcription/translation exists; the text itself stays out.

    Full texts are too big for harvested metadata; the record page shows them.
    """
    parts: list[str | None] = []
    for body in record.text:
        if not text(body.content):
            continue
        language = languages.name(body.language) if body.language else None
        kind = text(body.kind) or "text"
        parts.append(f"{language} {kind}" if language else kind.capitalize())
    found = unique(parts)
    if not found:
        return None
    return "Full text available online: " + "; ".join(found) + "."


def funding_notes(record: Record) -> list[str]:
    """One sentence per funder, worded as the Digital Archive credits them."""
    if not record.funders:  # most records; every format asks
        return []
    return [f"Made possible with support from {f}." for f in unique(record.funders)]


Languages = tuple[tuple[str, ...], tuple[str, ...]]


@per_record
def _original_and_translated(record: Record) -> Languages:
    """The record's language codes split into the document's own and translation-only ones.

    ``language`` lists both (``ru``, ``en``); a language is translation-only when the record
    carries a translation in it and no transcription. MARC asks three times per record.
    """
    kinds = tuple((body.language, body.kind) for body in record.text)
    return _split_languages(tuple(record.language), kinds)


@lru_cache(maxsize=256)
def _split_languages(
    codes_given: tuple[str, ...], bodies: tuple[tuple[str | None, str], ...]
) -> Languages:
    # cached: records repeat a few combinations of languages
    codes = unique(codes_given)
    own = {languages.from_any(language) for language, kind in bodies if kind != "translation"}
    translated = (
        {languages.from_any(language) for language, kind in bodies if kind == "translation"}
        - own
        - {None}
    )
    original = [code for code in codes if languages.from_any(code) not in translated]
    if not original:
        return tuple(codes), ()
    return tuple(original), tuple(code for code in codes if code not in original)


def language_codes(record: Record) -> tuple[str, ...]:
    """ISO 639-2/B codes of the record's languages, the document's own first."""
    return _bibliographic(_original_and_translated(record))


@lru_cache(maxsize=256)
def _bibliographic(split: Languages) -> tuple[str, ...]:
    original, translated = split
    return tuple(unique([languages.to_bibliographic(code) for code in (*original, *translated)]))


def language_note(record: Record) -> str | None:
    """``In Russian, with English translation.`` (unknown codes as written)."""
    return _language_note(_original_and_translated(record))


@lru_cache(maxsize=256)
def _language_note(split: Languages) -> str | None:
    original, translated = split
    if not original:
        return None

    def spoken(codes: tuple[str, ...]) -> str:
        return and_list(unique([languages.name(code) or code for code in codes]))

    note = f"In {spoken(original)}"
    if translated:
        note += f", with {spoken(translated)} translation"
    return note + "."


def and_list(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)
