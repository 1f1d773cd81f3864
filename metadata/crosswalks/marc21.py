"""Record -> MARCXML (``marc21``), for catalogues that import MARC (Koha, Alma, FOLIO).

The record describes the original archival item (a letter inside a delo): leader and 008
say "manuscript language material, subunit of an archival unit, archival control"; the
archival unit is the host (773) and the shelf mark (852 $j); the online copy is a
reproduction (533, 007, 856 ind2=1). See docs/crosswalks.md for each choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from metadata.record import Record

from . import _fields
from ._xml import enclosed, escape, escaped, open_root, text, unique
from .context import CrosswalkContext

PREFIX = "marc21"
NAMESPACE = "http://www.loc.gov/MARC21/slim"
SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

# Leader: 05 n new, 06 t manuscript language material, 07 d subunit (m when the item has no
# archival host), 08 a archival control, 09 a Unicode, 17 7 minimal level, 18 c ISBD
# punctuation omitted. Lengths and base address are left 0: MARCXML carries no directory.
LEADER = "00000nt{level}aa22000007c 4500"
# 007 electronic resource, remote (the online copy the 856 links reach).
PHYSICAL = "cr |||||||||||"
# 008/00-05 "date entered on file": the record model has no creation date, and the
# output must not depend on the clock, so it is zero-filled.
ENTERED = "000000"

Subfields = Sequence[tuple[str, str | None]]
_OPEN = open_root("record", f' xmlns="{NAMESPACE}"', NAMESPACE, SCHEMA)


def _field(marc: list[str], tag: str, ind1: str, ind2: str, subfields: Subfields) -> None:
    """A datafield with the non-empty subfields given; nothing when all are empty.

    Tags, indicators and subfield codes are this module's constants: written as they are.
    """
    kept = ""
    for code, value in subfields:
        written = escaped(value)
        if written:
            kept += f'<subfield code="{code}">{written}</subfield>'
    if kept:
        marc.append(f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">{kept}</datafield>')


def _constant(tag: str, subfields: Subfields) -> str:
    """A datafield that is the same in every record, written once."""
    out: list[str] = []
    _field(out, tag, " ", " ", subfields)
    return "".join(out)


# 336-338: RDA content, media and carrier type of the original, a sheet of text
_RDA_TYPES = (
    _constant("336", [("a", "text"), ("b", "txt"), ("2", "rdacontent")])
    + _constant("337", [("a", "unmediated"), ("b", "n"), ("2", "rdamedia")])
    + _constant("338", [("a", "sheet"), ("b", "nb"), ("2", "rdacarrier")])
)


def _control(marc: list[str], tag: str, value: str) -> None:
    marc.append(f'<controlfield tag="{tag}">{escape(value)}</controlfield>')


_PHYSICAL = f'<controlfield tag="007">{PHYSICAL}</controlfield>'


def _repeated(tag: str, ind1: str, ind2: str) -> tuple[str, str]:
    """(start, end) of a datafield with one $a, for ``enclosed`` to put each value in."""
    start = f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}"><subfield code="a">'
    return start, "</subfield></datafield>"


_ORIGINAL_ELSEWHERE = _repeated("535", "2", " ")  # copies elsewhere
_FUNDING = _repeated("536", " ", " ")
_TERM = _repeated("655", " ", "4")  # genre/form
_SERIES = _repeated("830", " ", "0")  # collections


def _fixed_008(record: Record) -> str:
    """008 for books/manuscripts (leader/06 t): dates, no place, language."""
    dates = _fields.read_date(record.date)
    if dates is None or dates.start_year is None:
        kind, date1, date2 = "n", "uuuu", "uuuu"
    elif dates.end_year and dates.end_year != dates.start_year:
        kind, date1, date2 = "i", dates.start_year, dates.end_year
    else:
        kind, date1, date2 = "s", dates.start_year, "    "
    codes = _fields.language_codes(record)
    value = "".join(
        (
            ENTERED,  # 00-05 date entered on file
            kind + date1 + date2,  # 06-14 type of date, date 1, date 2
            "xx ",  # 15-17 place of production unknown
            "    ",  # 18-21 no illustrations
            " ",  # 22 target audience unknown
            " ",  # 23 form of item: the original, not a microform or online resource
            "    ",  # 24-27 no special nature of contents
            "|",  # 28 government publication: not coded
            "000",  # 29-31 not a conference publication, festschrift, no index
            " ",  # 32 undefined
            "0",  # 33 literary form: not fiction
            " ",  # 34 no biographical material
            codes[0] if codes else "und",  # 35-37 language of the document itself
            " ",  # 38 not modified
            "d",  # 39 cataloguing source: other
        )
    )
    if len(value) != 40:  # pragma: no cover - guards the table above
        raise ValueError(f"008 must be 40 characters: {value!r}")
    return value


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _dacs(value: str) -> str:
    """A W3CDTF date as archives write it (DACS 2.4): ``1946-04-20`` -> ``1946 April 20``."""
    year, _, rest = value.partition("-")
    month, _, day = rest.partition("-")
    words = [year, _MONTHS[int(month) - 1] if month else "", str(int(day)) if day else ""]
    return " ".join(word for word in words if word)


def _display_date(record: Record) -> str | None:
    """264 $c: the date in DACS form when it is W3CDTF, else as the record has it."""
    dates = _fields.read_date(record.date)
    if dates is None or dates.start is None:
        return dates.text if dates else None
    if dates.end is None:
        return _dacs(dates.start)
    return f"{_dacs(dates.start)}-{_dacs(dates.end)}"


def _nonfiling(title: str, language: str | None) -> str:
    """245 ind2: characters to skip for an initial English article."""
    if (language or "en").casefold().startswith("en"):
        for article in ("The ", "An ", "A "):
            if title.startswith(article):
                return str(len(article))
    return "0"


@lru_cache(maxsize=1024)
def _headings(tag: str, values: tuple[str, ...]) -> str:
    """650/651 for each subject or place; cached, as records repeat their subjects."""
    fields: list[str] = []
    for value in unique(values):
        _field(fields, tag, " ", "4", _heading(value))
    return "".join(fields)


def _heading(value: str) -> Subfields:
    """A subject string as $a plus $x for each ``--`` subdivision."""
    parts = [part.strip() for part in value.split("--") if part.strip()]
    return [("a", parts[0]), *(("x", part) for part in parts[1:])] if parts else []


def _name_field(marc: list[str], base: str, name: _fields.Name) -> None:
    """1XX/7XX for a person (x00, surname first) or body (x10), with relator $e/$4."""
    tag, ind1 = (f"{base}10", "2") if name.corporate else (f"{base}00", "1")
    marc.append(
        _common(tag, ind1, " ", (("a", name.name), ("e", name.role.term), ("4", name.role.code)))
    )


@lru_cache(maxsize=1024)
def _common(tag: str, ind1: str, ind2: str, subfields: tuple[tuple[str, str | None], ...]) -> str:
    """``_field`` for values that recur from record to record (names, languages, notes,
    rights), written once each."""
    out: list[str] = []
    _field(out, tag, ind1, ind2, subfields)
    return "".join(out)


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<record>`` element (MARC21 slim) for ``record``, UTF-8, no XML declaration."""
    marc = [_OPEN]
    levels = _fields.hierarchy(ctx)
    marc.append(f"<leader>{LEADER.format(level='d' if levels else 'm')}</leader>")
    marc.append(f'<controlfield tag="001">{escaped(ctx.oai_identifier)}</controlfield>')
    marc.append(_PHYSICAL)
    _control(marc, "008", _fixed_008(record))
    _field(marc, "024", "7", " ", [("a", ctx.oai_identifier), ("2", "uri")])
    codes = _fields.language_codes(record)
    if codes:
        marc.append(_common("041", "0", " ", tuple(("a", code) for code in codes)))
    people = _fields.names(record)
    main = people[0] if record.creators and people else None
    if main:
        _name_field(marc, "1", main)
    _description(marc, record, ctx, main is not None)
    _notes(marc, record, ctx)
    marc.append(_headings("650", tuple(record.subjects)))
    marc.append(_headings("651", tuple(record.places)))
    marc.append(enclosed(record.types, *_TERM))
    for name in people[1:] if main else people:
        _name_field(marc, "7", name)
    _location(marc, record, ctx, levels)
    marc.append("</record>")
    return "".join(marc).encode()


