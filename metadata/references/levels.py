"""The closed vocabulary of level names, their key abbreviations and their human labels.

A key is only reversible if every level name has exactly one abbreviation and no two
names share one, so the table is checked for that at import time. ``l``/``ll`` (sheets)
and ``doc`` (the ingest layer's document token) are reserved and never name a level.
"""

from __future__ import annotations

# name -> (key abbreviation, human label). Order: fond family first, then the others.
LEVELS: dict[str, tuple[str, str]] = {
    "fond": ("f", "Fond"),
    "subdivision": ("sub", "Subdivision"),
    "year": ("yr", "Year"),
    "opis": ("op", "Opis"),
    "papka": ("pap", "Papka"),
    "delo": ("d", "Delo"),
    "tom": ("t", "Tom"),
    "chast": ("ch", "Chast"),
    "section": ("sec", "Section"),
    "csoport": ("cs", "Csoport"),
    "oe": ("oe", "Őrzési egység"),
    "country": ("cty", "Country"),
    "box": ("box", "Box"),
    "tetel": ("tet", "Tétel"),
    "docno": ("no", "Document number"),
    "record_group": ("rg", "Record group"),
    "collection": ("col", "Collection"),
    "series": ("s", "Series"),
    "subseries": ("ss", "Subseries"),
    "lot": ("lot", "Lot"),
    "reel": ("reel", "Reel"),
    "entry": ("ent", "Entry"),
    "file": ("fl", "File"),
    "folder": ("fol", "Folder"),
    "volume": ("vol", "Volume"),
    "item": ("it", "Item"),
    "department": ("dep", "Department"),
    "piece": ("pc", "Piece"),
    "former_ref": ("fref", "Former reference"),
    "signature": ("sig", "Signature"),
    "sygn": ("sygn", "Sygnatura"),
    "unit": ("u", "Unit"),
    "svazek": ("sv", "Svazek"),
    # added with the citation grammar (issue 12); the names above never change
    "subarchive": ("sa", "Sub-archive"),
    "locality": ("loc", "Locality"),
    "repository": ("repo", "Repository"),
    "division": ("div", "Division"),
    "subcollection": ("subcol", "Subcollection"),
    "subsubseries": ("sss", "Sub-subseries"),
    "accession": ("acc", "Accession"),
    "job": ("job", "Job"),
    "number": ("nr", "Number"),
    "titel": ("tit", "Titel"),
    "inventory": ("inv", "Inventory number"),
    "bundle": ("bun", "Bundle"),
    "problema": ("prob", "Problema"),
    "position": ("pos", "Posizione"),
    "rubric": ("rub", "Rubrica"),
    "subfile": ("sf", "Subfile"),
    "legajo": ("leg", "Legajo"),
    "ramo": ("ramo", "Ramo"),
    "article": ("art", "Article"),
}

SHEET = "l"  # one sheet: l.141, l.5ob
SHEETS = "ll"  # a range or a list: ll.9-15, ll.1-1ob
DOC = "doc"  # reserved for the ingest layer's disambiguating token
RESERVED = frozenset({SHEET, SHEETS, DOC})

ABBREVIATION: dict[str, str] = {name: abbr for name, (abbr, _) in LEVELS.items()}
LEVEL_OF: dict[str, str] = {abbr: name for name, abbr in ABBREVIATION.items()}

if len(LEVEL_OF) != len(ABBREVIATION) or RESERVED & LEVEL_OF.keys():
    raise RuntimeError("level abbreviations must be unique and must not use l, ll or doc")

# Rank inside the post-Soviet fond family: sorting by it puts AVPRF's papka (written
# after the delo on the Digital Archive) back between opis and delo.
FOND_FAMILY = (
    "subarchive", "fond", "subdivision", "year", "opis", "papka", "delo", "tom", "chast"
)  # fmt: skip
FOND_RANK: dict[str, int] = {name: i for i, name in enumerate(FOND_FAMILY)}


def level_label(name: str) -> str:
    """A label a reader understands (``fond`` -> ``Fond``); unknown names are prettified."""
    known = LEVELS.get(name)
    if known:
        return known[1]
    return name.replace("_", " ").strip().capitalize() or name
