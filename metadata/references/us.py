"""United States references: NARA record groups, FRUS source notes, presidential libraries.

These are comma-separated paths of named units, largest first (``Johnson Library,
National Security File, Country File, Vietnam, <folder>``), followed in FRUS by handling
caveats (``Secret; Exdis.``) and editorial sentences, which are not levels. Folder titles
may themselves contain commas, so the last level takes whatever path is left.
"""

from __future__ import annotations

import re

from metadata.record import Reference
from metadata.references.archives import AliasHit, Style, infer_archive
from metadata.references.citation import Found

# the path starts right after the name ("Johnson Library, ...", "Department of State, ...")
_OPEN = re.compile(r"\s?[,:]\s?")
# the path ends at a sentence ("... Vol. 86. Secret; Harvan.") or a semicolon
_SENTENCE = re.compile(r"\.\s(?=[A-Z][a-z]|[A-Z]{2,}\b)|;")
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
)
_VOLUME = re.compile(r"Vol\.\s?(?P<v>.+)")
_START = re.compile(r"(?:\s|\(|(?:Document\s)?Source:)*")


def _path(s: str, pos: int) -> tuple[list[str], int]:
    """The comma-separated parts after an archive name, and where they end."""
    opened = _OPEN.match(s, pos)
    if not opened:
        return [], pos
    start = opened.end()
    stop = _SENTENCE.search(s, start)
    end = stop.start() if stop else len(s)
    parts: list[str] = []
    offset = start
    for raw in s[start:end].split(","):
        part = raw.strip().rstrip(".").strip()
        if not part or part.lower() in _CAVEATS:
            end = offset
            break
        # "S/S Files: Lot 79 D 246": the office file and its lot number
        head, sep, tail = part.partition(": ")
        if sep and head.strip() and any(rx.fullmatch(tail.strip()) for rx, _ in _LABELLED):
            parts.extend((head.strip(), tail.strip()))
        else:
            parts.append(part)
        offset += len(raw) + 1
    return parts, min(end, len(s))


def _labelled(part: str) -> tuple[str, str] | None:
    for rx, name in _LABELLED:
        m = rx.fullmatch(part)
        if m:
            return name, m["v"]
    return None


def _assign(
    parts: list[str], names: tuple[str, ...], levels: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Labelled parts by their label, the others by position; the last name takes the rest."""
    free = 0
    for part in parts:
        labelled = _labelled(part)
        if labelled:
            levels.append(labelled)
            continue
        name = names[min(free, len(names) - 1)]
        if free >= len(names) - 1 and any(n == name for n, _ in levels):
            i = max(i for i, (n, _) in enumerate(levels) if n == name)
            levels[i] = (name, f"{levels[i][1]}, {part}")
        else:
            levels.append((name, part))
        free += 1
    return levels


def _found(hit: AliasHit, levels: list[tuple[str, str]], end: int) -> Found | None:
    levels = [(name, value.strip()) for name, value in levels if value.strip()]
    if len(levels) <= len(hit.implies):
        return None
    return Found((Reference(hit.code, tuple(levels), None),), hit.start, end, hit.inferred)


def nara(s: str, hit: AliasHit) -> Found | None:
    """``National Archives ..., RG 59, Central Files 1964-66, POL US-USSR``."""
    parts, end = _path(s, hit.end)
    return _found(hit, _assign(parts, ("series", "file"), list(hit.implies)), end)


def agency(s: str, hit: AliasHit) -> Found | None:
    """Records still with the agency: series, numbered paper, item."""
    parts, end = _path(s, hit.end)
    return _found(hit, _assign(parts, ("series", "file", "item"), list(hit.implies)), end)


def library(s: str, hit: AliasHit) -> Found | None:
    """Presidential library: collection, series, [subseries], folder or volume.

    A series named "Files of <person>" is already one person's papers, so what follows
    is the folder; other series (Country File, Memos to the President) are subdivided.
    """
    parts, end = _path(s, hit.end)
    if not parts:
        return None
    box = None
    if len(parts) > 1 and (m := re.fullmatch(r"Box\s(?P<v>\S+)", parts[-1])):
        box, parts = m["v"], parts[:-1]
    levels = [("collection", parts[0])]
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
    if box:
        levels.append(("box", box))
    return _found(hit, levels, end)


# --- no archive named ----------------------------------------------------------------------
_RG = re.compile(r"Record\sGroup\s(?P<rg>\d+)")
_RG_PARTS = (
    ("series", re.compile(r"Series:\s?(?P<v>.+?)\.(?=\s|$)")),
    ("entry", re.compile(r"Entry\s(?P<v>[\w.\-]+?)(?=[\s.,;]|$)")),
    ("box", re.compile(r"Box\s(?P<v>[\w.\-]+?)(?=[\s.,;]|$)")),
)
_DECIMAL = re.compile(r"(?P<f>\d{3}\.\d{1,4}[A-Z]?\d*/\d{1,2}-\d{2,4})(?![\w/])")


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
    """A bare State Department decimal file heading (``761.93/7–2649``)."""
    start = _START.match(s)
    pos = start.end() if start else 0
    m = _DECIMAL.match(s, pos)
    if not m:
        return None
    code = infer_archive(Style(scheme="state-decimal")) or "NARA"
    levels = (("record_group", "59"), ("series", "Central Files"), ("file", m["f"]))
    return Found((Reference(code, levels, None),), pos, m.end(), True)
