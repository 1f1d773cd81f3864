"""The page images a finding aid's ``<dao>`` links name: files in its own folder only.

A ``<dao>`` that names an image file (``scans/0001.jpg``, ``file:///data/fa/0001.tif``)
makes the file a page of its unit, stored as a document folder's page images are
(``repository/records/page_images.py``). The path is resolved, symbolic links
included, and must stay inside the finding aid's folder: a link that leads out of it
(``..``, an absolute path elsewhere, a symbolic link to another place) is refused with
the finding aid, the unit and the link named, since a finding aid is ingested whole or
not at all.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from metadata.readers import daos
from metadata.readers.limits import Limits, too_many_pages
from metadata.readers.result import ReaderError
from metadata.record import Page, Record
from repository.records.page_images import ImageError, ImageStore


def image_path(href: str, folder: Path) -> Path:
    """The file a ``<dao>`` names, inside ``folder``; ReaderError saying why not."""
    path = daos.local_path(href)
    if path is None:
        raise ReaderError(f"<dao> {href!r} names no image file")
    if not path.is_absolute() and daos.leaves_folder(path):
        raise ReaderError(f"<dao> {href!r} is outside the finding aid's folder ('..')")
    base = folder.resolve()
    found = (base / _relative(path)).resolve() if not path.is_absolute() else Path(path).resolve()
    if not found.is_relative_to(base):
        raise ReaderError(
            f"<dao> {href!r} leads outside the finding aid's folder {folder} (to {found}); "
            "only images in that folder are read"
        )
    if not found.is_file():
        raise ReaderError(f"<dao> {href!r}: no such file in {folder}")
    return found


def check_pages(record: Record, folder: Path) -> None:
    """Refuse a unit whose ``<dao>`` files are not all in ``folder`` before any is stored."""
    for page in record.pages:
        image_path(page.image, folder)


def _relative(path: PurePosixPath) -> Path:
    return Path(*path.parts) if path.parts else Path()


async def store_pages(
    images: ImageStore, record: Record, folder: Path, limits: Limits
) -> tuple[Page, ...]:
    """Store the unit's page images (``record.pages`` name its ``<dao>`` files): the
    stored pages, a multi-page file split into its pages."""
    stored: list[Page] = []
    for page in record.pages:
        path = image_path(page.image, folder)
        try:
            found = await images.store_file(path)
        except ImageError as exc:
            raise ReaderError(f"<dao> {page.image!r}: {exc}") from None
        for n, image in enumerate(found):
            label = page.label if n == 0 else (f"{page.label} ({n + 1})" if page.label else None)
            stored.append(Page(image.id, label, image.width, image.height))
        problem = too_many_pages(len(stored), limits, "the unit (multi-page images split)")
        if problem:
            raise ReaderError(problem)
    return tuple(stored)
