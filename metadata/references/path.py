"""Comma paths with labelled levels: the European archives' citations, one vocabulary each.

Outside the post-Soviet fond family most archives are cited as a path of parts separated
by commas, largest first: unnamed parts (the fond or series by name: ``AA.EE.SS.``,
``Italia``, ``HA XX``) and parts with a label in the archive's language (``pos. 857``,
``Karton 5``, ``sygn. V/15``, ``4. doboz``, ``VI. HA``). A *grammar* is that language's
labels plus the names unlabelled parts get by position; this module reads any path with
any grammar, so a new archive needs a registry entry, not code.

Labels are recognised only where a part begins (or right after another label's value),
so a label word inside a name is never mistaken for one. A part that is not a name (it
starts in lower case, or runs to a sentence) ends the path: prose is never read as
levels. Sheets labels give the pages; ``ranks`` put levels written out of order (the
Romanian ``dosar 784/1978, problema 220``) back in archival order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from metadata.record import Reference
from metadata.references import sheets
from metadata.references.archives import AliasHit
from metadata.references.citation import Found
from metadata.references.labels import spelling_regex


@dataclass(frozen=True)
class Label:
    """A written label and the level it names.

    ``after``: written after its value (``4. doboz``, ``VI. HA``); ``keep``: the label
    is part of the value (``FRC 63 A 1803``); ``case``: matched case-sensitively (short
    labels that are also ordinary letters: Spanish ``C.``, ``N.``); ``token``: the value
    is one word and the rest of the part is read on (``RG 330 OASD/ISA Files``).
    """

    level: str
    spellings: tuple[str, ...]
    after: bool = False
    keep: bool = False
    case: bool = False
    token: bool = False


@dataclass(frozen=True)
class Grammar:
    """How one language's archives write a path.

    ``positional``: names for unlabelled parts, in order (the last is reused, its values
    joined with ", "); ``ranks``: the archival order of levels that are sometimes written
    out of it; ``trailing_number``: the level of a bare number ending the path (German
    ``..., HA XX, 1125`` is Nr. 1125); ``after_box``: the level of unlabelled parts after
    a box (a US folder title: ``Box 372, Telephone Conversations, Chronological File``).
    """

    labels: tuple[Label, ...]
    positional: tuple[str, ...] = ("fond", "series", "subseries")
    ranks: tuple[str, ...] = ()
    trailing_number: str | None = None
    after_box: str | None = None
    _compiled: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False)

    def before_regex(self) -> re.Pattern[str]:
        if "before" not in self._compiled:
            alternatives: list[tuple[int, str]] = []
            for i, label in enumerate(self.labels):
                if label.after:
                    continue
                for spelling in sorted(label.spellings, key=len, reverse=True):
                    body = spelling_regex(spelling)
                    if not label.case:
                        body = f"(?i:{body})"
                    alternatives.append((len(spelling), f"(?P<B{i}_{len(alternatives)}>{body})"))
            alternatives.sort(key=lambda pair: -pair[0])
            self._compiled["before"] = re.compile(
                r"(?<![^\W_])(?:" + "|".join(a for _, a in alternatives) + r")"
                r"(?![^\W_])\.?(?:\s?:)?\s?(?=[\w\"“„«'(\[])"
            )
        return self._compiled["before"]

    def after_regex(self) -> re.Pattern[str]:
        if "after" not in self._compiled:
            alternatives = [
                f"(?P<F{i}_{j}>{body if label.case else f'(?i:{body})'})"
                for i, label in enumerate(self.labels)
                if label.after
                for j, body in enumerate(spelling_regex(s) for s in label.spellings)
            ]
            pattern = (
                r"(?P<value>\d+(?:/\d+)?[a-z]?|[IVXLC]+)\.?\s?(?:" + "|".join(alternatives) + r")"
                r"(?![^\W_])\.?"
                if alternatives
                else r"(?!x)x"
            )
            self._compiled["after"] = re.compile(pattern)
        return self._compiled["after"]


# --- the vocabularies ------------------------------------------------------------------------


def _l(level: str, *spellings: str, **options: bool) -> Label:
    return Label(level, spellings, **options)


GERMAN = Grammar(
    (
        _l("fond", "Bestand", "Best"),
        _l("signature", "Signatur", "Sign", "Sig"),
        _l("number", "Nummer", "Nr", "Zl", "Zahl"),
        _l("volume", "Band", "Bd"),
        _l("box", "Karton", "Kart", "Ktn"),
        _l("file", "Akte", "Faszikel", "Fasz"),
        _l("fond", "Repositur", "Rep", token=True),
        _l("titel", "Titel", "Tit"),
        _l("section", "HA", "Hauptabteilung", after=True, case=True),
        _l("sheets", "Blatt", "Bl", "Seite", "S", "fol", "f"),
    ),
    positional=("fond", "series", "subseries"),
    trailing_number="number",
)

POLISH = Grammar(
    (
        _l("fond", "zespół", "zesp", "z"),
        _l("sygn", "sygnatura", "sygn"),
        _l("file", "teczka", "tecz"),
        _l("bundle", "wiązka"),
        _l("unit", "jednostka", "j.a"),
        _l("tom", "tom", "t"),
        _l("sheets", "karta", "karty", "k", "s", "str"),
        # German terms for the archives of former German provinces (Olsztyn, Wrocław)
        _l("fond", "Bestand"),
        _l("number", "Nummer", "Nr"),
        _l("sheets", "Blatt", "Bl"),
    ),
    positional=("fond", "series"),
    ranks=("fond", "bundle", "file", "tom"),
    trailing_number="sygn",
)

CZECH = Grammar(
    (
        _l("fond", "fond", "f"),
        _l("box", "karton", "kart", "ka", "krabice", "kr"),
        _l("inventory", "inv.č", "inv.j", "i.č", "inventární číslo"),
        _l("signature", "signatura", "sign"),
        _l("svazek", "svazek", "sv"),
        _l("unit", "a.j", "archivní jednotka"),
        _l("sheets", "list", "listy", "fol"),
    ),
    positional=("collection", "series", "country"),
)

ROMANIAN = Grammar(
    (
        # "fond CC al PCR": the fond by name; "f." is a sheet (filă), never the fond
        _l("fond", "fondul", "fond"),
        _l("problema", "problema", "problemă", "problem", "issue", "matter"),
        _l("file", "dosarul", "dosar", "dos", "folder", "file no"),
        _l("volume", "volumul", "vol"),
        _l("box", "cutia", "cutie"),
        _l("inventory", "inventar", "inv"),
        _l("sheets", "filele", "fila", "filă", "ff", "f"),
    ),
    positional=("fond", "series", "subseries"),
    ranks=("fond", "problema", "file", "volume"),
)

ITALIAN = Grammar(
    (
        _l("fond", "fondo"),
        _l("box", "busta", "buste", "b", "bb", "scatola", "scat", "sc"),
        _l("position", "posizione", "pos"),
        _l("file", "fascicolo", "fasc"),
        _l("subfile", "sottofascicolo", "sottofasc", "sf"),
        _l("rubric", "rubrica", "rubr"),
        _l("volume", "volume", "vol"),
        _l("number", "numero", "n"),
        _l("sheets", "fogli", "foglio", "ff", "f", "fol", "cc", "c", "pp", "p"),
    ),
    positional=("fond", "series", "subseries"),
)

SPANISH = Grammar(
    (
        _l("fond", "fondo"),
        _l("legajo", "legajo", "leg"),
        _l("box", "caja"),
        _l("box", "C", case=True),
        _l("file", "expediente", "Nº Exp", "exp"),
        _l("folder", "carpeta", "carp"),
        _l("ramo", "ramo"),
        _l("ramo", "R", case=True),
        _l("item", "documento", "doc"),
        _l("item", "D", case=True),
        _l("number", "número", "núm"),
        _l("number", "Nº", "N", "n", case=True),
        _l("sheets", "folios", "folio", "fols", "fol", "ff", "f"),
    ),
    positional=("fond", "series", "subseries"),
)

FRENCH = Grammar(
    (
        _l("series", "série", "serie", "sér"),
        _l("subseries", "sous-série"),
        _l("box", "carton", "cart"),
        _l("file", "dossier", "doss", "dos"),
        _l("volume", "volume", "vol"),
        _l("article", "article", "art"),
        _l("item", "pièce", "p"),
        _l("sheets", "folios", "folio", "fol", "ff", "f"),
    ),
    positional=("fond", "series", "subseries"),
)

YUGOSLAV = Grammar(
    (
        _l("fond", "fond"),
        _l("box", "kutija", "kut", "k"),
        # f. is the fascikla (file) in Yugoslav military and diplomatic archives
        _l("file", "fascikla", "fascikl", "fasc", "f"),
        _l("number", "reg. br", "reg.br", "br"),
        _l("item", "dokument", "dok"),
        _l("year", "godina", "god"),
        _l("sheets", "list", "l"),
    ),
    positional=("fond", "series", "subseries"),
)

# English, as US and British libraries and FRUS write paths
ENGLISH = Grammar(
    (
        _l("record_group", "Record Group", "RG", token=True),
        _l("accession", "FRC", "Accession", "Acc", keep=True),
        _l("lot", "Lot"),
        _l("reel", "Reel"),
        _l("entry", "Entry"),
        _l("job", "Job"),
        _l("series", "Series", "Ser"),
        _l("box", "Box", "Container", "Carton"),
        _l("folder", "Folder", "Fol", "Folders"),
        _l("file", "Subject File No", "Subject File", "File No", "File"),
        _l("volume", "Volume", "Vol"),
        _l("item", "Item", "Document", "Doc"),
        _l("sheets", "pages", "page", "pp", "p"),
    ),
    positional=("collection", "series", "subseries", "folder"),
    after_box="folder",
)

GRAMMARS: dict[str, Grammar] = {
    "german": GERMAN,
    "polish": POLISH,
    "czech": CZECH,
    "romanian": ROMANIAN,
    "italian": ITALIAN,
    "spanish": SPANISH,
    "french": FRENCH,
    "yugoslav": YUGOSLAV,
}


# --- splitting a path into parts ------------------------------------------------------------

_PAIRS = {"(": ")", "[": "]", "“": "”", "„": "“", "«": "»"}
# after an archive's name: punctuation, a city, the name again in parentheses, "Call Number:"
_LEAD = re.compile(r"[\s,:;]*(?:(?:[A-Z][a-z]+\s)?Call\sNumber:\s?|Reference(?:\sCode)?\s?:\s?)?")
_QUOTES = "\"“”„«»‘’'"
_NAME_START = re.compile(r"[\w\"“„«'(\[]")


@dataclass
class Part:
    text: str
    start: int
    end: int


def lead(s: str, pos: int) -> int:
    """Where a path starts after an archive name ending at ``pos``."""
    m = _LEAD.match(s, pos)
    return m.end() if m else pos


def _sentence_end(s: str, i: int) -> bool:
    """True when the ". " at ``i`` ends a sentence rather than an abbreviation."""
    if not s.startswith(". ", i) or i + 2 >= len(s) or not s[i + 2].isupper():
        return False
    before = s[max(0, i - 48) : i]  # a word's worth: long texts stay linear
    if not before:
        return False
    if before[-1].isdigit() or before[-1] in ')]”"»':
        return True
    word = re.search(r"[^\W\d_]+$", before)
    if word is None:
        return False
    token = word.group()
    if "." in before[word.start() - 1 : word.start()] or len(token) < 5:
        return False  # "AA.EE.SS. Italia", "Arch. Nunz. Monaco", "Gen. štáb"
    return not token.isupper()


def split_parts(
    s: str,
    start: int,
    stop: int | None = None,
    *,
    sentence: Callable[[str, int], bool] | None = None,
) -> tuple[list[Part], int]:
    """The comma-separated parts from ``start`` to the citation's end (a ";", a sentence
    end or ``stop``), quoted and bracketed text kept whole; and where the path ends.

    ``sentence(s, i)`` says whether the full stop at ``i`` ends a sentence (by default
    a full stop after a short word is an abbreviation: ``Arch. Nunz. Monaco``)."""
    ends_sentence = sentence or _sentence_end
    end = len(s) if stop is None else stop
    cuts: list[tuple[int, int]] = []
    stack: list[str] = []
    straight = False
    begin = i = start
    while i < end:
        char = s[i]
        if stack and char == stack[-1]:
            stack.pop()
        elif char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char == '"':
            straight = not straight
        elif not stack and not straight:
            if char == ";" or ends_sentence(s, i):
                end = i
                break
            if char == ",":
                cuts.append((begin, i))
                begin = i + 1
        i += 1
    cuts.append((begin, end))
    out = []
    for a, b in cuts:
        text = s[a:b]
        stripped = text.strip()
        offset = a + (len(text) - len(text.lstrip()))
        out.append(Part(stripped, offset, offset + len(stripped)))
    while out and not out[-1].text:
        out.pop()
    return out, (out[-1].end if out else start)


def clean(text: str) -> str:
    """A part's value: outer quotes and a closing full stop removed, spaces collapsed."""
    text = " ".join(text.split())
    while len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES + ",.":
        text = text[1:].rstrip(",.").rstrip()
        text = text[:-1] if text and text[-1] in _QUOTES else text
        text = text.strip().rstrip(",").strip()
    if text.endswith(".") and not re.search(r"(?:^|\s)(?:[A-Z][A-Za-z]{0,2}\.){2,}$", text):
        text = text[:-1].rstrip()  # "AA.EE.SS." keeps its last full stop
    return text


