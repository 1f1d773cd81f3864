"""IIIF checks the JSON Schema misses, and the helpers that fetch a live tree to check.

Every manifest and collection a test produces goes through ``assert_valid``: the
official Presentation 3.0 JSON Schema (``tests/schemas/iiif/iiif_3_0.json``, see its
README) AND the semantic rules below, each from ``iiif-requirements.md`` (section
numbers in the messages). ``crawl`` walks a running server from the top collection,
validates every document, and dereferences what the documents point at (info.json,
thumbnails, ``partOf``), checking the live rules: service id == info.json id, canvas
size == image size, every listed item has an up-link.
"""

from __future__ import annotations

import functools
import gzip
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

SCHEMA = Path(__file__).resolve().parent / "schemas" / "iiif" / "iiif_3_0.json"
PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PRESENTATION_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
IMAGE_INFO_TYPE = f'application/ld+json;profile="{IMAGE_CONTEXT}"'

LANGUAGE_KEY = re.compile(r"^(none|[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*)$")
NAV_DATE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DISJOINT = (
    {"unordered", "individuals", "continuous", "paged"},
    {"auto-advance", "no-auto-advance"},
    {"repeat", "no-repeat"},
    {"facing-pages", "non-paged"},
)
CONTENT_TYPES = {"Image", "Video", "Sound", "Text", "Dataset", "Model"}
RESOURCE_TYPES = {"Canvas", "AnnotationPage", "Annotation", "Range"}
HTML = re.compile(r"<[a-zA-Z/!]")
LANGUAGE_MAP_KEYS = ("label", "summary")


# -- schema -------------------------------------------------------------------------------


@functools.cache
def _schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@functools.cache
def _validator(kind: str | None) -> jsonschema.Draft7Validator:
    schema = _schema()
    if kind is not None:
        # against the class itself, so a message names the property that is wrong
        schema = {**{k: v for k, v in schema.items() if k != "oneOf"}, "$ref": f"#/classes/{kind}"}
    return jsonschema.Draft7Validator(schema)


def schema_errors(doc: dict) -> list[str]:
    """Errors against the official schema: its root (oneOf) and the document's own class."""
    kind = {"Manifest": "manifest", "Collection": "collection"}.get(doc.get("type", ""))
    out = []
    for validator in (_validator(None), _validator(kind)):
        for error in validator.iter_errors(doc):
            where = "/".join(str(p) for p in error.absolute_path)
            out.append(f"schema: {where}: {error.message[:200]}")
    return out


# -- semantic rules ----------------------------------------------------------------------------


def walk(node: Any, path: str = "$") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def _language_map(value: Any, where: str, *, html_ok: bool) -> list[str]:
    if not isinstance(value, dict) or not value:
        return [f"{where} is not a non-empty language map (P3 §4.4)"]
    out = []
    for key, texts in value.items():
        if not LANGUAGE_KEY.match(key):
            out.append(f"{where}: key {key!r} is not a BCP 47 tag or 'none' (1.6)")
        if not (isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts)):
            out.append(f"{where}[{key}] must be a non-empty array of strings (1.6)")
        elif not html_ok and any(HTML.search(t) for t in texts):
            out.append(f"{where}[{key}] holds HTML, not allowed here (1.7)")
    return out


def _links(doc: dict, name: str, kind: str | None, *, needs: tuple[str, ...]) -> list[str]:
    value = doc.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        return [f"{name} must be a non-empty array (1.5)"]
    out = []
    for i, item in enumerate(value):
        missing = [k for k in ("id", "type", *needs) if k not in item]
        if missing:
            out.append(f"{name}[{i}] lacks {missing}")
        if kind is not None and item.get("type") != kind:
            out.append(f"{name}[{i}] type {item.get('type')!r} is not {kind!r}")
        if "label" in item:
            out += _language_map(item["label"], f"{name}[{i}].label", html_ok=False)
        if not str(item.get("id", "")).startswith(("http://", "https://")):
            out.append(f"{name}[{i}] id is not an http(s) URI")
    return out


