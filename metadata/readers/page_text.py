"""Reader for Digital Archive page text (History and Public Policy Program, Wilson Center).

The text is what a browser shows when the page is copied or crawled, in any of the
site's layouts: the current one (date, title, body, summary, Document Information),
staging renders with field labels, node pages without navigation, the pre-2022
layout whose Chicago-style citation block comes before the body, and copies cut
short part-way. A ``record.txt`` written in the same layout reads the same way.
Whatever a page lacks becomes a warning; only a text with no title is an error.
"""

from __future__ import annotations

import re

from metadata.readers.cleaning import clean_string, join_paragraphs, removal_warning, tidy_line
from metadata.readers.credits import is_prose, parse_credits, references_in_prose, split_source
from metadata.readers.dates import parse_display_date
from metadata.readers.languages import language_code, split_language_names
from metadata.readers.limits import DEFAULT_LIMITS, Limits, within_limits
from metadata.readers.names import invert_name
from metadata.readers.page_trailer import Trailer, heading_of, read_trailer, split_funders
from metadata.readers.result import ReaderError, ReadResult
from metadata.record import Agent, Record, Source, Text, TextBody

PUBLISHER = (
    "History and Public Policy Program Digital Archive, "
    "Woodrow Wilson International Center for Scholars"
)
# Cloudflare replaces the programme's address with this text in production crawls.
_OBFUSCATED_EMAIL = re.compile(r"\[email\s*protected\]", re.IGNORECASE)
_PROGRAM_EMAIL = "HAPP@wilsoncenter.org"
# Site navigation that is not part of the document (compared in lower case).
_NOISE = frozenset(
    {
        "skip to content",
        "search in",
        "digital archive international history declassified",
        "citation",
        "get citation",
        "share document",
        "citation share download",
        "english html",
        "view document in english html",
    }
)
_ENGLISH_VIEW = frozenset({"english html", "view document in english html"})
_FUNDER_LINE = re.compile(
    r"^This document was made possible with (?:the )?(?:generous )?support"
    r" (?:from|of)\s+(?P<who>.+)$",
    re.IGNORECASE,
)
_OLD_CITATION = re.compile(
    r"^[\"“](?P<title>.+?),[\"”]\s+(?P<date>.+?),\s+"
    r"History and Public Policy Program Digital Archive,\s*(?P<rest>.+)$"
)
# The old layout's citation sits in the page head; a quoted citation further down is text.
_OLD_CITATION_WITHIN = 40
_TRAILING_URL = re.compile(r"\s*(?P<url>https?://\S+?)\.?$")
_YEAR = re.compile(r"\b1[5-9]\d\d\b|\b20\d\d\b")
# A signature line: initials and a surname, optionally ``[signature] (M. ISKENDEROV)``.
_SIGNATURE = re.compile(
    r"^(?:(?i:\[signature\])\s*)?\(?"
    r"(?P<name>(?:[A-ZА-ЯЁ]\.\s?){1,3}[A-ZА-ЯЁ][A-Za-zА-Яа-яЁё'’\-]+)\)?$"
)
_ENGLISH_WORDS = frozenset(
    ["the", "and", "of", "to", "in", "that", "is", "was", "for", "with", "on"]
)