def _description(marc: list[str], record: Record, ctx: CrosswalkContext, has_main: bool) -> None:
    """245 title, 264 production date, 300 extent, 336-338 content/media/carrier."""
    title = _fields.title(record)
    ind2 = _nonfiling(title, record.title_language)
    _field(marc, "245", "1" if has_main else "0", ind2, [("a", title)])
    _field(marc, "264", " ", "0", [("c", _display_date(record))])
    leaves = _fields.sheets(ctx)
    _field(marc, "300", " ", " ", [("a", f"1 item ({leaves})" if leaves else "1 item")])
    marc.append(_RDA_TYPES)


def _notes(marc: list[str], record: Record, ctx: CrosswalkContext) -> None:
    """5XX: full-text, summary, citation, reproduction, copies, funding, rights, language."""
    marc.append(_common("500", " ", " ", (("a", _fields.full_text_note(record)),)))
    for description in record.description:
        _field(marc, "520", " ", " ", [("a", description.value)])
    _field(marc, "524", " ", " ", [("a", _fields.citation(record, ctx))])
    agencies = [("c", name) for name in _fields.publishers(record, ctx)]
    count = len(record.pages)
    images = f"{count} page image{'s' if count > 1 else ''}" if count else None
    reproduction = (("a", "Electronic reproduction."), *agencies, ("e", images))
    marc.append(_common("533", " ", " ", reproduction))
    marc.append(enclosed(ctx.alternates, *_ORIGINAL_ELSEWHERE))
    marc.append(enclosed(_fields.funding_notes(record), *_FUNDING))
    marc.append(_common("540", " ", " ", (("a", record.rights),)))
    marc.append(_common("546", " ", " ", (("a", _fields.language_note(record)),)))