def is_name(text: str) -> bool:
    """A part that can be a level: not prose (starts in lower case, or is long)."""
    if not text or not _NAME_START.match(text):
        return False
    first = text.lstrip(_QUOTES + "([")[:1]
    if first.islower():
        return False
    return len(text.split()) <= 14


# --- reading labelled parts ------------------------------------------------------------------


@dataclass
class Item:
    level: str | None  # None: unlabelled
    value: str
    start: int
    end: int
    labelled: bool = True


def read_part(grammar: Grammar, part: Part) -> list[Item]:
    """The labelled items of a part, then what is left unlabelled (one item)."""
    text, items, pos = part.text, [], 0
    before, after = grammar.before_regex(), grammar.after_regex()
    while pos < len(text):
        m = after.match(text, pos)
        if m:
            label = grammar.labels[int((m.lastgroup or "F0_0")[1:].split("_")[0])]
            items.append(Item(label.level, m["value"], part.start + pos, part.start + m.end()))
            pos = _skip(text, m.end())
            continue
        m = before.match(text, pos)
        if not m:
            break
        group = next(name for name, value in m.groupdict().items() if value is not None)
        label = grammar.labels[int(group[1:].split("_")[0])]
        vstart = m.end()
        if label.token:
            tm = re.match(r"[^\s,;]+", text[vstart:])
            vend = vstart + (tm.end() if tm else 0)
        else:
            nxt = _next_label(grammar, text, vstart)
            vend = nxt if nxt is not None else len(text)
        value = text[vstart:vend].strip()
        if not value:
            break
        if label.keep:
            value = text[m.start() : vend].strip()
        items.append(Item(label.level, value, part.start + pos, part.start + vend))
        pos = _skip(text, vend)
    rest = text[pos:].strip()
    if rest:
        items.append(Item(None, rest, part.start + pos, part.end, labelled=False))
    return items


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " :":
        pos += 1
    return pos


