"""The sample that ``opis serve --demo`` loads: six records written for the project and
the seed letter (GAPPOD, f.1, op.89, d.112, the README's example citation) with the title,
date and summary of its real Digital Archive record. Every page image is generated here
(paper, typed lines, a stamp), never copied from anywhere.

Rights agree with what the manifests say: the written samples carry CC0 1.0 as a URI in
their rights text (a record's own URI wins over ``iiif.default_rights``), and the seed
letter the Digital Archive's statement, which ``iiif.rights_map`` maps to InC-EDU.

The images are generated once into ``<data_dir>/demo`` and ingested as document
folders, exactly as a user's own folders would be; loading twice changes nothing.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repository.settings import Settings

if TYPE_CHECKING:
    from repository.records.report import Report

PAGE_SIZE = (1400, 2000)


def sample_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(
        resources.files(__package__).joinpath("records.json").read_text("utf-8")
    )
    return records


def write_sample(folder: Path) -> list[Path]:
    """One document folder per sample record, with its generated page images."""
    folders = []
    for n, record in enumerate(sample_records(), 1):
        target = folder / f"doc{n:02d}"
        target.mkdir(parents=True, exist_ok=True)
        lines = _lines(record)
        for i, page in enumerate(record.get("pages", [])):
            path = target / page["image"]
            if not path.exists():
                path.write_bytes(page_image(lines, seed=n * 10 + i, title=record["title"]))
        (target / "record.json").write_text(json.dumps(record, ensure_ascii=False, indent=1))
        folders.append(target)
    return folders


async def load_demo(settings: Settings) -> Report:
    from repository.intake.ingest import ingest_paths

    folders = write_sample(Path(settings.storage.data_dir) / "demo")
    return await ingest_paths(settings, [str(f) for f in folders])


def _lines(record: dict[str, Any]) -> list[str]:
    for body in record.get("text", []):
        if body.get("kind") == "transcription":
            return [line for line in body["content"].splitlines()] or [record["title"]]
    return [record["title"]]


def page_image(lines: list[str], *, seed: int, title: str) -> bytes:
    """A page: warm paper with fibres, typed lines, a red-violet stamp, as JPEG bytes."""
    import pyvips

    width, height = PAGE_SIZE
    noise = pyvips.Image.gaussnoise(width // 4, height // 4, sigma=6, mean=0, seed=seed)
    noise = noise.resize(4, kernel="linear")
    paper = noise.linear([1, 1, 1], [236, 226, 204]).cast("uchar")
    ink = [40, 36, 48]
    y = 220
    for line in [*lines, "", title]:
        if line.strip():
            mask = pyvips.Image.text(
                _escape(line), font="serif 26", width=width - 320, dpi=110, wrap="word"
            )
            paper = paper.composite2(
                mask.new_from_image(ink).bandjoin(mask).copy(interpretation="srgb"),
                "over",
                x=160,
                y=y,
            ).flatten()
            y += mask.height + 26
        else:
            y += 40
        if y > height - 500:
            break
    stamp = pyvips.Image.black(320, 320).draw_circle(255, 160, 160, 150, fill=False)
    stamp = stamp.draw_circle(255, 160, 160, 140, fill=False).draw_circle(
        255, 160, 160, 60, fill=True
    )
    colour = stamp.new_from_image([150, 40, 90]).bandjoin(stamp * 0.75).copy(interpretation="srgb")
    paper = paper.composite2(colour.cast("uchar"), "over", x=width - 520, y=height - 560)
    jpeg: bytes = paper.flatten().cast("uchar").jpegsave_buffer(Q=82, strip=True)
    return jpeg


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
