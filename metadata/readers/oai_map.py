"""Where values sit in a harvested record: the tree, paths into it, and the field map.

A harvested record's metadata is read with xmltodict into plain dicts and lists; the
helpers here hide xmltodict's "one child is a dict, several are a list" shapes. The
same small path language serves the built-in readings and the ``--map FILE`` a user
writes for a provider whose catalogue keeps things elsewhere (docs/harvest.md):

* ``dc:identifier`` -- a child element (oai_dc names keep their ``dc:`` prefix);
* ``location/shelfLocator`` -- a path of child elements (MODS);
* ``note[@type=preferred citation]`` -- a child with that attribute value;
* ``852$j`` -- MARC: subfield ``j`` of every 852 datafield; ``001`` a controlfield.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# The record fields a map may point somewhere else.
MAPPABLE = (
    "reference",
    "title",
    "date",
    "description",
    "creators",
    "contributors",
    "subjects",
    "places",
    "types",
    "language",
    "rights",
    "publisher",
    "collections",
)
_STEP = re.compile(r"^([^\[\]/@$]+)(?:\[@([^=\]]+)=([^\]]*)\])?$")
_MARC = re.compile(r"^(\d{3})(?:\$([0-9a-z]))?$")


class FieldMapError(ValueError):
    """A map file that cannot be used; the message names the entry and what is wrong."""


# ---------------------------------------------------------------- the tree


def children(node: Any, name: str) -> list[Any]:
    """The children called ``name``, always as a list (xmltodict gives one as a dict)."""
    if not isinstance(node, dict):
        return []
    found = node.get(name)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def text(node: Any) -> str:
    """The text of an element, stripped ("" for an element with none)."""
    if isinstance(node, str):
        return node.strip()
    if isinstance(node, dict):
        value = node.get("#text")
        return value.strip() if isinstance(value, str) else ""
    return ""


def attr(node: Any, name: str) -> str | None:
    return node.get(f"@{name}") if isinstance(node, dict) else None


def texts(node: Any, name: str) -> list[str]:
    """The non-empty texts of the children called ``name``."""
    return [t for t in (text(child) for child in children(node, name)) if t]


def datafields(record: Any, tag: str) -> list[dict[str, Any]]:
    """MARC datafields with this tag, in record order."""
    return [f for f in children(record, "datafield") if attr(f, "tag") == tag]


def subfields(datafield: Any, code: str) -> list[str]:
    return [text(s) for s in children(datafield, "subfield") if attr(s, "code") == code and text(s)]


def controlfield(record: Any, tag: str) -> str:
    for found in children(record, "controlfield"):
        if attr(found, "tag") == tag:
            return found.get("#text", "") if isinstance(found, dict) else ""
    return ""


# ---------------------------------------------------------------- paths


@dataclass(frozen=True)
class Rule:
    """One place to look: a path, and optionally a pattern whose first group is the value."""

    path: str
    pattern: re.Pattern[str] | None = None

    def values(self, root: Any) -> Iterator[str]:
        for value in select(root, self.path):
            if self.pattern is None:
                yield value
                continue
            match = self.pattern.search(value)
            if match:
                found = (match.group(1) if match.groups() else match.group(0)).strip()
                if found:
                    yield found


def check_path(path: str) -> str | None:
    """Why ``path`` is not a path (None when it is one)."""
    if not path.strip():
        return "is empty"
    if _MARC.match(path.strip()):
        return None
    for step in path.strip().split("/"):
        if not _STEP.match(step.strip()):
            return f"has a step {step!r} that is neither a name nor name[@attribute=value]"
    return None


def select(root: Any, path: str) -> list[str]:
    """The non-empty texts ``path`` reaches from the metadata root, in document order."""
    path = path.strip()
    marc = _MARC.match(path)
    if marc:
        tag, code = marc.groups()
        if code is None:
            value = controlfield(root, tag).strip()
            return [value] if value else [s for f in datafields(root, tag) for s in _all_subs(f)]
        return [s for f in datafields(root, tag) for s in subfields(f, code)]
    nodes = [root]
    for step in path.split("/"):
        parsed = _STEP.match(step.strip())
        assert parsed is not None, f"not a path step: {step!r} (check_path refuses it)"
        name, key, wanted = parsed.groups()
        nodes = [
            child
            for node in nodes
            for child in children(node, name.strip())
            if key is None or (attr(child, key.strip()) or "") == wanted.strip().strip("'\"")
        ]
    return [t for t in (text(node) for node in nodes) if t]


def _all_subs(datafield: Any) -> list[str]:
    return [text(s) for s in children(datafield, "subfield") if text(s)]


# ---------------------------------------------------------------- the map file


@dataclass(frozen=True)
class FieldMap:
    """Which elements hold which record fields, for one provider.

    ``reference`` rules are searched before the built-in places; every other mapped
    field replaces the built-in reading of that field.
    """

    rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)

    def get(self, name: str) -> tuple[Rule, ...]:
        return self.rules.get(name, ())

    @classmethod
    def from_text(cls, content: str, source: str = "map") -> FieldMap:
        """Read a map written as JSON (an object) or TOML; errors name the entry."""
        try:
            if content.lstrip().startswith("{"):
                data = json.loads(content)
            else:
                data = tomllib.loads(content)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise FieldMapError(f"{source}: neither a JSON object nor TOML: {exc}") from exc
        if not isinstance(data, dict):
            raise FieldMapError(f"{source}: must be an object of field names")
        rules: dict[str, tuple[Rule, ...]] = {}
        for name, value in data.items():
            if name not in MAPPABLE:
                raise FieldMapError(
                    f"{source}: unknown field {name!r}; a map can set {', '.join(MAPPABLE)}"
                )
            items = value if isinstance(value, list) else [value]
            if not items:
                raise FieldMapError(f"{source}: {name} is an empty list")
            rules[name] = tuple(_rule(f"{source}: {name}", item) for item in items)
        return cls(rules)


def _rule(where: str, item: Any) -> Rule:
    if isinstance(item, str):
        item = {"path": item}
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise FieldMapError(f'{where}: each entry is a path or {{path = "...", pattern = "..."}}')
    unknown = set(item) - {"path", "pattern"}
    if unknown:
        raise FieldMapError(f"{where}: unknown key {sorted(unknown)[0]!r} (path, pattern)")
    problem = check_path(item["path"])
    if problem:
        raise FieldMapError(f"{where}: path {item['path']!r} {problem}")
    pattern = item.get("pattern")
    if pattern is None:
        return Rule(item["path"])
    if not isinstance(pattern, str):
        raise FieldMapError(f"{where}: pattern must be a string")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise FieldMapError(
            f"{where}: pattern {pattern!r} is not a regular expression: {exc}"
        ) from None
    return Rule(item["path"], compiled)