def _next_label(grammar: Grammar, text: str, pos: int) -> int | None:
    """Where the next label of the grammar starts inside a part's value, after a space."""
    for m in re.finditer(r"\s", text[pos:]):
        at = pos + m.end()
        if grammar.after_regex().match(text, at) or grammar.before_regex().match(text, at):
            return at
    return None


@dataclass
class Path:
    """What a path reader found: levels in written order, pages, the span read."""

    levels: list[tuple[str, str]]
    pages: str | None
    start: int
    end: int
    labelled: int = 0  # how many levels had a label

    def only_words(self) -> bool:
        """Nothing labelled, no pages, every level a plain word (``Koblenz``, ``Paris``):
        place names after an archive's name, not a citation."""
        return (
            not self.labelled
            and self.pages is None
            and all(_PLAIN.fullmatch(value) for _, value in self.levels)
        )


def read_path(grammar: Grammar, parts: list[Part], positional: tuple[str, ...] = ()) -> Path:
    """Levels from parts: labelled by their label, the others by position.

    Reading stops at the first part that is neither labelled nor a name.
    """
    names = positional or grammar.positional
    levels: list[tuple[str, str]] = []
    pages: str | None = None
    free = 0
    labelled = 0
    start = parts[0].start if parts else 0
    end = start
    for index, part in enumerate(parts):
        items = read_part(grammar, part)
        if not items or (not items[0].labelled and not is_name(clean(items[0].value))):
            break
        for item in items:
            value = clean(item.value)
            if not value:
                continue
            if item.level == "sheets":
                pm = sheets.PAGES_RE.fullmatch(value)
                if pm is None:
                    return Path(levels, pages, start, end)
                pages = sheets.normalise(pm["pages"])
                labelled += 1
            elif item.level is not None:
                levels.append((item.level, _value(value)))
                labelled += 1
            elif _YEAR.fullmatch(value) and index < len(parts) - 1 and levels:
                levels.append(("year", value))  # "..., Phenian, 1978, vol. 3"
            elif (
                grammar.trailing_number
                and index == len(parts) - 1
                and re.fullmatch(r"\d+[a-z]?(?:/\d+)?", value)
                and levels
            ):
                levels.append((grammar.trailing_number, value))
            elif grammar.after_box and any(n == "box" for n, _ in levels):
                name = grammar.after_box
                if levels[-1][0] == name:
                    levels[-1] = (name, f"{levels[-1][1]}, {value}")
                else:
                    levels.append((name, value))
            else:
                used = {n for n, _ in levels}
                while free < len(names) - 1 and names[free] in used:
                    free += 1  # "fond Telegrame, Phenian": the fond is taken, Phenian is next
                name = names[min(free, len(names) - 1)]
                if free >= len(names) - 1 and name in used and levels[-1][0] == name:
                    levels[-1] = (name, f"{levels[-1][1]}, {value}")
                else:
                    levels.append((name, value))
                free += 1
        end = part.end
    return Path(_ranked(levels, grammar.ranks), pages, start, end, labelled)


