"""The interface languages: gettext catalogues, choosing a reader's language, local formats.

English is the language of the templates and of this package's code, so it needs no
catalogue. Every other language is one file, ``locales/<code>/LC_MESSAGES/messages.po``:
the catalogues are read and compiled (``babel.messages``) when the pages start, so a
new language is that file and nothing else.

A reader's language is, in order: ``?lang=`` (remembered in the ``lang`` cookie), the
``lang`` cookie, the best ``Accept-Language`` match (by q-value), ``web.default_language``.
The language of the request being answered lives in a context variable, so the helpers
that turn codes into words (``Fond 1``, ``20 April 1946``) speak it without being told.
"""

from __future__ import annotations

import contextvars
import io
import re
from collections.abc import Iterable
from datetime import date as Date
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from metadata.languages import name as english_language_name
from metadata.references import archive_name as registry_name
from metadata.references.levels import level_label
from repository.http.negotiation import ranges

LOCALES = Path(__file__).resolve().parent / "locales"
SOURCE = "en"  # the language the templates are written in
COOKIE = "lang"
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")

# Where English needs a locale of its own for dates and numbers: ``20 April 1946``.
FORMAT_LOCALE = {"en": "en_GB"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("opis_language", default=SOURCE)


def N_(message: str) -> str:
    """Marks a message for the catalogues; translated where it is shown."""
    return message


# Level names a reader sees in other languages (the metadata keeps English labels).
LEVEL_NAMES = {
    "fond": N_("Fond"),
    "opis": N_("Opis"),
    "delo": N_("Delo"),
    "papka": N_("Papka"),
    "tom": N_("Tom"),
    "chast": N_("Chast"),
    "year": N_("Year"),
    "subdivision": N_("Subdivision"),
    "section": N_("Section"),
    "series": N_("Series"),
    "file": N_("File"),
    "box": N_("Box"),
    "collection": N_("Collection"),
}


def load(folder: Path = LOCALES) -> dict[str, NullTranslations]:
    """Every language with a catalogue, compiled now, plus English (no catalogue)."""
    found: dict[str, NullTranslations] = {SOURCE: NullTranslations()}
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        code = po.parent.parent.name
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=code)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue, use_fuzzy=False)
        compiled.seek(0)
        found[code] = GNUTranslations(compiled)
    return found


TRANSLATIONS = load()
LANGUAGES = tuple(sorted(TRANSLATIONS))


def current() -> str:
    return _current.get()


def use(language: str) -> contextvars.Token[str]:
    return _current.set(language)


def reset(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def gettext(message: str) -> str:
    return TRANSLATIONS.get(current(), TRANSLATIONS[SOURCE]).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return TRANSLATIONS.get(current(), TRANSLATIONS[SOURCE]).ngettext(singular, plural, n)


_ = gettext


def supported(tag: str | None, languages: Iterable[str] = LANGUAGES) -> str | None:
    """The interface language a tag asks for (``ru-RU`` → ``ru``), or None."""
    if not tag or not _TAG.match(tag.strip()):
        return None
    tag = tag.strip().lower()
    known = {code.lower(): code for code in languages}
    return known.get(tag) or known.get(tag.split("-", 1)[0])


def from_accept(header: str, languages: Iterable[str] = LANGUAGES) -> str | None:
    """The best language an ``Accept-Language`` header accepts: highest q first, then the
    order given; ``q=0`` refuses; ``*`` takes nothing in particular."""
    ranked = [(-r.q, r.position, r.value) for r in ranges(header) if r.q > 0 and r.value != "*"]
    for _q, _position, tag in sorted(ranked):
        found = supported(tag, languages)
        if found:
            return found
    return None


def choose(query: str | None, cookie: str | None, accept: str, default: str) -> tuple[str, bool]:
    """The reader's language, and whether it came from ``?lang=`` (so a cookie is due)."""
    asked = supported(query)
    if asked:
        return asked, True
    return supported(cookie) or from_accept(accept) or default, False


# --- local forms of dates, numbers and names -----------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _locale() -> str:
    language = current()
    return FORMAT_LOCALE.get(language, language)


def number(n: int) -> str:
    return format_decimal(n, locale=_locale())


def display_date(value: str | None) -> str:
    """``1946-04-20`` → ``20 April 1946`` (``20 апреля 1946 г.``); partial dates as far as
    they go."""
    match = _DATE.match(value or "")
    if not match:
        return value or ""
    year, month, day = match.groups()
    try:
        if day:
            return format_date(Date(int(year), int(month), int(day)), "long", locale=_locale())
        if month:
            return format_skeleton("yMMMM", Date(int(year), int(month), 1), locale=_locale())
    except ValueError:
        return value or ""
    return year


def language_name(code: str) -> str:
    """A language's name in the interface language (``ru`` → Russian, русский, rus)."""
    if current() != SOURCE:
        try:
            found = Locale.parse(current()).languages.get(code.replace("-", "_").split("_")[0])
        except (ValueError, TypeError):
            found = None
        if isinstance(found, str) and found:
            return found
    return english_language_name(code) or code


def archive_name(code: str) -> str | None:
    """The archive's name in the interface language, as the registry has it."""
    return registry_name(code, current())


def level_name(level: str) -> str:
    known = LEVEL_NAMES.get(level)
    return gettext(known) if known else level_label(level)