def problems(doc: dict, url: str | None = None) -> list[str]:
    """Every rule of iiif-requirements.md this document breaks (empty list: none)."""
    out: list[str] = []
    keys = list(doc)
    if not keys or keys[0] != "@context":
        out.append("@context must be the first key (1.1)")
    context = doc.get("@context")
    last = context[-1] if isinstance(context, list) and context else context
    if last != PRESENTATION_CONTEXT:
        out.append(f"@context {context!r} is not the Presentation 3 context (1.1)")
    if "@graph" in doc:
        out.append("@graph at top level (1.2)")
    if url is not None and doc.get("id") != url:
        out.append(f"id {doc.get('id')!r} is not the URL it was served at {url!r} (1.3)")
    for path, node in walk(doc):
        if path != "$" and "@context" in node:
            out.append(f"{path} has its own @context (1.1)")
        if "id" in node and isinstance(node["id"], str):
            parts = urlsplit(node["id"])
            if parts.scheme not in ("http", "https") or not parts.netloc:
                out.append(f"{path}.id {node['id']!r} is not an absolute http(s) URI (1.3)")
        if node.get("format") == "image/jpg":
            out.append(f"{path}.format image/jpg is not a media type (4.5)")
        if "navDate" in node and not NAV_DATE.match(str(node["navDate"])):
            out.append(f"{path}.navDate {node['navDate']!r} is not xsd:dateTime with zone (2.11)")
        if "behavior" in node:
            chosen = set(node["behavior"])
            if any(len(chosen & group) > 1 for group in DISJOINT):
                out.append(f"{path}.behavior {sorted(chosen)} mixes disjoint values (2.12)")
        for name in LANGUAGE_MAP_KEYS:
            if name in node and node.get("type") != "TextualBody":
                out += _language_map(node[name], f"{path}.{name}", html_ok=name == "summary")
        for service in node.get("service", []) if isinstance(node.get("service"), list) else []:
            if service.get("type") == "ImageService3" and "id" not in service:
                out.append(f"{path}.service: ImageService3 needs id, not @id (4.6)")
            if "@id" in service and "type" in service:
                out.append(f"{path}.service mixes @id and type (4.6)")
    for i, pair in enumerate(doc.get("metadata", [])):
        out += _language_map(pair.get("label"), f"metadata[{i}].label", html_ok=False)
        out += _language_map(pair.get("value"), f"metadata[{i}].value", html_ok=True)
    if "requiredStatement" in doc:
        statement = doc["requiredStatement"]
        out += _language_map(statement.get("label"), "requiredStatement.label", html_ok=False)
        out += _language_map(statement.get("value"), "requiredStatement.value", html_ok=True)
    rights = doc.get("rights")
    if rights is not None:
        if not re.match(r"^https?://[^\s]+$", rights):
            out.append(f"rights {rights!r} is not a URI (2.5)")
        if re.match(r"^https://(www\.)?(creativecommons|rightsstatements)\.org/", rights):
            out.append(f"rights {rights!r} must be the http:// form (2.5)")
    out += _links(doc, "partOf", "Collection", needs=("label",))
    out += _links(doc, "homepage", "Text", needs=("label", "format"))
    out += _links(doc, "seeAlso", "Dataset", needs=("format", "profile"))
    out += _provider(doc)
    out += _thumbnails(doc)
    out += _duplicate_ids(doc)
    if doc.get("type") == "Collection":
        out += _collection(doc)
    elif doc.get("type") == "Manifest":
        out += _manifest(doc)
    else:
        out.append(f"type {doc.get('type')!r} is neither Manifest nor Collection (1.4)")
    return out


def _provider(doc: dict) -> list[str]:
    out = []
    for i, agent in enumerate(doc.get("provider", [])):
        if agent.get("type") != "Agent" or "id" not in agent or "label" not in agent:
            out.append(f"provider[{i}] must be an Agent with id and label (2.6)")
        out += _links(agent, "homepage", "Text", needs=("label",))
    return out


def _thumbnails(doc: dict) -> list[str]:
    out = []
    for path, node in walk(doc):
        thumbs = node.get("thumbnail")
        if thumbs is None:
            continue
        if not isinstance(thumbs, list) or not thumbs:
            out.append(f"{path}.thumbnail must be a non-empty array (1.5)")
            continue
        for thumb in thumbs:
            if thumb.get("type") not in CONTENT_TYPES:
                out.append(f"{path}.thumbnail type {thumb.get('type')!r} (2.10)")
            if thumb.get("type") == "Image" and not str(thumb.get("format", "")).startswith(
                "image/"
            ):
                out.append(f"{path}.thumbnail has no image format (2.10)")
    return out


