"""How levels are written: label spellings per language, look-alike letters, transliteration.

Citations mix scripts (``Oп.`` with a Latin O), drop dots (``Оп 11``) and glue labels to
numbers (``ф.1Б``, ``L336``). The spellings below are the labels seen in real citations
(see ``identifiers-citations.md``); the parser turns them into one regex.
"""

from __future__ import annotations

import re
from functools import lru_cache

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

# Written label -> level, for the fond family in every language that uses it. "." inside
# a spelling means "optional dot, optional space" (а.е. = а.е = а е); "'" means an optional
# apostrophe of any shape. Look-alike letters are folded, so "а.е" also reads Latin "a.e".
SPELLINGS: dict[str, tuple[str, ...]] = {
    # Russian/Ukrainian/Belarusian/Bulgarian Ф., Latin f./Fond; Lithuanian f.
    "fond": ("фонд", "fond", "ф", "f"),
    # Russian оп./опись, Ukrainian опис (Latin opys), Belarusian воп. (вопіс), Latin
    # op./Opis, Lithuanian ap. (apyrašas), Azerbaijani siy. (siyahı)
    "opis": ("опись", "опис", "вопіс", "воп", "opis", "opys", "оп", "op", "ap", "siy"),
    # AVPRF folder
    "papka": ("папка", "papka", "pap"),
    # д./дело, Ukrainian спр. (справа, Latin spr./sprava), Bulgarian а.е. (архивна
    # единица, also арх. ед.), ед. хр. / ed. khr. (storage unit), Belarusian адз. зах.
    # (адзінка захоўвання), Lithuanian b. (byla), Azerbaijani iş, Mongolian ХН
    # (хадгаламжийн нэгж, Latin HN / kh.n.)
    "delo": ("дело", "delo", "справа", "sprava", "спр", "spr", "арх.ед", "а.е", "ед.хр",
             "ed.khr", "адз.зах", "хадгаламжийн нэгж", "kh.n", "хн", "hn", "д", "d", "b", "iş"),
    "tom": ("том", "tom", "т", "t"),
    "chast": ("часть", "chast'", "ч", "ch"),
    # sheets: л./лл., l./ll./List/Listy/leaf, Ukrainian/Belarusian арк., Polish k. (karta),
    # German Bl. (Blatt), English pp
    "sheets": (
        "листы", "листов", "лист", "listy", "list", "leaves", "leaf", "лл", "ll", "л", "l",
        "аркуші", "аркуш", "арк", "ark", "k", "bl", "pp",
    ),
}  # fmt: skip

# Labels a national variant of the fond family adds, or reads differently. They apply
# only when the citation names an archive of that scheme: Albanian V. is the year, and
# Mongolian Д. is the inventory (данс), never the file.
SCHEME_SPELLINGS: dict[str, dict[str, tuple[str, ...]]] = {
    # Albanian: F. (fondi), V. (viti, the year), D. (dosja), fl. (fleta)
    "albanian": {
        "fond": ("fondi",),
        "year": ("viti", "v"),
        "delo": ("dosja", "dosje"),
        "sheets": ("fleta", "fletë", "fl"),
    },
    # Mongolian: Ф. (фонд), Д. (данс, the inventory), ХН (хадгаламжийн нэгж)
    "mongolian": {"opis": ("данс", "dans", "д", "d")},
    # Estonian: f., n. (nimistu), s. (säilik), l. (leht)
    "estonian": {"opis": ("nimistu", "n"), "delo": ("säilik", "s"), "sheets": ("leht",)},
}  # fmt: skip


def spellings(scheme: str | None) -> dict[str, tuple[str, ...]]:
    """Label spellings for a fond-family scheme: the common ones and the scheme's own.

    A spelling the scheme gives another level is taken away from its common level.
    """
    extra = SCHEME_SPELLINGS.get(scheme or "", {})
    taken = {spelling_key(s) for values in extra.values() for s in values}
    out = {
        level: tuple(s for s in values if spelling_key(s) not in taken)
        for level, values in SPELLINGS.items()
    }
    for level, values in extra.items():
        out[level] = (*out.get(level, ()), *values)
    return out


