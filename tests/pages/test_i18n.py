"""The interface languages: choosing one (``?lang=``, the cookie, ``Accept-Language``,
``web.default_language``), keeping it while browsing, local dates, numbers, level and
archive names, error pages as pages of the site, and catalogues that miss nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from aiohttp import web
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from repository.app import create_app
from repository.pages import i18n
from repository.settings import SettingsError
from tests.iiif_rules import request
from tests.live import LiveServer
from tests.pages import test_pages
from tests.pages.test_pages import GONE, SEED, get

site = test_pages.site  # the same corpus and records, served for this module

PAGES = Path(i18n.__file__).parent
LOCALES = PAGES / "locales"
OTHERS = ("ru", "az")
GAPPOD = {
    "ru": (
        "Государственный архив политических партий и общественных движений "
        "Азербайджанской Республики"
    ),
    "az": "Azərbaycan Respublikası Prezidentinin İşlər İdarəsinin İctimai-Siyasi Sənədlər Arxivi",
}


def html(reply):
    assert reply.headers["content-type"] == "text/html; charset=utf-8", reply.headers
    return lxml.html.fromstring(reply.body)


def cookie_of(reply) -> dict[str, str]:
    raw = reply.headers.get("set-cookie", "")
    parts = [p.strip() for p in raw.split(";") if p.strip()]
    out = {}
    for part in parts:
        name, _, value = part.partition("=")
        out[name.lower() if out else name] = value
    return out


# --- negotiation rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("ru", "ru"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de, az;q=0.5, ru;q=0.7", "ru"),  # highest q among the languages we have
        ("en;q=0.2, az-Latn-AZ;q=0.9", "az"),
        ("ru;q=0, az;q=0.1", "az"),  # q=0 refuses
        ("ru;q=0.5, az;q=0.5", "ru"),  # a tie goes to the one named first
        ("fr, de", None),
        ("*", None),
        ("", None),
        ("ru;q=abc, az", "az"),
    ],
)
def test_accept_language_is_negotiated_by_q_value(header, wanted):
    assert i18n.from_accept(header) == wanted


def test_the_order_is_query_cookie_accept_language_default():
    assert i18n.choose("az", "ru", "ru", "en") == ("az", True)
    assert i18n.choose("xx", "ru", "az", "en") == ("ru", False)
    assert i18n.choose(None, "nonsense", "az", "en") == ("az", False)
    assert i18n.choose(None, None, "de", "ru") == ("ru", False)


def test_languages_are_english_russian_and_azerbaijani():
    assert set(i18n.LANGUAGES) >= {"en", "ru", "az"}


# --- over HTTP ------------------------------------------------------------------------------


def test_accept_language_ru_answers_in_russian(site):
    reply = get(site, "/", **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    doc = html(reply)
    assert doc.get("lang") == "ru"
    assert doc.findtext(".//h2[@id='tree-heading']") == "Архивы"
    assert "Перейти к содержанию" in doc.findtext(".//a[@class='skip']")
    vary = {v.strip() for v in reply.headers["vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary
    assert "set-cookie" not in reply.headers, "only ?lang= sets the cookie"
    hreflangs = {link.get("hreflang"): link.get("href") for link in doc.xpath("//link")}
    for code in ("en", "ru", "az"):
        assert hreflangs[code] == f"{site.base}/?lang={code}"


def test_lang_query_answers_in_azerbaijani_and_is_remembered(site):
    reply = get(site, "/?lang=az")
    doc = html(reply)
    assert doc.get("lang") == "az"
    assert doc.findtext(".//h2[@id='tree-heading']") == "Arxivlər"
    cookie = cookie_of(reply)
    assert cookie["lang"] == "az"
    assert cookie["path"] == "/" and cookie["samesite"] == "Lax"
    assert reply.headers["cache-control"].startswith("private")
    # The archive's name as the registry gives it in Azerbaijani.
    assert GAPPOD["az"] in doc.text_content()


def test_the_choice_sticks_while_browsing(site):
    jar = {"Cookie": "lang=az", "Accept-Language": "ru"}
    search = html(get(site, "/search?q=Qavam", **jar))
    assert search.get("lang") == "az"
    assert search.findtext(".//h2[@id='facets-heading']") == "Nəticələri dəqiqləşdirin"
    record = html(get(site, f"/records/{SEED}", **jar))
    assert record.get("lang") == "az"
    assert record.findtext(".//h2[@id='citation-heading']") == "İstinad"
    assert record.xpath("//nav[@class='crumbs']//a/text()")[:3] == [
        "Ana səhifə",
        "GAPPOD",
        "Fond 1",
    ]
    container = html(get(site, "/records/GAPPOD/f.1/op.89", **jar))
    assert container.findtext(".//h1") == "GAPPOD, Fond 1, Siyahı 89"
    resolver = html(get(site, "/resolve", **jar))
    assert resolver.get("lang") == "az"
    assert resolver.findtext(".//h1") == "Sənədi arxiv istinadına görə tapın"
    missing = get(site, "/resolve?ref=nothing+like+this", **jar)
    assert missing.status == 404 and html(missing).get("lang") == "az"


def test_resolve_keeps_the_language_through_its_redirect(site):
    reply = get(site, "/resolve?ref=GAPPOD+f.1+op.89+d.112&lang=ru")
    assert reply.status == 303
    assert cookie_of(reply)["lang"] == "ru"
    assert "Accept-Language" in reply.headers["vary"] and "Accept" in reply.headers["vary"]
    target = reply.headers["location"].removeprefix(site.base)
    doc = html(get(site, target, Cookie="lang=ru"))
    assert doc.get("lang") == "ru"
    assert doc.findtext(".//h2[@id='citation-heading']") == "Ссылка на документ"


def test_dates_numbers_and_level_names_follow_the_language(site):
    ru = html(get(site, f"/records/{SEED}", **{"Accept-Language": "ru"}))
    assert ru.findtext(".//header//time") == "20 апреля 1946\u202fг."
    crumbs = ru.xpath("//nav[@class='crumbs']//a/text()")
    assert crumbs[:4] == ["Главная", "GAPPOD", "Фонд 1", "Опись 89"]
    assert GAPPOD["ru"] in ru.xpath("string(//section[@class='citation'])")
    en = html(get(site, f"/records/{SEED}"))
    assert en.findtext(".//header//time") == "20 April 1946"
    az = html(get(site, f"/records/{SEED}", Cookie="lang=az"))
    assert az.findtext(".//header//time") == "20 aprel 1946"


def test_record_content_is_labelled_with_its_own_language_not_translated(site):
    doc = html(get(site, "/records/GAPPOD/f.2/op.1/d.5", Cookie="lang=ru"))
    bodies = doc.xpath("//section[@class='body']")
    assert [b.get("lang") for b in bodies] == ["ru", "en"]
    assert "Paper received." in bodies[1].text_content(), "the translation is the record's"
    assert doc.findtext(".//h1") == "Telegram about the paper shipment"
    headings = [h.text_content() for h in doc.xpath("//section[@class='body']/h3")]
    assert headings == ["Расшифровка (русский)", "Перевод (английский)"]
    assert {h.get("lang") for h in doc.xpath("//section[@class='body']/h3")} == {"ru"}


def test_the_etag_differs_per_language(site):
    tags = {lang: get(site, "/", Cookie=f"lang={lang}").headers["etag"] for lang in i18n.LANGUAGES}
    assert len(set(tags.values())) == len(tags)
    again = get(site, "/", Cookie="lang=ru", **{"If-None-Match": tags["ru"]})
    assert again.status == 304
    other = get(site, "/", Cookie="lang=az", **{"If-None-Match": tags["ru"]})
    assert other.status == 200


@pytest.mark.parametrize(
    "path",
    ["/nothing-here", "/records-like/x", "/search/extra", "/viewer?manifest=elsewhere"],
)
@pytest.mark.parametrize("lang", ["en", "ru", "az"])
def test_not_found_anywhere_is_a_page_of_the_site(site, path, lang):
    reply = get(site, path, Cookie=f"lang={lang}")
    assert reply.status == 404
    doc = html(reply)
    assert doc.get("lang") == lang
    title = doc.findtext(".//title")
    assert title and "404" not in title
    assert doc.xpath("//main//a[@href=$h]", h=f"{site.base}/"), "a way back home"
    assert len(doc.findall(".//h1")) == 1
    assert "content-security-policy" in reply.headers


def test_a_withdrawn_record_answers_in_the_readers_language(site):
    reply = get(site, f"/records/{GONE}", Cookie="lang=ru")
    assert reply.status == 410
    assert html(reply).findtext(".//h1") == "Этот документ отозван"


@pytest.mark.parametrize(
    "path", ["/oai/nothing", "/iiif/3/NOPE/manifest", "/static/nothing.css", "/api/nothing"]
)
def test_machine_answers_keep_their_own_error_formats(site, path):
    reply = get(site, path, **{"Accept-Language": "ru"})
    assert reply.status in (400, 404)
    assert not reply.headers.get("content-type", "").startswith("text/html"), path
    assert "Accept-Language" not in reply.headers.get("vary", "")


@pytest.mark.parametrize("path", ["/oai?verb=Identify&lang=az", "/static/oai.xsl?lang=az"])
def test_machine_answers_take_no_language(site, path):
    """The reader's language is a matter of pages: a machine's answer neither varies
    with it nor remembers one asked for, where a page does both."""
    reply = get(site, path, **{"Accept-Language": "ru"})
    assert reply.status == 200
    assert "Accept-Language" not in reply.headers.get("vary", "")
    assert "set-cookie" not in reply.headers
    page = get(site, "/?lang=az", **{"Accept-Language": "ru"})
    assert "Accept-Language" in page.headers["vary"] and cookie_of(page)["lang"] == "az"


def test_the_default_language_is_a_setting(tmp_path):
    from tests.live import make_settings

    settings = make_settings(
        f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"default_language": "ru"}
    )
    with LiveServer(settings) as server:
        assert html(request(server.url("/"))).get("lang") == "ru"
        doc = html(request(server.url("/"), headers={"Accept-Language": "az, ru;q=0.5"}))
        assert doc.get("lang") == "az"
    wrong = make_settings(
        f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"default_language": "xx"}
    )
    with pytest.raises(SettingsError, match=r"web\.default_language"):
        create_app(wrong)


async def test_a_failing_page_is_a_500_page_of_the_site(aiohttp_client, tmp_path):
    from tests.live import make_settings

    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    app = create_app(settings)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    async def bad(request: web.Request) -> web.Response:
        raise web.HTTPBadRequest()

    app.router.add_get("/boom", boom)
    app.router.add_get("/bad", bad)
    client = await aiohttp_client(app)
    reply = await client.get("/boom", headers={"Accept-Language": "az"})
    assert reply.status == 500
    doc = lxml.html.fromstring(await reply.read())
    assert doc.get("lang") == "az"
    assert doc.findtext(".//h1") == "Bizim tərəfdə xəta baş verdi"
    assert reply.headers["cache-control"] == "no-store"
    reply = await client.get("/bad", headers={"Accept-Language": "ru"})
    assert reply.status == 400
    assert lxml.html.fromstring(await reply.read()).get("lang") == "ru"


# --- the markup fixes (issue 18) ------------------------------------------------------------


def test_search_landmarks_have_distinct_names(site):
    for path in ("/records/GAPPOD", "/records/GAPPOD/f.1"):
        doc = html(get(site, path))
        forms = doc.xpath("//form[@role='search']")
        assert len(forms) == 2
        names = []
        for form in forms:
            if form.get("aria-labelledby"):
                names.append(doc.get_element_by_id(form.get("aria-labelledby")).text_content())
            else:
                names.append(form.get("aria-label"))
        assert all(names) and len(set(names)) == 2, names


def test_copy_buttons_have_distinct_names_and_a_live_region(site):
    doc = html(get(site, f"/records/{SEED}", Cookie="lang=ru"))
    buttons = doc.xpath("//button[@data-copy]")
    names = [b.get("aria-label") for b in buttons]
    assert len(names) == 2 and len(set(names)) == 2 and all(names)
    for button in buttons:  # the visible words are part of the name (WCAG 2.5.3)
        assert button.text_content().strip() in button.get("aria-label")
        assert button.get("data-done")
    assert doc.xpath("//*[@aria-live='polite' and @role='status' and @class]")


def test_the_viewer_has_a_main_landmark_and_a_heading(site):
    manifest = f"{site.base}/iiif/3/GAPPOD/f.2/op.1/d.5/manifest"
    doc = html(get(site, "/viewer?manifest=" + manifest, Cookie="lang=az"))
    assert doc.get("lang") == "az"
    main = doc.xpath("//*[@role='main']")
    assert len(main) == 1, "Mirador brings its own main; viewer.js drops this one's role"
    assert main[0].findtext("h1") == "Səhifələrə baxış"


# --- the catalogues -------------------------------------------------------------------------


def used_messages() -> set[str]:
    """Every message the templates and pages/*.py use, as Babel extracts them."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"trimmed": "true"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PAGES, method_map, options_map=options
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", OTHERS)
def test_every_catalogue_translates_every_string(lang):
    used = used_messages()
    assert len(used) > 150
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    done = set()
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(s.strip() for s in strings):
            done.add(message.id[0] if isinstance(message.id, tuple) else message.id)
    missing = sorted(used - done)
    assert not missing, f"{lang}: {len(missing)} untranslated: {missing[:20]}"
    for message in catalogue:  # placeholders survive translation
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1])) - {"%(end)s"}
        for string in strings:
            got = set(re.findall(r"%\(\w+\)s", string))
            assert got - {"%(end)s"} <= set(re.findall(r"%\(\w+\)s", " ".join(ids)))
            if message.id != "%(decade)ss":
                assert wanted <= got, (lang, message.id, string)


def test_a_new_language_is_one_file(tmp_path):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Home"\nmsgstr "Startseite"\n',
        encoding="utf-8",
    )
    found = i18n.load(tmp_path)
    assert set(found) == {"en", "de"}
    assert found["de"].gettext("Home") == "Startseite"
