"""The web pages in a real browser: Debian's headless Chromium over a real ``opis serve``.

The corpus is ingested, the seed letter as a document folder with two generated page
images. Mirador comes from the npm package, served from a second origin whose URL is
the ``web.mirador_url`` setting, so the pages use no other external resource. The
browser searches for ``Qavam``, follows the seed letter, reads what the record page
shows, and photographs the embedded viewer: paper-toned and stamp-toned pixels must be
there. The negative control is a record whose only page is a plain grey image: the
same check must fail on it. ``/resolve`` with the Cyrillic citation must land on the
letter, and the letter's page must fit a phone's width. Every page is served with its
Content-Security-Policy, enforced by the browser: not one violation may be reported,
in any frame. Screenshots go to the test's folder and to ``test-output/``.

Then the same letter with ``web.mirador_url`` pointing where nothing answers (a site
without outside access, a blocked CDN): the record page must show every page image
(each thumbnail decoded), reachable from the keyboard, and no empty viewer box.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pyvips
from aiohttp import web

from tests import browser
from tests.conftest import ROOT, shared_path, unavailable
from tests.iiif_rules import write_folder
from tests.live import LiveServer, OpisProcess, Site, ingest, make_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEED = "seed-gappod-f1-op89-d112.txt"
TITLE = (
    "Letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
    "Iranian Azerbaijani government"
)
CYRILLIC = "ГАППОД ф.1 оп.89 д.112"
UNREACHABLE = "http://127.0.0.1:9/mirador.js"  # the discard port: nothing answers

# Every Content-Security-Policy violation in any frame of the page, as the browser
# reports it (the securitypolicyviolation event, and the console message it writes),
# and the policy each document (page or frame) was served with.
WATCH_POLICY = r"""
async function watchPolicy(page, log) {
  log.violations = []; log.policies = {};
  await page.exposeFunction('opisViolation', (v) => log.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.opisViolation({
      page: location.pathname, directive: e.violatedDirective, blocked: e.blockedURI,
      source: e.sourceFile, line: e.lineNumber, sample: e.sample }));
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) log.violations.push({ console: m.text() });
  });
  page.on('response', (r) => {
    if (r.request().resourceType() === 'document') {
      log.policies[new URL(r.url()).pathname] = r.headers()['content-security-policy'] || null;
    }
  });
}
"""

SCRIPT = (
    WATCH_POLICY
    + r"""
