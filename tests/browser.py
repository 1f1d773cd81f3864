"""Driving Debian's headless Chromium from tests: playwright-core from npm, never a
downloaded browser, plus the pixel check that tells a shown page image from viewer chrome.

Needs ``/usr/bin/chromium`` (``$CHROMIUM``) and, in ``$OPIS_NODE_DIR`` (default
``~/.cache/opis-node``), ``npm install --prefix $OPIS_NODE_DIR mirador@4.0.0
playwright-core@1.65.1 axe-core@4.14.1``. A test calls ``missing()`` and hands the reason to
``tests.conftest.unavailable``, which fails instead of skipping in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pyvips

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
NODE_DIR = Path(os.environ.get("OPIS_NODE_DIR", Path.home() / ".cache" / "opis-node"))
MIRADOR_JS = NODE_DIR / "node_modules" / "mirador" / "dist" / "mirador.min.js"
PLAYWRIGHT = NODE_DIR / "node_modules" / "playwright-core"
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
INSTALL = (
    "apt-get install -y chromium fonts-dejavu-core && "
    f"npm install --prefix {NODE_DIR} mirador@4.0.0 playwright-core@1.65.1 axe-core@{AXE_VERSION}"
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The opening every script shares: playwright-core from NODE_DIR, Chromium from CHROMIUM,
# headless, a fresh profile folder removed at the end. ``launch()`` gives the context.
PRELUDE = r"""
const fs = require('fs'); const os = require('os'); const path = require('path');
const { chromium } = require(require.resolve('playwright-core', { paths: [process.env.NODE_DIR] }));
const FLAGS = JSON.parse(process.env.CHROMIUM_FLAGS);
async function launch(viewport) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'opis-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM, headless: true, viewport, args: FLAGS,
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page: context.pages()[0] || await context.newPage(), close };
}
"""

# repository.intake.demo.page_image: paper (236, 226, 204) with noise; stamp (150, 40, 90) at 75 %
PAPER = (236, 226, 204)


def missing() -> str | None:
    """Why a browser test cannot run here (with how to fix it), or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing; install with: {INSTALL}"
    if shutil.which("node") is None:
        return f"node is missing; install with: {INSTALL}"
    if not MIRADOR_JS.exists() or not PLAYWRIGHT.exists():
        return f"mirador/playwright-core are not installed in {NODE_DIR}; install with: {INSTALL}"
    return None


def axe_missing() -> str | None:
    """Why the accessibility check cannot run here (axe-core, at the pinned version), or None."""
    found = missing()
    if found:
        return found
    package = AXE.parent / "package.json"
    if not AXE.exists() or json.loads(package.read_text()).get("version") != AXE_VERSION:
        return f"axe-core@{AXE_VERSION} is not installed in {NODE_DIR}; install with: {INSTALL}"
    return None


def run(script: str, folder: Path, *args: str, timeout: float = 180) -> dict:
    """Run ``PRELUDE + script`` with node; the script prints one JSON object at the end."""
    path = folder / "browser-script.cjs"
    path.write_text(PRELUDE + script)
    env = {
        **os.environ,
        "NODE_DIR": str(NODE_DIR),
        "CHROMIUM": str(CHROMIUM),
        "CHROMIUM_FLAGS": json.dumps(FLAGS),
    }
    done = subprocess.run(
        ["node", str(path), *args], env=env, timeout=timeout, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssertionError(f"browser script failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_pixels(png: Path, box: dict | None) -> dict[str, float]:
    """Fractions of paper-toned and stamp-toned pixels inside ``box`` (x, y, width, height)."""
    image = pyvips.Image.new_from_file(str(png)).extract_band(0, n=3)
    if box:
        image = image.crop(box["x"], box["y"], box["width"], box["height"])
    r, g, b = image[0], image[1], image[2]
    near = [(band - value).abs() < 22 for band, value in zip((r, g, b), PAPER, strict=True)]
    paper = near[0] & near[1] & near[2] & ((r - b) > 15)
    stamp = (r > 130) & (g < 130) & (b > 70) & (b < 170) & ((r - g) > 50)
    return {
        "paper": paper.avg() / 255,
        "stamp": stamp.avg() / 255,
        "pixels": image.width * image.height,
    }


def shows_page(found: dict[str, float]) -> bool:
    """Enough paper and some stamp: a generated page image is on screen, not just chrome."""
    return found["paper"] > 0.05 and found["stamp"] > 0.0005
