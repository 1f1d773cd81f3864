"""Presentation 3.0 documents built from records, without a server: shape, ids, rules."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from manifests.image_api import Limits
from manifests.presentation import (
    CollectionPage,
    ContainerItem,
    ManifestItem,
    PartItem,
    PresentationContext,
    build_collection,
    build_manifest,
    entries,
    parent_container,
    sort_key,
)
from manifests.presentation.describe import nav_date
from manifests.presentation.rights import rights_uri
from metadata.record import Agent, Page, Record, Reference, Text, TextBody
from repository.records.renditions import IIIF_MANIFEST, Renderer
from repository.settings import load
from tests.iiif_rules import SCHEMA, assert_valid, problems, schema_errors

BASE = "http://127.0.0.1:8080"
INC_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
PD_MARK = "http://creativecommons.org/publicdomain/mark/1.0/"
IMAGE_A, IMAGE_B = "a" * 64, "b" * 64


def context(base: str = BASE, **changes) -> PresentationContext:
    ctx = PresentationContext(
        base=base,
        repository_name="Opis test repository",
        oai_namespace="opis.example.org",
        default_rights=INC_EDU,
        rights_map=(("welcomes reuse", INC_EDU), ("public domain", PD_MARK)),
        tile_size=512,
        limits=Limits(10_000, 10_000, 50_000_000),
    )
    return replace(ctx, **changes)


def letter(**changes) -> Record:
    record = Record(
        title="Letter from Bagirov to Stalin and Molotov",
        citation="GAPPOD, f.1, op.89, d.112",
        reference=Reference("GAPPOD", (("fond", "1"), ("opis", "89"), ("delo", "112"))),
        key="GAPPOD/f.1/op.89/d.112",
        date="1946-04-20",
        description=(Text("A letter about talks.", "en"),),
        creators=("Bagirov, M. D.",),
        contributors=(Agent("Goldberg, Gary", "translator"), Agent("Hasanli, Jamil", "obtainer")),
        language=("ru", "en"),
        publisher="History and Public Policy Program Digital Archive",
        rights="The Program welcomes reuse of Digital Archive materials.",
        text=(
            TextBody("Товарищу Сталину", "ru", "transcription"),
            TextBody("To Comrade Stalin", "en", "translation"),
        ),
        pages=(Page(IMAGE_A, "л. 1", 1400, 2000), Page(IMAGE_B, "л. 1 об.", 1400, 2000)),
    )
    return replace(record, **changes)


def test_manifest_of_a_letter_passes_schema_and_rules():
    doc = build_manifest(letter(), context())
    url = f"{BASE}/iiif/3/GAPPOD/f.1/op.89/d.112/manifest"
    assert_valid(doc, url)
    assert next(iter(doc)) == "@context"
    assert doc["label"] == {"en": ["Letter from Bagirov to Stalin and Molotov"]}
    assert doc["rights"] == INC_EDU
    assert doc["navDate"] == "1946-04-20T00:00:00Z"
    assert doc["homepage"][0]["id"] == f"{BASE}/records/GAPPOD/f.1/op.89/d.112"
    assert doc["partOf"] == [
        {
            "id": f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection",
            "type": "Collection",
            "label": {"en": ["GAPPOD, Fond 1, Opis 89"]},
        }
    ]
    labels = {pair["label"]["en"][0]: pair["value"] for pair in doc["metadata"]}
    assert labels["Reference"] == {"none": ["GAPPOD, f.1, op.89, d.112"]}
    assert labels["Canonical reference"] == {"none": ["GAPPOD f.1 op.89 d.112"]}
    assert "Azerbaijan State Archive" in labels["Archive"]["en"][0]
    assert labels["Fond"] == {"none": ["1"]} and labels["Delo"] == {"none": ["112"]}
    assert labels["Translator"] == {"none": ["Goldberg, Gary"]}
    assert labels["Language"] == {"en": ["Russian", "English"]}
    citation = doc["requiredStatement"]["value"]["en"][0]
    assert citation.startswith("GAPPOD, f.1, op.89, d.112.") and "Goldberg, Gary" in citation
    assert doc["provider"][0]["label"] == {"en": ["Opis test repository"]}


def test_see_also_names_every_oai_format_with_its_schema():
    doc = build_manifest(letter(), context())
    prefixes = [link["id"].split("metadataPrefix=")[1].split("&")[0] for link in doc["seeAlso"]]
    assert prefixes[:3] == ["oai_dc", "marc21", "mods"]  # then oai_ead, edm, oai_dcterms
    for link in doc["seeAlso"]:
        assert link["type"] == "Dataset" and link["format"] == "text/xml"
        assert link["profile"].endswith(".xsd")
        assert link["id"].endswith("identifier=oai:opis.example.org:GAPPOD/f.1/op.89/d.112")


def test_canvases_use_the_stored_image_size_and_cyrillic_labels_are_russian():
    doc = build_manifest(letter(), context())
    first, second = doc["items"]
    assert first["id"] == f"{BASE}/iiif/3/GAPPOD/f.1/op.89/d.112/canvas/1"
    assert first["label"] == {"ru": ["л. 1"]} and second["label"] == {"ru": ["л. 1 об."]}
    assert (first["width"], first["height"]) == (1400, 2000)
    body = first["items"][0]["items"][0]["body"]
    service = f"{BASE}/iiif/image/3/{IMAGE_A}"
    assert body["id"] == f"{service}/full/max/0/default.jpg"
    assert body["service"][0]["id"] == service
    assert body["service"][0]["sizes"][0] == {"width": 88, "height": 125}
    assert doc["thumbnail"][0]["id"] == f"{service}/full/175,250/0/default.jpg"


def test_latin_page_labels_and_unlabelled_pages():
    pages = (Page(IMAGE_A, "l. 1", 1000, 1000), Page(IMAGE_B, None, 1000, 1000))
    doc = build_manifest(letter(pages=pages), context())
    assert [c["label"] for c in doc["items"]] == [{"none": ["l. 1"]}, {"none": ["2"]}]


def test_text_is_supplementing_annotations_on_the_first_canvas():
    doc = build_manifest(letter(), context())
    first, second = doc["items"]
    assert "annotations" not in second
    (page,) = first["annotations"]
    bodies = [anno["body"] for anno in page["items"]]
    assert [b["language"] for b in bodies] == ["ru", "en"]
    assert all(b["type"] == "TextualBody" and b["format"] == "text/plain" for b in bodies)
    assert all(a["motivation"] == "supplementing" for a in page["items"])
    assert page["items"][0]["target"] == first["id"]


def test_ids_are_kept_exactly_as_served_whatever_pydantic_would_do():
    base = "http://Opis.EXAMPLE.org:80/archive"
    key = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.2%2Fb/no.00394"
    doc = build_manifest(letter(key=key, reference=None, citation=None), context(base=base))
    url = f"{base}/iiif/3/{key}/manifest"
    assert_valid(doc, url)
    text = json.dumps(doc)
    assert "opis.example.org:80" not in text.replace("oai:opis.example.org", "")
    assert doc["items"][0]["id"] == f"{base}/iiif/3/{key}/canvas/1"
    # the OAI identifier escapes '%' so the server decodes it back to the key
    assert doc["seeAlso"][0]["id"].endswith(
        "cty.%25C3%2589-Korea/yr.1972/box.60/tet.2%252Fb/no.00394"
    )


def test_rights_uri_mapping():
    mapping = (
        ("welcomes reuse", INC_EDU),
        ("public domain", "https://creativecommons.org/publicdomain/mark/1.0/"),
    )
    assert rights_uri("The Program WELCOMES REUSE of it", mapping, INC_EDU) == INC_EDU
    assert rights_uri("This is in the public domain.", mapping, INC_EDU) == PD_MARK
    # the record's own statement wins over the default: one that maps to no URI is
    # published as "Copyright Not Evaluated", never as the site's default
    assert rights_uri("All rights reserved", mapping, INC_EDU) == (
        "http://rightsstatements.org/vocab/CNE/1.0/"
    )
    assert rights_uri(None, mapping, "https://rightsstatements.org/vocab/InC/1.0/") == (
        "http://rightsstatements.org/vocab/InC/1.0/"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1946-04-20", "1946-04-20T00:00:00Z"),
        ("1945-07", "1945-07-01T00:00:00Z"),
        ("1952", "1952-01-01T00:00:00Z"),
        ("1946-04-17/1946-04-20", "1946-04-17T00:00:00Z"),
        ("1946-02-30", None),
        ("around 1950", None),
        (None, None),
    ],
)
def test_nav_date(value, expected):
    assert nav_date(value) == expected


def test_parent_container():
    assert parent_container("GAPPOD/f.1/op.89/d.112") == "GAPPOD/f.1/op.89"
    assert parent_container("GAPPOD/f.1/op.89/d.90/ll.9-15") == "GAPPOD/f.1/op.89/d.90"
    assert parent_container("GAPPOD/f.1/op.89/d.112/doc.77") == "GAPPOD/f.1/op.89/d.112"
    assert parent_container("UNCITED/doc.120486") == "UNCITED"
    assert parent_container("GAPPOD") == "GAPPOD"


def test_entries_follow_the_archival_tree_in_natural_order():
    keys = [
        "GAPPOD/f.1/op.89/d.112",
        "GAPPOD/f.1/op.89/d.90/ll.9-15",
        "GAPPOD/f.1/op.89/d.90/l.3",
        "GAPPOD/f.1/op.89/d.10",
        "GAPPOD/f.1/op.89/d.112/doc.77",
        "GAPPOD/f.1/op.9/d.1",
    ]
    got = [(e.kind, e.key) for e in entries("GAPPOD/f.1/op.89", keys)]
    assert got == [
        ("Manifest", "GAPPOD/f.1/op.89/d.10"),
        ("Collection", "GAPPOD/f.1/op.89/d.90"),
        ("Manifest", "GAPPOD/f.1/op.89/d.112"),
        ("Collection", "GAPPOD/f.1/op.89/d.112"),
    ]
    assert [(e.kind, e.key) for e in entries("GAPPOD/f.1", keys)] == [
        ("Collection", "GAPPOD/f.1/op.9"),
        ("Collection", "GAPPOD/f.1/op.89"),
    ]
    assert [(e.kind, e.key) for e in entries("GAPPOD/f.1/op.89/d.112", keys)] == [
        ("Manifest", "GAPPOD/f.1/op.89/d.112"),
        ("Manifest", "GAPPOD/f.1/op.89/d.112/doc.77"),
    ]
    assert sort_key("A/d.2") < sort_key("A/d.10")


def test_collections_top_container_and_parts_are_valid():
    ctx = context()
    top = build_collection(ctx, CollectionPage(None, [ContainerItem("GAPPOD")]))
    assert_valid(top, f"{BASE}/iiif/3/collection")
    assert "partOf" not in top

    thumb = build_manifest(letter(), ctx)["thumbnail"][0]
    items = [
        ManifestItem("GAPPOD/f.1/op.89/d.112", {"en": ["Letter"]}, thumb),
        ContainerItem("GAPPOD/f.1/op.89/d.113"),
    ]
    opis = build_collection(ctx, CollectionPage("GAPPOD/f.1/op.89", items))
    assert_valid(opis, f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection")
    assert opis["partOf"][0]["id"] == f"{BASE}/iiif/3/GAPPOD/f.1/collection"
    assert opis["items"][0]["thumbnail"][0]["id"] == thumb["id"]
    assert opis["seeAlso"][0]["id"].endswith(
        "verb=ListRecords&metadataPrefix=oai_dc&set=GAPPOD:f.1:op.89"
    )

    part = PartItem("GAPPOD/f.1/op.89", 2, "GAPPOD/f.1/op.89/d.3", "GAPPOD/f.1/op.89/d.4", 3, 2)
    index = build_collection(ctx, CollectionPage("GAPPOD/f.1/op.89", [part]))
    assert index["behavior"] == ["multi-part"]
    assert index["items"][0]["id"] == f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection/2"
    assert_valid(index)
    one = build_collection(
        ctx, CollectionPage("GAPPOD/f.1/op.89", items, part=2, part_of_parts=part)
    )
    assert_valid(one, f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection/2")
    assert one["partOf"][0]["id"] == f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection"
    assert one["label"] == {"en": ["GAPPOD, Fond 1, Opis 89, items 3–4 (d.3 … d.4)"]}


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: d.update(rights="https://rightsstatements.org/vocab/InC-EDU/1.0/"), "http://"),
        (lambda d: d.update(items=[]), "at least one canvas"),
        (lambda d: d.update(navDate="1946"), "navDate"),
        (lambda d: d.update(label={"russian": ["x"]}), "BCP 47"),
        (lambda d: d.update(label={"en": "x"}), "array of strings"),
        (lambda d: d["items"].append(copy.deepcopy(d["items"][0])), "duplicate id"),
        (
            lambda d: d["items"][0]["items"][0]["items"][0].update(motivation="sc:painting"),
            "painting",
        ),
        (lambda d: d["items"][0].update(width=0), "positive integers"),
        (lambda d: d.update(behavior=["paged", "individuals"]), "disjoint"),
        (lambda d: d["thumbnail"][0].update(format="image/jpg"), "image/jpg"),
        (
            lambda d: d["items"][0]["annotations"][0]["items"][0].update(motivation="painting"),
            "supplementing",
        ),
        (lambda d: d.pop("@context"), "@context"),
    ],
)
def test_rules_catch_what_the_schema_lets_through(breakage, message):
    doc = build_manifest(letter(), context())
    breakage(doc)
    found = problems(doc) + schema_errors(doc)
    assert any(message in p for p in found), found


def test_vendored_iiif_schema_is_the_documented_file():
    readme = (SCHEMA.parent.parent / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert f"SHA-256 of `iiif/iiif_3_0.json` as committed: `{digest}`" in readme


def test_renderer_stores_a_manifest_only_for_records_with_pages(tmp_path):
    settings = load(environ={})
    renderer = Renderer(settings)
    forms = renderer.renditions(letter())
    assert json.loads(forms[IIIF_MANIFEST])["id"].endswith(
        "/iiif/3/GAPPOD/f.1/op.89/d.112/manifest"
    )
    assert IIIF_MANIFEST not in renderer.renditions(letter(pages=()))
    assert {"oai_dc", "marc21", "mods"} <= set(forms)


def test_render_version_moves_with_what_the_manifest_depends_on():
    settings = load(environ={})
    before = Renderer(settings).version
    other_map = replace(settings.iiif, rights_map={"reuse": PD_MARK})
    assert Renderer(replace(settings, iiif=other_map)).version != before
    other_tiles = replace(settings.images, tile_size=256)
    assert Renderer(replace(settings, images=other_tiles)).version != before
    assert Renderer(settings).version == before


# -- record text is never HTML (P3 §4.4) --------------------------------------------------

HOSTILE = (
    "<script>alert(1)</script>",
    "<b onclick=x>t</b>",
    '<a href="javascript:x">t</a>',
    "<3 and >2",
    "<illegible> signature, stamp <Secret>",  # an editor's angle brackets, meant as text
    "Smith & Sons <smith@example.org>",
)
# what a viewer keeps (P3 §4.4); the builders may only ever produce span
ALLOWED_TAGS = {"a", "b", "br", "i", "img", "p", "small", "span", "sub", "sup"}


class _Markup(HTMLParser):
    """What an HTML parser finds in a string: its elements with their attributes, and
    the text a reader sees (entities decoded), as a browser-side sanitiser would."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.elements.append(("!--", []))

    def handle_decl(self, decl):
        self.elements.append(("!", []))

    def handle_pi(self, data):
        self.elements.append(("?", []))

    def unknown_decl(self, data):
        self.elements.append(("![", []))