def _duplicate_ids(doc: dict) -> list[str]:
    seen: dict[str, str] = {}
    out = []
    for path, node in walk(doc):
        if node.get("type") in RESOURCE_TYPES and isinstance(node.get("id"), str):
            if node["id"] in seen:
                out.append(f"duplicate id {node['id']} at {seen[node['id']]} and {path}")
            seen[node["id"]] = path
    return out


def _collection(doc: dict) -> list[str]:
    out = []
    items = doc.get("items")
    if not isinstance(items, list):
        out.append("a Collection must have items (3.1)")
        return out
    # P3 asks a Collection for the property and only a Manifest for an item: an empty
    # one is a finding-aid unit with nothing viewable, which links its description
    if not items and not doc.get("homepage"):
        out.append("a Collection without items must link what it is (homepage) (3.1)")
    for i, item in enumerate(items):
        if item.get("type") not in ("Manifest", "Collection"):
            out.append(f"items[{i}] type {item.get('type')!r} (3.1)")
        if not item.get("id") or not item.get("label"):
            out.append(f"items[{i}] lacks id or label (3.2)")
        if item.get("type") == "Manifest" and "items" in item:
            out.append(f"items[{i}]: manifests must not be embedded in collections (3.2)")
    return out


def _manifest(doc: dict) -> list[str]:
    out = []
    canvases = doc.get("items")
    if not isinstance(canvases, list) or not canvases:
        return ["a Manifest must have at least one canvas (2.14)"]
    if "label" not in doc:
        out.append("a Manifest must have a label (2.1)")
    for i, canvas in enumerate(canvases):
        where = f"items[{i}]"
        cid = canvas.get("id", "")
        if canvas.get("type") != "Canvas":
            out.append(f"{where} type {canvas.get('type')!r} is not Canvas")
        if "#" in cid:
            out.append(f"{where} id has a fragment (4.1)")
        width, height = canvas.get("width"), canvas.get("height")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            out.append(f"{where} width/height {width!r}x{height!r} are not positive integers (4.2)")
        pages = canvas.get("items") or []
        if not pages:
            out.append(f"{where} has no painting annotation page (4.3)")
        for page in pages:
            for anno in page.get("items") or []:
                out += _painting(anno, cid, width, height, where)
        for page in canvas.get("annotations", []):
            if not page.get("id") or page.get("type") != "AnnotationPage":
                out.append(f"{where}.annotations: pages need id and type AnnotationPage (4.7)")
            for anno in page.get("items") or []:
                if anno.get("motivation") != "supplementing":
                    out.append(
                        f"{where}.annotations motivation {anno.get('motivation')!r} is not "
                        "supplementing (4.7)"
                    )
                body = anno.get("body") or {}
                if body.get("type") != "TextualBody" or "value" not in body:
                    out.append(f"{where}.annotations body is not a TextualBody (4.7)")
                if body.get("format") not in ("text/plain", "text/html"):
                    out.append(f"{where}.annotations body format {body.get('format')!r} (4.7)")
                if str(anno.get("target", "")).split("#")[0] != cid:
                    out.append(f"{where}.annotations target is not the canvas (4.7)")
    return out


def _painting(anno: dict, cid: str, width: Any, height: Any, where: str) -> list[str]:
    out = []
    if anno.get("type") != "Annotation" or not anno.get("id"):
        out.append(f"{where}: painting annotation needs id and type Annotation (4.3)")
    if anno.get("motivation") != "painting":
        out.append(f"{where}: motivation {anno.get('motivation')!r} is not painting (4.4)")
    target = anno.get("target")
    target_id = target if isinstance(target, str) else (target or {}).get("source")
    if str(target_id).split("#")[0] != cid:
        out.append(f"{where}: painting target {target_id!r} is not the canvas (4.4)")
    body = anno.get("body") or {}
    if body.get("type") != "Image" or body.get("format") != "image/jpeg":
        out.append(f"{where}: painting body is not an image/jpeg Image (4.5)")
    services = body.get("service") or []
    if not services:
        out.append(f"{where}: painting body has no image service (4.6)")
    for service in services:
        if service.get("id") == body.get("id"):
            out.append(f"{where}: painting body id is the bare service id (4.5)")
        if service.get("type") != "ImageService3" or service.get("profile") != "level2":
            out.append(f"{where}: service is not an ImageService3 level2 (4.6)")
        if (service.get("width"), service.get("height")) != (width, height):
            out.append(f"{where}: canvas size is not the image's pixel size (4.2)")
    return out


