"""``parse``: one citation string in, a ``Citation`` out, never an exception.

Order of reading: an ISAD(G) reference code (``ES.28079.AHN//...``) names its archive in
its own form and goes first. When the first archive named cites by call number or by a
labelled path (TNA, PRC FMA, SAPMO, MNL OL, the German, Polish, Czech, Italian, Spanish,
French ... path grammars, US paths), its own reader goes next; then the fond-family
reader (labelled levels, any archive or none, in the named archive's variant); then a
bare call number read by the archive's registry ``levels`` (TsDA ``378-B/177``); last,
call numbers whose form implies the archive (``FO 371/...``, ``KC PZPR``, ``Record
Group``, ``761.93/7–2649``, ``CHAR 20/13/8``, ``Arch. Nunz. Monaco``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from metadata.references import callnumbers, path, signatures, us
from metadata.references.archives import AliasHit, archive, find_aliases, is_known
from metadata.references.citation import Citation, Found
from metadata.references.cleanup import prepare, remainder
from metadata.references.fond import IBID_RE, parse_fond
from metadata.references.registry import RegistryNotLoaded

Reader = Callable[[str, AliasHit], Found | None]

# the fond family and its national variants: read by parse_fond with their labels
FOND_SCHEMES = frozenset({"fond", "albanian", "mongolian", "estonian"})

READERS: dict[str, Reader] = {
    # the path grammars; the call-number readers below fall back to them themselves
    **{name: path.reader(grammar) for name, grammar in path.GRAMMARS.items()},
    "prc": signatures.prc,
    "tna": signatures.tna,
    "sapmo": signatures.sapmo,
    "hungarian": signatures.hungarian,
    "bfl": signatures.bfl,
    "abtl": signatures.abtl,
    "aan": signatures.aan,
    "nacz": signatures.nacz,
    "vha": signatures.vha,
    "anic": signatures.anic,
    "gorky": signatures.gorky,
    "barch": callnumbers.barch,
    "ipn": callnumbers.ipn,
    "amsz": callnumbers.amsz,
    "french": callnumbers.french,
    "refno": callnumbers.refno,
    "churchill": callnumbers.refno,
    "irish": callnumbers.irish,
    "nara": us.nara,
    "library": us.library,
    "agency": us.agency,
}
_UNNAMED: tuple[Callable[[str], Found | None], ...] = (
    signatures.tna_unnamed,
    signatures.aan_unnamed,
    us.record_group_unnamed,
    us.decimal_unnamed,
    callnumbers.churchill_unnamed,
    callnumbers.nunziatura_unnamed,
)
# "Political Archive of the Federal Foreign Office, Berlin (PolA AA)": the name, a city,
# the name again in parentheses
_RESTATED = re.compile(r"(?:,?\s?[A-Z][a-zà-ÿ]+)?\s?\($")


def parse(text: str) -> Citation:
    """Read an archival citation; ``error`` explains when nothing could be read."""
    try:
        return _parse(text)
    except RegistryNotLoaded as exc:  # a set-up mistake, not the citation's fault
        return Citation(str(text), (), error=f"cannot parse: {exc}")
    except Exception as exc:  # the contract is "never raises"; say what went wrong
        return Citation(str(text), (), error=f"cannot parse: internal error ({exc!r})")


def _parse(text: str) -> Citation:
    s = prepare(text)
    if not s:
        return Citation(text, (), error="cannot parse: empty citation")
    hits = find_aliases(s)
    aliases = _merged(s, hits)
    first = aliases[0] if aliases else None
    first_scheme = first.scheme if first is not None else ""
    found = callnumbers.isad_unnamed(s)
    if found is None and first is not None and first_scheme not in FOND_SCHEMES:
        found = READERS[first_scheme](s, first)
    if found is None:
        scheme = first_scheme if first_scheme in FOND_SCHEMES else None
        found = parse_fond(s, scheme, hits)
    if found is None and first is not None and archive(first.code).levels:
        found = callnumbers.call_number(s, first)
    if found is None or found.references[0].archive is None:
        # a form that names its archive (``Arch. Nunz. Berlino, b. 92``) beats labels read
        # without one (``b. 92``)
        for reader in _UNNAMED:
            named = reader(s)
            if named is not None:
                found = named
                break
    if found is None:
        return Citation(text, (), error=_why(s, aliases), remainder=s)
    primary = found.references[0].archive
    return Citation(
        text,
        found.references,
        inferred_archive=found.inferred,
        remainder=remainder(s, found.start, found.end),
        archive_known=is_known(primary),
    )


def _merged(s: str, hits: list[AliasHit]) -> list[AliasHit]:
    """An archive named twice in a row (``..., Berlin (PolA AA)``) is one name."""
    out: list[AliasHit] = []
    for hit in hits:
        if out and out[-1].code == hit.code and _RESTATED.fullmatch(s, out[-1].end, hit.start):
            close = s.find(")", hit.end)
            if close == hit.end or s[hit.end : close].strip() == "":
                previous = out[-1]
                out[-1] = AliasHit(
                    previous.code, previous.start, close + 1, previous.implies, previous.inferred
                )
                continue
        out.append(hit)
    return out


def _why(s: str, aliases: list[AliasHit]) -> str:
    if IBID_RE.search(s):
        return "cannot parse: ibid. reference; it needs the preceding citation"
    if aliases:
        return f"cannot parse: {aliases[0].code} is named but no unit in it is"
    if any(char.isdigit() for char in s):
        return "cannot parse: no archive, fond or file is given"
    return "cannot parse: no archival reference found"
