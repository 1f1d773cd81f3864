"""The post-Soviet fond family: ``archive, f. N, op. N, d. N, l. N`` in all its spellings.

The reader scans for archive names and labelled numbers, then links the ones that
follow each other with nothing but punctuation between them into a *chain*. A chain is
one citation; inside it a label that goes back up the hierarchy (``...Д. 42; Оп. 8``)
or a new archive name (``...; and RGASPI, f. 558``) starts another reference, carrying
over the levels above it. Text outside the chain (physical description, dates, prose)
is left for the remainder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from metadata.record import Reference
from metadata.references import sheets
from metadata.references.archives import (
    ALIAS_ALTERNATIVES,
    ALIAS_FIRST_CHARS,
    AliasHit,
    Style,
    alias_hit,
    infer_archive,
)
from metadata.references.citation import Found
from metadata.references.labels import (
    LETTER,
    SPELLINGS,
    spelling_key,
    spelling_regex,
    transliterate,
    variants,
)
from metadata.references.levels import FOND_RANK

IBID = r"(?<![^\W_])(?i:там\s?же|там\s?само|ibid(?:em)?)(?![^\W_])\.?"
IBID_RE = re.compile(IBID)

# every written label, longest first so "listy" wins over "l" and "арк" over "ap"
_SPELLING_LIST = sorted(
    ((level, spelling) for level, spellings in SPELLINGS.items() for spelling in spellings),
    key=lambda pair: -len(pair[1]),
)
_LABEL_LEVEL = {f"L{i}": level for i, (level, _) in enumerate(_SPELLING_LIST)}
_LABELS = "|".join(
    f"(?P<L{i}>{spelling_regex(spelling)}(?![^\\W\\d_]))"
    for i, (_, spelling) in enumerate(_SPELLING_LIST)
)
_FIRST_CHARS = "".join(
    sorted(
        set(ALIAS_FIRST_CHARS)
        | {c for _, spelling in _SPELLING_LIST for c in variants(spelling[0])}
        | set("12ТтIi")  # years, ibid.
    )
)
_MASTER = re.compile(
    f"(?=[{re.escape(_FIRST_CHARS)}])(?<![^\\W_])"
    f"(?:(?:{ALIAS_ALTERNATIVES})(?![^\\W_])|(?P<ibid>{IBID})"
    r"|(?P<year>(?:1[6-9]\d\d|20\d\d)\s?(?:g|г)\.)"
    f"|(?i:{_LABELS}))"
)

_CONTAINER = re.compile(
    r"(?P<numero>№|[Nn][Oo]\.?(?=\s?\d)|[Nn][Rr]\.?(?=\s?\d))?\s?"
    rf"(?:(?P<pre>[{LETTER}]{{1,3}})[-‐‑])?"
    r"(?P<num>\d+)(?!\d)"
    rf"(?P<suf>[{LETTER}](?![^\W\d_])|\s(?![гg]\.)[a-zа-яё](?=\s?(?:[,;:)]|\.(?!\s?\d)|$)))?"
)
_ROMAN = re.compile(r"[IVXLC]+(?![^\W\d_])")
# GARF f. 102 is split by sub-office before the opis: "f. 102 DPOO, 1898 g., op. 226"
_SUBDIVISION = re.compile(r"\s(?P<sub>[A-Z]{3,6})(?=\s?[,;]|$)")
# what may stand between two parts of one citation
_GAP = re.compile(r"(?:[\s.,;:()\[\]/'\"«»\-–—]|(?i:and|и|та|also|und|és|ir)(?![^\W_]))*")
_HIERARCHY = {"fond": 0, "opis": 1, "delo": 2}
_AFTER_FOND = ("year", "opis", "papka", "delo", "tom", "chast")


@dataclass
class _Item:
    kind: str  # alias | ibid | year | level | sheets
    start: int
    end: int
    level: str = ""
    value: str = ""
    alias: AliasHit | None = None
    label: str = ""
    numero: bool = False
    prefix: str | None = None
    sub: str | None = None


@dataclass
class _Builder:
    archive: str | None
    ibid: bool = False
    levels: dict[str, str] = field(default_factory=dict)
    pages: str | None = None

    def has_content(self) -> bool:
        return bool(self.levels) or self.pages is not None

    def splits_at(self, level: str) -> bool:
        """A level already given, or one above a given one, begins the next reference."""
        if level in self.levels or self.pages is not None:
            return True
        rank = _HIERARCHY.get(level)
        return rank is not None and any(_HIERARCHY.get(name, -1) > rank for name in self.levels)

    def carry(self, level: str | None) -> _Builder:
        """The next reference: same archive, levels above ``level`` carried over."""
        cut = FOND_RANK.get(level, 0) if level else len(FOND_RANK)
        kept = {k: v for k, v in self.levels.items() if FOND_RANK.get(k, 99) < cut}
        return _Builder(self.archive, self.ibid, kept)


def parse_fond(s: str) -> Found | None:
    """The first chain with a container level (or an archive and sheets), read."""
    items = _scan(s)
    chain = _pick_chain(s, items)
    if not chain:
        return None
    first = chain[0]
    archive: str | None = None
    ibid = False
    if first.kind not in ("alias", "ibid"):
        before = [it for it in items if it.end <= first.start and it.kind in ("alias", "ibid")]
        if before:
            ibid = before[-1].kind == "ibid"
            hit = before[-1].alias
            archive = hit.code if hit and not ibid else None
    builders = [_Builder(archive, ibid)]
    labels: set[str] = set()
    numero = False
    prefix: str | None = None
    end = first.end
    for it in chain:
        current = builders[-1]
        if it.kind in ("alias", "ibid"):
            code = it.alias.code if it.alias else None
            if current.has_content():
                builders.append(_Builder(code, it.kind == "ibid"))
            else:
                current.archive, current.ibid = code, it.kind == "ibid"
        elif it.kind == "year":
            if (
                "fond" not in current.levels
                or current.pages is not None
                or any(name in current.levels for name in _AFTER_FOND)
            ):
                break
            current.levels["year"] = it.value
        elif it.kind == "sheets":
            if current.pages is not None:
                current = current.carry(None)
                builders.append(current)
            current.pages = it.value
            labels.add(it.label)
        else:
            if current.splits_at(it.level):
                current = current.carry(it.level)
                builders.append(current)
            current.levels[it.level] = it.value
            if it.sub:
                current.levels["subdivision"] = it.sub
            labels.add(it.label)
            if it.level == "fond":
                numero = numero or it.numero
                prefix = prefix or it.prefix
        end = it.end
    style = Style(labels=frozenset(labels), fond_prefix=prefix, numero=numero)
    refs: list[Reference] = []
    inferred_primary = False
    for b in builders:
        ref, inferred = _finish(b, style)
        if ref is not None:
            if not refs:
                inferred_primary = inferred
            refs.append(ref)
    if not refs:
        return None
    return Found(tuple(refs), first.start, end, inferred_primary)


def _finish(b: _Builder, style: Style) -> tuple[Reference | None, bool]:
    levels = tuple(sorted(b.levels.items(), key=lambda kv: FOND_RANK.get(kv[0], 99)))
    if not levels and (b.pages is None or b.archive is None):
        return None, False  # sheets alone locate nothing
    archive, inferred = b.archive, False
    if archive is None and not b.ibid:
        archive = infer_archive(style)
        inferred = archive is not None
    return Reference(archive, levels, b.pages), inferred


def _pick_chain(s: str, items: list[_Item]) -> list[_Item]:
    chains: list[list[_Item]] = []
    for it in items:
        if chains and _GAP.fullmatch(s, chains[-1][-1].end, it.start):
            chains[-1].append(it)
        else:
            chains.append([it])
    for chain in chains:
        if any(it.kind == "level" for it in chain):
            return chain
    for chain in chains:
        kinds = [it.kind for it in chain]
        if "alias" in kinds and "sheets" in kinds[kinds.index("alias") :]:
            return chain[kinds.index("alias") :]
    return []


def _scan(s: str) -> list[_Item]:
    items: list[_Item] = []
    pos, n = 0, len(s)
    while pos < n:
        m = _MASTER.search(s, pos)
        if m is None:
            break
        name = m.lastgroup or ""
        item: _Item | None
        if name == "ibid":
            item = _Item("ibid", m.start(), m.end())
        elif name == "year":
            item = _Item("year", m.start(), m.end(), "year", m.group()[:4])
        elif name.startswith("A"):
            item = _Item("alias", m.start(), m.end(), alias=alias_hit(name, m.start(), m.end()))
        else:
            item = _read_value(s, m, _LABEL_LEVEL[name])
        if item is None:
            pos = m.end()
            continue
        items.append(item)
        pos = max(item.end, m.start() + 1)
    return items


def _read_value(s: str, m: re.Match[str], level: str) -> _Item | None:
    label = m.group()
    p = m.end()
    dot = s.startswith(".", p)
    p += dot
    q = p
    while q < len(s) and s[q] == " ":
        q += 1
    if len(label) == 1 and not dot and q > p:
        return None  # a bare letter is a label only when dotted or glued to the number
    key = spelling_key(label)
    if level == "sheets":
        pm = sheets.PAGES_RE.match(s, q)
        if pm is None:
            return None
        return _Item("sheets", m.start(), pm.end(), "sheets", sheets.normalise(pm["pages"]),
                     label=key)  # fmt: skip
    vm = _CONTAINER.match(s, q)
    if vm is None:
        if level == "tom":
            rm = _ROMAN.match(s, q)
            if rm:
                return _Item("level", m.start(), rm.end(), level, rm.group(), label=key)
        return None
    value, prefix = _container_value(vm)
    item = _Item("level", m.start(), vm.end(), level, value, label=key,
                 numero=bool(vm["numero"]), prefix=prefix)  # fmt: skip
    if level == "fond":
        sm = _SUBDIVISION.match(s, vm.end())
        if sm:
            item.sub, item.end = sm["sub"], sm.end()
    return item


def _container_value(vm: re.Match[str]) -> tuple[str, str | None]:
    """``П-5`` -> ``P-5``, ``r-393`` -> ``R-393``, ``148а`` -> ``148a``, ``1Б`` -> ``1B``."""
    raw_prefix = vm["pre"]
    prefix = transliterate(raw_prefix).upper() if raw_prefix else ""
    suffix = transliterate(vm["suf"].strip()) if vm["suf"] else ""
    number = f"{vm['num']}{suffix}"
    return (f"{prefix}-{number}" if prefix else number), raw_prefix