def assert_valid(doc: dict, url: str | None = None) -> None:
    """Schema AND rules; the assertion message lists every problem."""
    found = schema_errors(doc) + problems(doc, url)
    assert not found, f"{url or doc.get('id')}:\n  " + "\n  ".join(found)


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        body = self.body
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
    """One request, no redirects followed, the path sent exactly as given (raw escapes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()


@dataclass
class Crawl:
    documents: dict[str, dict] = field(default_factory=dict)
    infos: dict[str, dict] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)  # item id -> listing ids

    @property
    def manifests(self) -> dict[str, dict]:
        return {k: v for k, v in self.documents.items() if v["type"] == "Manifest"}

    @property
    def collections(self) -> dict[str, dict]:
        return {k: v for k, v in self.documents.items() if v["type"] == "Collection"}


def fetch_document(url: str) -> dict:
    reply = request(url)
    assert reply.status == 200, f"GET {url} -> {reply.status}: {reply.body[:300]!r}"
    assert reply.headers["content-type"] == PRESENTATION_TYPE, reply.headers["content-type"]
    assert reply.headers.get("access-control-allow-origin") == "*", url
    doc = reply.json()
    assert_valid(doc, url)
    return doc


def crawl(base: str, start: str | None = None) -> Crawl:
    """Every collection and manifest below ``start`` (the top collection), all validated."""
    found = Crawl()
    pending = [start or f"{base}/iiif/3/collection"]
    while pending:
        url = pending.pop()
        if url in found.documents:
            continue
        doc = found.documents[url] = fetch_document(url)
        if doc["type"] == "Collection":
            for item in doc["items"]:
                found.parents.setdefault(item["id"], set()).add(url)
                pending.append(item["id"])
        else:
            _check_images(doc, found)
    for url, doc in found.documents.items():
        for link in doc.get("partOf", []):
            assert link["id"] in found.documents, f"{url}: partOf {link['id']} was not crawled"
        if url in found.parents and doc.get("partOf"):
            ups = {link["id"] for link in doc["partOf"]}
            listing = set(found.parents[url])
            for parent in found.parents[url]:  # an item of a part belongs to the whole
                if re.search(r"/collection/\d+$", parent):
                    listing |= {link["id"] for link in found.documents[parent]["partOf"]}
            assert ups & listing, f"{url}: partOf {ups} lists none of its parents {listing}"
    return found


def _check_images(doc: dict, found: Crawl) -> None:
    for canvas in doc["items"]:
        body = canvas["items"][0]["items"][0]["body"]
        service = body["service"][0]
        info = found.infos.get(service["id"])
        if info is None:
            reply = request(service["id"] + "/info.json")
            assert reply.status == 200, f"{service['id']}/info.json -> {reply.status}"
            assert reply.headers["content-type"] == IMAGE_INFO_TYPE
            assert reply.headers.get("access-control-allow-origin") == "*"
            info = found.infos[service["id"]] = reply.json()
        assert info["id"] == service["id"], "service id must equal the info.json id (5.2)"
        assert (canvas["width"], canvas["height"]) == (info["width"], info["height"])
        assert service.get("sizes") == info.get("sizes"), "embedded sizes differ from info.json"
        assert service.get("tiles") == info.get("tiles"), "embedded tiles differ from info.json"
    for thumb in doc.get("thumbnail", []):
        reply = request(thumb["id"])
        assert reply.status == 200 and reply.headers["content-type"] == "image/jpeg", thumb["id"]


# -- document folders with generated page images ----------------------------------------------


def write_folder(
    folder: Path,
    *,
    text: str | None = None,
    record: dict | None = None,
    pages: int = 2,
    seed: int = 1,
) -> Path:
    """A document folder as ingest reads it: record.txt or record.json plus page JPEGs."""
    from repository.intake.demo import page_image

    folder.mkdir(parents=True, exist_ok=True)
    if record is not None:
        (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False))
        title = record.get("title", "")
    else:
        assert text is not None
        (folder / "record.txt").write_text(text)
        title = next((line for line in text.splitlines() if line.strip()), "")
    lines = [line for line in (text or title).splitlines() if line.strip()][:12]
    names = [p["image"] for p in record.get("pages", [])] if record else []
    names = names or [f"p{n:03d}.jpg" for n in range(1, pages + 1)]
    for n, name in enumerate(names):
        path = folder / name
        if not path.exists():
            path.write_bytes(page_image(lines or [title], seed=seed * 100 + n, title=title[:80]))
    return folder
