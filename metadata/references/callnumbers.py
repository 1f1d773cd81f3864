"""Call numbers whose separators carry the hierarchy: ``12/3/45``, ``R 43-I/1234``,
``5 AG 1/1712``, ``MS 2126/3/5/d/3``, ``ES.28079.AHN//FC-Mº_CULTURA,1,N.13``.

A slash (or hyphen, or dot) separates levels only where the scheme says so: a bare call
number is read by the archive's registry ``levels``, a Bundesarchiv signature by the
Bestand grammar, a French cote by the cote grammar. Every reader returns None when the
text does not have its form; none guesses an archive, except the style rules of the
registry (``CHAR 20/13/8`` is the Churchill Papers' own code).
"""

from __future__ import annotations

import re

from metadata.record import Reference
from metadata.references import path, sheets
from metadata.references.archives import AliasHit, Style, infer_archive
from metadata.references.citation import Found, found_reference
from metadata.references.labels import LETTER, transliterate
from metadata.references.registry import current

_P = sheets.PAGES
_START = re.compile(r"(?:\s|\(|(?:Document\s)?Source:|Call\sNumber:|Reference(?:\sCode)?\s?:)*")


def _assign(names: tuple[str, ...], parts: list[str]) -> list[tuple[str, str]]:
    """Parts to level names in order; the last name takes the rest, joined with ``/``."""
    if len(parts) > len(names):
        parts = [*parts[: len(names) - 1], "/".join(parts[len(names) - 1 :])]
    return list(zip(names, parts, strict=False))


def _extend(
    grammar: path.Grammar, s: str, found: Found | None, code: str, start: int
) -> Found | None:
    """Labelled parts after a call number (``, Bl. 12``, ``, t. 2, k. 10``)."""
    if found is None:
        return None
    rest = re.match(r"\s?,\s?", s[found.end :])
    if not rest:
        return found
    parts, _ = path.split_parts(s, found.end + rest.end())
    labelled = path.labelled_only(grammar, parts)
    if not labelled.levels and labelled.pages is None:
        return found
    ref = found.references[0]
    levels = (*ref.levels, *labelled.levels)
    pages = labelled.pages or ref.pages
    return Found((Reference(code, levels, pages),), start, labelled.end, found.inferred)


# --- a bare call number, read by the registry's levels ---------------------------------------

_COMPONENT = rf"(?:[{LETTER}]{{1,3}}-)?\d+(?:\s?-?\s?[{LETTER}](?![{LETTER}]))?"
_BARE = re.compile(
    rf"(?P<first>[{LETTER}]{{1,3}}\s?/\s?\d+|{_COMPONENT})"
    rf"(?P<rest>(?:\s?/\s?(?:{_COMPONENT}|[a-z]))+|,\s?file\s(?:{_COMPONENT}))"
    rf"(?![\w/])(?:,\s?(?:s|p|pp|l|ll|k|f|ff|арк|л)\.\s?(?P<p>{_P}))?"
)


def _fond_value(text: str) -> str:
    """``378-B`` -> ``378B``, ``R/1021`` -> ``R-1021``, ``П-5`` -> ``P-5``."""
    text = re.sub(r"\s", "", text)
    m = re.fullmatch(rf"(?P<pre>[{LETTER}]{{1,3}})[-/](?P<num>\d+)", text)
    if m:
        return f"{transliterate(m['pre']).upper()}-{m['num']}"
    m = re.fullmatch(rf"(?P<num>\d+)-?(?P<suf>[{LETTER}])", text)
    if m:
        return m["num"] + transliterate(m["suf"]).upper()
    return transliterate(text) if re.search("[А-яЁё]", text) else text


def call_number(s: str, hit: AliasHit) -> Found | None:
    """A call number read by the archive's ``levels`` (``378-B/177`` = fond 378B, file
    177 at TsDA; ``12/3/45`` = fond 12, opis 3, delo 45 where ``levels`` says so)."""
    names = hit.entry.levels
    if not names:
        return None
    m = _BARE.match(s, path.lead(s, hit.end))
    if not m:
        return None
    rest = m["rest"]
    if rest.lstrip().startswith(","):  # "378-B, file 177"
        others = [re.sub(r"^,\s?file\s", "", rest.strip())]
    else:
        others = [p.strip() for p in rest.split("/") if p.strip()]
    parts = [_fond_value(m["first"]), *others]
    if len(parts) > len(names):
        return None
    pages = sheets.normalise(m["p"]) if m["p"] else None
    return found_reference(hit.code, _assign(names, parts), pages, hit.start, m.end())


