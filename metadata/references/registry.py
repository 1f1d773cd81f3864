"""The archive registry: which archives exist, how they are cited, and how their numbers read.

The registry is data. The shipped part is ``archives.toml`` beside this module (one
``[[archives]]`` table per archive); a site adds or overrides archives in its own config
file. This module only *models* that data: the repository layer reads the files, calls
``Registry.from_data`` / ``Registry.extended`` with what ``tomllib`` parsed, and
``install``\\s the result. Everything in ``metadata`` that needs archives asks
``current()``; nothing keeps a module-level copy, and everything derived from a registry
(compiled alias regexes, label tables) is cached on the registry object itself, so
installing another registry is all it takes to change what the parser recognises.

One archive entry (``[[archives]]``)::

    code     = "GAPPOD"                  # A-Z, 0-9 and hyphens: the key's first segment
    name     = "Azerbaijan State Archive of Political Parties and Social Movements"
    names    = { en = "...", ru = "...", az = "..." }   # the name by language
    aliases  = ["GAPPOD AzR", "ГАППОД"]  # every other way it is cited
    former   = ["ARPİİSSA"]              # former names, matched like aliases
    scheme   = "fond"                    # which reader understands its call numbers
    levels   = ["fond", "opis", "delo"]  # how a bare call number 12/3/45 reads (optional)
    display  = "fond"                    # or { style = "named", labelled = ["svazek"] }
    country  = "AZ"                      # ISO 3166 code (optional)

    [[archives.alias_rules]]             # a name that needs more than its text
    text    = "Department of State"      # looked up by get(); matched unless regex is set
    regex   = '...'                      # optional: match this pattern instead
    implies = [["record_group", "59"]]   # levels the name stands for
    inferred = true                      # the name is not the archive's own

    [[archives.infer]]                   # a style rule: the citation's form names the archive
    why = "..."                          # required: the evidence
    scheme = "tna"                       # an unnamed call number of this form, or:
    labels = ["а.е"]                     # any of these written labels, and/or
    fond_prefix = "П"                    # the fond's letter prefix, and/or
    numero = true                        # the fond was written with a numero sign
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, TypeVar, cast

from metadata.references.labels import fold_to_latin, spelling_key
from metadata.references.levels import LEVELS

SHIPPED_DATA = "archives.toml"
SHIPPED = "shipped"

# The readers (metadata/references/parse.py maps each to its code). A scheme names a
# citation system, not an archive: many archives share one.
SCHEMES: frozenset[str] = frozenset(
    {
        # labelled fond > opis > delo > list and its national variants
        "fond", "albanian", "mongolian", "estonian",
        # call-number readers of single archives or families
        "prc", "tna", "sapmo", "barch", "hungarian", "bfl", "abtl", "aan", "ipn", "amsz",
        "nacz", "vha", "anic", "gorky", "french", "refno", "churchill", "irish",
        # comma paths with labelled levels, one vocabulary per language
        "german", "polish", "czech", "romanian", "italian", "spanish", "yugoslav",
        # United States
        "nara", "library", "agency",
    }
)  # fmt: skip
DISPLAY_STYLES = frozenset({"fond", "hungarian", "signature", "named", "tna", "prc", "us", "path"})

_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_FIELDS = frozenset(
    {"code", "name", "names", "aliases", "former", "scheme", "levels", "display", "country",
     "alias_rules", "infer"}
)  # fmt: skip
_RULE_FIELDS = frozenset({"text", "regex", "implies", "inferred", "why"})
_INFER_FIELDS = frozenset({"why", "scheme", "labels", "fond_prefix", "numero"})

T = TypeVar("T")


class RegistryError(ValueError):
    """A registry entry is malformed; the message names the entry and the field."""


class RegistryNotLoaded(RuntimeError):
    """``current()`` was called before ``install()``."""


# --- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Display:
    """How the canonical string of a reference in this archive is written.

    ``style``: ``fond`` (``f.1 op.89``), ``hungarian``, ``signature`` (values only),
    ``named`` (values only, each squeezed into one token), ``tna``, ``prc``, ``us`` or
    ``path`` (comma-separated, units with their label). ``labelled``: for ``named``, the
    levels written with their abbreviation.
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
    name: str | None = None  # for a pattern: the literal name ``Registry.get`` resolves

    @property
    def lookup(self) -> str | None:
        """What ``Registry.get`` resolves to the archive (a pattern's ``name``)."""
        return self.name if self.pattern else self.text


