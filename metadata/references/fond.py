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
    AliasHit,
    Style,
    alias_hit,
    alias_table,
    find_aliases,
    infer_archive,
)
from metadata.references.citation import Found
from metadata.references.labels import (
    LETTER,
    spelling_key,
    spelling_tokens,
    spellings,
    transliterate,
    trie_regex,
    variants,
)
from metadata.references.levels import FOND_RANK
from metadata.references.registry import Registry, current

IBID = r"(?<![^\W_])(?i:там\s?же|там\s?само|ibid(?:em)?)(?![^\W_])\.?"
IBID_RE = re.compile(IBID)


@dataclass(frozen=True)
class _Scanner:
    """One scheme's labels, ibid. and years, compiled into one regex.

    The archive names are not in it: ``find_aliases`` has found them already, and trying
    the registry's hundreds of names again at every label was most of what a scan cost
    (see ``_Aliases``).
    """

    labels: re.Pattern[str]
    label_level: dict[str, str]


def _scanner(scheme: str | None) -> _Scanner:
    key = f"fond-scanner:{scheme or 'fond'}"
    return current().cached(key, lambda registry: _build_scanner(registry, scheme))


def _build_scanner(registry: Registry, scheme: str | None) -> _Scanner:
    table = alias_table(registry)
    # every written label, longest first so "listy" wins over "l" and "арк" over "ap"
    spelling_list = sorted(
        ((level, spelling) for level, values in spellings(scheme).items() for spelling in values),
        key=lambda pair: -len(pair[1]),
    )
    label_level = {f"L{i}": level for i, (level, _) in enumerate(spelling_list)}
    labels = trie_regex(
        [(f"L{i}", spelling_tokens(spelling)) for i, (_, spelling) in enumerate(spelling_list)]
    )
    first_chars = "".join(
        sorted(
            set(table.first_chars)
            | {c for _, spelling in spelling_list for c in variants(spelling[0])}
            | set("12ТтIi")  # years, ibid.
        )
    )
    # the look-ahead is the one the names shared with these when they were one regex, so
    # the labels match where they did
    return _Scanner(
        re.compile(
            f"(?=[{re.escape(first_chars)}])(?<![^\\W_])"
            f"(?:(?P<ibid>{IBID})"
            r"|(?P<year>(?:1[6-9]\d\d|20\d\d)\s?(?:g|г)\.)"
            f"|(?i:{labels})(?![^\\W\\d_]))"
        ),
        label_level,
    )


class _Aliases:
    """The archive names of a citation, as the scan meets them.

    ``next(pos)`` is the leftmost name at or after ``pos``, the one the registry's names
    would match searched from there. ``hits`` (``find_aliases``) give it without a search:
    they are non-overlapping and each is the leftmost from where the one before ended, so
    the first hit at or after ``pos`` is the answer unless ``pos`` falls inside an earlier
    hit (then a name may start there that the hits stepped over, and it is searched for).
    """

    def __init__(self, s: str, hits: list[AliasHit]) -> None:
        self.s, self.hits = s, hits
        self.k = 0  # the first hit that may start at or after pos (pos only grows)

    def next(self, pos: int) -> AliasHit | None:
        hits, k = self.hits, self.k
        while k < len(hits) and hits[k].start < pos:
            k += 1
        self.k = k
        if k and hits[k - 1].end > pos:
            m = alias_table().regex.search(self.s, pos)
            return alias_hit(m.lastgroup or "", m.start(), m.end()) if m else None
        return hits[k] if k < len(hits) else None