def _shown(text: str, *, html_allowed: bool) -> str:
    """The text a conforming viewer shows: HTML only where allowed and only when the
    whole value is framed by < and > (P3 §4.4); the invisible word joiner aside."""
    if html_allowed and text.startswith("<") and text.endswith(">"):
        text = "".join(_Markup(text).text)
    return text.replace("\u2060", "")


def _record_strings(doc: dict) -> list[tuple[str, str, bool]]:
    """(where, string, HTML allowed there) for every language-map string of a document."""
    out = []

    def strings(value, where, html_allowed):
        for key, texts in value.items():
            out.extend((f"{where}[{key}]", t, html_allowed) for t in texts)

    def walk(node, path):
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")
            return
        if not isinstance(node, dict):
            return
        for name, value in node.items():
            where = f"{path}.{name}"
            if name in ("label", "summary") and isinstance(value, dict):
                strings(value, where, name == "summary")
            elif name in ("metadata",):
                for i, pair in enumerate(value):
                    strings(pair["label"], f"{where}[{i}].label", False)
                    strings(pair["value"], f"{where}[{i}].value", True)
            elif name == "requiredStatement":
                strings(value["label"], f"{where}.label", False)
                strings(value["value"], f"{where}.value", True)
            else:
                walk(value, where)

    walk(doc, "$")
    return out


