"""How levels are written: label spellings per language, look-alike letters, transliteration.

Citations mix scripts (``Oп.`` with a Latin O), drop dots (``Оп 11``) and glue labels to
numbers (``ф.1Б``, ``L336``). The spellings below are the labels seen in real citations
(see ``identifiers-citations.md``); the parser turns them into one regex.
"""

from __future__ import annotations

import re

# Cyrillic and Latin letters that look the same; OCR and hurried typing swap them.
_CYRILLIC_LATIN = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k",
    "і": "i",
}  # fmt: skip
_LATIN_CYRILLIC = {lat: cyr for cyr, lat in _CYRILLIC_LATIN.items()}

# Transliteration of Cyrillic letters inside codes and values (П-5 -> P-5, 148а -> 148a).
_TRANSLIT = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Е": "E", "Ё": "E",
    "Є": "Ie", "Ж": "Zh", "З": "Z", "И": "I", "І": "I", "Ї": "I", "Й": "I", "К": "K",
    "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "У": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts", "Ч": "Ch", "Ш": "Sh", "Щ": "Shch",
    "Ъ": "", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "Iu", "Я": "Ia",
}  # fmt: skip
_TRANSLIT.update({k.lower(): v.lower() for k, v in list(_TRANSLIT.items())})
_TRANSLIT_TABLE = str.maketrans(_TRANSLIT)

LETTER = "A-Za-zÀ-ÖØ-öø-ÿĀ-žА-яЁёІіЇїЄєҐґ"  # a character class body for letters we read

# Written label -> level. "." inside a spelling means "optional dot, optional space"
# (а.е. = а.е = а е); "'" means an optional apostrophe of any shape.
SPELLINGS: dict[str, tuple[str, ...]] = {
    # Russian/Ukrainian/Bulgarian Ф., Latin f./Fond; Lithuanian f.
    "fond": ("фонд", "fond", "ф", "f"),
    # Russian оп./опись, Latin op./Opis, Lithuanian ap. (apyrašas), Azerbaijani siy.
    "opis": ("опись", "opis", "оп", "op", "ap", "siy"),
    # AVPRF folder
    "papka": ("папка", "papka", "pap"),
    # д./дело, Ukrainian спр. (справа), Bulgarian а.е. (архивна единица),
    # ед. хр. / ed. khr. (storage unit), Lithuanian b. (byla), Azerbaijani iş
    "delo": ("дело", "delo", "справа", "спр", "а.е", "ед.хр", "ed.khr", "д", "d", "b", "iş"),
    "tom": ("том", "tom", "т", "t"),
    "chast": ("часть", "chast'", "ч", "ch"),
    # sheets: л./лл., l./ll./List/Listy/leaf, Ukrainian арк., Polish k. (karta),
    # German Bl. (Blatt), English pp
    "sheets": (
        "листы", "листов", "лист", "listy", "list", "leaves", "leaf", "лл", "ll", "л", "l",
        "аркуші", "аркуш", "арк", "ark", "k", "bl", "pp",
    ),
}  # fmt: skip


def fold_class(char: str) -> str:
    """A regex for one character that also accepts its look-alike in the other script."""
    other = _CYRILLIC_LATIN.get(char) or _LATIN_CYRILLIC.get(char)
    if other:
        return f"[{char}{other}]"
    return re.escape(char)


def variants(char: str) -> set[str]:
    """A character in both cases and its look-alikes (for first-character filters)."""
    out = {char, char.lower(), char.upper()}
    return out | {x for c in tuple(out) if (x := _CYRILLIC_LATIN.get(c) or _LATIN_CYRILLIC.get(c))}


def spelling_regex(spelling: str) -> str:
    """Regex for a written label: look-alikes folded, '.' and "'" optional."""
    out = []
    for char in spelling:
        if char == ".":
            out.append(r"\.?\s?")
        elif char == "'":
            out.append("['’ʹ]?")
        else:
            out.append(fold_class(char))
    return "".join(out)


def spelling_key(text: str) -> str:
    """One form per written label (``Oп.`` with Latin O -> ``оп``), for style rules."""
    key = re.sub(r"[\s.'’ʹ]", "", text.lower())
    if any("\u0400" <= c <= "\u04ff" for c in key):
        key = "".join(_LATIN_CYRILLIC.get(c, c) for c in key)
    return key


def transliterate(text: str) -> str:
    """Cyrillic letters in a code to Latin (``П-5`` -> ``P-5``, ``1Б`` -> ``1B``)."""
    return text.translate(_TRANSLIT_TABLE)


def cyrillic_alias_regex(alias: str) -> str:
    """Regex for an archive name: look-alikes folded, spaces and hyphens interchangeable."""
    out = []
    for char in alias:
        if char in " -":
            out.append(r"[\s\-]*")
        else:
            out.append(fold_class(char))
    return "".join(out)