_CONTAINER = re.compile(
    r"(?P<numero>№|[Nn][Oo]\.?(?=\s?\d)|[Nn][Rr]\.?(?=\s?\d))?\s?"
    rf"(?:(?P<pre>[{LETTER}]{{1,3}})[-‐‑])?"
    r"(?P<num>\d+)(?!\d)"
    rf"(?P<suf>[{LETTER}](?![^\W\d_])|\s(?![гg]\.)[a-zа-яё](?=\s?(?:[,;:)]|\.(?!\s?\d)|$)))?"
)
_ROMAN = re.compile(r"[IVXLC]+(?![^\W\d_])")
# a fond's own part after a slash: "F. 14/AP" (the party archive's fond 14)
_FOND_SLASH = re.compile(r"/(?P<part>[A-Z]{1,4})(?![\w/])")
# GARF f. 102 is split by sub-office before the opis: "f. 102 DPOO, 1898 g., op. 226"
_SUBDIVISION = re.compile(r"\s(?P<sub>[A-Z]{3,6})(?=\s?[,;]|$)")
# what may stand between two parts of one citation
_GAP = re.compile(r"(?:[\s.,;:()\[\]/'\"«»\-–—]|(?i:and|и|та|also|und|és|ir)(?![^\W_]))*")
_HIERARCHY = {"fond": 0, "opis": 1, "delo": 2}
_AFTER_FOND = ("year", "opis", "papka", "delo", "tom", "chast")


@dataclass(slots=True)
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
    hyphen: bool = False


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


# Mongolian: ХН (хадгаламжийн нэгж) for the unit; a Д. before it is the inventory (данс)
_HN = frozenset(spelling_key(x) for x in ("хн", "hn", "kh.n", "хадгаламжийн нэгж"))
_DANS = frozenset({"д", "d"})
# labels that may be joined to their number by a hyphen, as Mongolian finding aids do
# (F-6, D-1, HN-83); accepted only in a chain that has the ХН label
_HYPHENED = frozenset({"ф", "f", "д", "d"}) | _HN
# an archive's code the registry does not have, written right before the fond
_UPPER = "A-ZА-ЯЁІЇЄҐ"
_UNKNOWN_CODE = re.compile(
    rf"(?:^|(?<=[\s(;:]))(?P<code>[{_UPPER}][{_UPPER}0-9]{{1,15}}"
    rf"(?:[\s\-](?:[{_UPPER}0-9]{{1,15}}|[{_UPPER}]{{1,3}}[а-яёa-z]{{1,2}}))"  # ЦГАИПД СПб
    r"{0,2})[\s.,;:]*$"
)
_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
# COMDOS's sub-archives, "АКРДОПБГДСРСБНА - М": a letter after the archive's name
_SUBARCHIVE = re.compile(rf"\s?[-–]\s?(?P<sub>[{_UPPER}]{{1,3}})(?=\s?[,.;])")


def parse_fond(
    s: str, scheme: str | None = None, aliases: list[AliasHit] | None = None
) -> Found | None:
    """The first chain with a container level (or an archive and sheets), read.

    ``scheme`` is the fond-family variant of the archive named first (``albanian``,
    ``mongolian`` ...): its labels join the common ones. ``aliases``: ``find_aliases(s)``
    when the caller has it.
    """
    hits = find_aliases(s) if aliases is None else aliases
    items = _scan(s, _scanner(scheme), _Aliases(s, hits))
    chain = _pick_chain(s, items)
    if not chain:
        return None
    if any(it.hyphen for it in chain) and not any(it.label in _HN for it in chain):
        return None
    _mongolian_dans(chain)
    first = chain[0]
    archive: str | None = None
    ibid = False
    unknown: str | None = None
    unknown_start = 0
    if first.kind not in ("alias", "ibid"):
        before = [it for it in items if it.end <= first.start and it.kind in ("alias", "ibid")]
        if before:
            ibid = before[-1].kind == "ibid"
            hit = before[-1].alias
            archive = hit.code if hit and not ibid else None
        elif first.level == "fond" and (found := _unknown_code(s[: first.start])):
            unknown, unknown_start = found
            archive = unknown
    builders = [_Builder(archive, ibid)]
    labels: set[str] = set()
    numero = False
    prefix: str | None = None
    end = first.end
    start = first.start
    if unknown is not None:
        start = unknown_start
    for it in chain:
        current_builder = builders[-1]
        if it.kind in ("alias", "ibid"):
            code = it.alias.code if it.alias else None
            if current_builder.has_content():
                current_builder = _Builder(code, it.kind == "ibid")
                builders.append(current_builder)
            else:
                current_builder.archive, current_builder.ibid = code, it.kind == "ibid"
            if it.sub:
                current_builder.levels["subarchive"] = it.sub
        elif it.kind == "year":
            if (
                "fond" not in current_builder.levels
                or current_builder.pages is not None
                or any(name in current_builder.levels for name in _AFTER_FOND)
            ):
                break
            current_builder.levels["year"] = it.value
        elif it.kind == "sheets":
            if current_builder.pages is not None:
                current_builder = current_builder.carry(None)
                builders.append(current_builder)
            current_builder.pages = it.value
            labels.add(it.label)
        else:
            if current_builder.splits_at(it.level):
                current_builder = current_builder.carry(it.level)
                builders.append(current_builder)
            current_builder.levels[it.level] = it.value
            if it.sub:
                current_builder.levels["subdivision"] = it.sub
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
    return Found(tuple(refs), start, end, inferred_primary)


