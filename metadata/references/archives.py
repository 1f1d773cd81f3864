"""Archives as the parser sees them: entries, names found in a citation, style rules.

Everything here reads the installed registry (``registry.current()``); the alias regex is
built once per registry and cached on it, so installing a site's registry changes what
is recognised at once. A code is stable even when an archive renames itself (GAPPOD ->
ARPİİSSA, MOL -> MNL OL, ЦГА РСФСР -> GARF, SÚA -> NA): every name it has been cited
under is an alias or former name of the one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metadata.references.labels import alias_tokens, trie_regex, variants
from metadata.references.registry import (
    Alias,
    Archive,
    Display,
    Inference,
    Registry,
    current,
)

__all__ = [
    "Alias",
    "AliasHit",
    "Archive",
    "Display",
    "Style",
    "alias_hit",
    "alias_table",
    "archive",
    "archive_name",
    "find_aliases",
    "infer_archive",
    "is_known",
]

_DEFAULT = Archive("UNKNOWN", "", scheme="fond")


def archive(code: str | None) -> Archive:
    """The registry entry; unknown codes are read and written as fond family."""
    return current().by_code(code) or _DEFAULT


def is_known(code: str | None) -> bool:
    """True for a code the installed registry has."""
    return current().by_code(code) is not None


def archive_name(code: str, language: str | None = None) -> str | None:
    """Spelled-out name of a registry code (``GAPPOD`` -> the Azerbaijan party archive),
    in ``language`` when the registry has it; None for unknown codes."""
    return current().name(code, language)


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

    @property
    def entry(self) -> Archive:
        return archive(self.code)


@dataclass(frozen=True)
class AliasTable:
    """The registry's names compiled: one named group per alias (A0, A1, ...).

    ``alternatives`` is the bare alternation (callers add the word boundaries; the
    fond reader embeds it in its own scanner); ``first_chars`` the characters an alias
    can start with, used as a look-ahead that makes scanning fast.
    """

    entries: tuple[tuple[str, Alias], ...]
    alternatives: str
    first_chars: str
    regex: re.Pattern[str]


def _build(registry: Registry) -> AliasTable:
    pairs = [(entry.code, alias) for entry in registry for alias in entry.cited_as()]
    # registry patterns first (each is specific: a look-ahead says when it applies), then
    # every literal name in one prefix tree, so scanning a long text stays fast
    patterns = [(i, alias.text) for i, (_, alias) in enumerate(pairs) if alias.pattern]
    literals = [(i, alias.text) for i, (_, alias) in enumerate(pairs) if not alias.pattern]
    parts = [f"(?:{text})(?P<A{i}>)" for i, text in patterns]
    if literals:
        parts.append(trie_regex([(f"A{i}", alias_tokens(text)) for i, text in literals]))
    alternatives = "|".join(parts) or r"(?!x)x"
    first = set()
    for _, alias in pairs:
        if alias.pattern:
            first |= _pattern_first_chars(alias.text)
        else:
            first |= variants(alias.text[0])
    first_chars = "".join(sorted(first)) or "\x00"
    regex = re.compile(f"(?=[{re.escape(first_chars)}])(?<![^\\W_])(?:{alternatives})(?![^\\W_])")
    return AliasTable(tuple(pairs), alternatives, first_chars, regex)


def _pattern_first_chars(pattern: str) -> set[str]:
    """Characters a registry regex can start with: its literal first letter, else any."""
    m = re.match(r"\(\?i\)|\(\?:|\(", pattern)
    head = pattern[m.end() :] if m and m.group() != "(" else pattern
    if head[:1].isalnum():
        return variants(head[0])
    # a class or alternation at the start: allow every letter (rare; correctness first)
    return set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÁÉÍÓÖŐÚÜŰ")


def alias_table(registry: Registry | None = None) -> AliasTable:
    """The registry's alias table (built on first use, once per registry); by default
    the installed registry's."""
    return (registry or current()).cached("aliases", _build)


def alias_hit(group: str, start: int, end: int) -> AliasHit:
    """The hit for a match of alias group ``A<i>``."""
    code, alias = alias_table().entries[int(group[1:])]
    return AliasHit(code, start, end, alias.implies, alias.inferred)


def find_aliases(text: str) -> list[AliasHit]:
    """Every archive name in ``text``, left to right."""
    table = alias_table()
    return [alias_hit(m.lastgroup or "", m.start(), m.end()) for m in table.regex.finditer(text)]


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


def matches(rule: Inference, style: Style) -> bool:
    """Every condition the rule gives holds for the style."""
    if rule.scheme is not None and rule.scheme != style.scheme:
        return False
    if rule.labels and not rule.labels & style.labels:
        return False
    if rule.fond_prefix is not None and rule.fond_prefix != style.fond_prefix:
        return False
    return not rule.numero or style.numero


def infer_archive(style: Style) -> str | None:
    """The archive the first matching style rule of the registry names, or None."""
    for rule in current().inferences():
        if matches(rule, style):
            return rule.code
    return None