def fold_to_latin(text: str) -> str:
    """Cyrillic letters that look Latin replaced by the Latin ones (lookup keys)."""
    return "".join(_CYRILLIC_LATIN.get(c, c) for c in text)


def fold_class(char: str) -> str:
    """A regex for one character that also accepts its look-alike in the other script."""
    other = _CYRILLIC_LATIN.get(char) or _LATIN_CYRILLIC.get(char)
    if other:
        return f"[{''.join(sorted((char, other)))}]"
    return re.escape(char)


def variants(char: str) -> set[str]:
    """A character in both cases and its look-alikes (for first-character filters)."""
    out = {char, char.lower(), char.upper()}
    return out | {x for c in tuple(out) if (x := _CYRILLIC_LATIN.get(c) or _LATIN_CYRILLIC.get(c))}


def spelling_tokens(spelling: str) -> list[str]:
    """A written label as regex pieces: look-alikes folded, '.' and "'" optional."""
    out = []
    for char in spelling:
        if char == ".":
            out.append(r"\.?\s?")
        elif char == "'":
            out.append("['’ʹ]?")
        else:
            out.append(fold_class(char))
    return out


def spelling_regex(spelling: str) -> str:
    """Regex for a written label: look-alikes folded, '.' and "'" optional."""
    return "".join(spelling_tokens(spelling))


class _Node:
    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminal: str | None = None


def trie_regex(entries: list[tuple[str, list[str]]]) -> str:
    """One regex for many words given as regex pieces (``alias_tokens``,
    ``spelling_tokens``): shared beginnings are matched once, so scanning a long text
    stays fast. At every branch longer words are tried first and the word ending there
    last; an empty named group (the entry's name) marks which word matched, for
    ``Match.lastgroup``. The same pieces twice: the first entry keeps them."""
    root = _Node()
    for name, tokens in entries:
        node = root
        for token in tokens:
            node = node.children.setdefault(token, _Node())
        if node.terminal is None:
            node.terminal = name

    def emit(node: _Node) -> str:
        alternatives = [token + emit(child) for token, child in node.children.items()]
        if node.terminal is not None:
            alternatives.append(f"(?P<{node.terminal}>)")
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return emit(root) if root.children else r"(?!x)x"


_KEY_NOISE = re.compile(r"[\s.'’ʹ]")


@lru_cache(maxsize=1024)
def spelling_key(text: str) -> str:
    """One form per written label (``Oп.`` with Latin O -> ``оп``), for style rules.

    Cached: every label a citation writes is asked for, and labels are few.
    """
    key = _KEY_NOISE.sub("", text.lower())
    if any("\u0400" <= c <= "\u04ff" for c in key):
        key = "".join(_LATIN_CYRILLIC.get(c, c) for c in key)
    return key


def transliterate(text: str) -> str:
    """Cyrillic letters in a code to Latin (``П-5`` -> ``P-5``, ``1Б`` -> ``1B``)."""
    return text.translate(_TRANSLIT_TABLE)


def alias_tokens(alias: str) -> list[str]:
    """An archive name as regex pieces, one per character: look-alikes folded, and any
    run of spaces and hyphens matching any other (``MNL OL`` = ``MNL-OL``)."""
    out: list[str] = []
    for char in alias:
        if char in " -":
            if not out or out[-1] != _SPACES:
                out.append(_SPACES)
        else:
            out.append(fold_class(char))
    return out


_SPACES = r"[\s\-]*"


def cyrillic_alias_regex(alias: str) -> str:
    """Regex for an archive name: look-alikes folded, spaces and hyphens interchangeable."""
    return "".join(alias_tokens(alias))