@dataclass(frozen=True)
class Inference:
    """A style rule: what about a citation's form gives its (unnamed) archive away.

    Every condition given must hold. ``scheme``: an unnamed call number a reader
    recognised (``tna`` for ``FO 371/...``); ``labels``: any of these written level
    labels (``spelling_key`` form, ``ае`` for ``а.е.``); ``fond_prefix``: the fond's
    letter prefix as written (``П`` in ``П-5``); ``numero``: the fond number had a
    numero sign (``Fond №6``).
    """

    code: str
    why: str
    scheme: str | None = None
    labels: frozenset[str] = frozenset()
    fond_prefix: str | None = None
    numero: bool = False


@dataclass(frozen=True)
class Archive:
    """One archive of the registry.

    ``aliases`` are the other ways it is cited today, ``former`` the names it had; both
    are matched in citations, as are ``code``, ``name`` and every ``names`` value.
    ``alias_rules`` are names that need a pattern or stand for levels. ``levels`` says
    how a bare call number reads (``12/3/45`` -> fond 12, opis 3, delo 45); empty when
    the archive is never cited that way. ``origin`` is ``"shipped"`` or the path of the
    site config file that added or last changed the entry.
    """

    code: str
    name: str
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    aliases: tuple[str, ...] = ()
    former: tuple[str, ...] = ()
    scheme: str = "fond"
    levels: tuple[str, ...] = ()
    display: Display = field(default_factory=Display)
    origin: str = SHIPPED
    country: str | None = None
    alias_rules: tuple[Alias, ...] = ()
    infer: tuple[Inference, ...] = ()

    def cited_as(self) -> tuple[Alias, ...]:
        """Everything the parser looks for in a citation to find this archive."""
        texts = [self.code, self.name, *self.names.values(), *self.aliases, *self.former]
        seen: set[str] = set()
        out: list[Alias] = []
        for text in texts:
            if text and text not in seen:
                seen.add(text)
                out.append(Alias(text))
        return (*out, *self.alias_rules)

    def lookup_names(self) -> tuple[str, ...]:
        """Everything ``Registry.get`` resolves to this archive."""
        rules = tuple(rule.lookup for rule in self.alias_rules if rule.lookup)
        return (self.code, self.name, *self.names.values(), *self.aliases, *self.former, *rules)


# --- the registry ----------------------------------------------------------------------------


