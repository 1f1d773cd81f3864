"""Reader for JSON records: one object, an array of objects, or JSON Lines.

The field names are part of Opis's public contract (DESIGN.md, docs/json-records.md).
Validation is strict and every failure names the record, its line and the field, so a
user can fix the input without guessing. One bad record never hides the good ones:
``read_json_records`` returns a ``ReadResult`` or a ``ReaderError`` per record, in
input order, and ingest stores the good ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from metadata.errors import RecordError
from metadata.readers.cleaning import clean_string, removal_warning
from metadata.readers.dates import validate_iso_date
from metadata.readers.languages import language_code
from metadata.readers.limits import DEFAULT_LIMITS, Limits, record_problems
from metadata.readers.names import invert_name, is_inverted, looks_like_organisation
from metadata.readers.result import ReaderError, ReadResult
from metadata.record import TEXT_KINDS, Agent, Page, Record, Reference, Source, Text, TextBody
from metadata.references import document_key, locator
from metadata.references.keys import ARCHIVE_CODE
from metadata.references.levels import ABBREVIATION

FIELDS = (
    "reference",
    "title",
    "date",
    "description",
    "creators",
    "contributors",
    "language",
    "subjects",
    "places",
    "collections",
    "types",
    "type",
    "publisher",
    "rights",
    "funders",
    "text",
    "source",
    "pages",
)
_NAME_ROLE = 'an object {"name", "role"}'
_TEXT_OBJECT = 'an object {"language", "kind", "content"}'
_PAGE_OBJECT = 'an object {"image", "label"}'
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# What moves the nesting depth: brackets, commas, and the quotes that open strings;
# _STRING_REST is the rest of a string (possessive, so a broken one fails in linear time).
_STRUCTURE = re.compile(r'["\[\]{},]')
_STRING_REST = re.compile(r'(?:[^"\\]++|\\.)*+"', re.DOTALL)
# A record is three levels deep (record, "text" list, text object). When the decoder gives
# up on deeper nesting (RecursionError), the records are taken apart without recursion,
# and each one nested deeper than this is refused on its own.
MAX_DEPTH = 64
_TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep; a record is at most 3 levels deep"
_URL = re.compile(r"https?://[^\s/]+\S*")


class _Object(dict[str, Any]):
    """A JSON object that remembers keys given more than once (json keeps the last)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated: list[str] = []
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        obj.duplicates = tuple(repeated)
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs)


