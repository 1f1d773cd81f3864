"""Canonical strings, keys and OAI setSpecs of a reference, and their inverses.

Key grammar (fixed by the project): ``ARCHIVE ("/" abbr "." value)*``, then optionally
one sheets segment ``l.<one sheet>`` or ``ll.<range or list>``. Values are
percent-encoded (UTF-8, upper-case hex) for every character outside ``A-Za-z0-9-_.~``;
a segment splits at its first dot. Exactly one key spells each reference, so
``parse_key`` refuses any other spelling (lower-case hex, needless escapes, ``l.`` for
a range). A setSpec joins the segments with ``:`` and writes ``%XX`` as ``~XX`` and a
literal ``~`` as ``~7E``, which keeps it inside OAI-PMH's setSpec alphabet and reversible.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from metadata.errors import UnkeyableReference
from metadata.record import Reference
from metadata.references.archives import archive
from metadata.references.levels import ABBREVIATION, DOC, LEVEL_OF, SHEET, SHEETS
from metadata.references.sheets import is_single

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
ARCHIVE_CODE = _CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")  # the first segment of every key
_ENCODED = re.compile(r"(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})+")
_PLAIN = re.compile(r"[A-Za-z0-9\-_.~]*")  # exactly the unreserved characters
_ABBR = re.compile(r"[a-z]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
_TILDE = re.compile(r"~([0-9A-F]{2})")
# A key _check_segments accepts that has no percent-encoded value, in one regex
_PLAIN_KEY = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*(?:/[a-z]+\.[A-Za-z0-9\-_.~]+)*")


# --- values --------------------------------------------------------------------------------


def encode_value(value: str) -> str:
    """Percent-encode everything outside ``A-Za-z0-9-_.~`` as UTF-8."""
    if _PLAIN.fullmatch(value):  # most values (``112``, ``0106a``) encode to themselves
        return value
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        for char in value
    )


def decode_value(text: str) -> str:
    """Inverse of ``encode_value``; ValueError unless ``text`` is its exact output."""
    if not _ENCODED.fullmatch(text):
        raise ValueError(f"bad key value {text!r}")
    if "%" not in text:  # only unreserved characters: the value is the text itself
        return text
    try:
        value = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"key value {text!r} is not UTF-8") from exc
    if encode_value(value) != text:
        raise ValueError(f"key value {text!r} is not in canonical form")
    return value


# --- keys -----------------------------------------------------------------------------------


def unit_key(ref: Reference) -> str | None:
    """``GAPPOD/f.1/op.89/d.112``; None without an archive; UnkeyableReference otherwise."""
    if ref.archive is None:
        return None
    if not _CODE.fullmatch(ref.archive):
        raise UnkeyableReference(f"archive code {ref.archive!r} is not A-Z0-9 with hyphens")
    segments = [ref.archive]
    for name, value in ref.levels:
        abbr = ABBREVIATION.get(name)
        if abbr is None:
            raise UnkeyableReference(f"level {name!r} has no key abbreviation")
        if not value:
            raise UnkeyableReference(f"level {name!r} has an empty value")
        segments.append(f"{abbr}.{encode_value(value)}")
    return "/".join(segments)


def document_key(ref: Reference) -> str | None:
    """The unit key plus the sheets: ``.../d.90/ll.9-15``, ``.../d.334/l.141``."""
    key = unit_key(ref)
    if key is None or not ref.pages:
        return key
    abbr = SHEET if is_single(ref.pages) else SHEETS
    return f"{key}/{abbr}.{encode_value(ref.pages)}"


def parse_key(key: str) -> Reference:
    """Inverse of ``unit_key``/``document_key``; ValueError on anything else.

    ``doc.`` segments are refused: the ingest layer strips its token before asking.
    """
    segments = key.split("/")
    code = segments[0]
    if not _CODE.fullmatch(code):
        raise ValueError(f"key {key!r}: archive code {code!r} is not A-Z0-9 with hyphens")
    levels: list[tuple[str, str]] = []
    pages: str | None = None
    for i, segment in enumerate(segments[1:], start=1):
        level, value = _read_segment(key, i, segment, pages)
        if level is None:
            pages = value
        else:
            levels.append((level, value))
    return Reference(code, tuple(levels), pages)


def parse_key_below(above: Reference, key: str) -> Reference:
    """``parse_key(key)`` for a key one segment below a key that parses as ``above``:
    only the last segment is read (the set tree reads every container of a key)."""
    i = key.count("/")
    level, value = _read_segment(key, i, key.rpartition("/")[2], above.pages)
    if level is None:
        return Reference(above.archive, above.levels, value)
    return Reference(above.archive, (*above.levels, (level, value)), None)


def _read_segment(key: str, i: int, segment: str, pages: str | None) -> tuple[str | None, str]:
    """Segment ``i`` of ``key`` (after the archive): (level name, value), or (None,
    sheets); ``pages``: the sheets a segment before it gave."""
    abbr, dot, raw = segment.partition(".")
    if not dot or not raw:
        raise ValueError(f"key {key!r}: segment {segment!r} is not abbr.value")
    if pages is not None:
        raise ValueError(f"key {key!r}: nothing may follow the sheets")
    value = decode_value(raw)
    if abbr in (SHEET, SHEETS):
        if (abbr == SHEET) != is_single(value):
            raise ValueError(f"key {key!r}: use l. for one sheet and ll. for several")
        return None, value
    if abbr == DOC:
        raise ValueError(f"key {key!r}: doc. is the ingest token, not a level")
    if abbr in LEVEL_OF:
        return LEVEL_OF[abbr], value
    raise ValueError(f"key {key!r}: unknown level abbreviation {abbr!r} (segment {i})")


def key_prefixes(key: str) -> list[str]:
    """Every container of the key: archive, fond, ... down to the unit (not sheets or doc)."""
    segments = key.split("/")
    cut = len(segments)
    for i, segment in enumerate(segments[1:], start=1):
        if segment.partition(".")[0] in (SHEET, SHEETS, DOC):
            cut = i
            break
    parse_key("/".join(segments[:cut]))  # validates the container part
    return ["/".join(segments[: i + 1]) for i in range(cut)]


# --- setSpec ------------------------------------------------------------------------------


def _check_segments(key: str) -> list[str]:
    segments = key.split("/")
    if not _CODE.fullmatch(segments[0]):
        raise ValueError(f"key {key!r}: archive code {segments[0]!r} is not A-Z0-9 with hyphens")
    for segment in segments[1:]:
        abbr, dot, raw = segment.partition(".")
        if not dot or not _ABBR.fullmatch(abbr):
            raise ValueError(f"key {key!r}: segment {segment!r} is not abbr.value")
        decode_value(raw)
    return segments


def key_to_set_spec(key_prefix: str) -> str:
    """``GAPPOD/f.1/op.89`` -> ``GAPPOD:f.1:op.89`` (``%XX`` -> ``~XX``, ``~`` -> ``~7E``)."""
    if _PLAIN_KEY.fullmatch(key_prefix):  # most keys: no %XX, every segment plainly valid
        return key_prefix.replace("~", "~7E").replace("/", ":")
    segments = _check_segments(key_prefix)
    return ":".join(s.replace("~", "~7E").replace("%", "~") for s in segments)


def set_spec_to_key(spec: str) -> str:
    """Inverse of ``key_to_set_spec``; ValueError on a setSpec it cannot have made."""
    if not _SET_SPEC.fullmatch(spec):
        raise ValueError(f"setSpec {spec!r} is not valid OAI-PMH setSpec syntax")
    parts = []
    for part in spec.split(":"):
        if any(char in part for char in "!*'()"):
            raise ValueError(f"setSpec {spec!r}: {part!r} has characters no key has")
        if _TILDE.sub("", part).count("~"):
            raise ValueError(f"setSpec {spec!r}: '~' must be followed by two hex digits")
        parts.append(_TILDE.sub(lambda m: "~" if m[1] == "7E" else f"%{m[1]}", part))
    key = "/".join(parts)
    _check_segments(key)
    return key


# --- display --------------------------------------------------------------------------------

_BARE = frozenset({"subdivision", "year", "section", "country"})
_DISPLAY_ABBR = {"tetel": "tetel"}
_US_LABEL = {"lot": "Lot ", "reel": "Reel ", "entry": "Entry ", "box": "Box ", "volume": "Vol. "}
# "path" archives: names bare, numbered units with a short label
_PATH_LABEL = {
    **_US_LABEL, "folder": "Folder ", "file": "File ", "number": "Nr. ", "item": "Item ",
    "job": "Job ", "tom": "t. ", "sygn": "sygn. ", "svazek": "sv. ", "unit": "unit ",
    "inventory": "inv. ", "bundle": "bundle ", "problema": "problema ", "position": "pos. ",
    "rubric": "rubr. ", "subfile": "sf. ", "legajo": "leg. ", "ramo": "ramo ",
    "article": "art. ", "accession": "", "titel": "Tit. ", "signature": "",
}  # fmt: skip


def _label(name: str) -> str:
    return _DISPLAY_ABBR.get(name) or ABBREVIATION.get(name) or name


def canonical(ref: Reference) -> str | None:
    """The container's canonical string, no sheets: ``GAPPOD f.1 op.89 d.112``."""
    if ref.archive is None:
        return None
    display = archive(ref.archive).display
    code, levels = ref.archive, ref.levels
    if display.style == "us":
        return _us(code, levels)
    if display.style == "path":
        return _us(code, levels, _PATH_LABEL)
    if display.style == "tna":
        return _tna(code, levels)
    if display.style == "prc":
        wanted = [v for n, v in levels if n in ("series", "file", "item")]
        others = [v for n, v in levels if n not in ("series", "file", "item")]
        return " ".join([code, *(["-".join(wanted)] if wanted else []), *others])
    parts = [code]
    for name, value in levels:
        if display.style == "signature":
            parts.append(" ".join(value.split()))
        elif display.style == "named":
            token = re.sub(r"\s+", "-", re.sub(r"\.\s+", ".", value.strip()))
            parts.append(f"{_label(name)}.{token}" if name in display.labelled else token)
        elif name in _BARE or (
            display.style == "hungarian" and name == "fond" and not value[:1].isdigit()
        ):
            parts.append(value)
        else:
            parts.append(f"{_label(name)}.{value}")
    return " ".join(parts)


def _tna(code: str, levels: tuple[tuple[str, str], ...]) -> str:
    named = dict(levels)
    head = named.get("department", "")
    if "series" in named:
        head = f"{head} {named['series']}".strip()
    if "piece" in named:
        head = f"{head}/{named['piece']}"
    rest = [v for n, v in levels if n not in ("department", "series", "piece")]
    return " ".join(part for part in (code, head, *rest) if part)


def _us(
    code: str, levels: tuple[tuple[str, str], ...], labels: dict[str, str] | None = None
) -> str:
    head = code
    parts = []
    for name, value in levels:
        if name == "record_group":
            head = f"{head} RG {value}"
        else:
            parts.append(f"{(labels or _US_LABEL).get(name, '')}{value}")
    return ", ".join([head, *parts])


def locator(ref: Reference) -> str | None:
    """The canonical string with the sheets: ``GAPPOD f.1 op.89 d.90 ll.9-15``."""
    text = canonical(ref)
    if text is None or not ref.pages:
        return text
    abbr = SHEET if is_single(ref.pages) else SHEETS
    return f"{text} {abbr}.{ref.pages}"