def _unknown_code(before: str) -> tuple[str, int] | None:
    """``MYARCH`` in ``MYARCH f.12 op.3 d.45``: an archive code written before the fond
    that the registry does not have, taken as given (Cyrillic transliterated)."""
    m = _UNKNOWN_CODE.search(before)
    if m is None:
        return None
    written = m["code"]
    if sum(c.isalpha() for c in written) < 2:
        return None
    code = re.sub(r"[\s\-]+", "-", transliterate(written).upper())
    return (code, m.start("code")) if _CODE.fullmatch(code) else None


def _mongolian_dans(chain: list[_Item]) -> None:
    """In a chain with ХН, a Д./D. written before it is the inventory (данс)."""
    hn = next((i for i, it in enumerate(chain) if it.label in _HN), None)
    if hn is None:
        return
    for it in chain[:hn]:
        if it.kind == "level" and it.level == "delo" and it.label in _DANS:
            it.level = "opis"


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


def _scan(s: str, scanner: _Scanner, aliases: _Aliases) -> list[_Item]:
    """Names, labels with their values, ibid. and years, left to right; at one place a
    name goes before the rest (as it did when names and labels were one regex)."""
    items: list[_Item] = []
    pos, n = 0, len(s)
    m: re.Match[str] | None = None
    searched = -1  # m is the leftmost label at or after this position
    while pos < n:
        if searched < 0 or (m is not None and m.start() < pos):
            m, searched = scanner.labels.search(s, pos), pos
        hit = aliases.next(pos)
        item: _Item | None
        if hit is not None and (m is None or hit.start <= m.start()):
            item = _Item("alias", hit.start, hit.end, alias=hit)
            if "subarchive" in hit.entry.levels and (sm := _SUBARCHIVE.match(s, hit.end)):
                item.sub, item.end = transliterate(sm["sub"]), sm.end()
            items.append(item)
            pos = max(item.end, hit.start + 1)
            continue
        if m is None:
            break
        name = m.lastgroup or ""
        if name == "ibid":
            item = _Item("ibid", m.start(), m.end())
        elif name == "year":
            item = _Item("year", m.start(), m.end(), "year", m.group()[:4])
        else:
            in_chain = bool(items) and _GAP.fullmatch(s, items[-1].end, m.start()) is not None
            item = _read_value(s, m, scanner.label_level[name], in_chain)
        if item is None:
            pos = m.end()
            continue
        items.append(item)
        pos = max(item.end, m.start() + 1)
    return items


def _read_value(s: str, m: re.Match[str], level: str, in_chain: bool) -> _Item | None:
    label = m.group()
    p = m.end()
    dot = s.startswith(".", p)
    p += dot
    key = spelling_key(label)
    hyphen = False
    if not dot and key in _HYPHENED and s[p : p + 1] in "-‐" and s[p + 1 : p + 2].isdigit():
        p += 1
        hyphen = True
    q = p
    while q < len(s) and s[q] == " ":
        q += 1
    if len(label) == 1 and not dot and q > p and not in_chain:
        return None  # a bare letter is a label only when dotted, glued, or inside a chain
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
                 numero=bool(vm["numero"]), prefix=prefix, hyphen=hyphen)  # fmt: skip
    if level == "fond" and (am := _FOND_SLASH.match(s, vm.end())):
        item.value, item.end = f"{value}/{am['part']}", am.end()  # Albanian "F. 14/AP"
    if level == "fond":
        sm = _SUBDIVISION.match(s, item.end)
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