def read_json_records(
    text: str, *, limits: Limits = DEFAULT_LIMITS
) -> list[ReadResult | ReaderError]:
    """Read every record in ``text``; one entry per record, in input order.

    Each entry is a ``ReadResult`` or, for a record that cannot be used, a
    ``ReaderError`` saying which record (position and line) and why. A problem
    with the whole input (empty, malformed JSON that is not JSON Lines, a top level
    that is neither object nor array) is returned as a single ``ReaderError``.
    A record over one of ``limits`` is a ``ReaderError`` naming the limit.
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [ReaderError("no JSON records in the input: it is empty")]
    start = _skip_whitespace(text, 0)
    try:
        data, end = _DECODER.raw_decode(text, start)
        if text[end:].strip():
            raise json.JSONDecodeError("Extra data", text, _skip_whitespace(text, end))
    except json.JSONDecodeError as error:
        if _is_json_lines(text):
            return _read_lines(text, limits)
        return [
            ReaderError(
                f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                line=error.lineno,
            )
        ]
    except RecursionError:
        return _read_deep(text, start, limits)
    if isinstance(data, dict):
        return [_read_record(data, 1, _line_at(text, start), limits)]
    if isinstance(data, list):
        try:
            lines = _element_lines(text)
        except RecursionError:  # decoded whole, but not element by element this deep
            return _read_deep(text, start, limits)
        return [
            _read_record(item, number, line, limits)
            for number, (item, line) in enumerate(zip(data, lines, strict=True), 1)
        ]
    return [
        ReaderError(
            f"the input must be a JSON object, an array of objects or JSON Lines, not {_kind(data)}"
        )
    ]


def _read_deep(text: str, start: int, limits: Limits) -> list[ReadResult | ReaderError]:
    """Input too deeply nested for the decoder: each record on its own, the deep ones refused.

    Only a top-level array is taken apart (element by element, without recursion); a
    single object or JSON Lines have one record per object or line anyway.
    """
    if _is_json_lines(text):
        return _read_lines(text, limits)
    if text[start] != "[":
        return [_too_deep(1, _line_at(text, start))]
    out: list[ReadResult | ReaderError] = []
    for number, (first, depth) in enumerate(_elements(text, start), 1):
        line = _line_at(text, first)
        if depth > MAX_DEPTH:
            out.append(_too_deep(number, line))
            continue
        try:
            item, _ = _DECODER.raw_decode(text, first)
        except json.JSONDecodeError as error:
            return [
                ReaderError(
                    f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                    line=error.lineno,
                )
            ]
        except RecursionError:
            out.append(_too_deep(number, line))
            continue
        out.append(_read_record(item, number, line, limits))
    if not out:
        return [ReaderError(f"malformed JSON at line {_line_at(text, start)}: {_TOO_DEEP}")]
    return out


def _elements(text: str, start: int) -> Iterator[tuple[int, int]]:
    """(start, nesting depth) of each element of the array that opens at ``start``.

    A linear scan that never recurses: strings are skipped whole, brackets counted. An
    element that never closes runs to the end of the text.
    """
    depth, deepest, first, position = 0, 0, start, start
    while (match := _STRUCTURE.search(text, position)) is not None:
        token, position = match.group(), match.end()
        if token == '"':
            string = _STRING_REST.match(text, position)
            if string is None:  # never closed: the rest is one broken element
                break
            position = string.end()
        elif token in "[{":
            depth += 1
            if depth == 1:
                first, deepest = _skip_whitespace(text, position), 0
            deepest = max(deepest, depth - 1)
        elif token in "]}":
            depth -= 1
            if depth == 0:
                if first < match.start():
                    yield first, deepest
                return
        elif depth == 1:  # a comma between elements
            yield first, deepest
            first, deepest = _skip_whitespace(text, position), 0
    if depth >= 1 and first < len(text):
        yield first, deepest


def _too_deep(number: int, line: int) -> ReaderError:
    return ReaderError(
        f"record {number} (line {line}): {_TOO_DEEP}",
        record=number,
        line=line,
        problems=(_TOO_DEEP,),
    )


def _skip_whitespace(text: str, position: int) -> int:
    """Where the JSON whitespace starting at ``position`` ends."""
    match = _WHITESPACE.match(text, position)
    assert match is not None  # the pattern also matches no whitespace at all
    return match.end()


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _element_lines(text: str) -> list[int]:
    """The line each element of a top-level JSON array starts on."""
    position = _skip_whitespace(text, 0) + 1  # past "["
    lines: list[int] = []
    while True:
        position = _skip_whitespace(text, position)
        if text[position] == "]":
            return lines
        lines.append(_line_at(text, position))
        _, position = _DECODER.raw_decode(text, position)
        position = _skip_whitespace(text, position)
        if text[position] == ",":
            position += 1


def _is_json_lines(text: str) -> bool:
    """Several lines, and the first (or most) of them a JSON object on its own."""
    lines = [line for line in _lines(text) if line.strip()]
    if len(lines) < 2:
        return False
    if isinstance(_try_parse(lines[0]), dict):
        return True
    return sum(isinstance(_try_parse(line), dict) for line in lines) * 2 >= len(lines)


def _lines(text: str) -> list[str]:
    """Lines split at LF only: U+2028 and friends are legal inside JSON strings."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _try_parse(line: str) -> Any:
    try:
        return _DECODER.decode(line)
    except (json.JSONDecodeError, RecursionError):
        return None


def _read_lines(text: str, limits: Limits) -> list[ReadResult | ReaderError]:
    return list(iter_json_lines(_lines(text), limits=limits))


class JsonLine(NamedTuple):
    """One non-blank line of JSON Lines, decoded and not yet parsed, with its place."""

    text: str
    record: int  # its record number: blank lines do not count
    line: int