def lookup_key(text: str) -> str:
    """The spelling-insensitive form of a name: case, accents, look-alikes and
    punctuation folded (``AP RF`` = ``APRF`` = ``АП РФ``; ``ÚSD`` = ``USD``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in fold_to_latin(bare) if c.isalnum())


class Registry:
    """The archives a parser knows, in a stable order (shipped first, then site entries)."""

    def __init__(self, archives: Sequence[Archive]) -> None:
        self._archives: tuple[Archive, ...] = tuple(archives)
        self._by_code: dict[str, Archive] = {}
        self._by_key: dict[str, Archive] = {}
        self._cache: dict[str, Any] = {}
        for entry in self._archives:
            if entry.code in self._by_code:
                raise RegistryError(f"archive {entry.code}: the code is given twice")
            self._by_code[entry.code] = entry
        for entry in self._archives:
            for text in entry.lookup_names():
                key = lookup_key(text)
                if not key:
                    continue
                other = self._by_key.get(key)
                if other is not None and other.code != entry.code:
                    raise RegistryError(
                        f"archive {entry.code} ({entry.origin}): {text!r} already names "
                        f"archive {other.code} ({other.origin})"
                    )
                self._by_key[key] = entry
        for entry in self._archives:
            for rule in entry.infer:
                if rule.code not in self._by_code:  # pragma: no cover - built from entries
                    raise RegistryError(f"archive {entry.code}: infer names {rule.code}")

    # --- construction ---

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, origin: str) -> Registry:
        """A registry from a parsed TOML document ``{"archives": [...]}``."""
        if not isinstance(data, Mapping):
            raise RegistryError(f"{origin}: the registry must be a table with [[archives]]")
        unknown = set(data) - {"archives"}
        if unknown:
            raise RegistryError(f"{origin}: unknown top-level keys {sorted(unknown)}")
        entries = data.get("archives", [])
        if not isinstance(entries, list):
            raise RegistryError(f"{origin}: 'archives' must be an array of tables")
        return cls([_archive(entry, i, origin, None) for i, entry in enumerate(entries)])

    def extended(self, entries: Sequence[Mapping[str, Any]], *, origin: str) -> Registry:
        """This registry with a site's ``[[archives]]``: new codes are added, an existing
        code's entry has the fields given replaced (the other fields stay)."""
        if isinstance(entries, (str, bytes)) or not isinstance(entries, Sequence):
            raise RegistryError(f"{origin}: 'archives' must be an array of tables")
        archives = list(self._archives)
        index = {entry.code: i for i, entry in enumerate(archives)}
        for i, raw in enumerate(entries):
            code = raw.get("code") if isinstance(raw, Mapping) else None
            base = archives[index[code]] if isinstance(code, str) and code in index else None
            entry = _archive(raw, i, origin, base)
            if entry.code in index:
                archives[index[entry.code]] = entry
            else:
                index[entry.code] = len(archives)
                archives.append(entry)
        return Registry(archives)

    # --- queries ---

    def get(self, code_or_alias: str) -> Archive | None:
        """The archive a code, name, alias or former name stands for, spelled any way."""
        found = self._by_code.get(code_or_alias)
        if found is not None:
            return found
        return self._by_key.get(lookup_key(code_or_alias)) if code_or_alias else None

    def by_code(self, code: str | None) -> Archive | None:
        """The archive with exactly this code (no alias resolution)."""
        return self._by_code.get(code) if code else None

    def name(self, code: str, language: str | None = None) -> str | None:
        """The archive's name in ``language`` (``ru``, ``en-GB`` falls back to ``en``),
        else its ``name``; None for a code the registry does not have."""
        entry = self._by_code.get(code)
        if entry is None:
            return None
        if language:
            lang = language.lower()
            for candidate in (lang, lang.split("-", 1)[0]):
                for key, value in entry.names.items():
                    if key.lower() == candidate:
                        return value
        return entry.name

    def __iter__(self) -> Iterator[Archive]:
        return iter(self._archives)

    def __len__(self) -> int:
        return len(self._archives)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def inferences(self) -> tuple[Inference, ...]:
        """Every style rule, in registry order."""
        return tuple(rule for entry in self._archives for rule in entry.infer)

    def cached(self, name: str, build: Callable[[Registry], T]) -> T:
        """Something derived from this registry (a compiled regex), built once per registry."""
        if name not in self._cache:
            self._cache[name] = build(self)
        return cast(T, self._cache[name])

    def __repr__(self) -> str:
        return f"<Registry of {len(self._archives)} archives>"


# --- installing ------------------------------------------------------------------------------

_installed: list[Registry] = []


def install(registry: Registry) -> None:
    """Make ``registry`` the one the parser and everything in ``metadata`` use."""
    if not isinstance(registry, Registry):
        raise TypeError(f"install() takes a Registry, not {type(registry).__name__}")
    _installed[:] = [registry]