def read_page_text(text: str, *, limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Read one Digital Archive page text into a record.

    Raises ``ReaderError`` when no title can be found (empty input, or text that is
    not such a page) or when the record is over one of ``limits``; every other gap is
    a warning on the result.
    """
    return within_limits(_read_page_text(text), limits)


def _read_page_text(text: str) -> ReadResult:
    warnings: list[str] = []
    text, removed = clean_string(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    if removed:
        warnings.append(removal_warning("page text", removed))
    raw = text.split("\n")
    tidy = [tidy_line(line) for line in raw]
    if not any(tidy):
        raise ReaderError("empty text: there is no Digital Archive page to read")
    for number, line in enumerate(tidy[:_OLD_CITATION_WITHIN]):
        match = _OLD_CITATION.match(line)
        if match:
            return _read_old_layout(raw, tidy, number, match, warnings)
    return _read_current_layout(raw, tidy, warnings)


def _is_noise(line: str) -> bool:
    return line.strip("•·* ").lower() in _NOISE


def _content(tidy: list[str], start: int = 0, stop: int | None = None) -> list[int]:
    """Indexes of lines in [start, stop) that hold text and are not navigation."""
    stop = len(tidy) if stop is None else stop
    return [i for i in range(start, stop) if tidy[i] and not _is_noise(tidy[i])]


def _read_current_layout(raw: list[str], tidy: list[str], warnings: list[str]) -> ReadResult:
    content = _content(tidy)
    if not content:
        raise ReaderError("no title: the text holds only site navigation")
    date_at = _date_line(tidy, content)
    has_info = any(heading_of(line) == "document information" for line in tidy)
    if date_at is None:
        if not has_info:
            raise ReaderError(
                "not a Digital Archive page: no date line at the top (line "
                f"{content[0] + 1} reads {_quote(tidy[content[0]])}), no 'Document Information' "
                "block and no archival citation"
            )
        title_at = content[0]
        warnings.append("no date: the page has no date line above the title")
    else:
        skipped = [i for i in content if i < date_at]
        if skipped:
            warnings.append(
                f"ignored {len(skipped)} line(s) above the date line "
                f"(line {skipped[0] + 1}: {_quote(tidy[skipped[0]])})"
            )
        following = [i for i in content if i > date_at]
        if not following:
            raise ReaderError(f"no title: nothing follows the date line (line {date_at + 1})")
        title_at = following[0]
    if heading_of(tidy[title_at]):
        raise ReaderError(
            f"no title: line {title_at + 1} is the page's {_quote(tidy[title_at])} heading"
        )
    date_text = tidy[date_at] if date_at is not None else None
    body_start, funders = _funder_lines(tidy, title_at + 1)
    return _finish(raw, tidy, tidy[title_at], date_text, body_start, funders, None, warnings)


def _read_old_layout(
    raw: list[str], tidy: list[str], cite_at: int, match: re.Match[str], warnings: list[str]
) -> ReadResult:
    """The pre-2022 layout: summary and Chicago-style citation come before the body."""
    before = _content(tidy, 0, cite_at)
    date_text = next((tidy[i] for i in before if parse_display_date(tidy[i])), None)
    date_text = date_text or match["date"].strip()
    funders = [f for i in before for f in _funder_of(tidy[i])]
    marks = [
        i for i in range(cite_at) if tidy[i].strip("•·* ").lower() in ("citation", "get citation")
    ]
    start = marks[-1] + 1 if marks else 0
    summary = [
        tidy[i]
        for i in _content(tidy, start, cite_at)
        if not _funder_of(tidy[i]) and not parse_display_date(tidy[i])
    ]
    views = [i for i in range(cite_at + 1, len(tidy)) if tidy[i].lower() in _ENGLISH_VIEW]
    body_start = views[0] + 1 if views else cite_at + 1
    rest = match["rest"].strip()
    url_match = _TRAILING_URL.search(rest)
    url = url_match["url"] if url_match else None
    if url_match:
        rest = rest[: url_match.start()].strip()
    if not split_source(rest)[1]:
        rest = rest.rstrip(".").strip()  # the citation's own full stop, not the reference's
    return _finish(
        raw,
        tidy,
        match["title"].strip(),
        date_text,
        body_start,
        funders,
        " ".join(summary) or None,
        warnings,
        citation_source=rest,
        english_view=bool(views),
        url=url,
    )


def _finish(
    raw: list[str],
    tidy: list[str],
    title: str,
    date_text: str | None,
    body_start: int,
    funders: list[str],
    summary: str | None,
    warnings: list[str],
    *,
    citation_source: str | None = None,
    english_view: bool = False,
    url: str | None = None,
) -> ReadResult:
    """Body, summary and trailer, then the record; shared by both layouts."""
    trailer_at = next((i for i in range(body_start, len(tidy)) if heading_of(tidy[i])), None)
    body_end = len(tidy) if trailer_at is None else trailer_at
    body_idx = [i for i in range(body_start, body_end) if not _is_noise(tidy[i])]
    trailer = Trailer()
    if trailer_at is not None:
        trailer = read_trailer([line for line in tidy[trailer_at:] if line])
        filled = [i for i in body_idx if tidy[i]]
        if summary is None and filled and _looks_like_summary(tidy[filled[-1]]):
            summary = tidy[filled[-1]]
            body_idx = [i for i in body_idx if i < filled[-1]]
    if trailer.has_info_block and not trailer.info_lines:
        warnings.append("page cut short: nothing follows 'Document Information'")
    if not trailer.has_info_block:
        warnings.append(
            "page cut short: no Document Information block (the text may be incomplete)"
        )
    if summary is None:
        warnings.append("no description: the page has no one-sentence summary")
    body = join_paragraphs([raw[i] for i in body_idx])
    complete = trailer.has_info_block and summary is not None

    source_text = citation_source
    if source_text is None and trailer.source:
        source_text = " ".join(trailer.source)
    citation, contributors, extra = _citation_and_credits(source_text, trailer, warnings)
    date = _date(date_text, warnings)
    languages = _languages(trailer.languages, warnings)
    record = Record(
        title=title,
        citation=citation,
        date=date,
        description=tuple(Text(value, "en") for value in (summary, extra) if value),
        creators=_creators(trailer, body_idx, tidy, complete),
        contributors=contributors,
        language=languages,
        subjects=tuple(dict.fromkeys(trailer.subjects)),
        places=tuple(dict.fromkeys(trailer.places)),
        collections=tuple(dict.fromkeys(trailer.collections)),
        types=tuple(dict.fromkeys(trailer.types)),
        publisher=PUBLISHER,
        rights=_rights(trailer, warnings),
        funders=tuple(dict.fromkeys([*funders, *trailer.funders])),
        text=_text_body(body, contributors, languages, english_view, warnings),
        source=Source(id=trailer.record_id[0] if trailer.record_id else _id_of(url), url=url),
    )
    for value in trailer.uploaded:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            warnings.append(f"page cut short in Document Information (upload date reads {value!r})")
    for value in trailer.archive:
        warnings.append(
            f"Original Archive {_quote(value)} not kept: the record has no field for it"
        )
    for value in trailer.unread:
        warnings.append(f"unrecognised line in Document Information: {_quote(value)}")
    return ReadResult(record, tuple(dict.fromkeys(warnings)))


def _funder_of(line: str) -> list[str]:
    match = _FUNDER_LINE.match(line)
    return split_funders(match["who"]) if match else []


def _funder_lines(tidy: list[str], start: int) -> tuple[int, list[str]]:
    """Funder sentences right under the title; returns where the body starts and the funders."""
    funders: list[str] = []
    position = start
    for i in _content(tidy, start):
        found = _funder_of(tidy[i])
        if not found:
            break
        funders.extend(found)
        position = i + 1
    return position, funders


def _date_line(tidy: list[str], content: list[int]) -> int | None:
    """Index of the date line that opens the page, or None.

    Node pages may put a teaser paragraph (another document's summary) above it; a
    short line above it would be the title of a page without a date, so not skipped.
    """
    for position, i in enumerate(content[:3]):
        line = tidy[i]
        if parse_display_date(line) or (position == 0 and _looks_like_date(line)):
            return i
        if len(line.split()) < 8:
            return None
    return None


def _looks_like_date(line: str) -> bool:
    """A short line with a year in it: a date the parser does not understand."""
    return bool(_YEAR.search(line)) and len(line.split()) <= 6


def _looks_like_summary(line: str) -> bool:
    """The summary is a sentence, not a date, signature or closing formula line."""
    return len(line.split()) >= 5 and parse_display_date(line) is None


def _date(date_text: str | None, warnings: list[str]) -> str | None:
    if date_text is None:
        return None
    date = parse_display_date(date_text)
    if date is None:
        warnings.append(f"no date: the date line {_quote(date_text)} is not understood")
    return date


def _citation_and_credits(
    source: str | None, trailer: Trailer, warnings: list[str]
) -> tuple[str | None, tuple[Agent, ...], str | None]:
    """(citation, contributors, provenance prose kept as a second description)."""
    if not source:
        if not trailer.has_info_block:
            why = "cut short before 'Document Information'"
        elif not trailer.info_lines:
            why = "cut short at 'Document Information'"
        elif trailer.source_labelled:
            why = "the Source label has no value in this copy"
        else:
            why = "no Source line in Document Information"
        warnings.append(f"no archival citation on the page ({why})")
        return None, (), None
    reference, credits = split_source(source)
    contributors, leftovers = parse_credits(credits)
    for leftover in leftovers:
        warnings.append(f"credits not understood: {_quote(leftover)}")
    if reference and is_prose(reference):
        found = references_in_prose(reference)
        if found:
            warnings.append(
                "the Source is prose: citation taken from it, "
                "the prose kept as a second description"
            )
            return "; ".join(found), contributors, reference
        warnings.append(
            "no archival citation on the page (the Source is prose without a reference)"
        )
        return None, contributors, reference
    if not reference:
        warnings.append("no archival citation on the page (the Source holds only credits)")
    return reference or None, contributors, None


def _languages(names: list[str], warnings: list[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for line in names:
        for name in split_language_names(line):
            code = language_code(name)
            if code is None:
                warnings.append(f"language {_quote(name)} not understood; left out")
            else:
                codes.append(code)
    return tuple(dict.fromkeys(codes))


def _rights(trailer: Trailer, warnings: list[str]) -> str | None:
    if not trailer.rights:
        warnings.append("no rights statement on the page")
        return None
    rights = _OBFUSCATED_EMAIL.sub(_PROGRAM_EMAIL, "\n\n".join(trailer.rights))
    if not rights.endswith((".", "!", "?", ")", '"', "”")):
        warnings.append("rights text cut short")
    return rights


def _creators(
    trailer: Trailer, body_idx: list[int], tidy: list[str], complete: bool
) -> tuple[str, ...]:
    """Authors from ``Author(s):`` when given, else the signature lines closing the text.

    Signatures are only read from a complete page: on a copy cut short the last
    lines seen are not the closing ones.
    """
    if trailer.authors:
        names = [n.strip() for line in trailer.authors for n in line.split(";") if n.strip()]
        return tuple(dict.fromkeys(invert_name(n) for n in names))
    if not complete:
        return ()
    lines = [tidy[i] for i in body_idx if tidy[i]]
    last_long = max((n for n, line in enumerate(lines) if len(line.split()) >= 8), default=-1)
    names = []
    for line in lines[last_long + 1 :]:
        match = _SIGNATURE.match(line)
        if match:
            names.append(invert_name(_title_case_surname(match["name"])))
    return tuple(dict.fromkeys(names))


def _title_case_surname(name: str) -> str:
    """``M. ISKENDEROV`` -> ``M. Iskenderov``: typed signatures often capitalise the surname."""
    *initials, surname = name.replace(".", ". ").split()
    if surname.isupper() and len(surname) > 1:
        surname = "-".join(part.capitalize() for part in surname.split("-"))
    return " ".join([*initials, surname])


def _text_body(
    body: str,
    contributors: tuple[Agent, ...],
    languages: tuple[str, ...],
    english_view: bool,
    warnings: list[str],
) -> tuple[TextBody, ...]:
    """The page's document text: the English translation, or a transcription."""
    if not body:
        warnings.append("no document text on the page")
        return ()
    translated = english_view or any(a.role == "translator" for a in contributors)
    if _looks_english(body):
        if not translated and languages and set(languages) == {"en"}:
            return (TextBody(body, "en", "transcription"),)
        return (TextBody(body, "en", "translation"),)
    language = languages[0] if len(languages) == 1 else None
    if language is None:
        warnings.append("the document text is not in English and its language is not given")
    return (TextBody(body, language, "transcription"),)


def _looks_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if c.isascii()) / len(letters)
    words = re.findall(r"[a-z]+", text.lower())
    common = sum(1 for w in words if w in _ENGLISH_WORDS)
    return latin >= 0.85 and common >= min(3, max(1, len(words) // 10))


def _id_of(url: str | None) -> str | None:
    match = re.search(r"/document/(\d+)(?:[/?#]|$)", url or "")
    return match[1] if match else None


def _quote(value: str, limit: int = 60) -> str:
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"'{value}'"
