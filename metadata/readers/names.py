"""Personal names in catalogue form, ``Surname, Forenames``.

Dublin Core and MARC consumers sort and match creators by the inverted form, while
page texts write names in reading order (``Gary Goldberg``, ``M. D. Bagirov``). The
helpers only invert what is clearly a Western-order personal name; organisations,
single words and names that are already inverted are returned unchanged.
"""

from __future__ import annotations

import re

_ORGANISATION_WORDS = frozenset(
    {
        "academy",
        "agency",
        "archive",
        "archives",
        "association",
        "bank",
        "board",
        "bureau",
        "center",
        "centre",
        "college",
        "commission",
        "committee",
        "company",
        "corporation",
        "council",
        "department",
        "division",
        "embassy",
        "endowment",
        "foundation",
        "fund",
        "government",
        "group",
        "institute",
        "institution",
        "library",
        "ministry",
        "museum",
        "office",
        "organization",
        "organisation",
        "party",
        "press",
        "program",
        "programme",
        "project",
        "republic",
        "school",
        "service",
        "society",
        "trust",
        "union",
        "university",
    }
)
_FUNCTION_WORDS = frozenset({"of", "the", "for", "and", "&", "in", "on"})
_PARTICLES = frozenset({"da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von"})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_ACRONYM = re.compile(r"[A-Z0-9&.\-]{2,}")


def looks_like_organisation(name: str) -> bool:
    """True for names that are evidently bodies (``CWIHP``, ``Leon Levy Foundation``)."""
    words = name.split()
    if len(words) == 1 and _ACRONYM.fullmatch(words[0]) and "." not in words[0]:
        return True
    lowered = {w.strip("[](),.").lower() for w in words}
    return bool(lowered & _ORGANISATION_WORDS) or bool(lowered & _FUNCTION_WORDS)


def is_inverted(name: str) -> bool:
    """True when the name is already ``Surname, Forenames``."""
    return "," in name


def invert_name(name: str) -> str:
    """``Gary Goldberg`` -> ``Goldberg, Gary``; ``M. D. Bagirov`` -> ``Bagirov, M. D.``.

    Already-inverted names, organisations and single words come back unchanged
    (white space tidied). Lower-case particles stay with the surname
    (``Ludwig van Beethoven`` -> ``van Beethoven, Ludwig``); a generational suffix
    goes last (``Martin Luther King Jr.`` -> ``King, Martin Luther, Jr.``).
    """
    clean = " ".join(name.split())
    if is_inverted(clean) or looks_like_organisation(clean):
        return clean
    words = clean.split(" ")
    suffix = ""
    if len(words) > 2 and words[-1].lower() in _SUFFIXES:
        suffix = words.pop()
    if len(words) < 2:
        return clean
    start = len(words) - 1
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    surname = " ".join(words[start:])
    forenames = " ".join(words[:start])
    inverted = f"{surname}, {forenames}"
    return f"{inverted}, {suffix}" if suffix else inverted
