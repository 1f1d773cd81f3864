"""Every kind of page, in every interface language, checked with axe-core in Chromium.

Home, search, a record (with its framed viewer), a container, the viewer on its own and
a not-found page, each in English, Russian and Azerbaijani, over a real ``opis serve``
with Mirador from a second origin. axe runs the WCAG 2.0/2.1 A and AA rules and its best
practices; any serious or critical violation fails the test. axe-core is the npm
package at the pinned version (``tests/browser.py``); it is evaluated in the page from
the test, so the pages' Content-Security-Policy stays as it is served. The full results
go to ``test-output/axe.json``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests import browser
from tests.conftest import ROOT, unavailable
from tests.iiif_rules import write_folder
from tests.live import OpisProcess, ingest, make_settings
from tests.pages.test_browser import mirador_site
from tests.pagetext.test_site_search import WORD, three_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGES = ("en", "ru", "az")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
KEY = "GAPPOD/f.2/op.1/d.5"
PAGE_TEXT = "GAPPOD/f.76/op.1/d.1"  # three_pages: a word on its page 2
RECORD = {
    "reference": "GAPPOD, f.2, op.1, d.5",
    "title": "Telegram about the paper shipment",
    "date": "1946-02-19",
    "language": ["ru", "en"],
    "types": ["Telegram"],
    "text": [
        {"language": "ru", "kind": "transcription", "content": "Бумага получена.\n\nГусейнов."},
        {"language": "en", "kind": "translation", "content": "Paper received.\n\nHuseynov."},
    ],
    "source": {"id": "axe-1"},
}
OTHER = {
    "reference": "GAPPOD, f.2, op.1, d.6",
    "title": "Report on the harvest in Tabriz",
    "date": "1946-03",
    "language": ["ru"],
    "source": {"id": "axe-2"},
}
# No violation of any impact on these (the viewer's own markup is Mirador's).
CLEAN = ("home", "search", "record", "archive", "container", "not-found", "no-record")

AXE = r"""
(async () => {
  const [pages, axePath] = [JSON.parse(process.argv[2]), process.argv[3]];
  const source = fs.readFileSync(axePath, 'utf8');
  const tags = JSON.parse(process.argv[4]);
  const { page, close } = await launch({ width: 1280, height: 1000 });
  const out = [];
  for (const item of pages) {
    const reply = await page.goto(item.url, { waitUntil: 'load' });
    try { await page.waitForLoadState('networkidle', { timeout: 10000 }); } catch (e) {}
    if (item.kind.startsWith('viewer')) {
      const started = page.locator('.mirador-viewer').first();
      try { await started.waitFor({ timeout: 20000 }); } catch (e) {}
      await page.waitForTimeout(1500);
    }
    await page.evaluate(source);  // from the test, so the page's CSP is not loosened
    const result = await page.evaluate(async (values) => {
      const r = await axe.run(document, { runOnly: { type: 'tag', values },
        resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
      }));
    }, tags);
    out.push({ ...item, status: reply.status(), lang: await page.getAttribute('html', 'lang'),
      violations: result });
  }
  await close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_every_kind_of_page_passes_axe_in_every_language(tmp_path):
    reason = browser.axe_missing()
    if reason:
        unavailable(reason)
    inputs = [
        write_folder(tmp_path / "record", record=RECORD, pages=2),
        write_folder(tmp_path / "other", record=OTHER),
        three_pages(tmp_path / "page-text"),  # with ALTO text on each page
    ]
    with mirador_site() as mirador:
        settings = make_settings(
            f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", web={"mirador_url": mirador.url}
        )
        report = ingest(settings, inputs)
        assert not report.count("failed"), [e for e in report.entries if e.status == "failed"]
        base = settings.base_url
        manifest = f"{base}/iiif/3/{KEY}/manifest"
        kinds = {
            "home": "/",
            "search": "/search?q=paper",
            "record": f"/records/{KEY}",
            "archive": "/records/GAPPOD",
            "container": "/records/GAPPOD/f.2/op.1",
            "viewer": "/viewer?manifest=" + quote(manifest, safe=""),
            "page-text": f"/records/{PAGE_TEXT}?page=2&q={WORD}",
            "search-page-text": f"/search?q={WORD}",
            "viewer-searching": "/viewer?manifest="
            + quote(f"{base}/iiif/3/{PAGE_TEXT}/manifest", safe="")
            + f"&canvas=2&q={WORD}",
            "not-found": "/no/such/page",
            "no-record": "/records/GAPPOD/f.9",
        }
        pages = []
        for lang in LANGUAGES:
            for kind, path in kinds.items():
                joiner = "&" if "?" in path else "?"
                pages.append(
                    {"kind": kind, "lang_asked": lang, "url": f"{base}{path}{joiner}lang={lang}"}
                )
        with OpisProcess(settings):
            results = browser.run(
                AXE, tmp_path, json.dumps(pages), str(browser.AXE), json.dumps(TAGS), timeout=400
            )

    saved = ROOT / "test-output"
    saved.mkdir(exist_ok=True)
    (saved / "axe.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    summary = {
        f"{r['kind']} [{r['lang_asked']}]": sorted(
            f"{v['id']} ({v['impact']})" for v in r["violations"]
        )
        for r in results
    }
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    assert len(results) == len(pages)
    for result in results:
        assert result["lang"] == result["lang_asked"], result["url"]
        expected = 404 if result["kind"] in ("not-found", "no-record") else 200
        assert result["status"] == expected, result["url"]
    failing = {
        name: [v for v in r["violations"] if v["impact"] in FAILING]
        for name, r in zip(summary, results, strict=True)
    }
    failing = {name: found for name, found in failing.items() if found}
    assert not failing, json.dumps(failing, indent=1, ensure_ascii=False)
    ours = {n: found for n, found in summary.items() if n.split(" ")[0] in CLEAN and found}
    assert not ours, ours
