"""Archives that cite by call number rather than by labelled levels.

One small reader per scheme: PRC Foreign Ministry (``118-01082-04``), TNA
(``FO 371/151948``), SAPMO-BArch (``NY 4090/437``), Hungarian MNL OL (both the party
archive's number-before-label form and the Foreign Ministry's ``XIX-J-1-j`` files),
Budapest City Archives, ÁBTL, AAN, the Czech NA and VHA, ANIC, the Gorky Archive, and
TsDA's call numbers as the Parallel History Project prints them. Each reads what follows
the archive's name and returns None when the text does not fit, never a guess. Where an
archive is also cited as a plain labelled path (``AAN, zespół ..., sygn. ...``), the
reader falls back to its language's path grammar (``path.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from metadata.references import path, sheets
from metadata.references.archives import AliasHit, Style, infer_archive
from metadata.references.citation import Found, found_reference

Reader = Callable[[str, AliasHit], "Found | None"]
_P = sheets.PAGES
# after an archive's name: punctuation, then the PHP's "<City> Call Number:"
_LEAD = re.compile(r"[\s,:;]*(?:(?:[A-Z][a-z]+\s)?Call\sNumber:\s?)?")
# where a call number may start when no archive is named
_START = re.compile(r"(?:\s|\(|(?:Document\s)?Source:|Call\sNumber:|Reference(?:\sCode)?\s?:)*")


def _lead(s: str, pos: int) -> int:
    m = _LEAD.match(s, pos)
    return m.end() if m else pos


def _pages(text: str | None) -> str | None:
    return sheets.normalise(text) if text else None


# --- PRC Foreign Ministry Archive: series-file-item, zeros significant ------------------------
_PRC = re.compile(rf"(?P<s>\d{{3}})-(?P<f>\d{{5}})(?:-(?P<i>\d{{2}}))?(?!\d)(?:,\s?(?P<p>{_P}))?")


def prc(s: str, hit: AliasHit) -> Found | None:
    m = _PRC.match(s, _lead(s, hit.end))
    if not m:
        return None
    levels = [("series", m["s"]), ("file", m["f"]), ("item", m["i"] or "")]
    return found_reference(hit.code, levels, _pages(m["p"]), hit.start, m.end())


# --- TNA: department, series, piece; pieces are integers ------------------------------------
# Department codes (the letters of a TNA reference) of the departments Cold War history
# cites. Codes that are also common abbreviations elsewhere are left out (RG is NARA's
# record group, NSC 68 a US National Security Council paper, J the SED's series).
_TNA_DEPARTMENT_CODES = (
    "AB", "ADM", "AIR", "AVIA", "BT", "BW", "CAB", "CO", "CUST", "DEFE", "DO", "DPP",
    "DSIR", "ED", "EG", "ES", "FCO", "FO", "HLG", "HO", "HS", "HW", "INF", "IR", "KV", "LAB",
    "LCO", "MAF", "MEPO", "MT", "OD", "PCOM", "PIN", "POWE", "PREM", "PRO", "SUPP", "T",
    "TS", "WO", "WORK",
)  # fmt: skip
_TNA_DEPARTMENTS = "|".join(sorted(_TNA_DEPARTMENT_CODES, key=len, reverse=True))
_TNA = re.compile(
    rf"(?<![\w/])(?P<dep>{_TNA_DEPARTMENTS})\s?(?P<ser>\d+)"
    r"(?:\s?[/\-]\s?(?P<pc>\d+(?:-\d+)?)(?:/(?P<item>\d+(?:/\d+)*))?)?(?![\w/])"
)
_TNA_PIECE = re.compile(
    rf"(?<![\w/(])(?P<dep>{_TNA_DEPARTMENTS})\s?(?P<ser>\d+)\s?/\s?(?P<pc>\d+(?:-\d+)?)"
    r"(?:/(?P<item>\d+(?:/\d+)*))?(?![\w/])"
)
_TNA_LEAD = re.compile(r"[\s,:;]*(?:(?:Class|Reference|Ref\.|Catalogue\sreference):?\s)?")
_FO_REGISTRY = re.compile(
    r"(?<![\w/])NS\sfiles?\s(?P<ref>\d+(?:/\d+)?(?:-\d+(?:/\d+)?)?)"
    rf"(?:\s?\((?:pp?\.?\s?)?(?P<p>{_P})\))?"
)


def _tna_levels(m: re.Match[str]) -> list[tuple[str, str]]:
    piece = "-".join(re.sub(r"^0+(?=\d)", "", part) for part in (m["pc"] or "").split("-"))
    levels = [("department", m["dep"]), ("series", m["ser"]), ("piece", piece)]
    if m["item"]:  # "DO 35/1003/8/13": the piece's own registry sub-numbers
        levels.append(("item", m["item"]))
    return levels


def tna(s: str, hit: AliasHit) -> Found | None:
    lead = _TNA_LEAD.match(s, _lead(s, hit.end))
    m = _TNA.match(s, lead.end() if lead else hit.end)
    if not m:
        m = _TNA.match(s, hit.start)  # "PRO 30/69/1": the name is the department
        if not m or m["pc"] is None:
            return None
    return found_reference(hit.code, _tna_levels(m), None, hit.start, m.end())


def tna_unnamed(s: str) -> Found | None:
    """``FO 371/151948`` or ``NS file 1051`` standing alone: TNA by style; or a full
    department/series/piece after other text (``WCM(40)141, 27 May 1940, CAB65/13``)."""
    start = _START.match(s)
    pos = start.end() if start else 0
    m = _TNA.match(s, pos)
    code = infer_archive(Style(scheme="tna")) or "TNA"
    if m:
        return found_reference(code, _tna_levels(m), None, pos, m.end(), True)
    m = _FO_REGISTRY.match(s, pos)
    if m:
        code = infer_archive(Style(scheme="fo-registry")) or "TNA"
        levels = [("former_ref", f"NS {m['ref']}")]
        return found_reference(code, levels, _pages(m["p"]), pos, m.end(), True)
    for m in _TNA_PIECE.finditer(s, pos):
        if re.search(r"(?:^|[,;:]\s?|\s-\s)$", s[pos : m.start()]):
            return found_reference(code, _tna_levels(m), None, m.start(), m.end(), True)
    return None


# --- SAPMO-BArch: a signature such as DY 30/IV 2/2/1, NY 4090/437, J IV 2/202/130 ------------
_SIG_PART = r"(?:[IVX]+|\d+(?:\.\d+)*[a-z]?|[A-Z]{1,2})(?![\w])"
# "DY 30/J IV 2/10.04/24": a Bundesarchiv Bestand, the series inside it, the file number
_BESTAND_PATH = re.compile(r"(?P<best>[A-Z]{1,3}\s\d+(?:-[IVX]+)?)/(?P<mid>.+)/(?P<nr>[^/]+)")
_SAPMO = re.compile(
    rf"(?:ZPA[\s,]+)?(?P<sig>[A-Z]{{1,3}}(?:\s?/\s?|\s){_SIG_PART}(?:(?:\s?/\s?|\s){_SIG_PART})*)"
    rf"(?:,?\s?Bl\.\s?(?P<p>{_P}))?"
)


def sapmo(s: str, hit: AliasHit) -> Found | None:
    m = _SAPMO.match(s, _lead(s, hit.end))
    if not m:
        return None
    signature = re.sub(r"\s?/\s?", "/", m["sig"])
    split = _BESTAND_PATH.fullmatch(signature)
    if split:
        levels = [("fond", split["best"]), ("series", split["mid"]), ("number", split["nr"])]
    else:  # the published keys keep these signatures whole (NY 4090/437, J IV 2/2259)
        levels = [("signature", signature)]
    return found_reference(hit.code, levels, _pages(m["p"]), hit.start, m.end())


# --- MNL OL (MOL) -----------------------------------------------------------------------
_HU_LABEL = {"f": "fond", "cs": "csoport", "oe": "oe", "őe": "oe", "doboz": "box",
             "tétel": "tetel", "tetel": "tetel"}  # fmt: skip
_MKS = re.compile(r"[\s,\-]*(?P<sec>M-[A-Z]{1,4})(?=[\s,\-])")
_HU_STEP = re.compile(r"[\s,\-]*(?P<v>\d+(?:/\d+)?)\.\s?(?P<l>f|cs|ő\.?\s?e|oe)\.")
# "P 2343", "K 27": a fond code of a letter section and a number
_HU_LETTER_FOND = re.compile(r"[\s,]*(?P<fond>[A-Z]{1,2}\s\d+(?:\s?[a-z](?![\w]))?)(?![\w/])")
_HU_UNIT = re.compile(
    r"[\s,]*(?P<v>\d+(?:/[\da-z]+)?)\.\s?(?P<l>doboz|tétel|tetel|cs|ő\.?\s?e|oe)\.?(?![\w])"
)
_XIX = re.compile(
    r"[\s,\-]*(?:(?:[A-Z][a-z]+\s)?Call\sNumber:\s?)?"
    r"(?P<fond>[IVXL]+-[A-Z](?:-\d+)?(?:-[a-z])?)"
    r"(?:\s(?P<cty>[^\W\d_][\w\-]*))?"
)
_HU_ITEM = re.compile(r",\s?(?P<item>[^,]+)")
_HU_BOX = re.compile(r"(?P<n>\d+)\.\s?doboz$")
# a tétel or registration number: 5/a, 81-146, 004076/1955, V-73
_HU_CODE = re.compile(r"\d[\w\-./]*|[\w\-]+/[\w\-./]+|[A-Z]{1,4}-\d[\w\-./]*")


def hungarian(s: str, hit: AliasHit) -> Found | None:
    pos = hit.end
    m = _MKS.match(s, pos)
    if m:
        levels = [("section", m["sec"])]
        end = m.end()
        for step in _HU_STEP.finditer(s, end):
            if step.start() != end:
                break
            label = _HU_LABEL[re.sub(r"[\s.]", "", step["l"])]
            value = step["v"]
            if "/" in value and label == "oe":  # "5/309.oe.": csoport 5, őrzési egység 309
                group, value = value.split("/", 1)
                levels.append(("csoport", group))
            levels.append((label, value))
            end = step.end()
        return found_reference(hit.code, levels, None, hit.start, end) if len(levels) > 1 else None
    steps = _hu_steps(s, pos)
    if steps:  # "PIL 274. f. 7. cs. 12. ő. e.": the party archive's form without a section
        levels, end = steps
        return found_reference(hit.code, levels, None, hit.start, end)
    m = _HU_LETTER_FOND.match(s, pos)
    if m:
        levels = [("fond", m["fond"])]
        end = m.end()
        for step in _HU_UNIT.finditer(s, end):
            if step.start() != end:
                break
            levels.append((_HU_LABEL[re.sub(r"[\s.]", "", step["l"])], step["v"]))
            end = step.end()
        return found_reference(hit.code, levels, None, hit.start, end)
    m = _XIX.match(s, pos)
    if not m:
        return None
    levels = [("fond", m["fond"])]
    if m["cty"]:
        levels.append(("country", m["cty"]))
    end = m.end()
    box = year = None
    codes: list[str] = []
    for im in _HU_ITEM.finditer(s, end):
        if im.start() != end:
            break
        item = re.sub(r"\s?/\s?", "/", im["item"].strip())
        if re.fullmatch(r"(?:19|20)\d\d", item) and box is None and not codes and year is None:
            year = item
        elif (bm := _HU_BOX.fullmatch(item)) and box is None and not codes:
            box = bm["n"]
        elif _HU_CODE.fullmatch(item) and len(codes) < 2:
            codes.append(item)
        else:
            break
        end = im.end()
    if year:
        levels.append(("year", year))
    if box:
        levels.append(("box", box))
    if len(codes) == 2 or (codes and box):
        levels.append(("tetel", codes[0]))
        codes = codes[1:]
    if codes:
        levels.append(("docno", codes[0]))
    return found_reference(hit.code, levels, None, hit.start, end)


def _hu_steps(s: str, pos: int) -> tuple[list[tuple[str, str]], int] | None:
    """``274. f. 7. cs. 12. ő. e.``: number-before-label steps starting with the fond."""
    levels: list[tuple[str, str]] = []
    end = pos
    for step in _HU_STEP.finditer(s, pos):
        if step.start() != end:
            break
        label = _HU_LABEL[re.sub(r"[\s.]", "", step["l"])]
        value = step["v"]
        if "/" in value and label == "oe":
            group, value = value.split("/", 1)
            levels.append(("csoport", group))
        levels.append((label, value))
        end = step.end()
    if not levels or levels[0][0] != "fond" or len(levels) < 2:
        return None
    return levels, end


# --- Budapest City Archives: BFL XXXV. La. 1. 5. őe. -------------------------------------
_BFL = re.compile(
    r"[\s,]*(?P<fond>[IVXL]+)\.?\s(?P<ser>[A-Z][a-z]{0,3}\.\s?\d+)\.?"
    r"(?:\s(?P<oe>\d+)\.\s?ő\.?\s?e\.)?"
)


def bfl(s: str, hit: AliasHit) -> Found | None:
    m = _BFL.match(s, hit.end)
    if not m:
        return None
    levels = [("fond", m["fond"]), ("series", m["ser"]), ("oe", m["oe"] or "")]
    return found_reference(hit.code, levels, None, hit.start, m.end())


# --- ÁBTL: 4.2. - 10-472/ 1967 /1 (section, file, page) ----------------------------------
_ABTL = re.compile(
    r"[\s\-]*(?P<sec>\d+(?:\.\d+)*)\.?\s?-\s?(?P<unit>[\w\-]+/\s?\d{4})(?:\s?/\s?(?P<p>\d+))?"
)


def abtl(s: str, hit: AliasHit) -> Found | None:
    m = _ABTL.match(s, hit.end)
    if not m:
        return None
    levels = [("section", m["sec"]), ("unit", re.sub(r"\s", "", m["unit"]))]
    return found_reference(hit.code, levels, _pages(m["p"]), hit.start, m.end())


# --- AAN: fond (zespół) name, sygnatura, k. (karta) ---------------------------------------
_AAN = re.compile(
    r"(?P<fond>KC\sPZPR|[A-Z]{2,}(?:\s[A-Z]{2,})*),\s?(?:sygn\.\s?)?"
    r"(?P<sygn>[A-Z0-9]+(?:/[A-Z0-9\-]+)+)"
    rf"(?:,\s?k\.\s?(?P<p>{_P}))?"
)
_PZPR = re.compile(r"KC\sPZPR,")


def aan(s: str, hit: AliasHit) -> Found | None:
    m = _AAN.match(s, _lead(s, hit.end))
    if not m:
        return path.read_named(path.POLISH, s, hit)
    levels = [("fond", m["fond"]), ("sygn", m["sygn"])]
    return found_reference(hit.code, levels, _pages(m["p"]), hit.start, m.end())


def aan_unnamed(s: str) -> Found | None:
    """``KC PZPR, XIA/103, k. 521-22``: the party's fond gives the archive away."""
    start = _START.match(s)
    pos = start.end() if start else 0
    if not _PZPR.match(s, pos):
        return None
    m = _AAN.match(s, pos)
    if not m:
        return None
    code = infer_archive(Style(scheme="pzpr")) or "AAN"
    levels = [("fond", m["fond"]), ("sygn", m["sygn"])]
    return found_reference(code, levels, _pages(m["p"]), pos, m.end(), True)