(async () => {
  const [base, out, control, cyrillic] = process.argv.slice(2);
  const { page, close } = await launch({ width: 1280, height: 1000 });
  const log = { errors: [], failed: [] };
  await watchPolicy(page, log);
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('requestfailed', (r) => log.failed.push({ url: r.url(), error: r.failure()?.errorText }));
  page.on('response', (r) => {
    if (r.status() >= 400) log.failed.push({ url: r.url(), status: r.status() });
  });

  // The viewer is framed: Mirador runs in a document of its own, and the frame is shown
  // (class "ready") once Mirador has started in it.
  const frame = () => page.frameLocator('iframe.viewer');
  async function viewer(shot) {
    try {
      await page.locator('iframe.viewer.ready').waitFor({ state: 'visible', timeout: 30000 });
    } catch (e) { return false; }
    await page.locator('iframe.viewer').scrollIntoViewIfNeeded();
    const canvas = frame().locator('.openseadragon-canvas').first();
    const drawn = frame().locator('.openseadragon-canvas canvas').first();
    try { await drawn.waitFor({ timeout: 30000 }); } catch (e) { return false; }
    try { await page.waitForLoadState('networkidle', { timeout: 20000 }); } catch (e) {}
    await page.waitForTimeout(2500);
    if (shot) await canvas.screenshot({ path: shot });
    return true;
  }

  await page.goto(base + '/search?q=Qavam', { waitUntil: 'load' });
  log.heading = (await page.textContent('#results-heading')).trim();
  log.hits = await page.$$eval('ol.hits h3 a', (links) =>
    links.map((a) => ({ text: a.textContent.trim(), href: a.href })));
  await page.screenshot({ path: out + '/search-qavam.png', fullPage: true });

  await Promise.all([
    page.waitForURL((url) => url.pathname.startsWith('/records/')),
    page.getByRole('link', { name: /Qavam delaying talks/ }).first().click(),
  ]);
  log.record_url = page.url();
  log.viewer = await viewer(out + '/record-viewer.png');
  log.frame_height = await page.$eval('iframe.viewer', (f) => f.getBoundingClientRect().height);
  log.record = await page.evaluate(() => ({
    h1: document.querySelector('h1').textContent.trim(),
    date: document.querySelector('.record header time')?.textContent.trim(),
    citation: [...document.querySelectorAll('.citation dd')].map((d) => d.textContent.trim()),
    details: document.querySelector('.details').innerText,
    text: document.querySelector('section.text')?.innerText || '',
  }));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out + '/record-page.png', fullPage: true });

  const resolved = await page.goto(
    base + '/resolve?ref=' + encodeURIComponent(cyrillic), { waitUntil: 'load' });
  const first = resolved.request().redirectedFrom();
  log.resolve = { url: page.url(), status: resolved.status(),
    redirect: first ? (await first.response()).status() : null };

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload({ waitUntil: 'load' });
  log.phone_viewer = await viewer(null);
  log.phone = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  await page.screenshot({ path: out + '/record-phone.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1000 });

  await page.goto(base + '/records/' + control, { waitUntil: 'load' });
  log.control_viewer = await viewer(out + '/control-viewer.png');
  await close();
  console.log(JSON.stringify(log));
})().catch((e) => { console.error(e); process.exit(1); });
"""
)

NO_VIEWER = (
    WATCH_POLICY
    + r"""
(async () => {
  const [url, out] = process.argv.slice(2);
  const { page, close } = await launch({ width: 1280, height: 1000 });
  const log = { errors: [] };
  await watchPolicy(page, log);
  page.on('pageerror', (e) => log.errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });  // the frame's load, its failed script included
  try { await page.waitForLoadState('networkidle', { timeout: 15000 }); } catch (e) {}

  // Every thumbnail, scrolled to (they load lazily), must be decoded.
  const thumbs = page.locator('ol.page-list img');
  log.count = await thumbs.count();
  for (let i = 0; i < log.count; i++) await thumbs.nth(i).scrollIntoViewIfNeeded();
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('ol.page-list img')]
      .every((img) => img.complete), null, { timeout: 20000 });
  } catch (e) {}
  log.thumbs = await page.$$eval('ol.page-list img', (images) => images.map((img) => {
    const box = img.getBoundingClientRect();
    return { alt: img.alt, natural: img.naturalWidth, width: box.width, height: box.height,
      visible: img.checkVisibility({ visibilityProperty: true, opacityProperty: true }),
      href: img.closest('a').href };
  }));
  log.frame = await page.evaluate(() => {
    const frame = document.querySelector('iframe.viewer');
    const heading = document.getElementById('pages-heading').getBoundingClientRect();
    const list = document.getElementById('page-list-heading')?.getBoundingClientRect();
    return {
      ready: frame.classList.contains('ready'),
      visible: frame.checkVisibility({ visibilityProperty: true }),
      gap: list ? list.top - heading.bottom : null,  // the room the frame takes in the page
      mirador: Boolean(frame.contentWindow.Mirador),
      fallback: frame.contentDocument.querySelector('.fallback')?.textContent.trim(),
    };
  });

  // From the top of the page, the keyboard reaches the first page image's link.
  await page.evaluate(() => { window.scrollTo(0, 0); document.activeElement?.blur(); });
  log.keyboard = null;
  for (let i = 0; i < 100 && !log.keyboard; i++) {
    await page.keyboard.press('Tab');
    log.keyboard = await page.evaluate(() => {
      const here = document.activeElement;
      return here && here.closest('ol.page-list') ? here.querySelector('img')?.alt : null;
    });
  }
  const section = page.locator('section.pages');
  await section.scrollIntoViewIfNeeded();
  log.section = await section.boundingBox();
  await section.screenshot({ path: out + '/no-viewer-pages.png' });
  await page.screenshot({ path: out + '/no-viewer-record.png', fullPage: true });

  // The control: an inline style added to the page and to the viewer's frame must be
  // refused and reported, so an empty list of violations means there were none.
  log.seen = log.violations.splice(0);
  const inline = () => {
    const style = document.createElement('style');
    style.textContent = 'body { color: red }';
    document.head.appendChild(style);
  };
  await page.evaluate(inline);
  await page.frame({ url: /\/viewer\?/ }).evaluate(inline);
  await page.waitForTimeout(500);
  log.control = log.violations.filter((v) => v.directive);
  await close();
  console.log(JSON.stringify(log));
})().catch((e) => { console.error(e); process.exit(1); });
"""
)


def mirador_site() -> Site:
    """A second origin that serves only Mirador's bundle from the npm package."""

    async def mirador(request: web.Request) -> web.FileResponse:
        return web.FileResponse(browser.MIRADOR_JS)

    site = Site([("GET", "/mirador.min.js", mirador)])
    site.url = f"{site.base}/mirador.min.js"
    return site


