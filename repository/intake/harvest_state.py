"""What ``opis harvest`` remembers per source, in the store's ``meta`` table.

A source is a base URL, a set and a metadata prefix. For each, the store keeps the
``responseDate`` of the first page of the last complete harvest: the next harvest asks
``from`` it, as the OAI harvester guidelines say, and never from the newest datestamp
it saw (vufindharvest#7: responses are not in datestamp order). While a list is being
followed it also keeps a checkpoint, written after each page is stored: the token that
continues the list, the list's ``from`` and its first ``responseDate``. An interrupted
harvest continues from the token; when the provider no longer accepts it, the same
window is harvested again from its ``from``, which only rewrites what is already here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

from repository.store import Store

PREFIX = "harvest:"


@dataclass(frozen=True)
class HarvestSource:
    """What is harvested: the provider's base URL, the set (if any) and the format."""

    base: str
    set: str | None
    prefix: str

    @property
    def meta_name(self) -> str:
        """The ``meta`` row's name: ``harvest:`` and a digest (names are short columns)."""
        basis = "\n".join([self.base, self.set or "", self.prefix])
        return PREFIX + hashlib.sha256(basis.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class State:
    """``last``: first responseDate of the last complete harvest; the rest: a checkpoint."""

    last: str | None = None
    token: str | None = None
    list_from: str | None = None
    list_started: str | None = None
    # Identifiers whose records could not be stored: fetched again on every run (an
    # incremental list would not bring them back) until they are stored.
    failed: tuple[str, ...] = ()


async def load(store: Store, source: HarvestSource) -> State:
    value = await store.get_meta(source.meta_name)
    if not value:
        return State()
    data = json.loads(value)
    known = {f.name: data[f.name] for f in fields(State) if f.name in data}
    known["failed"] = tuple(known.get("failed") or ())
    return State(**known)


async def save(store: Store, source: HarvestSource, state: State) -> None:
    value = {"base": source.base, "set": source.set, "prefix": source.prefix, **asdict(state)}
    await store.set_meta(source.meta_name, json.dumps(value, ensure_ascii=False))