# --- Czech NA (SÚA): "AÚV KSČ 79/88" or "f. KSČ-ÚV-02/1, sv. 45, a.j. 47" ------------------
_CZ_UPPER = "A-ZÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ"
_NACZ_CALL = re.compile(
    rf"(?P<fond>[{_CZ_UPPER}]{{2,}}(?:[\s\-][{_CZ_UPPER}0-9]{{2,}})*)\s(?P<unit>\d+/\d+)(?![\w/])"
)
_NACZ_F = re.compile(
    r"f\.\s?(?P<fond>[^,]+?),\s?sv\.\s?(?P<sv>\d+)(?:,\s?a\.\s?j\.\s?(?P<aj>\d+))?(?![\w])"
)


def nacz(s: str, hit: AliasHit) -> Found | None:
    pos = _lead(s, hit.end)
    m = _NACZ_CALL.match(s, pos)
    if m:
        levels = [("fond", m["fond"]), ("unit", m["unit"])]
        return found_reference(hit.code, levels, None, hit.start, m.end())
    m = _NACZ_F.match(s, pos)
    if m:
        levels = [("fond", m["fond"]), ("svazek", m["sv"]), ("unit", m["aj"] or "")]
        return found_reference(hit.code, levels, None, hit.start, m.end())
    return path.read_named(path.CZECH, s, hit)