def json_lines(lines: Iterable[str | bytes]) -> Iterator[JsonLine | ReaderError]:
    """The non-blank lines of JSON Lines, each with its record and line numbers, or a
    ``ReaderError`` for a line that is not UTF-8: cheap, so that a caller can hand
    the parsing (``read_json_line``) elsewhere, in the numbering this gives.

    Lines may be given as bytes (a file opened in binary): each is decoded as UTF-8 on
    its own, so a line that is not UTF-8 fails alone. A byte-order mark before the first
    line is ignored.
    """
    number = 0
    for line_number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                number += 1
                message = (
                    f"not UTF-8: the line's byte {error.start + 1} is 0x{raw[error.start]:02X}"
                )
                yield ReaderError(
                    f"record {number} (line {line_number}): {message}",
                    record=number,
                    line=line_number,
                    problems=(message,),
                )
                continue
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        number += 1
        yield JsonLine(line, number, line_number)


def read_json_line(line: JsonLine, limits: Limits = DEFAULT_LIMITS) -> ReadResult | ReaderError:
    """One line that ``json_lines`` gave, parsed and checked as a record."""
    where = f"record {line.record} (line {line.line})"
    try:
        data = _DECODER.decode(line.text)
    except json.JSONDecodeError as error:
        message = f"malformed JSON at column {error.colno}: {error.msg}"
        return ReaderError(
            f"{where}: {message}", record=line.record, line=line.line, problems=(message,)
        )
    except RecursionError:
        return _too_deep(line.record, line.line)
    return _read_record(data, line.record, line.line, limits)