_PLAIN = re.compile(r"[^\W\d_][^\W\d_A-ZÀ-ÞА-ЯЁ]+(?:-[^\W\d_][^\W\d_A-ZÀ-ÞА-ЯЁ]+)?")
_YEAR = re.compile(r"(?:1[89]|20)\d\d(?:\s?-\s?(?:1[89]|20)?\d\d)?")


def _value(value: str) -> str:
    """A labelled value: a remark in parentheses after a number is not part of it."""
    m = re.fullmatch(r"(\S*\d\S*)\s\(.*\)", value)
    return m.group(1) if m else value


def _ranked(levels: list[tuple[str, str]], ranks: tuple[str, ...]) -> list[tuple[str, str]]:
    """Ranked levels put in archival order in the places ranked levels occupy."""
    if not ranks:
        return levels
    order = {name: i for i, name in enumerate(ranks)}
    slots = [i for i, (name, _) in enumerate(levels) if name in order]
    ranked = sorted((levels[i] for i in slots), key=lambda pair: order[pair[0]])
    out = list(levels)
    for slot, pair in zip(slots, ranked, strict=True):
        out[slot] = pair
    return out


def found(
    code: str,
    path: Path,
    start: int,
    *,
    inferred: bool = False,
    before: list[tuple[str, str]] | None = None,
) -> Found | None:
    """One reference; None when nothing but the archive was read."""
    levels = [(name, value.strip()) for name, value in (before or []) + path.levels if value]
    if not levels:
        return None
    if len(set(levels)) != len(levels):
        return None
    return Found((Reference(code, tuple(levels), path.pages),), start, path.end, inferred)


