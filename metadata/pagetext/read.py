"""Reading ALTO and PAGE XML into ``PageText``, checked against the page image it belongs to.

* **Offline and safe**: no network, no DTD (a file with a DOCTYPE is refused, so no
  entity is ever expanded), and every file is validated against its schema first.
* **ALTO** ``http://www.loc.gov/standards/alto/ns-v4#`` against ALTO 4.4, ``ns-v3#``
  against ALTO 3.1. ALTO 2 (``ns-v2#``), the pre-LoC CCS namespace
  (``http://schema.ccs-gmbh.com/ALTO``) and ALTO without a namespace have no schema of
  their own here: they are validated against ALTO 3.1 with their namespace renamed, which
  accepts them (ALTO 3 only added optional elements and attributes; the one ALTO 1.x
  attribute it dropped, ``PrintSpace/@PC``, is removed from the checked copy).
* **PAGE** 2013-07-15 and 2019-07-15 against their own ``pagecontent.xsd``.
* **Belongs to its image**: the size the file declares, scaled to the stored image, must
  keep its aspect ratio (within ``ASPECT_TOLERANCE``), and a file name it declares
  (ALTO ``sourceImageInformation/fileName``, PAGE ``imageFilename``) must have the
  image's base name. Boxes are clamped into the image after scaling.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from metadata import languages, untrusted_xml

from .model import Line, PageText, Word

ALTO_NS = {
    "http://www.loc.gov/standards/alto/ns-v4#": "alto4",
    "http://www.loc.gov/standards/alto/ns-v3#": "alto3",
    "http://www.loc.gov/standards/alto/ns-v2#": "alto3",
    "http://schema.ccs-gmbh.com/ALTO": "alto3",
    "": "alto3",
}
ALTO3_NS = "http://www.loc.gov/standards/alto/ns-v3#"
PAGE_NS = {
    "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15": "page2013",
    "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15": "page2019",
}
SCHEMA_KEYS = ("alto3", "alto4", "page2013", "page2019")

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
PROLOG = 1 << 16  # a DOCTYPE comes before the root element; parsing refuses any later one

# A file made on another size must keep the image's proportions within this.
ASPECT_TOLERANCE = 0.03
MAX_BYTES = 64 * 1024 * 1024

# key ("alto3", "alto4", "page2013", "page2019") -> compiled schema
Schemas = Mapping[str, etree.XMLSchema]


class PageTextError(ValueError):
    """A page text file Opis refuses; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class _Scale:
    sx: float
    sy: float
    width: int
    height: int

    def box(self, x: float, y: float, w: float, h: float) -> tuple[int, int, int, int]:
        # written out rather than with min()/max(): a page has thousands of boxes
        width, height = self.width, self.height
        left = round(x * self.sx)
        left = 0 if left < 0 else (width - 1 if left > width - 1 else left)
        top = round(y * self.sy)
        top = 0 if top < 0 else (height - 1 if top > height - 1 else top)
        right = round((x + w) * self.sx)
        right = left + 1 if right < left + 1 else (width if right > width else right)
        bottom = round((y + h) * self.sy)
        bottom = top + 1 if bottom < top + 1 else (height if bottom > height else bottom)
        return left, top, right - left, bottom - top


def _parser() -> etree.XMLParser:
    return untrusted_xml.parser(strip=True)


def read_page_text(
    data: bytes,
    name: str,
    *,
    image_name: str,
    width: int,
    height: int,
    schemas: Schemas,
) -> PageText:
    """Read one ALTO or PAGE file for the stored image ``image_name`` (``width`` x ``height``).

    Raises ``PageTextError`` naming ``name`` when the file is not well-formed, not
    valid, not ALTO or PAGE, or does not belong to the image.
    """
    return _place(_parse(data, name, schemas), image_name=image_name, width=width, height=height)


@dataclass(frozen=True)
class _Parsed:
    """A page text file checked against its schema, not yet placed on its image."""

    name: str
    kind: str  # "alto" or "page"
    root: etree._Element
    digest: str  # SHA-256 of the file's bytes