# --- VHA: F. MNO, Gen. štáb, Sv. Šumava ----------------------------------------------------
_VHA_FOND = re.compile(r"[\s,]*F\.\s?(?P<fond>[^,]+?)(?=,|\.?$)")
_ITEM = re.compile(r",\s?(?P<item>[^,]+)")


def vha(s: str, hit: AliasHit) -> Found | None:
    m = _VHA_FOND.match(s, hit.end)
    if not m:
        return None
    levels = [("fond", m["fond"].strip())]
    end = m.end()
    for im in _ITEM.finditer(s, end):
        if im.start() != end:
            break
        item = im["item"].strip()
        if item.endswith(".") and im.end() == len(s):
            item = item[:-1]
        sv = re.match(r"Sv\.\s?(.+)$", item)
        if sv:
            levels.append(("svazek", sv.group(1)))
        elif len(item) <= 40:
            levels.append(("series", item))
        else:
            break
        end = im.end()
    return found_reference(hit.code, levels, None, hit.start, end)


# --- ANIC: fond, section, dosar N/YYYY, f. (filă = sheet) ---------------------------------
_ANIC_FILE = re.compile(r"dosar\s?(?:nr\.\s?)?(?P<d>[\w/\-]+)$", re.I)
_ANIC_SHEETS = re.compile(rf"f\.\s?(?P<p>{_P})$")


