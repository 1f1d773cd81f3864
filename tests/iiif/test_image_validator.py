"""The IIIF Image API validator (PyPI ``iiif-validator``), level 2, against a live server.

The validator checks pixels of its own test image (1000x1000 coloured squares), which
its PyPI package does not ship; ``../shared/fixtures`` has it. It is ingested like any
page image (so it goes through the pyramid, as real pages do) and the validator is
driven in-process, one test per validator test, with a fixed random seed.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from tests.conftest import shared_path, unavailable
from tests.live import LiveServer, ingest, make_settings

try:
    from iiif_validator import validator
except ImportError:  # pragma: no cover - depends on the install
    validator = None

PREFIX = "iiif/image/3"


def _tests(max_level: int, min_level: int = 0) -> list[str]:
    if validator is None:
        return []
    found = validator.TestSuite(validator.ValidationInfo()).list_tests("3.0")
    return sorted(n for n, t in found.items() if min_level <= t["level"] <= max_level)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    if validator is None:
        unavailable("iiif-validator is not installed: pip install -e '.[test]'")
    image = shared_path("fixtures", "iiif-validation-image.png").read_bytes()
    root = tmp_path_factory.mktemp("validator")
    folder = root / "doc"
    folder.mkdir()
    (folder / "page.png").write_bytes(image)
    record = {"reference": "GAPPOD, f.1, op.1, d.1", "title": "The validator's test image"}
    (folder / "record.json").write_text(json.dumps(record))
    settings = make_settings(f"sqlite:///{root}/opis.db", root / "data")
    assert not ingest(settings, [folder]).failed
    with LiveServer(settings) as server:
        yield server, hashlib.sha256(image).hexdigest()


def run(served, name: str):
    server, identifier = served
    random.seed(name)  # the validator picks random regions and sizes
    suite = validator.TestSuite(validator.ValidationInfo())
    result = validator.ImageAPI(
        identifier, f"127.0.0.1:{server.settings.server.port}", PREFIX, "http", "", "3.0"
    )
    suite.run_test(name, result)
    return result


@pytest.mark.parametrize("name", _tests(2))
def test_level_2(served, name):
    result = run(served, name)
    error = result.exception
    assert error is None, f"{name}: {error.message} (got {error.got}, expected {error.expected})"


def test_level_2_is_the_whole_set():
    if validator is None:
        unavailable("iiif-validator is not installed: pip install -e '.[test]'")
    assert len(_tests(2)) == 33


# Beyond level 2: what the server also offers (mirroring, arbitrary rotation, Link
# headers, gif/tif/webp), checked where the validator's own test can run.
VALIDATOR_BUGS = {
    "format_jp2": "validator crash: calls Python 2 urllib.urlopen (the server refuses jp2: 400)",
    "format_pdf": "validator crash: calls Python 2 urllib.urlopen (the server refuses pdf: 400)",
    "format_webp": "validator crash: calls Python 2 urllib.urlopen before any check",
    "size_up": "the validator expects ^max to be the full size (1000x1000); IMG §4.2 says "
    "^max is the largest size maxWidth/maxHeight/maxArea allow, which info.json gives "
    "as 10000/10000/50000000, so 7071x7071 is right (its own comment says this check "
    "'needs a bit more thought as maximum may not be the same as full')",
}


def _beyond() -> list:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=VALIDATOR_BUGS[n], strict=True))
        if n in VALIDATOR_BUGS
        else n
        for n in _tests(3, min_level=3)
    ]


@pytest.mark.parametrize("name", _beyond())
def test_beyond_level_2(served, name):
    result = run(served, name)
    error = result.exception
    assert error is None, f"{name}: {error.message} (got {error.got}, expected {error.expected})"