def _parse(data: bytes, name: str, schemas: Schemas) -> _Parsed:
    """Parse and validate one ALTO or PAGE file; ``PageTextError`` names the file."""

    def fail(why: str) -> PageTextError:
        return PageTextError(f"{name}: {why}")

    if len(data) > MAX_BYTES:
        raise fail(f"page text larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if _DOCTYPE.search(data[:PROLOG]):
        raise fail("a DOCTYPE is not allowed in page text (entities are refused)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise fail(f"not well-formed XML ({exc})") from None
    tree = root.getroottree()
    docinfo: Any = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise fail("a DOCTYPE is not allowed in page text (entities are refused)")
    digest = hashlib.sha256(data).hexdigest()
    qname = etree.QName(root)
    if qname.localname == "alto" and qname.namespace in (*ALTO_NS, None):
        ns = qname.namespace or ""
        _validate(root, schemas[ALTO_NS[ns]], ns, fail)
        return _Parsed(name, "alto", root, digest)
    if qname.localname == "PcGts" and qname.namespace in PAGE_NS:
        _validate(root, schemas[PAGE_NS[qname.namespace]], None, fail)
        return _Parsed(name, "page", root, digest)
    raise fail(
        f"neither ALTO nor PAGE XML (root element {qname.localname!r} in "
        f"namespace {qname.namespace or 'none'!r})"
    )


def _place(parsed: _Parsed, *, image_name: str, width: int, height: int) -> PageText:
    """The lines of a parsed file on the stored image ``image_name`` (``width`` x
    ``height``), or ``PageTextError`` when the file does not belong to that image."""

    def fail(why: str) -> PageTextError:
        return PageTextError(f"{parsed.name}: {why}")

    read = _alto if parsed.kind == "alto" else _page
    found = read(parsed.root, image_name, width, height, fail)
    return replace(found, digest=parsed.digest)


def _validate(
    root: etree._Element,
    schema: etree.XMLSchema,
    alto_ns: str | None,
    fail: Callable[[str], PageTextError],
) -> None:
    checked = root
    if alto_ns is not None and ALTO_NS[alto_ns] == "alto3" and alto_ns != ALTO3_NS:
        checked = _renamed(root, alto_ns, ALTO3_NS)
    if not schema.validate(checked):
        log: Iterable[Any] = schema.error_log  # type: ignore[assignment]
        errors = [f"line {e.line}: {e.message}" for e in log][:3]
        raise fail("not valid against its schema: " + "; ".join(errors))


def _renamed(root: etree._Element, old: str, new: str) -> etree._Element:
    """A copy of ``root`` with the elements of namespace ``old`` moved into ``new``."""
    copy = etree.fromstring(etree.tostring(root), _parser())
    prefix = "{" + old + "}" if old else ""
    for el in copy.iter():
        if not isinstance(el.tag, str):
            continue
        if old and el.tag.startswith(prefix):
            el.tag = "{" + new + "}" + el.tag[len(prefix) :]
        elif not old and not el.tag.startswith("{"):
            el.tag = "{" + new + "}" + el.tag
        # ALTO 1.x allowed a confidence on PrintSpace; ALTO 3 does not
        if el.tag == "{" + new + "}PrintSpace" and "PC" in el.attrib:
            del el.attrib["PC"]
    etree.cleanup_namespaces(copy)
    return copy


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""


# ``{*}name`` is lxml's match of ``name`` in any namespace or none, made in C: a page of
# text has thousands of elements, and naming each in Python was most of reading it.
def _children(el: etree._Element, local: str) -> list[etree._Element]:
    return list(el.iterchildren("{*}" + local))


def _descendants(el: etree._Element, local: str) -> Iterable[etree._Element]:
    return el.iter("{*}" + local)


def _stem(path: str) -> str:
    base = re.split(r"[\\/]", path.strip())[-1]
    return base.rsplit(".", 1)[0].casefold() if "." in base else base.casefold()


def _check_name(
    declared: str | None, image_name: str, fail: Callable[[str], PageTextError]
) -> None:
    if declared and declared.strip() and _stem(declared) != _stem(image_name):
        raise fail(f"made for image {declared.strip()!r}, not {image_name!r}")


def _scale(
    declared_w: float,
    declared_h: float,
    width: int,
    height: int,
    what: str,
    fail: Callable[[str], PageTextError],
) -> _Scale:
    if declared_w <= 0 or declared_h <= 0:
        raise fail(f"{what} declares no page size")
    sx, sy = width / declared_w, height / declared_h
    if abs(sx / sy - 1) > ASPECT_TOLERANCE:
        raise fail(
            f"{what} declares a page of {declared_w:g} x {declared_h:g}, which does not fit "
            f"the image of {width} x {height} pixels (another page's text?)"
        )
    return _Scale(sx, sy, width, height)


def _number(el: etree._Element, attr: str) -> float | None:
    value = el.get(attr)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _language(*candidates: str | None) -> str | None:
    for value in candidates:
        if value:
            found = languages.from_any(value.strip())
            if found:
                return found
    return None


# --- ALTO ---------------------------------------------------------------------------


def _alto(
    root: etree._Element,
    image_name: str,
    width: int,
    height: int,
    fail: Callable[[str], PageTextError],
) -> PageText:
    for el in _descendants(root, "fileName"):
        _check_name(el.text, image_name, fail)
    pages = list(_descendants(root, "Page"))
    if len(pages) != 1:
        raise fail(f"ALTO with {len(pages)} pages; Opis reads one page per image")
    page = pages[0]
    unit = next((el.text or "" for el in _descendants(root, "MeasurementUnit")), "pixel")
    unit = unit.strip() or "pixel"
    page_w, page_h = _number(page, "WIDTH"), _number(page, "HEIGHT")
    if page_w and page_h:
        scale = _scale(page_w, page_h, width, height, "ALTO Page", fail)
    elif unit == "pixel":
        scale = _Scale(1.0, 1.0, width, height)
    else:
        raise fail(f"ALTO in {unit} without a Page WIDTH and HEIGHT cannot be placed on the image")
    lines: list[Line] = []
    for block in _descendants(page, "TextBlock"):
        block_lang = block.get("LANG") or block.get("language")
        for text_line in _children(block, "TextLine"):
            line = _alto_line(text_line, scale, block_lang)
            if line is not None:
                lines.append(line)
    return PageText(width, height, tuple(lines), "alto")


def _alto_line(el: etree._Element, scale: _Scale, block_lang: str | None) -> Line | None:
    texts: list[str] = []
    words: list[Word] = []
    langs: list[str | None] = [el.get("LANG") or el.get("language")]
    boxes_complete = True
    box_of = scale.box
    for child in el.iterchildren("{*}String", "{*}HYP"):
        get = child.get
        if child.tag[-1] == "P":  # HYP
            if texts:
                texts[-1] += get("CONTENT") or "-"
            continue
        content = (get("CONTENT") or "").strip()
        if not content:
            continue
        texts.append(content)
        langs.append(get("LANG") or get("language"))
        try:  # a missing (None) or malformed number leaves the line without word boxes
            x, y = float(get("HPOS")), float(get("VPOS"))  # type: ignore[arg-type]
            w, h = float(get("WIDTH")), float(get("HEIGHT"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            boxes_complete = False
            continue
        words.append(Word(content, *box_of(x, y, w, h)))
    text = " ".join(texts)
    if not text:
        return None
    box = [_number(el, a) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
    if any(v is None for v in box):
        if not words:
            return None
        left = min(w.x for w in words)
        top = min(w.y for w in words)
        right = max(w.x + w.w for w in words)
        bottom = max(w.y + w.h for w in words)
        lx, ly, lw, lh = left, top, right - left, bottom - top
    else:
        lx, ly, lw, lh = scale.box(*(v or 0.0 for v in box))
    return Line(
        text,
        lx,
        ly,
        lw,
        lh,
        tuple(words) if boxes_complete else (),
        _language(*langs, block_lang),
    )


# --- PAGE ---------------------------------------------------------------------------


def _page(
    root: etree._Element,
    image_name: str,
    width: int,
    height: int,
    fail: Callable[[str], PageTextError],
) -> PageText:
    page = next(iter(_children(root, "Page")), None)
    if page is None:
        raise fail("PAGE XML without a Page")
    _check_name(page.get("imageFilename"), image_name, fail)
    scale = _scale(
        _number(page, "imageWidth") or 0,
        _number(page, "imageHeight") or 0,
        width,
        height,
        "PAGE imageWidth/imageHeight",
        fail,
    )
    page_lang = page.get("primaryLanguage")
    regions = {r.get("id"): r for r in _descendants(page, "TextRegion")}
    ordered: list[etree._Element] = []
    for ref in _reading_order(page):
        region = regions.get(ref)
        if region is not None and region not in ordered:
            ordered.append(region)
    top_level = [
        r
        for r in _descendants(page, "TextRegion")
        if (parent := r.getparent()) is None or _local(parent) != "TextRegion"
    ]
    ordered += [r for r in top_level if r not in ordered and not _inside(r, ordered)]
    lines: list[Line] = []
    for region in ordered:
        region_lang = region.get("primaryLanguage") or page_lang
        for text_line in _descendants(region, "TextLine"):
            line = _page_line(text_line, scale, region_lang)
            if line is not None:
                lines.append(line)
    return PageText(width, height, tuple(lines), "page")


def _inside(region: etree._Element, ordered: list[etree._Element]) -> bool:
    return any(region in set(o.iter()) for o in ordered)


def _reading_order(page: etree._Element) -> list[str]:
    order = next(iter(_children(page, "ReadingOrder")), None)
    if order is None:
        return []
    return _group_refs(next(iter(order), None))


def _group_refs(group: etree._Element | None) -> list[str]:
    if group is None:
        return []
    members = [c for c in group if _local(c).startswith(("RegionRef", "OrderedGroup", "Unordered"))]
    if _local(group).startswith("OrderedGroup"):
        members.sort(key=lambda c: int(c.get("index") or 0))
    refs: list[str] = []
    for member in members:
        local = _local(member)
        if local.startswith("RegionRef"):
            refs.append(member.get("regionRef") or "")
        elif "Group" in local:
            refs += _group_refs(member)
    return refs


def _points(el: etree._Element) -> list[tuple[float, float]]:
    coords = next(iter(_children(el, "Coords")), None)
    if coords is None:
        return []
    points: list[tuple[float, float]] = []
    if coords.get("points"):
        for pair in (coords.get("points") or "").split():
            x, _, y = pair.partition(",")
            try:
                points.append((float(x), float(y)))
            except ValueError:
                continue
    for point in _children(coords, "Point"):
        px, py = _number(point, "x"), _number(point, "y")
        if px is not None and py is not None:
            points.append((px, py))
    return points


def _bbox(el: etree._Element, scale: _Scale) -> tuple[int, int, int, int] | None:
    points = _points(el)
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return scale.box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _unicode(el: etree._Element) -> str:
    equivs = _children(el, "TextEquiv")
    if not equivs:
        return ""
    equivs.sort(key=lambda e: int(e.get("index") or 0))
    for equiv in equivs:
        for uni in _children(equiv, "Unicode"):
            text = " ".join((uni.text or "").split())
            if text:
                return text
    return ""


def _page_line(el: etree._Element, scale: _Scale, region_lang: str | None) -> Line | None:
    words: list[Word] = []
    complete = True
    for word_el in _children(el, "Word"):
        text = _unicode(word_el)
        box = _bbox(word_el, scale)
        if not text:
            continue
        if box is None:
            complete = False
            continue
        words.append(Word(text, *box))
    text = _unicode(el) or " ".join(w.text for w in words)
    box = _bbox(el, scale)
    if not text or box is None:
        return None
    return Line(
        text,
        *box,
        words=tuple(words) if complete and words else (),
        language=_language(el.get("primaryLanguage"), region_lang),
    )