def _inputs(tmp_path: Path) -> list[Path]:
    """The corpus files, the seed letter as a folder with page images, and the control."""
    corpus = shared_path("corpus")
    seed = corpus / SEED
    paths = sorted(p for p in corpus.glob("*.txt") if p.name != SEED)
    paths.append(write_folder(tmp_path / "seed", text=seed.read_text(encoding="utf-8"), pages=2))
    control = tmp_path / "control"
    control.mkdir()
    grey = pyvips.Image.black(1400, 2000).new_from_image([128, 128, 128]).cast("uchar")
    (control / "p1.jpg").write_bytes(grey.copy(interpretation="srgb").jpegsave_buffer(Q=80))
    (control / "record.json").write_text(
        json.dumps(
            {
                "reference": "GAPPOD, f.1, op.89, d.999",
                "title": "Control: a page with nothing on it",
                "date": "1946-05-01",
                "pages": [{"image": "p1.jpg", "label": "л. 1"}],
            }
        )
    )
    paths.append(control)
    return paths


def test_search_read_view_and_resolve_in_chromium(tmp_path):
    reason = browser.missing()
    if reason:
        unavailable(reason)
    out = tmp_path / "shots"
    out.mkdir()
    with mirador_site() as mirador:
        settings = make_settings(
            f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"mirador_url": mirador.url}
        )
        report = ingest(settings, _inputs(tmp_path))
        assert not report.count("failed"), [e for e in report.entries if e.status == "failed"]
        with OpisProcess(settings):
            log = browser.run(
                SCRIPT, tmp_path, settings.base_url, str(out), "GAPPOD/f.1/op.89/d.999", CYRILLIC
            )

    saved = ROOT / "test-output"
    saved.mkdir(exist_ok=True)
    for png in out.glob("*.png"):
        shutil.copy(png, saved / f"web-{png.name}")
    assert log["viewer"] and log["control_viewer"], f"Mirador did not start: {log}"
    shown = browser.page_pixels(out / "record-viewer.png", None)
    control = browser.page_pixels(out / "control-viewer.png", None)
    (saved / "web-pixels.json").write_text(json.dumps({"shown": shown, "control": control}))

    assert any(hit["text"] == TITLE for hit in log["hits"]), log["hits"]
    letter = f"{settings.base_url}/records/GAPPOD/f.1/op.89/d.112"
    assert log["record_url"] == letter
    record = log["record"]
    assert record["h1"] == TITLE
    assert record["date"] == "20 April 1946"
    assert "GAPPOD, f.1, op.89, d.112" in record["citation"]
    assert "GAPPOD f.1 op.89 d.112" in record["citation"]
    assert "Translated by" in record["details"] and "Goldberg, Gary" in record["details"]
    assert "Obtained by" in record["details"] and "Hasanli, Jamil" in record["details"]
    assert "Pishevari and our people from Tabriz" in record["text"]

    assert log["frame_height"] >= 400, "Mirador loaded: the frame takes its room"
    assert browser.shows_page(shown), f"no page pixels in the viewer: {shown}"
    assert not browser.shows_page(control), f"the grey control passed the check: {control}"

    assert log["resolve"] == {"url": letter, "status": 200, "redirect": 303}, log["resolve"]
    assert log["phone"]["width"] <= log["phone"]["viewport"], "no sideways scrolling on a phone"
    assert log["phone_viewer"], "the viewer shows the page on a phone too"
    assert not log["errors"], log["errors"]
    # The policies were enforced, and the pages and Mirador needed nothing they refuse.
    assert not log["violations"], log["violations"]
    policies = log["policies"]
    assert "frame-src 'self'" in policies["/records/GAPPOD/f.1/op.89/d.112"], policies
    assert f"script-src 'self' {mirador.url};" in policies["/viewer"], policies
    assert "script-src 'self';" in policies["/search"], policies
    # Requests cut short by leaving a page (net::ERR_ABORTED) are not failures.
    local = [
        f
        for f in log["failed"]
        if f["url"].startswith(settings.base_url) and f.get("error") != "net::ERR_ABORTED"
    ]
    assert not local, local