def iter_json_lines(
    lines: Iterable[str | bytes], *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[ReadResult | ReaderError]:
    """JSON Lines one record at a time, so a large file never sits in memory whole
    (see ``json_lines`` for how lines are read)."""
    for item in json_lines(lines):
        yield item if isinstance(item, ReaderError) else read_json_line(item, limits)


def _read_record(data: Any, number: int, line: int, limits: Limits) -> ReadResult | ReaderError:
    where = f"record {number} (line {line})"
    if not isinstance(data, dict):
        message = f"must be a JSON object, not {_kind(data)}"
        return ReaderError(f"{where}: {message}", record=number, line=line, problems=(message,))
    check = _Checker()
    record = check.record(data)
    problems = check.problems
    if record is not None and not problems:
        problems = record_problems(record, limits)
    elif record is None and not problems:  # cannot happen; never let it pass silently
        problems = ["cannot be read as a record"]
    if problems or record is None:
        return ReaderError(
            f"{where}: " + "; ".join(problems),
            record=number,
            line=line,
            problems=tuple(problems),
        )
    return ReadResult(record, tuple(check.warnings))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "a list"
    return "an object"


class _Checker:
    """Validates one record's fields, collecting every problem rather than the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(f'"{name}" {message}')

    # -- field shapes -------------------------------------------------------

    def string(self, name: str, value: Any, *, required: bool = False) -> str | None:
        """A non-empty string, cleaned; None (and maybe a problem) otherwise."""
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            if isinstance(value, str) and not required:
                self.warnings.append(f'"{name}" is empty; ignored')
                return None
            self.fail(name, f"must be a non-empty string, not {_kind(value)}")
            return None
        cleaned, removed = clean_string(value.strip())
        cleaned = cleaned.strip()
        if not cleaned and required:
            shown = ", ".join(dict.fromkeys(removed))
            what = f"only characters XML 1.0 forbids ({shown})" if removed else "an empty string"
            self.fail(name, f"must be a non-empty string, not {what}")
            return None
        if removed:
            self.warnings.append(removal_warning(f'"{name}"', removed))
        return cleaned or None

    def strings(self, name: str, value: Any, *, single: bool = False) -> list[str]:
        """A list of non-empty strings (or one string where ``single`` allows it)."""
        if value is None:
            return []
        if single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            shape = "a string or a list of strings" if single else "a list of strings"
            self.fail(name, f"must be {shape}, not {_kind(value)}")
            return []
        out = [self.string(f"{name}[{i}]", item, required=True) for i, item in enumerate(value)]
        return [s for s in out if s is not None]

    def keys(self, name: str, obj: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in obj:
            if key not in allowed:
                self.warnings.append(f'unknown field "{name}.{key}" ignored')
        for key in getattr(obj, "duplicates", ()):
            self.fail(f"{name}.{key}" if name else key, "is given more than once")

    def language(self, name: str, value: str) -> str | None:
        code = language_code(value)
        if code is None:
            self.fail(name, f'{value!r} is not a language code (ISO 639, e.g. "ru") or name')
        elif code != value:
            self.warnings.append(f'"{name}" {value!r} stored as {code!r}')
        return code

    # -- the record ---------------------------------------------------------

    def record(self, data: dict[str, Any]) -> Record | None:
        for key in data:
            if key not in FIELDS:
                self.warnings.append(f'unknown field "{key}" ignored')
        for key in getattr(data, "duplicates", ()):
            self.fail(key, "is given more than once")
        types_field = "type" if data.get("types") is None and "type" in data else "types"
        if data.get("types") is not None and data.get("type") is not None:
            self.fail("type", 'and "types" are both given; use one')
        structured = None
        if isinstance(data.get("reference"), dict):
            structured = self.structured_reference(data["reference"])
            reference = locator(structured) if structured else None
        else:
            reference = self.string("reference", data.get("reference"), required=True)
        title = self.string("title", data.get("title"), required=True)
        fields: dict[str, Any] = {
            "date": self.date(data.get("date")),
            "description": self.description(data.get("description")),
            "creators": tuple(self.names("creators", data.get("creators"))),
            "contributors": self.contributors(data.get("contributors")),
            "language": tuple(
                code
                for i, v in enumerate(self.strings("language", data.get("language"), single=True))
                if (code := self.language(f"language[{i}]", v))
            ),
            "subjects": tuple(self.strings("subjects", data.get("subjects"))),
            "places": tuple(self.strings("places", data.get("places"))),
            "collections": tuple(self.strings("collections", data.get("collections"))),
            "types": tuple(self.strings(types_field, data.get(types_field), single=True)),
            "publisher": self.string("publisher", data.get("publisher")),
            "rights": self.string("rights", data.get("rights")),
            "funders": tuple(self.strings("funders", data.get("funders"))),
            "text": self.text(data.get("text")),
            "source": self.source(data.get("source")),
            "pages": self.pages(data.get("pages")),
        }
        if self.problems or reference is None or title is None:
            return None
        return Record(title=title, citation=reference, reference=structured, **fields)

    def structured_reference(self, value: dict[str, Any]) -> Reference | None:
        """``{"archive", "levels": [[name, value], ...], "pages"}``: used as given, so a
        source that already knows its tree is keyed exactly as it says, never re-parsed."""
        self.keys("reference", value, ("archive", "levels", "pages"))
        archive = self.string("reference.archive", value.get("archive"), required=True)
        if archive is not None and not ARCHIVE_CODE.fullmatch(archive):
            self.fail("reference.archive", f"{archive!r} is not a code (A-Z, 0-9 and hyphens)")
            archive = None
        raw_levels = value.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            self.fail(
                "reference.levels",
                f"must be a non-empty list of [name, value] pairs, not {_kind(raw_levels)}",
            )
            return None
        levels: list[tuple[str, str]] = []
        for i, pair in enumerate(raw_levels):
            name = f"reference.levels[{i}]"
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail(name, f"must be a [name, value] pair, not {_kind(pair)}")
                continue
            level = self.string(f"{name}[0]", pair[0], required=True)
            text = self.string(f"{name}[1]", pair[1], required=True)
            if level is not None and level not in ABBREVIATION:
                known = ", ".join(sorted(ABBREVIATION))
                self.fail(f"{name}[0]", f"{level!r} is not a level name Opis knows ({known})")
            elif level is not None and text is not None:
                levels.append((level, text))
        pages = self.string("reference.pages", value.get("pages"))
        if archive is None or len(levels) != len(raw_levels):
            return None
        reference = Reference(archive, tuple(levels), pages)
        try:
            document_key(reference)
        except RecordError as exc:
            self.fail("reference", str(exc))
            return None
        return reference

    def date(self, value: Any) -> str | None:
        date = self.string("date", value)
        if date is None:
            return None
        reason = validate_iso_date(date)
        if reason:
            self.fail("date", f"must be YYYY, YYYY-MM, YYYY-MM-DD or a range A/B: {reason}")
            return None
        return date

    def description(self, value: Any) -> tuple[Text, ...]:
        if value is None:
            return ()
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list):
            self.fail("description", f"must be a string or a list of strings, not {_kind(value)}")
            return ()
        out: list[Text] = []
        for i, item in enumerate(value):
            name = f"description[{i}]"
            if isinstance(item, dict):
                self.keys(name, item, ("value", "language"))
                text = self.string(f"{name}.value", item.get("value"), required=True)
                lang = self.string(f"{name}.language", item.get("language"))
                lang = self.language(f"{name}.language", lang) if lang else None
            else:
                text, lang = self.string(name, item, required=True), None
            if text:
                out.append(Text(text, lang))
        return tuple(out)

    def names(self, name: str, value: Any) -> list[str]:
        names = self.strings(name, value)
        for i, person in enumerate(names):
            self._name_form(f"{name}[{i}]", person)
        return names

    def _name_form(self, name: str, person: str) -> None:
        """Names are kept as given; a reading-order personal name gets a hint."""
        if is_inverted(person) or looks_like_organisation(person) or " " not in person:
            return
        self.warnings.append(
            f'"{name}" {person!r} is not in "Surname, Forenames" form; kept as given '
            f"(inverted it would read {invert_name(person)!r})"
        )

    def contributors(self, value: Any) -> tuple[Agent, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("contributors", f"must be a list, not {_kind(value)}")
            return ()
        out: list[Agent] = []
        for i, item in enumerate(value):
            name = f"contributors[{i}]"
            if isinstance(item, str):
                person = self.string(name, item, required=True)
                role = None
            elif isinstance(item, dict):
                self.keys(name, item, ("name", "role"))
                person = self.string(f"{name}.name", item.get("name"), required=True)
                role = self.string(f"{name}.role", item.get("role"))
            else:
                self.fail(name, f"must be a string or {_NAME_ROLE}, not {_kind(item)}")
                continue
            if person:
                self._name_form(name, person)
                out.append(Agent(person, role))
        return tuple(out)

    def text(self, value: Any) -> tuple[TextBody, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("text", f"must be a list of objects, not {_kind(value)}")
            return ()
        out: list[TextBody] = []
        for i, item in enumerate(value):
            name = f"text[{i}]"
            if not isinstance(item, dict):
                self.fail(name, f"must be {_TEXT_OBJECT}, not {_kind(item)}")
                continue
            self.keys(name, item, ("language", "kind", "content"))
            content = self.string(f"{name}.content", item.get("content"), required=True)
            kind = self.string(f"{name}.kind", item.get("kind"), required=True)
            if kind is not None and kind not in TEXT_KINDS:
                self.fail(f"{name}.kind", f"must be one of {', '.join(TEXT_KINDS)}, not {kind!r}")
                kind = None
            lang = self.string(f"{name}.language", item.get("language"))
            lang = self.language(f"{name}.language", lang) if lang else None
            if content and kind:
                out.append(TextBody(content, lang, kind))
        return tuple(out)

    def source(self, value: Any) -> Source:
        if value is None:
            return Source()
        if not isinstance(value, dict):
            self.fail("source", f'must be an object {{"id", "url"}}, not {_kind(value)}')
            return Source()
        self.keys("source", value, ("id", "url"))
        ident = value.get("id")
        if isinstance(ident, int) and not isinstance(ident, bool):
            ident = str(ident)
        ident = self.string("source.id", ident)
        url = self.string("source.url", value.get("url"))
        if url is not None and not _URL.fullmatch(url):
            self.fail("source.url", f"must be an absolute http(s) URL, not {url!r}")
            url = None
        return Source(ident, url)

    def pages(self, value: Any) -> tuple[Page, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("pages", f"must be a list, not {_kind(value)}")
            return ()
        out: list[Page] = []
        for i, item in enumerate(value):
            name = f"pages[{i}]"
            if isinstance(item, str):
                image, label = self.string(name, item, required=True), None
            elif isinstance(item, dict):
                self.keys(name, item, ("image", "label"))
                image = self.string(f"{name}.image", item.get("image"), required=True)
                label = self.string(f"{name}.label", item.get("label"))
            else:
                self.fail(name, f"must be a file name or {_PAGE_OBJECT}, not {_kind(item)}")
                continue
            if image:
                out.append(Page(image, label))
        return tuple(out)
