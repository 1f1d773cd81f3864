"""The record: one archival document as Opis keeps it.

A record is plain data. Readers build it from their inputs, the store keeps it as JSON
(``to_json``/``from_json`` round-trip exactly), and the crosswalks render it into each
metadata format. Nothing here knows about files, HTTP or databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

TEXT_KINDS = ("transcription", "translation")


def _by_position(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickled as the class and its field values: the dataclass default for a frozen
    class with slots looks its fields up again for every object, and ingest sends every
    prepared record from a worker process to the writer."""
    return type(self), tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class Text:
    """A string with the language it is written in, when that is known (BCP 47 tag)."""

    __reduce__ = _by_position

    value: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    """A person or body with the part they played (``translator``, ``obtained by`` ...)."""

    __reduce__ = _by_position

    name: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class TextBody:
    """The document's own words: the original transcription or a translation."""

    __reduce__ = _by_position

    content: str
    language: str | None = None
    kind: str = "translation"


@dataclass(frozen=True, slots=True)
class Page:
    """One page image of the document, in reading order.

    ``image`` names the input file until ingest stores it; from then on it is the
    content-addressed image id, and ``width``/``height`` are the stored pixel size.
    """

    __reduce__ = _by_position

    image: str
    label: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where the description came from: the source system's record id and page URL."""

    __reduce__ = _by_position

    id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed archival reference: archive, ordered levels, and the sheets inside the unit."""

    __reduce__ = _by_position

    archive: str | None
    levels: tuple[tuple[str, str], ...] = ()
    pages: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "levels": [list(level) for level in self.levels],
            "pages": self.pages,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reference:
        return cls(
            archive=data.get("archive"),
            levels=tuple((str(n), str(v)) for n, v in data.get("levels") or ()),
            pages=data.get("pages"),
        )


@dataclass(frozen=True)
class Record:
    """An archival document: Dublin Core and what the sources carry beyond it.

    Repeatable fields are tuples. ``citation`` is the source's reference text as
    written; ``reference`` and ``alternates`` are its parse (the first reference is the
    primary one). ``key`` is assigned by ingest and never changes afterwards.
    """

    title: str
    citation: str | None = None
    reference: Reference | None = None
    alternates: tuple[Reference, ...] = ()
    key: str | None = None
    title_language: str | None = "en"
    date: str | None = None
    description: tuple[Text, ...] = ()
    creators: tuple[str, ...] = ()
    contributors: tuple[Agent, ...] = ()
    language: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    publisher: str | None = None
    rights: str | None = None
    funders: tuple[str, ...] = ()
    text: tuple[TextBody, ...] = ()
    source: Source = field(default_factory=Source)
    pages: tuple[Page, ...] = ()
    # archival description (finding aids, issue 13); empty for documents read elsewhere
    level: str | None = None  # EAD level: fonds, series, file, item ...
    parent: str | None = None  # key of the unit above, within the finding aid
    finding_aid: str | None = None  # the finding aid's own id (EAD eadid / recordid)
    extent: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()  # scope and content
    access: tuple[str, ...] = ()  # conditions governing access
    use: tuple[str, ...] = ()  # conditions governing use
    origination: tuple[str, ...] = ()
    location: tuple[str, ...] = ()  # physical location and containers (box 3, folder 2)
    daos: tuple[str, ...] = ()  # digital object links (IIIF manifests, viewers)
    iiif_manifests: tuple[str, ...] = ()  # the daos that are IIIF manifests (readers/daos.py)

    def with_key(self, key: str) -> Record:
        """This record under ``key`` (see ``copy_with``)."""
        keyed = object.__new__(type(self))
        keyed.__dict__.update(self.__dict__)
        keyed.__dict__["key"] = key
        return keyed

    def copy_with(self, **changes: Any) -> Record:
        """``dataclasses.replace(self, **changes)``, as a copy of the attributes.

        ``replace`` runs ``__init__`` over all thirty fields, and ingest changes every
        record once or twice (its reference, its key). The result is the same record
        (frozen, no ``__post_init__``).
        """
        if not changes.keys() <= _FIELD_NAMES:
            raise TypeError(f"not fields of Record: {sorted(changes.keys() - _FIELD_NAMES)}")
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def to_json(self) -> dict[str, Any]:
        """The stored and exported form; fields left empty are omitted."""
        out: dict[str, Any] = {}
        values = self.__dict__
        for name in _field_names(Record):
            value = values[name]
            # ``not value`` settles every field that is set; only an empty one needs the
            # exact test (a value equal to None, () or "")
            if not value and (value is None or value == () or value == ""):
                continue
            if value.__class__ is Source and value == _NO_SOURCE:
                continue
            out[name] = value if value.__class__ is str else _dump(value)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Inverse of ``to_json``; unknown names are ignored, so old rows stay readable."""
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name not in _FIELD_NAMES:
                continue
            kwargs[name] = _LOADERS.get(name, _identity)(value)
        return cls(**kwargs)


def _dump(value: Any) -> Any:
    if isinstance(value, tuple):
        return [v if v.__class__ is str else _dump(v) for v in value]
    if isinstance(value, Reference):
        return value.to_json()
    if hasattr(value, "__dataclass_fields__"):
        return {
            name: item
            for name in _field_names(type(value))
            if (item := getattr(value, name)) is not None
        }
    return value


_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: Any) -> tuple[str, ...]:
    """A dataclass's field names in order, kept: ``fields()`` rebuilds the list on every
    call, and ingest dumps every record to hash it."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


_NO_SOURCE = Source()


def _identity(value: Any) -> Any:
    return value


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


_FIELD_NAMES = {f.name for f in fields(Record)}
_LOADERS: dict[str, Callable[[Any], Any]] = {
    "reference": lambda v: Reference.from_json(v) if v else None,
    "alternates": lambda v: tuple(Reference.from_json(x) for x in v),
    "description": lambda v: tuple(Text(**x) for x in v),
    "creators": _strings,
    "contributors": lambda v: tuple(Agent(**x) for x in v),
    "language": _strings,
    "subjects": _strings,
    "places": _strings,
    "collections": _strings,
    "types": _strings,
    "funders": _strings,
    "text": lambda v: tuple(TextBody(**x) for x in v),
    "source": lambda v: Source(**v),
    "pages": lambda v: tuple(Page(**x) for x in v),
    **{
        name: _strings
        for name in (
            "extent",
            "scope",
            "access",
            "use",
            "origination",
            "location",
            "daos",
            "iiif_manifests",
        )
    },
}