def _hostile_letter() -> Record:
    one, two, three, four, five, six = HOSTILE
    return letter(
        title=one,
        citation=f"GAPPOD, f.1, op.89, d.112 {two}",
        description=(Text(one, "en"), Text(two, None), Text(four, "en"), Text(five, "ru")),
        creators=(three, five),
        contributors=(Agent(six, "translator"), Agent("Hasanli, Jamil", one)),
        subjects=(two, four),
        places=(five,),
        publisher=three,
        rights=one,
        date=two,
        language=("ru", one),
        text=(TextBody(one, "<script>", "<b onclick=x>transcription</b>"),),
        pages=(Page(IMAGE_A, two, 1400, 2000), Page(IMAGE_B, five, 1400, 2000)),
    )


def test_record_text_that_looks_like_html_is_published_as_text():
    doc = build_manifest(_hostile_letter(), context())
    assert_valid(doc, f"{BASE}/iiif/3/GAPPOD/f.1/op.89/d.112/manifest")
    found = _record_strings(doc)
    shown = [_shown(text, html_allowed=allowed) for _, text, allowed in found]
    for where, text, _ in found:
        # every string, read as HTML whatever its framing (as Mirador reads values):
        # no element but the escaping span, no attribute, no comment or declaration
        parsed = _Markup(text)
        assert {tag for tag, _ in parsed.elements} <= {"span"}, (where, text)
        assert all(not attrs for _, attrs in parsed.elements), (where, text)
        assert {tag for tag, _ in parsed.elements} <= ALLOWED_TAGS
    for original in HOSTILE:
        assert any(original in s for s in shown), f"{original!r} is not shown as it is"
    assert doc["label"] == {"en": ["<\u2060script>alert(1)<\u2060/script>"]}
    assert _shown(doc["label"]["en"][0], html_allowed=False) == HOSTILE[0]
    summary = doc["summary"]
    assert summary["en"] == [
        "<span>&lt;script&gt;alert(1)&lt;/script&gt;</span>",
        "<3 and >2",  # plain text a viewer cannot take for HTML: published unchanged
    ]
    assert summary["none"] == ["<span>&lt;b onclick=x&gt;t&lt;/b&gt;</span>"]
    assert [c["label"] for c in doc["items"]] == [
        {"none": ["<\u2060b onclick=x>t<\u2060/b>"]},
        {"none": ["<\u2060illegible> signature, stamp <\u2060Secret>"]},
    ]
    labels = [pair["label"]["en"][0] for pair in doc["metadata"]]
    assert "<\u2060script>alert(1)<\u2060/script>" in labels  # a role from the record
    (annotation,) = doc["items"][0]["annotations"][0]["items"]
    assert annotation["body"]["format"] == "text/plain", "a transcription is text, by its format"
    assert "language" not in annotation["body"], "a language that is not a BCP 47 tag is dropped"
    assert "<\u2060b" in annotation["label"]["en"][0]


def test_html_safety_leaves_plain_text_alone():
    doc = build_manifest(letter(), context())
    plain_doc = json.dumps(doc, ensure_ascii=False)
    assert "\u2060" not in plain_doc and "<span>" not in plain_doc
    assert doc["summary"] == {"en": ["A letter about talks."]}


def test_collection_labels_from_records_are_text():
    hostile = ManifestItem("GAPPOD/f.1/op.89/d.112", {"en": [HOSTILE[1]]})
    doc = build_collection(context(), CollectionPage("GAPPOD/f.1/op.89", [hostile]))
    assert_valid(doc, f"{BASE}/iiif/3/GAPPOD/f.1/op.89/collection")
    (item,) = doc["items"]
    assert _shown(item["label"]["en"][0], html_allowed=False) == HOSTILE[1]
    assert not _Markup(item["label"]["en"][0]).elements
