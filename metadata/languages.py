"""Language codes: ISO 639-1 (what records keep) and ISO 639-2/B (what MARC and MODS want).

Records store BCP 47 tags, whose primary subtag is ISO 639-1 when one exists (``ru``);
the Digital Archive's own data used ISO 639-2/B (``rus``, ``ger``); MARC 008/041 and
MODS ``authority="iso639-2b"`` need 639-2/B. The table covers the languages of Cold
War era archives (Soviet republics, the socialist bloc, Asia, the Middle East and the
Western counterparts); a code outside it yields ``None`` rather than a guess.
"""

from __future__ import annotations

from functools import lru_cache

# (ISO 639-1, ISO 639-2/B, ISO 639-2/T or "", English name, other names accepted on input)
_TABLE: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("ru", "rus", "", "Russian", ()),
    ("en", "eng", "", "English", ()),
    ("de", "ger", "deu", "German", ()),
    ("fr", "fre", "fra", "French", ()),
    ("zh", "chi", "zho", "Chinese", ("Mandarin",)),
    ("ko", "kor", "", "Korean", ()),
    ("ja", "jpn", "", "Japanese", ()),
    ("hu", "hun", "", "Hungarian", ()),
    ("cs", "cze", "ces", "Czech", ()),
    ("sk", "slo", "slk", "Slovak", ()),
    ("pl", "pol", "", "Polish", ()),
    ("uk", "ukr", "", "Ukrainian", ()),
    ("be", "bel", "", "Belarusian", ("Byelorussian", "Belorussian")),
    ("az", "aze", "", "Azerbaijani", ("Azeri",)),
    ("fa", "per", "fas", "Persian", ("Farsi",)),
    ("ka", "geo", "kat", "Georgian", ()),
    ("hy", "arm", "hye", "Armenian", ()),
    ("lt", "lit", "", "Lithuanian", ()),
    ("lv", "lav", "", "Latvian", ("Lettish",)),
    ("et", "est", "", "Estonian", ()),
    ("bg", "bul", "", "Bulgarian", ()),
    ("ro", "rum", "ron", "Romanian", ("Moldavian", "Moldovan")),
    ("mn", "mon", "", "Mongolian", ()),
    ("vi", "vie", "", "Vietnamese", ()),
    ("es", "spa", "", "Spanish", ("Castilian",)),
    ("it", "ita", "", "Italian", ()),
    ("pt", "por", "", "Portuguese", ()),
    ("sr", "srp", "", "Serbian", ()),
    ("hr", "hrv", "", "Croatian", ()),
    ("sl", "slv", "", "Slovenian", ("Slovene",)),
    ("fi", "fin", "", "Finnish", ()),
    ("sv", "swe", "", "Swedish", ()),
    ("tr", "tur", "", "Turkish", ()),
    ("ar", "ara", "", "Arabic", ()),
    ("he", "heb", "", "Hebrew", ()),
    ("el", "gre", "ell", "Greek", ("Modern Greek",)),
    ("sq", "alb", "sqi", "Albanian", ()),
    ("mk", "mac", "mkd", "Macedonian", ()),
    ("nl", "dut", "nld", "Dutch", ("Flemish",)),
    ("da", "dan", "", "Danish", ()),
    ("no", "nor", "", "Norwegian", ()),
    ("uz", "uzb", "", "Uzbek", ()),
    ("kk", "kaz", "", "Kazakh", ()),
    ("tk", "tuk", "", "Turkmen", ()),
    ("ky", "kir", "", "Kyrgyz", ("Kirghiz", "Kirgiz")),
    ("tg", "tgk", "", "Tajik", ("Tadjik",)),
    ("yi", "yid", "", "Yiddish", ()),
    # Further languages of the period's correspondents (Asia, Africa, Latin America).
    ("la", "lat", "", "Latin", ()),
    ("ku", "kur", "", "Kurdish", ()),
    ("ug", "uig", "", "Uyghur", ("Uighur",)),
    ("tt", "tat", "", "Tatar", ()),
    ("km", "khm", "", "Khmer", ("Cambodian",)),
    ("lo", "lao", "", "Lao", ("Laotian",)),
    ("th", "tha", "", "Thai", ()),
    ("my", "bur", "mya", "Burmese", ()),
    ("id", "ind", "", "Indonesian", ()),
    ("hi", "hin", "", "Hindi", ()),
    ("ur", "urd", "", "Urdu", ()),
    ("ps", "pus", "", "Pashto", ("Pushto",)),
    ("am", "amh", "", "Amharic", ()),
    ("sw", "swa", "", "Swahili", ()),
)

_BIBLIOGRAPHIC = {row[0]: row[1] for row in _TABLE}
_NAMES = {row[0]: row[3] for row in _TABLE}


def _build_lookup() -> dict[str, str]:
    """Every accepted spelling (case-folded) -> ISO 639-1; refuses ambiguous spellings."""
    lookup: dict[str, str] = {}
    for alpha2, bib, term, english, aliases in _TABLE:
        for key in (alpha2, bib, term, english, *aliases):
            if key and lookup.setdefault(key.casefold(), alpha2) != alpha2:
                raise ValueError(f"language spelling {key!r} is ambiguous")
    # Retired ISO 639-1 codes that old records still carry.
    lookup.update({"iw": "he", "ji": "yi", "in": "id", "mo": "ro"})
    return lookup


_LOOKUP = _build_lookup()


@lru_cache(maxsize=1024)
def from_any(code_or_name: str | None) -> str | None:
    """The ISO 639-1 code for a 639-1/639-2 (B or T) code, a BCP 47 tag or an English name.

    ``"rus"``, ``"RU"``, ``"ru-Latn"``, ``"Russian"`` all give ``"ru"``; unknown gives None.
    Cached: the crosswalks ask it some thirty times per record, about a few spellings.
    """
    if not code_or_name:
        return None
    text = code_or_name.strip().casefold()
    found = _LOOKUP.get(text)
    if found is None and ("-" in text or "_" in text):
        found = _LOOKUP.get(text.replace("_", "-").split("-", 1)[0])
    return found


def to_bibliographic(code: str | None) -> str | None:
    """The ISO 639-2/B code (``"ger"``, not ``"deu"``) for any form :func:`from_any` knows."""
    alpha2 = from_any(code)
    return _BIBLIOGRAPHIC[alpha2] if alpha2 else None


def name(code: str | None) -> str | None:
    """The English name of the language (``"Russian"``), for notes and displays."""
    alpha2 = from_any(code)
    return _NAMES[alpha2] if alpha2 else None
