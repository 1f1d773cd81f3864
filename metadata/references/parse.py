"""``parse``: one citation string in, a ``Citation`` out, never an exception.

Order of reading: when the first archive named cites by call number (TNA, PRC FMA,
SAPMO, MNL OL, US paths ...), its own reader goes first; then the fond-family reader
(labelled levels, any archive or none); then a bare call number, for the archives the
registry allows one (TsDA ``378-B/177``); last, call numbers whose form implies the
archive (``FO 371/...``, ``KC PZPR``, ``Record Group``, ``761.93/7–2649``).
"""

from __future__ import annotations

from collections.abc import Callable

from metadata.references import us
from metadata.references.archives import AliasHit, archive, find_aliases
from metadata.references.citation import Citation, Found
from metadata.references.cleanup import prepare, remainder
from metadata.references.fond import IBID_RE, parse_fond
from metadata.references.signatures import READERS, aan_unnamed, call_number, tna_unnamed

_READERS: dict[str, Callable[[str, AliasHit], Found | None]] = {
    **READERS,
    "nara": us.nara,
    "library": us.library,
    "agency": us.agency,
}
_UNNAMED: tuple[Callable[[str], Found | None], ...] = (
    tna_unnamed,
    aan_unnamed,
    us.record_group_unnamed,
    us.decimal_unnamed,
)


def parse(text: str) -> Citation:
    """Read an archival citation; ``error`` explains when nothing could be read."""
    try:
        return _parse(text)
    except Exception as exc:  # the contract is "never raises"; say what went wrong
        return Citation(str(text), (), error=f"cannot parse: internal error ({exc!r})")


def _parse(text: str) -> Citation:
    s = prepare(text)
    if not s:
        return Citation(text, (), error="cannot parse: empty citation")
    aliases = find_aliases(s)
    first = aliases[0] if aliases else None
    found: Found | None = None
    if first is not None and first.scheme != "fond":
        found = _READERS[first.scheme](s, first)
    if found is None:
        found = parse_fond(s)
    if found is None and first is not None and archive(first.code).call_numbers:
        found = call_number(s, first)
    for reader in _UNNAMED:
        if found is not None:
            break
        found = reader(s)
    if found is None:
        return Citation(text, (), error=_why(s, aliases), remainder=s)
    return Citation(
        text,
        found.references,
        inferred_archive=found.inferred,
        remainder=remainder(s, found.start, found.end),
    )


def _why(s: str, aliases: list[AliasHit]) -> str:
    if IBID_RE.search(s):
        return "cannot parse: ibid. reference; it needs the preceding citation"
    if aliases:
        return f"cannot parse: {aliases[0].code} is named but no unit in it is"
    if any(char.isdigit() for char in s):
        return "cannot parse: no archive, fond or file is given"
    return "cannot parse: no archival reference found"