# --- Bundesarchiv: Bestand/Nr., Bestand/Series/Nr. --------------------------------------------

_BARCH = re.compile(
    r"(?:Bestand\s)?(?P<best>[A-Z][A-Za-z]{0,3}\s?\d+(?:\s?-\s?[IVX]+|\s[A-Z](?![\w]))?)"
    r"(?:\s?/\s?(?P<rest>[\w.]+(?:\s[\w.]+)*(?:\s?/\s?[\w.]+(?:\s[\w.]+)*)*))?(?![\w/])"
)


def barch(s: str, hit: AliasHit) -> Found | None:
    """``BArch, R 43-I/1234``, ``BArch, NS 19/3456, Bl. 5``, ``BArch, DY 30/IV 2/2/1``."""
    pos = path.lead(s, hit.end)
    m = _BARCH.match(s, pos)
    if not m:
        return path.read_named(path.GERMAN, s, hit)
    best = re.sub(r"\s?-\s?", "-", m["best"])
    levels = [("fond", best)]
    if m["rest"]:
        parts = [p.strip() for p in re.split(r"\s?/\s?", m["rest"])]
        if len(parts) > 1:
            levels.append(("series", "/".join(parts[:-1])))
        levels.append(("number", parts[-1]))
    found = found_reference(hit.code, levels, None, hit.start, m.end())
    return _extend(path.GERMAN, s, found, hit.code, hit.start)


# --- IPN: zespół code and sygnatura (AIPN MBP 3712, IPN BU 1572/3712) ---------------------------

_IPN = re.compile(
    r"[\s,]*(?P<fond>(?:[A-Z][A-Za-z]{0,3}|[IVX]+)(?:\s(?:[A-Z]{2,4}|[IVX]+))*)\s?,?\s"
    r"(?P<sygn>\d[\d/\-]*(?:/[A-Za-z0-9\-]+)*)(?![\w/])"
)


def ipn(s: str, hit: AliasHit) -> Found | None:
    m = _IPN.match(s, hit.end)
    if not m:
        return path.read_named(path.POLISH, s, hit)
    found = found_reference(
        hit.code, [("fond", m["fond"]), ("sygn", m["sygn"])], None, hit.start, m.end()
    )
    return _extend(path.POLISH, s, found, hit.code, hit.start)


# --- AMSZ: zespół, wiązka, teczka (Z. 12, W. 17, T. 404; or DV Z12 T404 W17) ---------------------

_AMSZ_STEP = re.compile(r"[\s,]*(?P<l>[ZWTzwt])\.?\s?-?\s?(?P<v>\d+[a-z]?)(?![\w/])")
_AMSZ_DEPARTMENT = re.compile(r"[\s,]*(?P<dep>D(?:ep\.?\s?)?[IVX]+|Dep\.\s?\w+)(?=[\s,])")
_AMSZ_SIGNATURE = re.compile(r"[\s,]*(?P<sig>[A-Z](?:-[A-Z0-9]+){3,})(?![\w-])")
_AMSZ_LEVEL = {"Z": "fond", "W": "bundle", "T": "file"}
_AMSZ_ORDER = ("section", "fond", "bundle", "file")


def amsz(s: str, hit: AliasHit) -> Found | None:
    pos = path.lead(s, hit.end)
    m = _AMSZ_SIGNATURE.match(s, pos)
    if m:  # "D-I-R-0-22-1-73": one signature; what follows it is not read
        return found_reference(hit.code, [("signature", m["sig"])], None, hit.start, m.end())
    levels: dict[str, str] = {}
    end = pos
    dep = _AMSZ_DEPARTMENT.match(s, pos)
    if dep:
        levels["section"], end = dep["dep"], dep.end()
    for step in _AMSZ_STEP.finditer(s, end):
        level = _AMSZ_LEVEL[step["l"].upper()]
        if step.start() != end or level in levels:
            break
        levels[level] = step["v"]
        end = step.end()
    if "fond" not in levels or len(levels) < 2:
        return path.read_named(path.POLISH, s, hit)
    ordered = [(name, levels[name]) for name in _AMSZ_ORDER if name in levels]
    return _extend(
        path.POLISH,
        s,
        found_reference(hit.code, ordered, None, hit.start, end),
        hit.code,
        hit.start,
    )


