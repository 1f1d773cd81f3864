"""Mirador 4 in Debian's headless Chromium shows a served page image: proven by its pixels.

A live Opis serves the seed letter (two generated pages: warm paper, a red-violet stamp);
a separate viewer origin serves Mirador and a page that opens the manifest, so the
manifest, info.json and tiles are fetched cross-origin exactly as for a real viewer.
A node script (playwright-core, no browser download) takes the screenshot; the test
counts paper-coloured and stamp-coloured pixels inside the OpenSeadragon canvas. The
negative control is the same manifest with every image id pointing at an image that
does not exist: viewer chrome alone must fail the same check.

Needs ``/usr/bin/chromium`` and, in ``$OPIS_NODE_DIR`` (default ``~/.cache/opis-node``),
``npm install --prefix $OPIS_NODE_DIR mirador@4.0.0 playwright-core@1.65.1``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from tests import browser
from tests.browser import MIRADOR_JS
from tests.conftest import ROOT, SHARED, unavailable
from tests.iiif_rules import request, write_folder
from tests.live import LiveServer, Site, ingest, make_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLANK_ID = "0" * 64

SHOT_SCRIPT = r"""
(async () => {
  const [url, out, settleMs] = process.argv.slice(2);
  const { page, close } = await launch({ width: 1400, height: 1000 });
  const log = { requests: [], errors: [], canvas: null, osd: false };
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('requestfinished', async (r) => {
    const response = await r.response();
    log.requests.push({ url: r.url(), status: response ? response.status() : null });
  });
  page.on('requestfailed', (r) =>
    log.requests.push({ url: r.url(), failed: r.failure()?.errorText }));
  await page.goto(url, { waitUntil: 'load' });
  try {
    await page.waitForSelector('.openseadragon-canvas canvas', { timeout: 20000 });
    log.osd = true;
  } catch (e) { log.osd = false; }
  try { await page.waitForLoadState('networkidle', { timeout: 20000 }); } catch (e) {}
  await page.waitForTimeout(Number(settleMs));
  log.canvas = await page.evaluate(() => {
    const el = document.querySelector('.openseadragon-canvas');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: Math.round(r.x), y: Math.round(r.y),
      width: Math.round(r.width), height: Math.round(r.height) };
  });
  await page.screenshot({ path: out });
  fs.writeFileSync(out.replace(/\.png$/, '.json'), JSON.stringify(log, null, 1));
  await close();
  console.log(JSON.stringify(log));
})().catch((e) => { console.error(e); process.exit(1); });
"""

VIEWER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>viewer</title>
<style>html,body,#viewer{margin:0;width:100%;height:100%}</style></head><body>
<div id="viewer"></div><script src="/mirador.min.js"></script><script>
window.__mirador = Mirador.viewer({ id: 'viewer',
  windows: [{ manifestId: MANIFEST, view: 'single', thumbnailNavigationPosition: 'far-bottom' }],
  window: { allowClose: false, sideBarOpen: false },
  workspaceControlPanel: { enabled: false },
  annotations: { filteredMotivations: ['oa:commenting', 'oa:tagging', 'sc:painting',
    'commenting', 'tagging', 'supplementing'] } });
</script></body></html>"""


def viewer_site(broken_manifest: bytes) -> Site:
    """Another origin serving Mirador, the viewer page and the broken-image manifest."""

    async def viewer(request: web.Request) -> web.Response:
        page = VIEWER_PAGE.replace("MANIFEST", json.dumps(request.query["manifest"]))
        return web.Response(text=page, content_type="text/html")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(
            body=broken_manifest,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async def mirador(request: web.Request) -> web.FileResponse:
        return web.FileResponse(MIRADOR_JS)

    return Site(
        [
            ("GET", "/viewer", viewer),
            ("GET", "/broken/manifest", broken),
            ("GET", "/mirador.min.js", mirador),
        ]
    )


def viewer_url(site: Site, manifest: str) -> str:
    return f"{site.base}/viewer?manifest={manifest}"


def screenshot(url: str, out: Path, settle_ms: int = 3000) -> dict:
    return browser.run(SHOT_SCRIPT, out.parent, url, str(out), str(settle_ms), timeout=120)


def _document(tmp_path: Path) -> Path:
    seed = SHARED / "corpus" / "seed-gappod-f1-op89-d112.txt"
    folder = tmp_path / "letter"
    if seed.exists():
        return write_folder(folder, text=seed.read_text(encoding="utf-8"), pages=2)
    record = {
        "reference": "GAPPOD, f.1, op.89, d.112",
        "title": "Letter about delayed talks (synthetic)",
        "date": "1946-04-20",
        "text": [{"language": "en", "kind": "translation", "content": "To Comrade Stalin."}],
        "pages": [{"image": "p1.jpg", "label": "л. 1"}, {"image": "p2.jpg", "label": "л. 1 об."}],
    }
    return write_folder(folder, record=record)


def test_mirador_shows_the_page_image(tmp_path):
    missing = browser.missing()
    if missing:
        unavailable(missing)
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    report = ingest(settings, [_document(tmp_path)])
    assert not report.failed, report.entries
    key = report.entries[0].key
    with LiveServer(settings) as opis:
        manifest = f"{opis.base}/iiif/3/{key}/manifest"
        doc = request(manifest).json()
        image_id = doc["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
        image_id = image_id.rsplit("/", 1)[1]
        broken = json.dumps(doc).replace(image_id, BLANK_ID)
        other = doc["items"][1]["items"][0]["items"][0]["body"]["service"][0]["id"]
        broken = broken.replace(other.rsplit("/", 1)[1], BLANK_ID).encode()
        with viewer_site(broken) as viewer:
            shown = tmp_path / "mirador-letter.png"
            log = screenshot(viewer_url(viewer, manifest), shown)
            blank = tmp_path / "mirador-broken-image.png"
            blank_log = screenshot(viewer_url(viewer, f"{viewer.base}/broken/manifest"), blank)

    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    for png in (shown, blank):
        shutil.copy(png, out / png.name)
        shutil.copy(png.with_suffix(".json"), out / png.with_suffix(".json").name)

    assert log["osd"] and log["canvas"], log
    found = browser.page_pixels(shown, log["canvas"])
    control = browser.page_pixels(blank, blank_log["canvas"] or log["canvas"])
    (out / "mirador-pixels.json").write_text(json.dumps({"shown": found, "control": control}))
    assert browser.shows_page(found), f"no page pixels in the canvas: {found}"
    assert not browser.shows_page(control), (
        f"the control without images passed the check: {control}"
    )

    iiif = [r for r in log["requests"] if "/iiif/" in r["url"]]
    assert any(r["url"] == manifest and r.get("status") == 200 for r in iiif)
    assert any(r["url"].endswith("/info.json") for r in iiif)
    tiles = [r for r in iiif if r["url"].endswith("default.jpg")]
    assert tiles and all(r.get("status") == 200 for r in tiles), tiles
    assert not [r for r in iiif if r.get("failed") or (r.get("status") or 0) >= 400]
    # every whole-image size Mirador asked for (its thumbnails) was pre-rendered at ingest
    stored = {
        (size["width"], size["height"])
        for canvas in doc["items"]
        for size in canvas["items"][0]["items"][0]["body"]["service"][0]["sizes"]
    }
    asked = [re.search(r"/full/(\d+),(\d+)/0/default\.jpg$", r["url"]) for r in iiif]
    asked_sizes = {(int(m[1]), int(m[2])) for m in asked if m}
    assert asked_sizes and asked_sizes <= stored, (asked_sizes, stored)