def test_without_mirador_the_record_page_shows_its_page_images(tmp_path):
    reason = browser.missing()
    if reason:
        unavailable(reason)
    seed = shared_path("corpus") / SEED
    settings = make_settings(
        f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"mirador_url": UNREACHABLE}
    )
    letter = write_folder(tmp_path / "seed", text=seed.read_text(encoding="utf-8"), pages=3)
    report = ingest(settings, [letter])
    assert not report.count("failed"), report.entries
    out = tmp_path / "shots"
    out.mkdir()
    with LiveServer(settings) as server:
        url = f"{server.base}/records/{report.entries[0].key}"
        log = browser.run(NO_VIEWER, tmp_path, url, str(out))

    saved = ROOT / "test-output"
    saved.mkdir(exist_ok=True)
    for png in out.glob("*.png"):
        shutil.copy(png, saved / f"web-{png.name}")
    shown = browser.page_pixels(out / "no-viewer-pages.png", None)

    assert log["count"] == 3, f"not every page image is on the page: {log}"
    assert [t["alt"] for t in log["thumbs"]] == ["Page 1", "Page 2", "Page 3"], log["thumbs"]
    for thumb in log["thumbs"]:
        assert thumb["natural"] > 0 and thumb["visible"], thumb
        assert thumb["width"] >= 100 and thumb["height"] >= 100, thumb
        assert "/iiif/image/3/" in thumb["href"] and thumb["href"].endswith("/default.jpg")
    assert browser.shows_page(shown), f"no page pixels among the page images: {shown}"
    frame = log["frame"]
    assert not frame["mirador"] and not frame["ready"] and not frame["visible"], frame
    assert frame["gap"] < 120, f"the missing viewer still takes room: {frame}"
    assert log["section"]["height"] < 700, log["section"]
    assert log["keyboard"] == "Page 1", "the page images are reachable from the keyboard"
    assert not log["seen"], log["seen"]
    control = sorted((v["page"], v["directive"]) for v in log["control"])
    assert control == [
        ("/records/GAPPOD/f.1/op.89/d.112", "style-src-elem"),
        ("/viewer", "style-src-elem"),
    ]
    assert not log["errors"], log["errors"]
