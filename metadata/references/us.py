"""United States references: NARA record groups, FRUS source notes, libraries, agencies.

These are comma-separated paths of named units, largest first (``Johnson Library,
National Security File, Country File, Vietnam, <folder>``), followed in FRUS by handling
caveats (``Secret; Exdis.``) and editorial sentences, which are not levels. Labelled
parts (``RG 59``, ``Lot 66 D 487``, ``Box 18``, ``Job 85-500362R``, ``FRC 63 A 1803``)
are read by their label wherever they stand; unlabelled parts by position, and after a
box they are the folder. Folder titles may contain commas, so the folder takes whatever
path is left. NARA's own citation guide writes the other way round, smallest first with
semicolons (``item; file unit; series; Records of ..., Record Group 26; National Archives
at College Park``); that form is read too.
"""

from __future__ import annotations

import re

from metadata.record import Reference
from metadata.references.archives import AliasHit, Style, find_aliases, infer_archive
from metadata.references.citation import Found
from metadata.references.path import (
    ENGLISH,
    clean,
    is_name,
    labelled_only,
    read_before,
    split_parts,
)

# the path starts right after the name ("Johnson Library, ...", "Department of State, ...")
_OPEN = re.compile(r"\s?[,:]\s?")
_CAVEATS = frozenset(
    {"top secret", "secret", "confidential", "limited official use", "unclassified",
     "eyes only", "official use only", "exdis", "nodis"}
)  # fmt: skip
_LABELLED = (
    (re.compile(r"(?:RG|Record\sGroup)\s?(?P<v>\d+\w*)"), "record_group"),
    (re.compile(r"Lot\s(?P<v>.+)"), "lot"),
    (re.compile(r"Reel\s(?P<v>.+)"), "reel"),
    (re.compile(r"Box\s(?P<v>.+)"), "box"),
    (re.compile(r"Entry\s(?P<v>.+)"), "entry"),
    (re.compile(r"Job\s(?P<v>\S+)"), "job"),
    (re.compile(r"Folders?\s(?P<v>\S.*)"), "folder"),
    (re.compile(r"(?P<v>FRC\s.+)"), "accession"),
    (re.compile(r"Series\s(?P<v>\d+[\w.\-]*)"), "series"),
)
# "RG 330 OASD/ISA Files": the record group and, without a comma, the series in it
_RG_AND_SERIES = re.compile(r"(?:RG|Record\sGroup)\s?(?P<v>\d+\w*)\s(?P<rest>[A-Z].*)")
_VOLUME = re.compile(r"Vol\.\s?(?P<v>.+)")
_YEARS = re.compile(r"(?:1[6-9]|20)\d\d(?:\s?[-–]\s?(?:\d\d){1,2})?")
_START = re.compile(r"(?:\s|\(|(?:Document\s)?Source:|Reference:)*")
# a FRUS sentence: ". " then a capitalised word, unless the full stop ends an initial
_SENTENCE = re.compile(
    r"(?<![\s.(][A-Z])(?<!^[A-Z])(?<!\bVol)(?<!\bNo)\.\s(?=[A-Z][a-z]|[A-Z]{2,}\b)"
)


def _sentence(s: str, i: int) -> bool:
    return _SENTENCE.match(s, i) is not None


def _path(s: str, pos: int) -> tuple[list[str], int]:
    """The comma-separated parts after an archive name, and where they end."""
    opened = _OPEN.match(s, pos)
    if not opened:
        return [], pos
    raw, _ = split_parts(s, opened.end(), sentence=_sentence)
    parts: list[str] = []
    end = opened.end()
    for part in raw:
        text = clean(part.text)
        if not text or text.lower() in _CAVEATS:
            break
        if parts and _YEARS.fullmatch(text):  # "Heads of State, 1961-1971": one name
            parts[-1] = f"{parts[-1]}, {text}"
            end = part.end
            continue
        if not is_name(text):
            break
        # "S/S Files: Lot 79 D 246": the office file and its lot number
        head, sep, tail = text.partition(": ")
        if sep and head.strip() and any(rx.fullmatch(tail.strip()) for rx, _ in _LABELLED):
            parts.extend(_split_rg(head.strip()))
            parts.append(tail.strip())
        else:
            parts.extend(_split_rg(text))
        end = part.end
    return parts, end