def _location(
    marc: list[str], record: Record, ctx: CrosswalkContext, levels: tuple[tuple[str, str], ...]
) -> None:
    """773 archival host, 830 collections, 852 archive and shelf mark, 856 links."""
    archive = ctx.archive_name or ctx.archive_code
    leaves = _fields.sheets(ctx)
    if levels:
        host = _fields.hierarchy_title(levels)
        host_fields = [("a", archive), ("t", host), ("g", leaves), ("o", ctx.reference_canonical)]
        _field(marc, "773", "0", " ", host_fields)
    marc.append(enclosed(record.collections, *_SERIES))
    if text(ctx.reference_canonical) or text(archive):
        shelf = [("a", archive), ("j", ctx.reference_canonical), ("z", leaves)]
        _field(marc, "852", "4", " ", shelf)
    links: list[tuple[str, Subfields]] = []
    if text(ctx.record_url):
        links.append(("1", [("3", "Record page"), ("u", ctx.record_url), ("y", "View online")]))
    if text(ctx.manifest_url):
        manifest = [("3", "IIIF manifest"), ("u", ctx.manifest_url)]
        links.append(("1", [*manifest, ("q", "application/ld+json"), ("y", "IIIF manifest")]))
    if text(record.source.url):
        links.append(("2", [("3", "Source description"), ("u", record.source.url)]))
    links.extend(("2", [("3", "Collection"), ("u", url)]) for url in unique(ctx.collection_urls))
    for ind2, subfields in links:
        _field(marc, "856", "4", ind2, subfields)