def current() -> Registry:
    """The installed registry; RegistryNotLoaded before ``install`` was called."""
    if not _installed:
        raise RegistryNotLoaded(
            "the archive registry is not loaded: call metadata.references.registry.install("
            "Registry.from_data(tomllib.loads(<the shipped archives.toml>), origin='shipped')) "
            "at start-up (the repository layer does this when it reads its settings)"
        )
    return _installed[0]


def installed() -> Registry | None:
    """The installed registry, or None (where ``current`` raises)."""
    return _installed[0] if _installed else None


def uninstall() -> Registry | None:
    """Remove the installed registry and return it (tests of ``RegistryNotLoaded``)."""
    previous = _installed[0] if _installed else None
    _installed.clear()
    return previous


# --- validation --------------------------------------------------------------------------------


def _archive(raw: object, index: int, origin: str, base: Archive | None) -> Archive:
    """One validated entry; ``base`` is the entry it overrides, if any."""
    where = f"{origin}: archives[{index}]"
    if not isinstance(raw, Mapping):
        raise RegistryError(f"{where}: an archive must be a table")
    code = raw.get("code")
    if isinstance(code, str):
        where = f"{origin}: archive {code} (archives[{index}])"

    def fail(field_name: str, why: str) -> RegistryError:
        return RegistryError(f"{where}, field {field_name!r}: {why}")

    unknown = set(raw) - _FIELDS
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise fail("code", "required; A-Z, 0-9 and single hyphens, e.g. 'MNL-OL'")

    def text(name: str, required: bool) -> str | None:
        value = raw.get(name)
        if value is None:
            if required:
                raise fail(name, "required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(name, "must be a non-empty string")
        return value.strip()

    def texts(name: str) -> tuple[str, ...] | None:
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(name, "must be an array of non-empty strings")
        return tuple(v.strip() for v in value)

    changes: dict[str, Any] = {"origin": origin}
    name = text("name", required=base is None)
    if name is not None:
        changes["name"] = name
    if "names" in raw:
        names = raw["names"]
        if not isinstance(names, Mapping) or not all(
            isinstance(k, str) and _LANGUAGE.fullmatch(k) and isinstance(v, str) and v.strip()
            for k, v in names.items()
        ):
            raise fail("names", "must be a table of language tag = name, e.g. { ru = '...' }")
        changes["names"] = MappingProxyType({k: v.strip() for k, v in names.items()})
    for list_field in ("aliases", "former"):
        values = texts(list_field)
        if values is not None:
            changes[list_field] = values
    scheme = text("scheme", required=False)
    if scheme is not None:
        if scheme not in SCHEMES:
            raise fail("scheme", f"unknown scheme {scheme!r} (known: {', '.join(sorted(SCHEMES))})")
        changes["scheme"] = scheme
    levels = texts("levels")
    if levels is not None:
        bad = [level for level in levels if level not in LEVELS]
        if bad:
            raise fail("levels", f"unknown level {bad[0]!r} (known: {', '.join(LEVELS)})")
        if len(set(levels)) != len(levels):
            raise fail("levels", "a level is named twice")
        changes["levels"] = levels
    if "display" in raw:
        changes["display"] = _display(raw["display"], fail)
    country = text("country", required=False)
    if country is not None:
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise fail("country", "an ISO 3166 alpha-2 code, e.g. 'HU'")
        changes["country"] = country
    if "alias_rules" in raw:
        changes["alias_rules"] = _alias_rules(raw["alias_rules"], fail)
    if "infer" in raw:
        changes["infer"] = _inferences(code, raw["infer"], fail)
    if base is None:
        return Archive(code=code, **changes)
    return replace(base, **changes)


def _display(value: object, fail: Callable[[str, str], RegistryError]) -> Display:
    if isinstance(value, str):
        value = {"style": value}
    if not isinstance(value, Mapping) or set(value) - {"style", "labelled"}:
        raise fail("display", "a style name or { style = ..., labelled = [...] }")
    style = value.get("style", "fond")
    if style not in DISPLAY_STYLES:
        raise fail(
            "display", f"unknown style {style!r} (known: {', '.join(sorted(DISPLAY_STYLES))})"
        )
    labelled = value.get("labelled", [])
    if not isinstance(labelled, list) or not all(v in LEVELS for v in labelled):
        raise fail("display", "labelled must be an array of level names")
    return Display(str(style), frozenset(labelled))


def _alias_rules(value: object, fail: Callable[[str, str], RegistryError]) -> tuple[Alias, ...]:
    if not isinstance(value, list):
        raise fail("alias_rules", "must be an array of tables ([[archives.alias_rules]])")
    out = []
    for i, rule in enumerate(value):
        here = f"alias_rules[{i}]"
        if not isinstance(rule, Mapping) or set(rule) - _RULE_FIELDS:
            raise fail(here, f"a table with some of {', '.join(sorted(_RULE_FIELDS))}")
        text, regex = rule.get("text"), rule.get("regex")
        if text is None and regex is None:
            raise fail(here, "needs 'text' or 'regex'")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise fail(here, "'text' must be a non-empty string")
        if regex is not None:
            if not isinstance(regex, str) or not regex:
                raise fail(here, "'regex' must be a non-empty string")
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                raise fail(here, f"'regex' does not compile: {exc}") from exc
            if compiled.groups or compiled.groupindex:
                raise fail(here, "'regex' must not have capturing groups; use (?:...)")
            if compiled.match(""):
                raise fail(here, "'regex' must not match the empty string")
        implies = rule.get("implies", [])
        if not isinstance(implies, list) or not all(
            isinstance(pair, list)
            and len(pair) == 2
            and pair[0] in LEVELS
            and isinstance(pair[1], str)
            and pair[1]
            for pair in implies
        ):
            raise fail(here, "'implies' must be an array of [level, value] pairs")
        inferred = rule.get("inferred", False)
        if not isinstance(inferred, bool):
            raise fail(here, "'inferred' must be true or false")
        if "why" in rule and not isinstance(rule["why"], str):
            raise fail(here, "'why' must be a string")
        implied = tuple((str(a), str(b)) for a, b in implies)
        if regex is not None:
            name = str(text).strip() if text is not None else None
            out.append(Alias(str(regex), True, implied, inferred, name))
        else:
            out.append(Alias(str(text).strip(), False, implied, inferred))
    return tuple(out)


def _inferences(
    code: str, value: object, fail: Callable[[str, str], RegistryError]
) -> tuple[Inference, ...]:
    if not isinstance(value, list):
        raise fail("infer", "must be an array of tables ([[archives.infer]])")
    out = []
    for i, rule in enumerate(value):
        here = f"infer[{i}]"
        if not isinstance(rule, Mapping) or set(rule) - _INFER_FIELDS:
            raise fail(here, f"a table with some of {', '.join(sorted(_INFER_FIELDS))}")
        why = rule.get("why")
        if not isinstance(why, str) or not why.strip():
            raise fail(here, "'why' is required: say what gives the archive away")
        scheme = rule.get("scheme")
        labels = rule.get("labels", [])
        prefix = rule.get("fond_prefix")
        numero = rule.get("numero", False)
        if scheme is not None and not isinstance(scheme, str):
            raise fail(here, "'scheme' must be a string")
        if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
            raise fail(here, "'labels' must be an array of strings")
        if prefix is not None and not isinstance(prefix, str):
            raise fail(here, "'fond_prefix' must be a string")
        if not isinstance(numero, bool):
            raise fail(here, "'numero' must be true or false")
        if scheme is None and not labels and prefix is None and not numero:
            raise fail(here, "needs at least one condition (scheme, labels, fond_prefix, numero)")
        out.append(
            Inference(
                code,
                why.strip(),
                scheme,
                frozenset(spelling_key(x) for x in labels),
                prefix,
                numero,
            )
        )
    return tuple(out)