def _split_rg(part: str) -> list[str]:
    m = _RG_AND_SERIES.fullmatch(part)
    return [f"RG {m['v']}", m["rest"]] if m else [part]


def _labelled(part: str) -> tuple[str, str] | None:
    for rx, name in _LABELLED:
        m = rx.fullmatch(part)
        if m:
            return name, m["v"]
    return None


def _assign(
    parts: list[str], names: tuple[str, ...], levels: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Labelled parts by their label, the others by position; the last name takes the
    rest, and after a box the rest is the folder."""
    free = 0
    for part in parts:
        labelled = _labelled(part)
        if labelled:
            levels.append(labelled)
            continue
        if any(n == "box" for n, _ in levels):
            if levels[-1][0] == "folder":
                levels[-1] = ("folder", f"{levels[-1][1]}, {part}")
            else:
                levels.append(("folder", part))
            continue
        name = names[min(free, len(names) - 1)]
        if free >= len(names) - 1 and any(n == name for n, _ in levels):
            i = max(i for i, (n, _) in enumerate(levels) if n == name)
            levels[i] = (name, f"{levels[i][1]}, {part}")
        else:
            levels.append((name, part))
        free += 1
    return levels


def _found(hit: AliasHit, levels: list[tuple[str, str]], end: int, start: int = -1) -> Found | None:
    levels = [(name, value.strip()) for name, value in levels if value.strip()]
    if len(set(levels)) != len(levels):  # a level written twice ("RG 59" after the name
        levels = list(dict.fromkeys(levels))  # that implies it) is one level
    if len(levels) <= len(hit.implies):
        return None
    begin = hit.start if start < 0 else start
    return Found((Reference(hit.code, tuple(levels), None),), begin, end, hit.inferred)


def nara(s: str, hit: AliasHit) -> Found | None:
    """``National Archives ..., RG 59, Central Files 1964-66, POL US-USSR``, or NARA's own
    smallest-first form ending in the record group and the archive."""
    bottom_up = _bottom_up(s, hit.code)
    if bottom_up is not None:
        return bottom_up
    parts, end = _path(s, hit.end)
    return _found(hit, _assign(parts, ("series", "file"), list(hit.implies)), end)


def agency(s: str, hit: AliasHit) -> Found | None:
    """Records still with the agency: series, numbered paper, item (or job, box, folder)."""
    parts, end = _path(s, hit.end)
    return _found(hit, _assign(parts, ("series", "file", "item"), list(hit.implies)), end)


_DATES = re.compile(
    r"(?P<name>.+?)\s(?P<date>\d{1,2}/\d{1,2}/\d{2,4}(?:\s?-\s?\d{1,2}/\d{1,2}/\d{2,4})?)"
)
_CODE_ITEM = re.compile(r"[A-Z][\w.]*(?:-[\w.]+)+|[A-Z]{1,4}\s?\d[\w./\-]*")


def library(s: str, hit: AliasHit) -> Found | None:
    """A library or manuscript repository: [division], collection, series, [subseries],
    [box], folder or volume.

    A series named "Files of <person>" is already one person's papers, so what follows
    is the folder; other series (Country File, Memos to the President) are subdivided.
    With a box, the parts before it are the hierarchy and the parts after it the folder.
    """
    if hit.start > 0 and (around := read_before(ENGLISH, s, hit)) is not None:
        # "Subject File No. 26, Papers of Apa B. Pant, Nehru Memorial Museum and Library"
        above, start = around
        after = labelled_only(ENGLISH, split_parts(s, hit.end)[0])
        return _found(hit, [*above, *after.levels], max(after.end, hit.end), start)
    parts, end = _path(s, hit.end)
    if not parts:
        return None
    levels: list[tuple[str, str]] = []
    if len(parts) > 1 and parts[0].endswith("Division"):
        levels.append(("division", parts[0]))
        parts = parts[1:]
    boxes = [i for i, part in enumerate(parts) if re.fullmatch(r"Box\s\S+", part)]
    if boxes and boxes[0] > 0:
        return _found(hit, _boxed(levels, parts, boxes[0]), end)
    folder_date = None
    if len(parts) > 2 and (m := _DATES.fullmatch(parts[-1])):
        parts = [*parts[:-1], m["name"]]
        folder_date = m["date"]
    if folder_date:
        closing = max((i for i in range(1, len(parts)) if parts[i].endswith(" Series")), default=0)
        if closing > 1:  # "Vietnam, Country Series": one series name
            parts = [parts[0], ", ".join(parts[1 : closing + 1]), *parts[closing + 1 :]]
    levels.append(("collection", parts[0]))
    if len(parts) == 2 and _CODE_ITEM.fullmatch(parts[1]):
        levels.append(("item", parts[1]))
        return _found(hit, levels, end)
    if len(parts) > 1:
        levels.append(("series", parts[1]))
    rest = parts[2:]
    if rest and not parts[1].startswith("Files of"):
        levels.append(("subseries", rest[0]))
        rest = rest[1:]
    if len(rest) == 1 and (m := _VOLUME.fullmatch(rest[0])):
        levels.append(("volume", m["v"]))
    elif rest:
        levels.append(("folder", ", ".join(rest)))
    if folder_date:
        levels.append(("folder", folder_date))
    return _found(hit, levels, end)


_HIERARCHY = {
    1: ("collection",),
    2: ("collection", "series"),
    3: ("collection", "series", "subseries"),
    4: ("collection", "subcollection", "series", "subseries"),
}


def _boxed(levels: list[tuple[str, str]], parts: list[str], box: int) -> list[tuple[str, str]]:
    """Parts before the box are the hierarchy, labelled ones by their label."""
    above = parts[:box]
    unlabelled = [p for p in above if _labelled(p) is None]
    names = _HIERARCHY.get(
        len(unlabelled), ("collection", "subcollection", "series", "subseries", "subsubseries")
    )
    free = 0
    for part in above:
        labelled = _labelled(part)
        if labelled:
            levels.append(labelled)
            continue
        name = names[min(free, len(names) - 1)]
        if free >= len(names):
            levels[-1] = (name, f"{levels[-1][1]}, {part}")
        else:
            levels.append((name, part))
        free += 1
    return _assign(parts[box:], ("folder",), levels)


# --- NARA's citation guide: smallest first, with semicolons ------------------------------

_RG_SEGMENT = re.compile(r"(?:.*,\s?)?Record\sGroup\s(?P<rg>\d+\w*)\.?")
# "District 2", "Drawing 2021", "File 800.5151/18": a unit named by a word and a number
_UNIT = re.compile(r"[A-Z][A-Za-z.]*(?:\s[A-Za-z.]+)?\s[\w./\-]*\d[\w./\-]*")
_UNIT_LABELS = {"File": "file", "Box": "box", "Folder": "folder", "Item": "item", "Entry": "entry"}
_QUOTED = re.compile(r"[\"“„«].*")


def _bottom_up(s: str, code: str) -> Found | None:
    """``item; file unit; series; Records of ..., Record Group N; National Archives ...``.

    The record group's segment gives the group; the name segment nearest to it is the
    series (titles further down describe the item and are not levels); segments of
    word-and-number units (``District 2, Drawing 2021``) are the file unit and the item.
    The segment after the record group's must name the archive.
    """
    segments = s.split(";")
    rg_index = next(
        (i for i, seg in enumerate(segments) if _RG_SEGMENT.fullmatch(seg.strip())), None
    )
    if rg_index is None or rg_index == 0 or rg_index + 1 >= len(segments):
        return None
    named = find_aliases(segments[rg_index + 1].strip())
    if not named or named[0].start != 0 or named[0].code != code:
        return None
    rg = _RG_SEGMENT.fullmatch(segments[rg_index].strip())
    assert rg is not None
    names: list[str] = []
    units: list[tuple[str, str]] = []
    for seg in segments[:rg_index]:
        text = clean(seg)
        if not text or _QUOTED.match(text):
            continue
        chunks = [c.strip() for c in text.split(",")]
        if all(_UNIT.fullmatch(c) for c in chunks):
            for chunk in chunks:
                word, _, rest = chunk.partition(" ")
                label = _UNIT_LABELS.get(word)
                if label:
                    units.append((label, rest))
                else:
                    units.append(("file" if not units else "item", chunk))
        else:
            names.append(text)
    if not names and not units:
        return None
    levels = [("record_group", rg["rg"])]
    if names:
        levels.append(("series", names[-1]))
    levels.extend(units)
    tail = sum(len(seg) + 1 for seg in segments[: rg_index + 1])
    stop = re.search(r"\.(?:\s|$)|;", s[tail:])
    end = tail + stop.start() if stop else len(s)
    return Found((Reference(code, tuple(levels), None),), 0, end, False)


# --- no archive named ----------------------------------------------------------------------
_RG = re.compile(r"Record\sGroup\s(?P<rg>\d+)")
_RG_PARTS = (
    ("series", re.compile(r"Series:\s?(?P<v>.+?)\.(?=\s|$)")),
    ("entry", re.compile(r"Entry\s(?P<v>[\w.\-]+?)(?=[\s.,;]|$)")),
    ("box", re.compile(r"Box\s(?P<v>[\w.\-]+?)(?=[\s.,;]|$)")),
)
# State Department decimal files: 761.00/5-1756 (date-numbered documents, FRUS's
# "Central Files") and 760C.61/966a (serially numbered, the Central Decimal File)
_DECIMAL = re.compile(r"(?P<f>\d{3}\.\d{1,4}[A-Z]?\d*/\d{1,2}-\d{2,4})(?![\w/])")
_DECIMAL_SERIAL = re.compile(
    r"(?P<f>\d{3}[A-Z]{0,2}\.\d{1,4}[A-Z]?\d*(?:[-–][A-Z]{1,3})?/\d{1,5}[a-z]?)(?=:\s|\.?$)"
)


def record_group_unnamed(s: str) -> Found | None:
    """``Record Group 36-Records of ... Series: ... Entry 914 - Box 501I.`` (NARA's form)."""
    start = _START.match(s)
    pos = start.end() if start else 0
    m = _RG.match(s, pos)
    if not m:
        return None
    code = infer_archive(Style(scheme="record-group")) or "NARA"
    if s.startswith(",", m.end()):  # "Record Group 59, Central Files, ...": a plain path
        parts, end = _path(s, m.end())
        path_levels = _assign(parts, ("series", "file"), [("record_group", m["rg"])])
        return Found((Reference(code, tuple(path_levels), None),), pos, end, True)
    found = [(m.start(), "record_group", m["rg"], m.end())]
    for name, rx in _RG_PARTS:
        pm = rx.search(s, m.end())
        if pm:
            found.append((pm.start(), name, pm["v"].strip(), pm.end()))
    found.sort()
    levels = tuple((name, value) for _, name, value, _ in found)
    end = max(e for *_, e in found)
    return Found((Reference(code, levels, None),), pos, end, True)


def decimal_unnamed(s: str) -> Found | None:
    """A bare State Department decimal file heading (``761.93/7–2649``, ``760C.61/966a:
    Telegram``)."""
    start = _START.match(s)
    pos = start.end() if start else 0
    code = infer_archive(Style(scheme="state-decimal")) or "NARA"
    m = _DECIMAL.match(s, pos)
    if m:
        levels = (("record_group", "59"), ("series", "Central Files"), ("file", m["f"]))
        return Found((Reference(code, levels, None),), pos, m.end(), True)
    m = _DECIMAL_SERIAL.match(s, pos)
    if m:
        levels = (("record_group", "59"), ("series", "Central Decimal File"), ("file", m["f"]))
        return Found((Reference(code, levels, None),), pos, m.end(), True)
    return None