# --- French cotes: 5 AG 1/1712, 98 AJ, F/7/13427, F7 13427 ---------------------------------------

# "5 AG 1/1712": the number before the slash belongs to the sub-series (the first
# president's fonds); "72 AJ 1920": without a slash the number is the article
_COTE = re.compile(
    r"(?P<n>\d+)\s?(?P<s>[A-Z]{1,3})(?:\s(?P<sub>\d+)(?=\s?/))?"
    r"(?:\s?/\s?(?P<art>\d+(?:\s?-\s?\d+)?)|\s(?P<art2>\d+(?:\s?-\s?\d+)?))?(?![\w/])"
)
_COTE_SERIES = re.compile(
    r"(?P<s>[A-Z]{1,2})\s?/?\s?(?P<sub>\d+[A-Z]?)(?:\s?/\s?|\s)(?P<art>\d+(?:\s?-\s?\d+)?)(?![\w/])"
)


def french(s: str, hit: AliasHit) -> Found | None:
    """A cote (``5 AG 1/1712``: series AG, sub-series 5 AG 1, article 1712), then any
    labelled parts (``dossier 3``); else a labelled path (``série Europe, carton 12``)."""
    pos = path.lead(s, hit.end)
    m = _COTE.match(s, pos)
    if m:
        sub = f"{m['n']} {m['s']}" + (f" {m['sub']}" if m["sub"] else "")
        levels = [("series", m["s"]), ("subseries", sub), ("article", _dash(m["art"] or m["art2"]))]
    else:
        m = _COTE_SERIES.match(s, pos)
        if not m:
            return path.read_named(path.FRENCH, s, hit)
        levels = [("series", m["s"]), ("subseries", f"{m['s']}/{m['sub']}"),
                  ("article", _dash(m["art"]))]  # fmt: skip
    found = found_reference(hit.code, levels, None, hit.start, m.end())
    return _extend(path.FRENCH, s, found, hit.code, hit.start)


def _dash(text: str | None) -> str:
    return re.sub(r"\s?-\s?", "-", text or "")


# --- ISAD(G) reference codes: country.locality.repository//signature -----------------------------

_ISAD = re.compile(
    r"(?P<cc>[A-Z]{2})\.(?P<loc>\d{2,6})\.(?P<repo>[A-Z][A-Za-z0-9]*)(?:/[\w.]+)*//"
    r"(?P<sig>[^\s,][^\s]*(?:,[^\s,]+)*)"
)
_ISAD_ITEM = re.compile(r"(?P<l>C|N|R|D|Exp|Leg|LEG|Carp|Caja)\.?\s?(?P<v>[\w/\-]+)$")
_ISAD_LEVEL = {"C": "box", "Caja": "box", "N": "number", "R": "ramo", "D": "item",
               "Exp": "file", "Leg": "legajo", "LEG": "legajo", "Carp": "folder"}  # fmt: skip


def isad_unnamed(s: str) -> Found | None:
    """``ES.28079.AHN//FC-Mº_CULTURA,1,N.13``: ISAD(G) 3.1.1, as the Spanish PARES prints
    it. The repository code names the archive; one the registry lacks is taken as given."""
    start = _START.match(s)
    pos = start.end() if start else 0
    m = _ISAD.match(s, pos)
    if not m:
        return None
    entry = current().get(m["repo"])
    code = entry.code if entry else transliterate(m["repo"]).upper()
    if not re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]+)*", code):
        return None
    levels = [("country", m["cc"]), ("locality", m["loc"]), ("repository", m["repo"])]
    items = m["sig"].rstrip(".").split(",")
    levels.append(("fond", items[0]))
    pending: str | None = None
    for item in items[1:]:
        if pending:
            levels.append((pending, item))
            pending = None
            continue
        im = _ISAD_ITEM.match(item)
        if item in ("LEG", "Leg", "CAJA", "Caja"):
            pending = "legajo" if item.lower() == "leg" else "box"
        elif im:
            levels.append((_ISAD_LEVEL[im["l"]], im["v"]))
        else:
            levels.append(("unit", item))
    return found_reference(code, levels, None, pos, m.end())


# --- reference numbers: collection/series/.../item (CALM catalogues, county record offices) ------

