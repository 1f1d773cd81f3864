"""Language names and codes as sources give them, turned into ISO 639-1 codes.

The Digital Archive shows language names (``Russian``); its old API used ISO 639-2/B
codes (``rus``, ``ger``). The record keeps one system, ISO 639-1 (``ru``, ``de``), as
OAI and IIIF clients expect BCP 47 tags.
"""

from __future__ import annotations

import re

# name, ISO 639-1, ISO 639-2 codes (B and T forms) for the languages of the
# Digital Archive's collections and the common European ones.
_TABLE = """
Albanian sq alb sqi|Arabic ar ara|Armenian hy arm hye|Azerbaijani az aze|Azeri az aze
Belarusian be bel|Bulgarian bg bul|Burmese my bur mya|Chinese zh chi zho|Croatian hr hrv
Czech cs cze ces|Danish da dan|Dutch nl dut nld|English en eng|Estonian et est
Finnish fi fin|French fr fre fra|Georgian ka geo kat|German de ger deu|Greek el gre ell
Hebrew he heb|Hindi hi hin|Hungarian hu hun|Indonesian id ind|Italian it ita
Japanese ja jpn|Kazakh kk kaz|Khmer km khm|Korean ko kor|Kyrgyz ky kir|Lao lo lao
Latvian lv lav|Lithuanian lt lit|Macedonian mk mac mkd|Mongolian mn mon|Norwegian no nor
Persian fa per fas|Farsi fa per fas|Polish pl pol|Portuguese pt por|Romanian ro rum ron
Russian ru rus|Serbian sr srp|Slovak sk slo slk|Slovenian sl slv|Spanish es spa
Swedish sv swe|Tajik tg tgk|Turkish tr tur|Turkmen tk tuk|Ukrainian uk ukr|Urdu ur urd
Uzbek uz uzb|Vietnamese vi vie|Yiddish yi yid
"""


def _load() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in re.split(r"[|\n]", _TABLE):
        words = entry.split()
        if not words:
            continue
        name, code, *others = words
        for alias in (name.lower(), code, *others):
            table[alias] = code
    return table


_CODES = _load()
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_code(value: str) -> str | None:
    """ISO 639-1 code for a language name or ISO 639 code; None when it is not known.

    A BCP 47 tag with a two-letter primary subtag (``en``, ``zh-Hant``) is kept as given.
    """
    text = value.strip()
    known = _CODES.get(text.lower())
    if known:
        return known
    if _TAG.fullmatch(text) and len(text.split("-")[0]) == 2:
        primary, *rest = text.split("-")
        return "-".join([primary.lower(), *rest])
    return None


def split_language_names(value: str) -> list[str]:
    """``Russian, English and Chinese`` -> the three names, as a facet line lists them."""
    return [part for part in re.split(r"\s*(?:,|;|\band\b)\s*", value.strip()) if part]
