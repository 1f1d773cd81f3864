"""The archive registry: codes, spelled-out names, aliases, citation schemes, style rules.

A code is stable even when an archive renames itself (GAPPOD -> ARPİİSSA, MOL -> MNL OL,
ЦГА РСФСР -> GARF, SÚA -> NA): every name it has been cited under is an alias here.
``scheme`` says which reader understands the archive's call numbers; ``display`` says how
the canonical string is written. Style rules name an archive the citation does not name
but whose form gives it away; each rule says why, and a match is reported as inferred.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from metadata.references.labels import cyrillic_alias_regex, spelling_key, variants


@dataclass(frozen=True)
class Display:
    """How the canonical string of a reference in this archive is written.

    ``style``: ``fond`` (``f.1 op.89``), ``hungarian``, ``signature`` (values only),
    ``named`` (values only, each squeezed into one token), ``tna``, ``prc`` or ``us``.
    ``labelled``: for ``named``, the levels written with their abbreviation.
    """

    style: str = "fond"
    labelled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Alias:
    """One way an archive is cited; ``pattern`` is a regex instead of literal text.

    ``implies`` are levels the name stands for (the Department of State's files are
    NARA Record Group 59); ``inferred`` marks names that are not the archive's own.
    """

    text: str
    pattern: bool = False
    implies: tuple[tuple[str, str], ...] = ()
    inferred: bool = False


@dataclass(frozen=True)
class Archive:
    code: str
    name: str
    scheme: str
    aliases: tuple[str | Alias, ...]
    display: Display = field(default_factory=Display)
    # also cited by bare call number, "378-B/177" = fond 378B, file 177 (PHP's TsDA form)
    call_numbers: bool = False


_FOND = Display()
_SIGNATURE = Display("signature")
_US = Display("us")

ARCHIVES: tuple[Archive, ...] = (
    # --- post-Soviet fond > opis > delo > list ----------------------------------------
    Archive("GAPPOD", "Azerbaijan State Archive of Political Parties and Social Movements",
            "fond", ("GAPPOD AzR", "GAPPOD", "ГАППОД", "ARPİİSSA", "ARP İİ İSSA")),
    Archive("RGASPI", "Russian State Archive of Socio-Political History", "fond",
            ("RGASPI", "РГАСПИ", "РДАСПІ", "RTsKhIDNI", "РЦХИДНИ",
             "Russian State Archive of Socio-Political History")),
    Archive("RGANI", "Russian State Archive of Contemporary History", "fond",
            ("RGANI", "РГАНИ", "TsKhSD", "ЦХСД", "Russian State Archive of Contemporary History")),
    Archive("APRF", "Archive of the President of the Russian Federation", "fond",
            ("AP RF", "АП РФ", "Archive of the President of the Russian Federation",
             "Presidential Archive of the Russian Federation")),
    Archive("GARF", "State Archive of the Russian Federation", "fond",
            ("GARF", "GA RF", "ГАРФ", "ГА РФ", "ЦГА РСФСР", "TsGA RSFSR",
             "State Archive of the Russian Federation")),
    Archive("AVPRF", "Foreign Policy Archive of the Russian Federation", "fond",
            ("AVP RF", "АВП РФ", "Foreign Policy Archive of the Russian Federation",
             "Archive of Foreign Policy of the Russian Federation")),
    Archive("TSAMO", "Central Archive of the Ministry of Defence of the Russian Federation",
            "fond", ("ЦАМО РФ", "ЦАМО", "TsAMO RF", "TsAMO")),
    Archive("TSA-FSB", "Central Archive of the Federal Security Service of the Russian "
            "Federation", "fond", ("ЦА ФСБ РФ", "ЦА ФСБ России", "ЦА ФСБ", "TsA FSB RF",
                                   "TsA FSB")),
    Archive("RGAE", "Russian State Archive of the Economy", "fond", ("RGAE", "РГАЭ")),
    Archive("RGVA", "Russian State Military Archive", "fond", ("RGVA", "РГВА")),
    Archive("OGACHO", "United State Archive of Chelyabinsk Oblast", "fond",
            ("ОГАЧО", "OGAChO")),
    Archive("GAOO", "State Archive of the Oblast abbreviated ГАОО (the acronym is shared "
            "by several oblast archives)", "fond", ("ГАОО", "GAOO")),
    Archive("GAVO", "State Archive of the Oblast abbreviated ГАВО (the acronym is shared "
            "by several oblast archives)", "fond", ("ГАВО", "GAVO")),
    Archive("TSGA-RM", "Central State Archive of the Republic of Mordovia", "fond",
            ("ЦГА Республики Мордовия", "ЦГА РМ")),
    Archive("YELTSIN-CENTER", "Archive of the B. N. Yeltsin Presidential Center", "fond",
            ("Ельцин Центр", "Yeltsin Center")),
    Archive("TSDAHO", "Central State Archive of Public Organizations of Ukraine", "fond",
            ("ЦДАГО України", "ЦДАГО", "TsDAHOU", "TsDAHO", "TsDAGO")),
    Archive("DAKO", "State Archive of Kyiv Oblast", "fond",
            ("ДАКО", "DAKO", "Державний архів Київської області")),
    Archive("TSDA", "Central State Archives of Bulgaria", "fond",
            ("Central State Archives (TsDA)", "ЦДА", "TsDA"), call_numbers=True),
    Archive("LYA", "Special Archives of Lithuania", "fond",
            ("LYA", "Lietuvos ypatingasis archyvas", "Special Archives of Lithuania")),
    Archive("MIA-GE", "Archive of the Ministry of Internal Affairs of Georgia", "fond",
            ("MIA Archive", "Archive of the Ministry of Internal Affairs of Georgia")),
    # --- Central European signature systems ----------------------------------------------
    Archive("MNL-OL", "National Archives of Hungary", "hungarian",
            ("Hungarian National Archives (MOL)", "Hungarian National Archives",
             "National Archives of Hungary", "MNL OL", "MOL",
             "Magyar Nemzeti Levéltár Országos Levéltára", "Magyar Országos Levéltár"),
            Display("hungarian")),
    Archive("BFL", "Budapest City Archives", "bfl",
            ("BFL", "Budapest Főváros Levéltára", "Budapest City Archives"),
            Display("named", frozenset({"oe"}))),
    Archive("ABTL", "Historical Archives of the Hungarian State Security", "abtl",
            ("ÁBTL", "ABTL", "Állambiztonsági Szolgálatok Történeti Levéltára"), _SIGNATURE),
    Archive("SAPMO-BARCH", "Foundation Archives of Parties and Mass Organisations of the "
            "GDR in the Federal Archives", "sapmo",
            ("SED Archives, IfGA, ZPA", "SAPMO-BArch", "SAPMO-BA", "SAPMO", "IfGA, ZPA",
             "IfGA"), _SIGNATURE),
    Archive("AAN", "Archives of Modern Records, Warsaw", "aan",
            ("Modern Records Archives (AAN)", "Modern Records Archives", "Archiwum Akt Nowych",
             "AAN"), _SIGNATURE),
    Archive("NA-CZ", "National Archives of the Czech Republic", "nacz",
            ("Central State Archives (SÚA)", "SÚA", "Národní archiv", "NA-CZ",
             # bare "NA" only before a named fond, "NA, f. KSČ-ÚV-02/1"
             Alias(r"NA(?=,\s?f\.\s?[^\W\d_])", pattern=True)),
            Display("named", frozenset({"svazek"}))),
    Archive("VHA", "Military Historical Archive, Prague", "vha",
            ("VHA", "Vojenský historický archiv"),
            Display("named", frozenset({"fond", "svazek"}))),
    Archive("ANIC", "National Central Historical Archives of Romania", "anic",
            ("National Central Historical Archives (ANIC)", "ANIC",
             "Arhivele Naționale Istorice Centrale"), Display("named")),
    Archive("ARKHIV-GORKOGO", "A. M. Gorky Archive, Institute of World Literature, Moscow",
            "gorky", ("Arkhiv A. M. Gorkogo", "Архив А. М. Горького", "Gorky Archive"),
            _SIGNATURE),
    # --- China, United Kingdom ---------------------------------------------------------
    Archive("PRC-FMA", "Foreign Ministry Archive of the People's Republic of China", "prc",
            ("PRC FMA", "PRC MFA", "Chinese Foreign Ministry Archive"), Display("prc")),
    Archive("TNA", "The National Archives of the United Kingdom", "tna",
            ("The National Archives", "TNA", "Public Record Office", "PRO"), Display("tna")),
    # --- United States -----------------------------------------------------------------
    Archive("NARA", "National Archives and Records Administration (United States)", "nara",
            ("National Archives and Records Administration", "NARA", "National Archives",
             Alias("Department of State", implies=(("record_group", "59"),), inferred=True)),
            _US),
    Archive("LBJL", "Lyndon Baines Johnson Library", "library",
            ("Lyndon Baines Johnson Library", "Lyndon B. Johnson Library", "LBJ Library",
             "Johnson Library"), _US),
    Archive("DDEL", "Dwight D. Eisenhower Library", "library",
            ("Dwight D. Eisenhower Library", "Eisenhower Library"), _US),
    Archive("JFKL", "John F. Kennedy Library", "library",
            ("John F. Kennedy Library", "Kennedy Library"), _US),
    Archive("HSTL", "Harry S. Truman Library", "library",
            ("Harry S. Truman Library", "Truman Library"), _US),
    Archive("RMNL", "Richard Nixon Library", "library",
            ("Nixon Presidential Materials", "Nixon Library"), _US),
    Archive("GRFL", "Gerald R. Ford Library", "library",
            ("Gerald R. Ford Library", "Ford Library"), _US),
    Archive("JCL", "Jimmy Carter Library", "library",
            ("Jimmy Carter Library", "Carter Library"), _US),
    Archive("RRL", "Ronald Reagan Library", "library",
            ("Ronald Reagan Library", "Reagan Library"), _US),
    Archive("DOD-JCS", "Department of Defense, records of the Joint Chiefs of Staff", "agency",
            (Alias(r"Department of Defense(?=,?\s*Official Records of the Joint Chiefs)",
                   pattern=True),), _US),
)  # fmt: skip

BY_CODE: dict[str, Archive] = {a.code: a for a in ARCHIVES}
DEFAULT = Archive("", "", "fond", ())


def archive(code: str | None) -> Archive:
    """The registry entry; unknown codes are read and written as fond family."""
    return BY_CODE.get(code or "", DEFAULT)


def archive_name(code: str) -> str | None:
    """Spelled-out name of a registry code (``GAPPOD`` -> the Azerbaijan party archive)."""
    found = BY_CODE.get(code)
    return found.name if found else None


# --- alias regex ----------------------------------------------------------------------


@dataclass(frozen=True)
class AliasHit:
    """Where an archive name was found in a citation, and what it stands for."""

    code: str
    start: int
    end: int
    implies: tuple[tuple[str, str], ...] = ()
    inferred: bool = False

    @property
    def scheme(self) -> str:
        return archive(self.code).scheme


def _alias_entries() -> list[tuple[Archive, Alias]]:
    out = []
    for entry in ARCHIVES:
        for alias in entry.aliases:
            out.append((entry, alias if isinstance(alias, Alias) else Alias(alias)))
    # longest first: "Hungarian National Archives" before "National Archives"
    out.sort(key=lambda pair: -len(pair[1].text))
    return out


ALIAS_ENTRIES = _alias_entries()
# One named group per alias (A0, A1, ...); look-alike letters folded, case kept. Callers
# add the word boundaries (and FIRST_CHARS as a look-ahead, which makes scanning fast).
ALIAS_ALTERNATIVES = "|".join(
    f"(?P<A{i}>{alias.text if alias.pattern else cyrillic_alias_regex(alias.text)})"
    for i, (_, alias) in enumerate(ALIAS_ENTRIES)
)
ALIAS_FIRST_CHARS = "".join(
    sorted({c for _, alias in ALIAS_ENTRIES for c in variants(alias.text[0])})
)
_ALIAS_RE = re.compile(
    f"(?=[{re.escape(ALIAS_FIRST_CHARS)}])(?<![^\\W_])(?:{ALIAS_ALTERNATIVES})(?![^\\W_])"
)


def alias_hit(group: str, start: int, end: int) -> AliasHit:
    """The hit for a match of alias group ``A<i>``."""
    entry, alias = ALIAS_ENTRIES[int(group[1:])]
    return AliasHit(entry.code, start, end, alias.implies, alias.inferred)


def find_aliases(text: str) -> list[AliasHit]:
    """Every archive name in ``text``, left to right."""
    return [alias_hit(m.lastgroup or "", m.start(), m.end()) for m in _ALIAS_RE.finditer(text)]


# --- style rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """What a citation's form reveals when it names no archive.

    ``labels``: the written level labels (``spelling_key`` form, e.g. ``ае``, ``спр``);
    ``fond_prefix``: the fond's letter prefix as written (``П`` in ``П-5``);
    ``numero``: the fond number was written with a numero sign (``Fond №6``);
    ``scheme``: for call numbers without labels, which reader recognised them.
    """

    labels: frozenset[str] = frozenset()
    fond_prefix: str | None = None
    numero: bool = False
    scheme: str = "fond"


@dataclass(frozen=True)
class StyleRule:
    code: str
    why: str
    test: Callable[[Style], bool]


_AE = spelling_key("а.е")
_SPR = spelling_key("спр")
_ARK = spelling_key("арк")

STYLE_RULES: tuple[StyleRule, ...] = (
    StyleRule(
        "TSDA",
        "а.е. (архивна единица) for the file is the Bulgarian Central State Archives' label "
        "(`Ф. 1Б; оп. 6; а.е. 307` on politburo.archives.bg)",
        lambda s: _AE in s.labels,
    ),
    StyleRule(
        "DAKO",
        "Ukrainian labels (спр./арк.) with a party-period П- fond are the State Archive of "
        "Kyiv Oblast's form (`ф. П-5, оп.113, спр.293, арк. 48`); TsDAHO fonds have no prefix",
        lambda s: bool({_SPR, _ARK} & s.labels) and s.fond_prefix == "П",
    ),
    StyleRule(
        "MIA-GE",
        "`Fond №6` / `Fond no.6` (English word, numero sign) is how the MIA Archive of "
        "Georgia names its fonds",
        lambda s: s.numero and "fond" in s.labels,
    ),
    StyleRule(
        "TNA",
        "a department code with series and piece (`FO 371/151948`, `FCO 28`) is a UK "
        "National Archives reference",
        lambda s: s.scheme == "tna",
    ),
    StyleRule(
        "TNA",
        "`NS file 1051` is a former Foreign Office registry reference, kept with TNA pieces",
        lambda s: s.scheme == "fo-registry",
    ),
    StyleRule(
        "NARA",
        "a bare State Department decimal file (`761.93/7–2649`) is in the Central Files, "
        "now NARA Record Group 59",
        lambda s: s.scheme == "state-decimal",
    ),
    StyleRule(
        "NARA",
        "`Record Group N` is NARA's own arrangement",
        lambda s: s.scheme == "record-group",
    ),
    StyleRule(
        "AAN",
        "the fond KC PZPR (Central Committee of the Polish United Workers' Party) is kept "
        "at the Archives of Modern Records",
        lambda s: s.scheme == "pzpr",
    ),
)


def infer_archive(style: Style) -> str | None:
    """The archive the first matching style rule names, or None."""
    for rule in STYLE_RULES:
        if rule.test(style):
            return rule.code
    return None
