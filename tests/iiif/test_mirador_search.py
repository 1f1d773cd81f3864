"""Mirador 4 searches a document's page text and highlights the hit on the page image.

A live Opis serves one page: a paper-toned image with a red-violet mark painted exactly
where the ALTO file puts the word ``Opisword``. Mirador (another origin, as for a real
viewer) opens the manifest with its search panel; the test types the word into the
panel's box and submits it, as a reader would. Mirador finds the manifest's
``SearchService1`` (it speaks Content Search 1.0 only), asks Opis, lists the hit and
draws it on the canvas. From the screenshot the test proves the highlight: pixels of
Mirador's highlight colours appear inside the OpenSeadragon canvas, and their box lies
on the painted mark, i.e. where the word is on the page image. The control is the same
viewer before the search: no highlight pixels at all.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pyvips
from aiohttp import web
from PIL import Image, ImageDraw

from tests import browser
from tests.browser import MIRADOR_JS, PAPER
from tests.conftest import ROOT, unavailable
from tests.iiif_rules import request
from tests.live import LiveServer, Site, ingest, make_settings
from tests.pagetext.samples import alto4

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORD = "Opisword"
WORD_BOX = (380, 560, 300, 80)  # x, y, w, h on the 1000 x 1400 page
STAMP = (150, 40, 90)

SCRIPT = r"""
(async () => {
  const [url, before, after, word] = process.argv.slice(2);
  const { page, close } = await launch({ width: 1400, height: 1000 });
  const log = { requests: [], errors: [], canvas: null, hits: 0 };
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('requestfinished', async (r) => {
    const response = await r.response();
    log.requests.push({ url: r.url(), status: response ? response.status() : null });
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('.openseadragon-canvas canvas', { timeout: 30000 });
  try { await page.waitForLoadState('networkidle', { timeout: 20000 }); } catch (e) {}
  await page.waitForTimeout(2500);
  const box = async () => page.evaluate(() => {
    const el = document.querySelector('.openseadragon-canvas');
    const r = el.getBoundingClientRect();
    return { x: Math.round(r.x), y: Math.round(r.y),
      width: Math.round(r.width), height: Math.round(r.height) };
  });
  log.canvasBefore = await box();
  await page.screenshot({ path: before });
  const input = page.getByRole('combobox').first();
  await input.click();
  await input.fill(word);
  const answered = page.waitForResponse((r) => r.url().includes('/search/1?'), { timeout: 20000 });
  await input.press('Enter');
  const response = await answered;
  log.searchStatus = response.status();
  try { await page.waitForLoadState('networkidle', { timeout: 20000 }); } catch (e) {}
  await page.waitForTimeout(4000);
  log.searches = await page.evaluate(() => window.__mirador.store.getState().searches);
  log.canvas = await box();
  await page.screenshot({ path: after });
  await close();
  console.log(JSON.stringify(log));
})().catch((e) => { console.error(e); process.exit(1); });
"""

VIEWER = """<!doctype html><html><head><meta charset="utf-8"><title>viewer</title>
<style>html,body,#viewer{margin:0;width:100%;height:100%}</style></head><body>
<div id="viewer"></div><script src="/mirador.min.js"></script><script>
window.__mirador = Mirador.viewer({ id: 'viewer',
  windows: [{ manifestId: MANIFEST, view: 'single', sideBarOpen: true, sideBarPanel: 'search',
    thumbnailNavigationPosition: 'off' }],
  workspaceControlPanel: { enabled: false } });
</script></body></html>"""


def search_hits(node: object) -> int:
    """The hits in Mirador's search state: the resources of its AnnotationLists."""
    if isinstance(node, dict):
        if node.get("@type") == "sc:AnnotationList" and isinstance(node.get("resources"), list):
            return len(node["resources"])
        return sum(search_hits(value) for value in node.values())
    if isinstance(node, list):
        return sum(search_hits(value) for value in node)
    return 0


def viewer_site() -> Site:
    async def viewer(request: web.Request) -> web.Response:
        page = VIEWER.replace("MANIFEST", json.dumps(request.query["manifest"]))
        return web.Response(text=page, content_type="text/html")

    async def mirador(request: web.Request) -> web.FileResponse:
        return web.FileResponse(MIRADOR_JS)

    return Site([("GET", "/viewer", viewer), ("GET", "/mirador.min.js", mirador)])


def document(folder: Path) -> Path:
    folder.mkdir(parents=True)
    image = Image.new("RGB", (1000, 1400), PAPER)
    draw = ImageDraw.Draw(image)
    x, y, w, h = WORD_BOX
    draw.rectangle([x, y, x + w - 1, y + h - 1], fill=STAMP)
    for n in range(8):  # other "words": dark bars, none of them the stamp colour
        draw.rectangle([120, 200 + n * 120, 320 + 40 * (n % 3), 240 + n * 120], fill=(60, 50, 40))
    image.save(folder / "p1.png")
    lines = [
        [("Первая", 120, 200, 200, 40), ("строка", 340, 200, 160, 40)],
        [("Find", 120, 560, 200, 80), (WORD, *WORD_BOX), ("here", 700, 560, 150, 80)],
    ]
    (folder / "p1.xml").write_text(alto4(lines, 1000, 1400), encoding="utf-8")
    record = {
        "reference": "GAPPOD, f. 79, op. 1, d. 1",
        "title": "Search in Mirador (synthetic)",
        "language": ["en"],
        "pages": [{"image": "p1.png", "label": "1"}],
    }
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def boxes(png: Path, canvas: dict) -> dict:
    """In the canvas: the box of the painted mark as it is (red-violet), of the mark under
    Mirador's translucent yellow hit highlight (#ffff00 over red-violet: orange-brown),
    and of the page (paper)."""
    image = pyvips.Image.new_from_file(str(png)).extract_band(0, n=3)
    image = image.crop(canvas["x"], canvas["y"], canvas["width"], canvas["height"])
    r, g, b = image[0], image[1], image[2]
    mark = (r > 120) & (r < 185) & (g < 70) & (b > 60) & (b < 130)
    highlighted = (r > 160) & (r < 220) & (g > 80) & (g < 140) & (b > 35) & (b < 95)
    near = [(band - value).abs() < 14 for band, value in zip((r, g, b), PAPER, strict=True)]
    paper = near[0] & near[1] & near[2]

    def extent(mask) -> dict | None:
        count = mask.avg() / 255 * image.width * image.height
        if count < 20:
            return None
        cols = mask.project()[0]  # column sums, row sums
        rows = mask.project()[1]
        xs = [i for i in range(cols.width) if cols(i, 0)[0] > 0]
        ys = [i for i in range(rows.height) if rows(0, i)[0] > 0]
        return {"x0": xs[0], "x1": xs[-1], "y0": ys[0], "y1": ys[-1], "pixels": round(count)}

    return {
        "mark": extent(mark),
        "highlighted": extent(highlighted),
        "page": extent(paper | mark | highlighted),
    }


def test_mirador_highlights_a_search_hit_on_the_page(tmp_path):
    missing = browser.missing()
    if missing:
        unavailable(missing)
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    report = ingest(settings, [document(tmp_path / "doc")])
    assert not report.failed, report.entries
    key = report.entries[0].key
    with LiveServer(settings) as opis, viewer_site() as viewer:
        manifest = f"{opis.base}/iiif/3/{key}/manifest"
        assert request(manifest).json()["service"][1]["type"] == "SearchService1"
        before, after = tmp_path / "mirador-before-search.png", tmp_path / "mirador-search.png"
        url = f"{viewer.base}/viewer?manifest={manifest}"
        log = browser.run(SCRIPT, tmp_path, url, str(before), str(after), WORD, timeout=150)
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    for png in (before, after):
        shutil.copy(png, out / png.name)
    found = {"before": boxes(before, log["canvasBefore"]), "after": boxes(after, log["canvas"])}
    (out / "mirador-search.json").write_text(json.dumps({"log": log, "boxes": found}, indent=1))

    searches = [r for r in log["requests"] if "/search/1?" in r["url"]]
    assert searches and all(r["status"] == 200 for r in searches), log["requests"]
    assert search_hits(log["searches"]) == 1, log
    before, after = found["before"], found["after"]
    assert before["highlighted"] is None and before["mark"], found  # the control
    assert after["mark"] is None and after["highlighted"], found  # the mark is highlighted
    # the highlight lies exactly on the word's place on the page image: its box is the
    # mark's box of the control (same view), and where WORD_BOX is on the page shown
    slack = 4
    light, mark = after["highlighted"], before["mark"]
    for edge in ("x0", "x1", "y0", "y1"):
        assert abs(light[edge] - mark[edge]) <= slack, (edge, found)
    page = after["page"]
    scale = (page["x1"] - page["x0"] + 1) / 1000
    x, _, w, _ = WORD_BOX
    assert abs(page["x0"] + x * scale - light["x0"]) <= slack, found
    assert abs(page["x0"] + (x + w) * scale - light["x1"]) <= slack + 1, found


SITE_SCRIPT = r"""
(async () => {
  const [base, word, shot] = process.argv.slice(2);
  const { page, close } = await launch({ width: 1400, height: 1100 });
  const log = { errors: [] };
  page.on('pageerror', (e) => log.errors.push(String(e)));
  await page.goto(base + '/search?q=' + encodeURIComponent(word), { waitUntil: 'load' });
  const link = page.locator('ol.hits p.snippet a').first();
  log.href = await link.getAttribute('href');
  await Promise.all([page.waitForURL(/\/records\//), link.click()]);
  log.url = page.url();
  log.heading = (await page.textContent('#page-text-heading')).trim();
  await page.locator('iframe.viewer.ready').waitFor({ state: 'visible', timeout: 30000 });
  const frame = page.frame({ url: /\/viewer\?/ });
  await frame.waitForSelector('.openseadragon-canvas canvas', { timeout: 30000 });
  await frame.waitForFunction(() => {
    const windows = Object.values(window.opisViewer.store.getState().searches || {});
    return windows.some((w) => Object.values(w).some((panel) =>
      Object.values(panel.data || {}).some((answer) => answer.json)));
  }, null, { timeout: 30000 });
  try { await page.waitForLoadState('networkidle', { timeout: 20000 }); } catch (e) {}
  await page.waitForTimeout(4000);
  log.state = await frame.evaluate(() => {
    const state = window.opisViewer.store.getState();
    const w = Object.values(state.windows)[0];
    return { canvasId: w.canvasId, sideBarOpen: w.sideBarOpen, panel: w.sideBarPanel,
      searches: state.searches,
      listed: document.body.innerText.includes('Find Opisword here'),
      crashed: document.body.innerText.includes('An error occurred') };
  });
  const frameBox = await page.locator('iframe.viewer').boundingBox();
  log.canvas = await frame.evaluate(() => {
    const r = document.querySelector('.openseadragon-canvas').getBoundingClientRect();
    return { x: Math.round(r.x), y: Math.round(r.y),
      width: Math.round(r.width), height: Math.round(r.height) };
  });
  await page.locator('iframe.viewer').scrollIntoViewIfNeeded();
  await page.locator('iframe.viewer').screenshot({ path: shot });
  log.frame = frameBox;
  await close();
  console.log(JSON.stringify(log));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def two_pages(folder: Path) -> Path:
    """The stamped word on page 2 only; page 1 has other words and no stamp."""
    document(folder)
    first = Image.new("RGB", (1000, 1400), PAPER)
    ImageDraw.Draw(first).rectangle([120, 200, 520, 260], fill=(60, 50, 40))
    first.save(folder / "p0.png")
    (folder / "p0.xml").write_text(
        alto4([[("Opening", 120, 200, 400, 60)]], 1000, 1400), encoding="utf-8"
    )
    record = json.loads((folder / "record.json").read_text())
    record["pages"] = [{"image": "p0.png", "label": "1"}, {"image": "p1.png", "label": "2"}]
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def test_a_site_search_hit_opens_mirador_on_its_page_with_the_word_highlighted(tmp_path):
    """From Opis's own search page to its record page: the hit's page link opens the
    framed viewer on the canvas of page 2, where Mirador has run the same search and
    highlights the word on the image (the screenshot shows the stamp highlighted)."""
    from tests.pages.test_browser import mirador_site

    missing = browser.missing()
    if missing:
        unavailable(missing)
    with mirador_site() as mirador:
        settings = make_settings(
            f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"mirador_url": mirador.url}
        )
        report = ingest(settings, [two_pages(tmp_path / "doc")])
        assert not report.failed, report.entries
        key = report.entries[0].key
        shot = tmp_path / "site-search-viewer.png"
        with LiveServer(settings) as opis:
            log = browser.run(SITE_SCRIPT, tmp_path, opis.base, WORD.lower(), str(shot))
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    shutil.copy(shot, out / shot.name)
    found = boxes(shot, log["canvas"])
    (out / "site-search-viewer.json").write_text(json.dumps({"log": log, "boxes": found}, indent=1))

    assert "page=2" in log["href"] and log["url"].endswith("#page-text"), log
    assert log["heading"] == "Text on page 2", log
    state = log["state"]
    assert state["canvasId"].endswith(f"/iiif/3/{key}/canvas/2"), state
    assert state["sideBarOpen"] and state["panel"] == "search", state
    assert search_hits(state["searches"]) == 1, state
    assert state["listed"] and not state["crashed"], state  # the panel lists the hit
    # page 2 is shown, and its stamp is under Mirador's highlight
    assert found["mark"] is None and found["highlighted"], found
    assert not log["errors"], log["errors"]
