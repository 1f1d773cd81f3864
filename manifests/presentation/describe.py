"""The descriptive part of a manifest: label, metadata pairs, summary, citation, navDate.

``metadata`` is for display only (P3 §3.1), in a fixed order a reader of archival
references expects: the reference as the source cited it, its canonical form, the
archive spelled out, each level of the hierarchy, the sheets, then date, people and
language. Interface wording is English; values keep their own language or ``none``.

Every string taken from the record goes through ``markup``: labels can never hold a
tag, and values that a viewer would read as HTML are published as escaped text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from metadata import languages
from metadata.record import Record
from metadata.references import archive_name, canonical, level_label, locator
from metadata.references.sheets import is_single

from .language import LanguageMap, en, grouped, has_cyrillic, plain, text_map
from .markup import safe_label, safe_value

Pair = dict[str, LanguageMap]

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def label(record: Record) -> LanguageMap:
    """The title in the language the record gives for it (script-tagged when it gives none)."""
    return safe_label(text_map(record.title or "[Untitled]", record.title_language))


def metadata_pairs(record: Record) -> list[Pair]:
    """Label/value pairs; a label may come from the record too (a contributor's role)."""
    return [
        {"label": safe_label(en(name)), "value": safe_value(value)}
        for name, value in _pairs(record)
    ]


def _pairs(record: Record) -> Iterator[tuple[str, LanguageMap]]:
    ref = record.reference
    if record.citation:
        yield "Reference", text_map(record.citation)
    if ref is not None and ref.archive:
        written = locator(ref)
        if written:
            yield "Canonical reference", plain(written)
        full = archive_name(ref.archive)
        yield "Archive", en(f"{full} ({ref.archive})") if full else plain(ref.archive)
        for name, value in ref.levels:
            yield level_label(name), text_map(value)
        if ref.pages:
            yield "Sheets", text_map(f"{'l.' if is_single(ref.pages) else 'll.'} {ref.pages}")
    for alternate in record.alternates:
        text = canonical(alternate)
        if text:
            yield "Also cited as", plain(text)
    if record.date:
        yield "Date", plain(record.date)
    if record.creators:
        yield "Creator", plain(*record.creators)
    for role, names in _by_role(record):
        yield role, plain(*names)
    if record.language:
        named = [languages.name(code) or code for code in record.language]
        yield "Language", en(*named)
    if record.subjects:
        yield "Subject", text_map_many(record.subjects)
    if record.places:
        yield "Place", text_map_many(record.places)
    if record.publisher:
        yield "Publisher", en(record.publisher)
    if record.source.url:
        yield "Source", plain(record.source.url)
    if record.rights:
        yield "Rights", en(record.rights)


def text_map_many(texts: tuple[str, ...]) -> LanguageMap:
    """Several strings with no stated language; Cyrillic ones are taken as Russian."""
    return grouped((t, "ru" if has_cyrillic(t) else None) for t in texts)


def _by_role(record: Record) -> list[tuple[str, list[str]]]:
    roles: dict[str, list[str]] = {}
    for agent in record.contributors:
        if agent.name:
            role = (agent.role or "contributor").strip()
            roles.setdefault(role[:1].upper() + role[1:], []).append(agent.name)
    return list(roles.items())


def summary(record: Record) -> LanguageMap | None:
    found = grouped((t.value, t.language) for t in record.description)
    return safe_value(found) if found else None


def required_statement(record: Record, repository_name: str) -> Pair:
    """The citation a reader must give, with who obtained, translated and published it."""
    parts = []
    cited = record.citation or (locator(record.reference) if record.reference else None)
    if cited:
        parts.append(cited.rstrip("."))
    credits = "; ".join(f"{role}: {', '.join(names)}" for role, names in _by_role(record))
    if credits:
        parts.append(credits)
    if record.publisher:
        parts.append(record.publisher.rstrip("."))
    parts.append(f"Digital copy: {repository_name}")
    return {"label": en("Attribution"), "value": safe_value(en(". ".join(parts) + "."))}


def nav_date(value: str | None) -> str | None:
    """``YYYY-MM-DDT00:00:00Z`` from the record date (its first day, for partial dates)."""
    if not value:
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        first = date(year, month, day)
    except ValueError:
        return None
    return f"{first.isoformat()}T00:00:00Z"
