"""The web pages over HTTP, on SQLite and PostgreSQL: every route and status, ETags,
raw-path keys, the security headers (CSP and friends) and the markup rules that make
the pages usable with a keyboard, a screen reader and a phone (checked with lxml: one
h1, lang, labels, alt, skip link, nothing inline for the CSP to refuse).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import lxml.html
import pytest

from metadata import crosswalks
from repository.app import create_app
from repository.settings import SettingsError
from repository.store import Store
from tests.conftest import shared_path
from tests.iiif_rules import request, write_folder
from tests.live import LiveServer, ingest, make_settings

SEED = "GAPPOD/f.1/op.89/d.112"
SEED_TITLE = (
    "Letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
    "Iranian Azerbaijani government"
)
ESCAPED = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.81-146/no.00394"
SLASHED = "MNL-OL/f.XIX-J-1-j/cty.Korea/box.2/tet.2%2Fb/no.001118%2F1%2F1955"
BILINGUAL = "GAPPOD/f.2/op.1/d.5"
GONE = "RGASPI/f.17/op.1/d.1"
MIRADOR = "http://127.0.0.1:9/mirador-for-tests.js"
BILINGUAL_RECORD = {
    "reference": "GAPPOD, f.2, op.1, d.5",
    "title": "Telegram about the paper shipment",
    "date": "1946-02-19",
    "language": ["ru", "en"],
    "types": ["Telegram"],
    "text": [
        {"language": "ru", "kind": "transcription", "content": "Бумага получена.\n\nГусейнов."},
        {"language": "en", "kind": "translation", "content": "Paper received.\n\nHuseynov."},
    ],
    "pages": [
        {"image": "p1.jpg", "label": "л. 1"},
        {"image": "p2.jpg", "label": "л. 1 об."},
        {"image": "p3.jpg"},
    ],
    "source": {"id": "bilingual-1"},
}
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"  # sha256 of ""
CLOSING = "base-uri 'none'; frame-ancestors 'self'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    f"form-action 'self'; {CLOSING}"
)
RECORD_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    f"frame-src 'self'; child-src 'self'; form-action 'self'; {CLOSING}"
)
VIEWER_POLICY = (
    f"default-src 'none'; script-src 'self' {MIRADOR}; style-src 'self' {EMPTY_STYLE}; "
    f"img-src 'self' data:; connect-src 'self'; form-action 'none'; {CLOSING}"
)


@pytest.fixture(scope="module")
def site(module_database_url, tmp_path_factory):
    corpus = shared_path("corpus")
    folder = tmp_path_factory.mktemp("site")
    settings = make_settings(module_database_url, folder / "data", web={"mirador_url": MIRADOR})
    gone = folder / "gone.json"
    gone.write_text(json.dumps({"reference": "RGASPI, f. 17, op. 1, d. 1", "title": "Withdrawn"}))
    bilingual = write_folder(folder / "bilingual", record=BILINGUAL_RECORD)
    report = ingest(settings, [corpus, bilingual, gone])
    assert not report.count("failed"), report.entries

    async def withdraw() -> None:
        store = await Store(module_database_url).open()
        try:
            await store.delete(GONE)
        finally:
            await store.close()

    asyncio.run(withdraw())
    with LiveServer(settings) as server:
        yield server


def get(site, path: str, **headers: str):
    return request(site.url(path), headers=headers)


def page(site, path: str, status: int = 200):
    reply = get(site, path)
    assert reply.status == status, (path, reply.status, reply.body[:300])
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    return lxml.html.fromstring(reply.body), reply


def accessible(doc) -> None:
    """The markup rules every page keeps."""
    assert doc.get("lang") == "en"
    assert len(doc.findall(".//h1")) == 1
    assert doc.find(".//main[@id='main']") is not None
    skip = doc.find(".//a[@class='skip']")
    assert skip is not None and skip.get("href") == "#main"
    assert doc.find(".//meta[@name='viewport']") is not None
    labels = {label.get("for") for label in doc.iter("label")}
    for field in doc.xpath("//input[not(@type='hidden')] | //textarea | //select"):
        assert field.get("id") in labels or field.get("aria-label"), lxml.html.tostring(field)
    for image in doc.iter("img"):
        assert image.get("alt") is not None
    for button in doc.iter("button"):
        assert button.text_content().strip()
    for anchor in doc.iter("a"):
        alts = [image.get("alt", "").strip() for image in anchor.iter("img")]
        name = anchor.text_content().strip() or anchor.get("aria-label") or "".join(alts)
        assert name, lxml.html.tostring(anchor)
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4")]
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


ROUTES = [
    "/",
    "/search?q=Qavam",
    "/search?q=letter&archive=GAPPOD",
    "/search",
    f"/records/{SEED}",
    f"/records/{BILINGUAL}",
    "/records/GAPPOD/f.1/op.89",
    "/records/GAPPOD",
    "/records/UNCITED",
    f"/records/{ESCAPED}",
    f"/records/{SLASHED}",
    "/resolve",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_page_answers_with_accessible_html(site, path):
    doc, reply = page(site, path)
    accessible(doc)
    assert re.fullmatch(r'"[0-9a-f]{32}"', reply.headers["etag"])
    assert reply.headers["cache-control"] == "public, max-age=60"


@pytest.mark.parametrize("path", [*ROUTES[:5], "/records/NOPE/f.1", f"/records/{GONE}"])
def test_etag_and_if_none_match(site, path):
    first = get(site, path)
    assert first.headers["etag"] == get(site, path).headers["etag"], "same bytes, same tag"
    again = get(site, path, **{"If-None-Match": first.headers["etag"]})
    if first.status == 200:
        assert again.status == 304 and again.body == b""
        assert again.headers["etag"] == first.headers["etag"]
        weak = get(site, path, **{"If-None-Match": f'"x", W/{first.headers["etag"]}'})
        assert weak.status == 304
    else:
        assert again.status == first.status, "only a 200 becomes a 304"


def test_home_shows_the_tree_counts_recent_additions_and_a_search_box(site):
    doc, _ = page(site, "/")
    assert doc.findtext(".//h1") == "Opis archival repository"
    tree = doc.find(".//ul[@class='tree']")
    archives = [" ".join(li.text_content().split()) for li in tree.findall("li")]
    assert any("GAPPOD" in s and "3 documents" in s for s in archives), archives
    # Nothing interactive inside a summary (axe nested-interactive): the archive's link
    # sits beside the disclosure of its fonds.
    assert not tree.xpath(".//summary//a | .//summary//button")
    assert tree.xpath(".//a[@href=$h]", h=site.base + "/records/GAPPOD/f.1")
    assert doc.xpath("//form[@role='search']//input[@name='q']")
    recent = doc.xpath("//section[@aria-labelledby='recent-heading']//a/text()")
    assert "Telegram about the paper shipment" in recent and "Withdrawn" not in recent


def test_search_lists_hits_with_snippets_facets_and_paging(site):
    doc, _ = page(site, "/search?q=Qavam")
    titles = doc.xpath("//ol[@class='hits']//h3/a/text()")
    assert SEED_TITLE in titles
    assert doc.xpath("//ol[@class='hits']//mark[text()='Qavam']")
    assert doc.xpath("//nav[@class='facets']//a[contains(@href, 'archive=GAPPOD')]")
    first, _ = page(site, "/search?q=Bagirov&page=1")
    heading = first.findtext(".//h2[@id='results-heading']")
    assert heading.startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9"))


def test_paging_links_walk_the_results(site, monkeypatch):
    doc, _ = page(site, "/search?q=Cde")
    total = int(doc.findtext(".//h2[@id='results-heading']").split()[0])
    seen, path = [], "/search?q=Cde"
    while path:
        doc, _ = page(site, path)
        seen += doc.xpath("//ol[@class='hits']//h3/a/@href")
        nxt = doc.xpath("//nav[@class='pager']//a[@rel='next']/@href")
        path = nxt[0].removeprefix(site.base) if nxt else None
    assert len(seen) == len(set(seen)) == total


def test_a_citation_search_says_how_it_was_read(site):
    doc, _ = page(site, "/search?q=" + quote("ГАППОД ф.1 оп.89 д.112"))
    assert "GAPPOD f.1 op.89 d.112" in doc.findtext(".//p[@class='note']/strong")
    assert doc.xpath("//ol[@class='hits']//h3/a/text()") == [SEED_TITLE]


def test_the_record_page_shows_everything_the_record_holds(site):
    doc, _ = page(site, f"/records/{SEED}")
    text = doc.text_content()
    assert doc.findtext(".//h1") == SEED_TITLE and doc.find(".//h1").get("lang") == "en"
    assert doc.find(".//header//time").get("datetime") == "1946-04-20"
    for expected in [
        "20 April 1946",
        "GAPPOD, f.1, op.89, d.112",  # as the source gives it
        "GAPPOD f.1 op.89 d.112",  # canonical
        "Azerbaijan State Archive of Political Parties and Social Movements",
        "Bagirov, M. D.",
        "Obtained by",
        "Hasanli, Jamil",
        "Translated by",
        "Goldberg, Gary",
        "History and Public Policy Program Digital Archive",
        "welcomes reuse",
        "Pishevari and our people from Tabriz",
        "A letter from Bagirov to Stalin and Molotov",
    ]:
        assert expected in text, expected
    copy = doc.find(".//input[@id='copy-reference']")
    assert copy.get("readonly") is not None and copy.get("value") == "GAPPOD f.1 op.89 d.112"
    citation = doc.find(".//textarea[@id='copy-citation']").text
    assert SEED_TITLE in citation and f"{site.base}/records/{SEED}" in citation
    assert doc.xpath("//button[@data-copy='copy-citation'][@hidden]"), "shown by JS only"
    breadcrumb = doc.xpath("//nav[@class='crumbs']//a/text()")
    assert breadcrumb == ["Home", "GAPPOD", "Fond 1", "Opis 89"]
    assert not doc.xpath("//div[@id='viewer']"), "no page images, no viewer"
    assert not doc.xpath("//iframe | //ol[@class='page-list']")


def test_oai_links_give_the_record_in_each_format(site):
    doc, _ = page(site, f"/records/{SEED}")
    links = doc.xpath("//section[@class='elsewhere']//a[contains(@href, 'GetRecord')]/@href")
    # Every format the repository disseminates (metadata.crosswalks.FORMATS), at least
    # these three.
    offered = {re.search(r"metadataPrefix=(\w+)", link)[1] for link in links}
    assert offered == set(crosswalks.FORMATS) and offered >= {"oai_dc", "marc21", "mods"}
    for link in links:
        reply = request(link)
        assert reply.status == 200 and b"<error" not in reply.body, reply.body[:500]
        assert f"oai:opis.example.org:{SEED}".encode() in reply.body


def test_a_record_with_pages_frames_the_viewer_and_links_the_manifest(site):
    doc, _ = page(site, f"/records/{BILINGUAL}")
    manifest = f"{site.base}/iiif/3/{BILINGUAL}/manifest"
    frame = doc.find(".//iframe[@class='viewer']")
    assert frame.get("title").startswith("Page viewer")
    src = urlsplit(frame.get("src"))
    assert f"{src.scheme}://{src.netloc}{src.path}" == f"{site.base}/viewer"
    assert parse_qs(src.query) == {"manifest": [manifest]}
    assert doc.xpath("//script/@src") == [f"{site.base}/static/opis.js"], "no Mirador here"
    drag = doc.find(".//a[@class='iiif-drag']")
    assert drag.get("href") == f"{manifest}?manifest={manifest}"
    assert drag.xpath(".//*[local-name()='svg']")
    assert request(manifest).status == 200
    texts = doc.find(".//div[@class='texts side-by-side']")
    assert [s.get("lang") for s in texts.findall("section")] == ["ru", "en"]
    assert "Бумага получена." in texts.text_content() and "Paper received." in texts.text_content()


def test_the_viewer_page_runs_mirador_from_the_setting(site):
    doc, _ = page(site, f"/records/{BILINGUAL}")
    src = doc.find(".//iframe[@class='viewer']").get("src").removeprefix(site.base)
    viewer, reply = page(site, src)
    assert viewer.get("lang") == "en" and viewer.findtext(".//title").startswith("Page viewer")
    assert viewer.find(".//div[@id='viewer']").get("data-manifest") == (
        f"{site.base}/iiif/3/{BILINGUAL}/manifest"
    )
    assert viewer.xpath("//script/@src") == [MIRADOR, f"{site.base}/static/viewer.js"]
    assert reply.headers["etag"]
    script = get(site, "/static/viewer.js").body.decode()
    assert "supplementing" in script and "Mirador.viewer" in script
    other = "/viewer?manifest=" + quote("https://elsewhere.example/iiif/3/x/manifest")
    assert get(site, other).status == 404


def test_the_pages_need_nothing_from_elsewhere(site):
    for path in ("/static/opis.css", "/static/viewer.css"):
        css = get(site, path)
        assert css.status == 200 and b"@import" not in css.body and b"url(" not in css.body
    for path in ROUTES:
        doc, _ = page(site, path)
        external = [
            url
            for url in doc.xpath("//script/@src | //link[@rel='stylesheet']/@href | //img/@src")
            if not url.startswith(site.base)
        ]
        assert not external, (path, external)


VIEWER = "(the viewer on the telegram's manifest)"
KINDS = [
    ("/", 200, PAGE_POLICY),
    ("/search?q=Qavam", 200, PAGE_POLICY),
    (f"/records/{BILINGUAL}", 200, RECORD_POLICY),
    (f"/records/{SEED}", 200, RECORD_POLICY),
    ("/records/GAPPOD/f.1/op.89", 200, PAGE_POLICY),
    (VIEWER, 200, VIEWER_POLICY),
    ("/resolve", 200, PAGE_POLICY),
    ("/resolve?ref=" + quote("RGASPI, f. 558, op. 11, d. 334"), 300, PAGE_POLICY),
    ("/resolve?ref=" + quote("Qavam delaying talks"), 404, PAGE_POLICY),
    ("/records/NOPE/f.1", 404, PAGE_POLICY),
    (f"/records/{GONE}", 410, PAGE_POLICY),
]


def kind_path(site, path: str) -> str:
    if path != VIEWER:
        return path
    return "/viewer?manifest=" + quote(f"{site.base}/iiif/3/{BILINGUAL}/manifest", safe="")


def csp(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    found = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in found, f"{name} twice"
        found[name] = sources
    return found


def allows(sources: list[str], url: str, base: str) -> bool:
    """Whether a source list admits ``url`` (the cases these pages use)."""
    if url.startswith("data:"):
        return "data:" in sources
    if "'self'" in sources and url.startswith(base + "/"):
        return True
    return url.split("?")[0] in sources


@pytest.mark.parametrize(("path", "status", "policy"), KINDS)
def test_every_kind_of_page_carries_the_security_headers(site, path, status, policy):
    reply = get(site, kind_path(site, path))
    assert reply.status == status, (path, reply.body[:300])
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-security-policy"] == policy
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"
    assert reply.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert reply.headers["x-content-type-options"] == "nosniff"
    for sources in csp(policy).values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(sources)
    if status == 200:
        again = get(site, kind_path(site, path), **{"If-None-Match": reply.headers["etag"]})
        assert again.status == 304 and again.headers["content-security-policy"] == policy


@pytest.mark.parametrize("path", [path for path, _, _ in KINDS])
def test_no_page_holds_anything_its_policy_refuses(site, path):
    """Nothing inline (script, style element or attribute, event handler, javascript:
    link), and every script, stylesheet, image, frame and form target is allowed."""
    reply = get(site, kind_path(site, path))
    doc = lxml.html.fromstring(reply.body)
    assert not doc.xpath("//script[not(@src)] | //style | //*[@style]"), path
    handlers = [
        (element.tag, name)
        for element in doc.iter()
        if isinstance(element.tag, str)
        for name in element.attrib
        if name.lower().startswith("on")
    ]
    assert not handlers, handlers
    assert not doc.xpath("//@href[starts-with(normalize-space(.), 'javascript:')]")
    policy = csp(reply.headers["content-security-policy"])
    # "URL 1x, URL 2x": Image API URLs hold commas, so split on the spaces.
    srcset = [url for value in doc.xpath("//img/@srcset") for url in value.split()[::2]]
    wanted = {
        "script-src": doc.xpath("//script/@src"),
        "style-src": doc.xpath("//link[@rel='stylesheet']/@href"),
        "img-src": [*doc.xpath("//img/@src | //link[@rel='icon']/@href"), *srcset],
        "frame-src": doc.xpath("//iframe/@src"),
        "form-action": doc.xpath("//form/@action"),
    }
    for directive, found in wanted.items():
        for url in found:
            sources = policy.get(directive, policy["default-src"])
            assert allows(sources, url, site.base), (path, directive, url, sources)


def test_a_record_page_shows_its_page_images_without_the_viewer(site):
    doc, _ = page(site, f"/records/{BILINGUAL}")
    manifest = request(f"{site.base}/iiif/3/{BILINGUAL}/manifest").json()
    heading = doc.find(".//section[@class='pages']//h3[@id='page-list-heading']")
    assert heading is not None and heading.text == "Page images"
    items = doc.xpath("//ol[@class='page-list'][@aria-labelledby='page-list-heading']/li")
    assert len(items) == len(manifest["items"]) == 3
    size = re.compile(r"^(.+)/full/(\d+),(\d+)/0/default\.jpg$")
    for number, (item, canvas) in enumerate(zip(items, manifest["items"], strict=True), 1):
        service = canvas["items"][0]["items"][0]["body"]["service"][0]
        info = request(service["id"] + "/info.json").json()
        listed = {(s["width"], s["height"]) for s in info["sizes"]}
        label = next(iter(canvas["label"].values()))[0]
        image = item.find("a/img")
        expected_alt = f"Page {number}" if label == str(number) else f"Page {number}: {label}"
        assert image.get("alt") == expected_alt
        assert item.findtext("span[@class='page-label']") == label
        thumb = size.match(image.get("src"))
        assert thumb[1] == service["id"]
        width, height = int(thumb[2]), int(thumb[3])
        assert (width, height) in listed and max(width, height) >= 200
        assert (image.get("width"), image.get("height")) == (str(width), str(height))
        double = size.match(image.get("srcset").split(", ")[1].removesuffix(" 2x"))
        assert (int(double[2]), int(double[3])) in listed and int(double[2]) > width
        large = size.match(item.find("a").get("href"))
        assert large[1] == service["id"]
        assert (int(large[2]), int(large[3])) == max(listed), "the largest listed size"
        for url in (image.get("src"), item.find("a").get("href")):
            reply = request(url)
            assert reply.status == 200 and reply.headers["content-type"] == "image/jpeg", url
    # The viewer frame stays in the page, out of sight until Mirador has started in it.
    assert doc.find(".//section[@class='pages']/iframe[@class='viewer']") is not None
    css = get(site, "/static/opis.css").body.decode()
    assert re.search(r"\.viewer:not\(\.ready\) \{[^}]*visibility: hidden", css)
    script = get(site, "/static/viewer.js").body.decode()
    assert 'frameElement.classList.add("ready")' in script


def test_mirador_can_be_served_by_opis_itself(tmp_path):
    dist = tmp_path / "mirador-dist"
    dist.mkdir()
    (dist / "mirador.min.js").write_text("window.Mirador = { viewer: function () {} };\n")
    settings = make_settings(
        f"sqlite:///{tmp_path}/opis.db",
        tmp_path / "data",
        web={"mirador_url": "/mirador/mirador.min.js", "mirador_dir": str(dist)},
    )
    with LiveServer(settings) as server:
        script = request(server.url("/mirador/mirador.min.js"))
        assert script.status == 200 and b"window.Mirador" in script.body
        assert "javascript" in script.headers["content-type"]
        manifest = f"{server.base}/iiif/3/{BILINGUAL}/manifest"
        doc, reply = page(server, "/viewer?manifest=" + quote(manifest, safe=""))
        assert doc.xpath("//script/@src") == [
            "/mirador/mirador.min.js",
            f"{server.base}/static/viewer.js",
        ]
        assert csp(reply.headers["content-security-policy"])["script-src"] == ["'self'"]
        assert request(server.url("/mirador/../opis.db")).status in (403, 404)
    wrong = make_settings(
        f"sqlite:///{tmp_path}/opis.db",
        tmp_path / "data",
        web={"mirador_dir": str(tmp_path / "nowhere")},
    )
    with pytest.raises(SettingsError, match=r"web\.mirador_dir"):
        create_app(wrong)


def test_a_container_lists_its_children_and_documents(site):
    doc, _ = page(site, "/records/GAPPOD/f.1")
    assert doc.findtext(".//h1") == "GAPPOD, Fond 1"
    children = doc.xpath("//ul[@class='children']/li")
    assert [c.find("a").text for c in children] == ["Opis 89"]
    assert "2 documents" in children[0].text_content()
    unit, _ = page(site, "/records/GAPPOD/f.1/op.89")
    assert unit.xpath("//ul[@class='children']//a/text()") == ["Delo 106", "Delo 112"]
    uncited, _ = page(site, "/records/UNCITED")
    assert len(uncited.xpath("//ul[@class='documents']/li")) >= 15
    assert uncited.xpath("//input[@name='within'][@value='UNCITED']")


def test_keys_with_escapes_are_read_from_the_raw_path(site):
    for key in (ESCAPED, SLASHED):
        doc, _ = page(site, f"/records/{key}")
        assert doc.find(".//link[@rel='canonical']").get("href") == f"{site.base}/records/{key}"
    lower = get(site, "/records/" + ESCAPED.replace("%C3%89", "%c3%89"))
    assert lower.status == 301 and lower.headers["location"] == f"{site.base}/records/{ESCAPED}"
    decoded_slash = get(site, "/records/" + SLASHED.replace("%2F", "/"))
    assert decoded_slash.status == 404


def test_head_and_the_bare_records_path(site):
    head = request(site.url("/"), method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["etag"]
    for path in ("/records", "/records/"):
        reply = get(site, path)
        assert reply.status == 301 and reply.headers["location"] == f"{site.base}/"


def test_unknown_keys_answer_404_with_the_nearest_container(site):
    doc, _ = page(site, "/records/GAPPOD/f.1/op.89/d.999", status=404)
    accessible(doc)
    assert doc.xpath("//a[@href=$h]", h=f"{site.base}/records/GAPPOD/f.1/op.89")


def test_deleted_records_answer_410(site):
    doc, reply = page(site, f"/records/{GONE}", status=410)
    accessible(doc)
    assert "withdrawn" in doc.findtext(".//h1")
    assert reply.headers["etag"]


def resolve(site, ref: str, accept: str = "text/html"):
    return get(site, "/resolve?ref=" + quote(ref), Accept=accept)


@pytest.mark.parametrize(
    "ref",
    [
        "ГАППОД ф.1 оп.89 д.112",
        "ГАППОД, ф. 1, оп. 89, д. 112, л. 5 об.",
        "GAPPOD, f.1, op.89, d.112",
        SEED,
        f"oai:opis.example.org:{SEED}",
    ],
)
def test_resolve_redirects_to_the_record_page(site, ref):
    reply = resolve(site, ref)
    assert reply.status == 303
    assert reply.headers["location"] == f"{site.base}/records/{SEED}"
    assert "Accept" in reply.headers["vary"]


def test_resolve_sends_json_clients_to_the_manifest(site):
    for accept in ("application/json", "application/ld+json", "application/json, text/html;q=0.5"):
        reply = resolve(site, "GAPPOD f.2 op.1 d.5", accept)
        assert reply.status == 303
        assert reply.headers["location"] == f"{site.base}/iiif/3/{BILINGUAL}/manifest"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        resolve(site, "GAPPOD f.2 op.1 d.5", browser)
        .headers["location"]
        .endswith(f"/records/{BILINGUAL}")
    )


def test_resolve_sends_a_container_citation_to_its_page(site):
    reply = resolve(site, "ГАППОД ф. 1 оп. 89")
    assert (
        reply.status == 303 and reply.headers["location"] == f"{site.base}/records/GAPPOD/f.1/op.89"
    )
    json_reply = resolve(site, "GAPPOD f.1 op.89", "application/json")
    assert json_reply.headers["location"] == f"{site.base}/iiif/3/GAPPOD/f.1/op.89/collection"


def test_resolve_lists_the_documents_when_several_match(site):
    reply = resolve(site, "RGASPI, f. 558, op. 11, d. 334")
    assert reply.status == 300
    doc = lxml.html.fromstring(reply.body)
    accessible(doc)
    links = doc.xpath("//ul[@class='documents']//a/@href")
    assert sorted(links) == [
        f"{site.base}/records/APRF/f.45/op.1/d.334/l.141",
        f"{site.base}/records/RGASPI/f.558/op.11/d.334/l.55",
    ]
    exact = resolve(site, "RGASPI, f. 558, op. 11, d. 334, ll.0055")
    assert exact.status == 303 and exact.headers["location"].endswith("/d.334/l.55")


def test_resolve_answers_404_with_suggestions(site):
    reply = resolve(site, "Qavam delaying talks")
    assert reply.status == 404
    doc = lxml.html.fromstring(reply.body)
    accessible(doc)
    assert SEED_TITLE in doc.xpath("//section[@aria-labelledby='suggestions-heading']//a/text()")
    missing = resolve(site, "ГАППОД ф.1 оп.89 д.99999")
    assert missing.status == 404
    assert "GAPPOD f.1 op.89 d.99999" in missing.body.decode()


def test_a_deleted_record_resolves_to_its_410_page(site):
    reply = resolve(site, "RGASPI, f. 17, op. 1, d. 1")
    assert reply.status == 303 and reply.headers["location"].endswith(f"/records/{GONE}")