_REFNO = re.compile(
    r"(?P<first>(?:MSS?\.?\s?|[A-Z]{1,2}\s?)?\d+(?:\.\d+)?[A-Za-z]?"
    r"|[A-Z][A-Za-z]{2,}\s?\d+[A-Za-z]?)"
    r"(?P<rest>(?:\s?/\s?[A-Za-z0-9.]+)*)(?![\w/])"
)
_MNEMONIC = re.compile(r"(?P<col>[A-Z][A-Za-z]{2,})\s?(?P<num>\d+[A-Za-z]?)")
_REFNO_LEVELS = ("collection", "series", "subseries", "subsubseries", "item")


def refno(s: str, hit: AliasHit) -> Found | None:
    """``MS 2126/3/5/d/3`` (collection MS 2126), ``CHAR 20/13/8`` (collection CHAR): a
    collection code of two letters or fewer keeps its number, a longer mnemonic does not."""
    m = _REFNO.match(s, path.lead(s, hit.end))
    if not m:
        return path.read_named(path.ENGLISH, s, hit)
    found = _refno(hit.code, m, hit.entry.levels or _REFNO_LEVELS, hit.start, False)
    return _extend(path.ENGLISH, s, found, hit.code, hit.start)


def _refno(
    code: str, m: re.Match[str], names: tuple[str, ...], start: int, inferred: bool
) -> Found | None:
    first = m["first"]
    mnemonic = _MNEMONIC.fullmatch(first)
    head = [mnemonic["col"], mnemonic["num"]] if mnemonic and mnemonic["col"] != "MSS" else [first]
    parts = head + [p.strip() for p in m["rest"].split("/") if p.strip()]
    return found_reference(code, _assign(names, parts), None, start, m.end(), inferred)


_CHURCHILL = re.compile(
    r"(?<![\w/])(?P<first>(?:CHAR|CHUR)\s?\d+)(?P<rest>(?:\s?/\s?[A-Za-z0-9]+)+)(?![\w/])"
)


def churchill_unnamed(s: str) -> Found | None:
    """``CHAR 20/13/8``: the Chartwell (and post-1945 CHUR) papers' own reference codes."""
    m = _CHURCHILL.search(s)
    if not m:
        return None
    code = infer_archive(Style(scheme="churchill"))
    if code is None:
        return None
    names = (entry.levels if (entry := current().by_code(code)) else ()) or _REFNO_LEVELS
    return _refno(code, m, names, m.start(), True)


# --- National Archives of Ireland: department/series/file ---------------------------------

_IRISH = re.compile(
    r"(?P<dep>[A-Z]{2,6})\s?/\s?(?P<ser>\d+|[A-Z]\d*)\s?/\s?(?P<file>[A-Z]?\d[\w./\-]*)(?![\w/])"
)


def irish(s: str, hit: AliasHit) -> Found | None:
    """``NAI DFA/5/305/134``: department DFA, series 5, file 305/134."""
    m = _IRISH.match(s, path.lead(s, hit.end))
    if not m:
        return path.read_named(path.ENGLISH, s, hit)
    levels = [("department", m["dep"]), ("series", m["ser"]), ("file", m["file"])]
    return _extend(
        path.ENGLISH,
        s,
        found_reference(hit.code, levels, None, hit.start, m.end()),
        hit.code,
        hit.start,
    )


# --- the Vatican nunciatures' archives, named by their fondo -------------------------------

_NUNZIATURA = re.compile(
    r"Arch(?:\.|ivio)\s?(?:della\s)?Nunz(?:\.|iatura)\s?(?:di\s)?[A-ZÀ-Ý][\w']+"
)


def nunziatura_unnamed(s: str) -> Found | None:
    """``Arch. Nunz. Monaco, vol. 307-415``: the fondo of a nunciature's archive, which
    the Vatican Apostolic Archive keeps."""
    start = _START.match(s)
    pos = start.end() if start else 0
    m = _NUNZIATURA.match(s, pos)
    if not m:
        return None
    code = infer_archive(Style(scheme="nunziatura"))
    if code is None:
        return None
    parts, _ = path.split_parts(s, m.end())
    if parts and parts[0].text == "":
        parts = parts[1:]
    rest = path.read_path(path.ITALIAN, parts, ("series", "subseries")) if parts else None
    levels = [("fond", " ".join(m.group().split())), *(rest.levels if rest else [])]
    end = rest.end if rest and rest.levels else m.end()
    pages = rest.pages if rest else None
    return found_reference(code, levels, pages, pos, end, True)
