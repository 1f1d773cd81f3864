"""Document folders made from the shared page-text samples (``../shared/formats/pagetext``).

Each sample becomes one document folder: its XML renamed to the base name of its image.
Samples that come with their page image use it. Samples without one get a **blank image
generated here** with the page's proportions: at the size the file declares when it
counts in pixels (05 at half that size, so scaling is exercised), and at a stated
resolution when it counts in other units (02: inch1200 at 120 dpi; 03: mm10 at about
127 dpi), named after the image file the ALTO declares.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from repository.settings import Settings
from tests.conftest import SHARED, unavailable
from tests.live import LiveServer, ingest, make_settings

SAMPLES = SHARED / "formats" / "pagetext"


@dataclass(frozen=True)
class Sample:
    name: str  # folder
    xml: str  # path under SAMPLES
    image: str  # image file name in the folder
    source_image: str | None = None  # path under SAMPLES, else generated
    size: tuple[int, int] | None = None  # generated image size
    language: str | None = None
    scale: float = 1.0  # stored pixels per unit of the file (x)


CASES = (
    Sample(
        "kant-alto",
        "01_ocrd-kant-1784/PAGE_0017_ALTO.xml",
        "INPUT_0017.tif",
        "01_ocrd-kant-1784/INPUT_0017.tif",
        language="de",
    ),
    Sample(
        "kant-page",
        "01_ocrd-kant-1784/PAGE_0017_PAGE.xml",
        "INPUT_0017.tif",
        "01_ocrd-kant-1784/INPUT_0017.tif",
        language="de",
    ),
    Sample(
        "chronicling-america",
        "02_loc-chronicling-america/chronicling_america.xml",
        "0070.png",
        size=(2046, 2594),
        language="en",
        scale=2046 / 20463,
    ),
    Sample(
        "bnl-lunion",
        "03_bnl-lunion-1865/bnl_lunion_1865-04-15.xml",
        "IMAGE000354.png",
        size=(1585, 2355),
        language="fr",
        scale=1585 / 3170,
    ),
    Sample(
        "bnf-1814",
        "04_europeana-bnf-1814/18140401_1-0001.xml",
        "T0000001.png",
        size=(2439, 3973),
        language="fr",
    ),
    Sample(
        "kb-delpher",
        "05_kb-delpher-newspaper/ddd_010097935_alto.xml",
        "DDD_010097935_005.png",
        size=(2534, 3449),
        language="nl",
        scale=2534 / 5067,
    ),
    Sample(
        "kb-pamphlet",
        "06_kb-pamphlet/example.xml",
        "example_image.jpeg",
        "06_kb-pamphlet/example_image.jpeg",
        language="nl",
        scale=0.5,
    ),
    Sample(
        "escriptorium-arabic",
        "07_escriptorium-arabic-ms/page_10.xml",
        "page_10.png",
        "07_escriptorium-arabic-ms/page_10.png",
        language="ar",
    ),
    Sample(
        "transkribus-register",
        "09_transkribus-htr-register/170025120000003,0074.xml",
        "170025120000003,0074.jpg",
        "09_transkribus-htr-register/170025120000003,0074.jpg",
        language="de",
    ),
)


def blank(path: Path, size: tuple[int, int]) -> None:
    Image.new("L", size, 250).save(path)


def sample_folder(root: Path, n: int, case: Sample) -> Path:
    folder = root / case.name
    folder.mkdir(parents=True)
    if case.source_image:
        shutil.copyfile(SAMPLES / case.source_image, folder / case.image)
    else:
        assert case.size
        blank(folder / case.image, case.size)
    shutil.copyfile(SAMPLES / case.xml, folder / (Path(case.image).stem + ".xml"))
    record = {
        "reference": f"GAPPOD, f. 77, op. 1, d. {n + 1}",
        "title": f"Page text sample {case.name}",
        "date": "1900-01-01",
        "language": [case.language] if case.language else [],
        "pages": [{"image": case.image, "label": "1"}],
    }
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def alto4(lines: list[list[tuple[str, int, int, int, int]]], width: int, height: int) -> str:
    """A small ALTO 4 page: lines of (word, x, y, w, h), boxes in pixels."""
    body = []
    for n, words in enumerate(lines):
        x = min(w[1] for w in words)
        y = min(w[2] for w in words)
        r = max(w[1] + w[3] for w in words)
        b = max(w[2] + w[4] for w in words)
        strings = "<SP/>".join(
            f'<String CONTENT="{t}" HPOS="{a}" VPOS="{c}" WIDTH="{d}" HEIGHT="{e}"/>'
            for t, a, c, d, e in words
        )
        body.append(
            f'<TextLine ID="l{n}" HPOS="{x}" VPOS="{y}" WIDTH="{r - x}" HEIGHT="{b - y}">'
            f"{strings}</TextLine>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">'
        "<Description><MeasurementUnit>pixel</MeasurementUnit></Description>"
        f'<Layout><Page ID="p1" WIDTH="{width}" HEIGHT="{height}" PHYSICAL_IMG_NR="1">'
        f'<PrintSpace><TextBlock ID="b1">{"".join(body)}</TextBlock></PrintSpace>'
        "</Page></Layout></alto>"
    )


@contextmanager
def samples_served(
    database_url: str, root: Path, *extra: Callable[[Path], Path]
) -> Iterator[tuple[LiveServer, dict[str, str], Settings]]:
    """Every shared sample and the ``extra`` documents (each made in the folder given)
    ingested into ``database_url`` and served: (server, key by folder name, settings)."""
    if not SAMPLES.is_dir():
        unavailable(f"{SAMPLES} is not there (the shared page-text samples)")
    folders = [sample_folder(root / "docs", n, c) for n, c in enumerate(CASES)]
    folders += [make(root / "docs") for make in extra]
    settings = make_settings(database_url, root / "data")
    report = ingest(settings, folders)
    assert not report.failed, [(e.source, e.message) for e in report.entries]
    keys = {Path(e.source).name: e.key for e in report.entries}
    with LiveServer(settings) as server:
        yield server, keys, settings