def anic(s: str, hit: AliasHit) -> Found | None:
    pos = _lead(s, hit.end)
    levels: list[tuple[str, str]] = []
    pages = None
    end = offset = pos
    for raw in s[pos:].split(","):
        item = raw.strip()
        offset += len(raw) + 1
        if not item:
            break
        if fm := _ANIC_FILE.match(item):
            levels.append(("file", fm["d"]))
        elif sm := _ANIC_SHEETS.match(item):
            pages = sheets.normalise(sm["p"])
        elif len(levels) < 2 and len(item) <= 60:
            if not levels:  # "fond CC al PCR": the word is a label, not part of the name
                item = re.sub(r"^fond(?:ul)?\s", "", item, flags=re.I)
            levels.append(("fond" if not levels else "series", item))
        else:
            break
        end = min(offset, len(s))
    return found_reference(hit.code, levels, pages, hit.start, end)


# --- Gorky Archive (IMLI): KG-NP/A, 22-4:1-2 ---------------------------------------------
_GORKY = re.compile(
    r"[\s,]*(?P<sec>[A-ZА-Я][\w\-]*(?:/[\w\-]+)*)\s?,\s?(?P<unit>\d+(?:-\d+)*)"
    rf"(?::(?P<p>{_P}))?"
)


def gorky(s: str, hit: AliasHit) -> Found | None:
    m = _GORKY.match(s, hit.end)
    if not m:
        return None
    levels = [("section", m["sec"]), ("unit", m["unit"])]
    return found_reference(hit.code, levels, _pages(m["p"]), hit.start, m.end())