# --- archives named after the parts -------------------------------------------------------------

# a part that names a collection of papers: the top of a path written around the archive
COLLECTION = re.compile(
    r"(?i:\bpapers\b|\bnachlass\b|\bcollection\b|\bfonds?\b|\bfiles of\b|\bdiar(?:y|ies)\b"
    r"|\bmanuscripts?\b|\bcorrespondence\b|\barchiv(?:e|es)? of\b|\brecords of\b)"
)


def segment_start(s: str, end: int) -> int:
    """Where the sentence (or ``;``-separated segment) holding position ``end`` begins."""
    start = 0
    for i in range(end):
        if s[i] == ";" or _sentence_end(s, i):
            start = i + 1
    while start < end and s[start] in " .":
        start += 1
    return start


def read_before(
    grammar: Grammar, s: str, hit: AliasHit
) -> tuple[list[tuple[str, str]], int] | None:
    """Levels written before the archive's name, and where they begin.

    ``Nachlass Aehrenthal, Haus-, Hof- und Staatsarchiv, Karton 5`` and ``Subject File
    No. 26, Papers of Apa B. Pant, Nehru Memorial Museum and Library``: a part naming a
    collection of papers is the top; parts after it go on down; parts before it must be
    labelled units (bottom-up order) and follow. Anything else is prose: None.
    """
    start = segment_start(s, hit.start)
    while start < hit.start and not _NAME_START.match(s[start]):
        start += 1
    between = s[start : hit.start].rstrip()
    if not between.rstrip(_QUOTES).endswith(","):
        return None  # the name must follow the parts after a comma
    stop = start + len(between) - (1 if between.endswith(",") else 0)
    parts, _ = split_parts(s, start, stop)
    index = next((i for i, p in enumerate(parts) if COLLECTION.search(p.text)), None)
    if index is None:
        return None
    lower: list[tuple[str, str]] = []
    for part in parts[:index]:
        items = read_part(grammar, part)
        if not items or any(not item.labelled for item in items):
            return None
        lower.extend((item.level or "", clean(item.value)) for item in items)
    if any(level == "sheets" for level, _ in lower):
        return None
    collection = clean(parts[index].text)
    if not is_name(collection):
        return None
    rest = (
        read_path(grammar, parts[index + 1 :], grammar.positional[1:])
        if index + 1 < len(parts)
        else None
    )
    if rest is not None and rest.end != parts[-1].end:
        return None
    levels = [("collection", collection), *(rest.levels if rest else []), *lower]
    return levels, parts[0].start


def labelled_only(grammar: Grammar, parts: list[Part]) -> Path:
    """The labelled parts at the start of ``parts`` (what follows an archive named last:
    ``..., Staatsarchiv, Karton 5``; place names such as ``West Branch, [Iowa]`` are not)."""
    kept: list[Part] = []
    for part in parts:
        items = read_part(grammar, part)
        if not items or any(not item.labelled for item in items):
            break
        kept.append(part)
    if not kept:
        return Path([], None, parts[0].start if parts else 0, parts[0].start if parts else 0)
    return read_path(grammar, kept)


# --- the reader -------------------------------------------------------------------------------


ReaderFunc = Callable[[str, AliasHit], "Found | None"]


def reader(grammar: Grammar) -> ReaderFunc:
    """A reader for archives cited with this grammar."""

    def read(s: str, hit: AliasHit) -> Found | None:
        return read_named(grammar, s, hit)

    return read


def read_named(grammar: Grammar, s: str, hit: AliasHit) -> Found | None:
    """A path after an archive's name, or around it when the name comes later."""
    pos = lead(s, hit.end)
    parts, _ = split_parts(s, pos)
    around = read_before(grammar, s, hit) if hit.start > 0 else None
    if around is not None:
        levels, start = around
        after = labelled_only(grammar, parts)
        path = Path(after.levels, after.pages, start, max(after.end, hit.end))
        return found(hit.code, path, start, before=[*hit.implies, *levels])
    path = read_path(grammar, parts, hit.entry.levels)
    if path.only_words() and not hit.implies:
        return None
    return found(hit.code, path, hit.start, before=list(hit.implies))
