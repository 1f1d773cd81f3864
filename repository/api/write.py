"""``PUT /api/records/<key>``: one record through the same steps as ``opis ingest``.

The steps, in order: read and validate the JSON record (the ingest reader, so the same
messages), check that it belongs at the key the URL names, store its page images
(content-addressed files, complete before they are referenced), prepare it (parse,
identity, render), register the images, then write it in one transaction. Nothing is
written before every check has passed, and the record is in the store whole or not at
all.

The key is the record's, never the client's choice: a new document gets its locator
(or ``<locator>/doc.<id>`` when another document holds the locator), a known document
keeps the key it has. The URL must name that key. The check runs inside the write
transaction, which rolls back when the key would differ, so a concurrent writer can
never make the record land anywhere else than the URL says.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from manifests.image_api import ImageRejected
from metadata import identity as ident
from metadata.errors import RecordError
from metadata.readers import Limits, ReaderError, read_json_records
from metadata.readers.limits import too_many_pages
from metadata.record import Page, Record
from repository.api.body import Upload
from repository.api.errors import ApiError
from repository.records.page_images import ImageError, ImageStore, StoredImage, valid_id
from repository.records.pagetext import PageText, PageTextError, page_text_for
from repository.records.prepare import prepare, with_reference
from repository.records.renditions import Renderer
from repository.settings import Settings
from repository.store import Conflict, Store, StoreUnavailable
from repository.store.writes import ADDED, Outcome, Prepared


@dataclass(frozen=True)
class Written:
    outcome: Outcome
    warnings: list[str]


@dataclass(frozen=True)
class _Image:
    id: str
    width: int
    height: int


class _Elsewhere(Exception):
    """Raised inside the write transaction to roll it back: the key would differ."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _is_page_text(name: str) -> bool:
    """A part named like a page image with ``.xml``: that page's ALTO or PAGE XML."""
    return PurePosixPath(name).suffix.lower() == ".xml"


async def _page_texts(
    record: Record,
    images_in: dict[str, bytes],
    pages: tuple[Page, ...],
    texts_in: dict[str, bytes],
) -> tuple[PageText | None, ...]:
    """Each stored page's text, read from the part named like its image with ``.xml``."""
    if not texts_in:
        return ()
    wanted = record.pages or tuple(Page(name) for name in sorted(images_in))
    by_stem = {PurePosixPath(p.image).stem: p for p in wanted}
    unused = sorted(n for n in texts_in if PurePosixPath(n).stem not in by_stem)
    if unused:
        raise ApiError(
            422,
            "page text parts that no page image matches",
            [f"part {n!r}: name it like its page image, with .xml" for n in unused],
        )
    if len(wanted) != len(pages):
        raise ApiError(
            422,
            "page text needs one image per page",
            ["a multi-page image was split into pages; send each page as its own image"],
        )
    out: list[PageText | None] = []
    problems = []
    for page, stored in zip(wanted, pages, strict=True):
        name = next(
            (n for n in texts_in if PurePosixPath(n).stem == PurePosixPath(page.image).stem), None
        )
        if name is None:
            out.append(None)
            continue
        assert stored.width and stored.height
        try:
            out.append(
                await asyncio.to_thread(
                    page_text_for,
                    texts_in[name],
                    name,
                    image_name=PurePosixPath(page.image).name,
                    width=stored.width,
                    height=stored.height,
                )
            )
        except PageTextError as exc:
            problems.append(str(exc)[:500])
    if problems:
        raise ApiError(422, "page text that cannot be used", problems)
    return tuple(out)


class RecordWriter:
    def __init__(
        self, store: Store, renderer: Renderer, images: ImageStore, settings: Settings
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.images = images
        self.limits = settings.images
        self.record_limits = settings.records
        root = settings.auth.image_root.strip()
        self.image_root = Path(root).resolve() if root else None

    async def put(self, key: str, upload: Upload) -> Written:
        record, warnings = parse_record(upload.record, self.record_limits)
        texts_in = {n: d for n, d in upload.files.items() if _is_page_text(n)}
        images_in = {n: d for n, d in upload.files.items() if n not in texts_in}
        with _database():
            await self._check_key(key, record)
            pages, rows = await self._store_images(record, images_in)
        page_texts = await _page_texts(record, images_in, pages, texts_in)
        record = replace(record, pages=pages)
        try:
            prepared, more = prepare(record, self.renderer, page_texts=page_texts)
        except RecordError as exc:
            raise ApiError(422, "the record cannot be rendered", [str(exc)[:500]]) from None
        with _database():
            await self.store.add_images(rows)
            outcome = await self._write(key, prepared)
        return Written(outcome, [*warnings, *more])

    # -- where the record belongs ---------------------------------------------------

    async def _check_key(self, key: str, record: Record) -> None:
        """Refuse a body meant for another key before any image work is done.

        A known document (same identity) must be sent to the key it has, whatever its
        reference says now: keys never change. A new one must be sent to the key its
        reference gives. Whether that key is free is decided in the write transaction;
        the images are stored by then, and kept for the retry under the right key.
        """
        try:
            parsed, notes = with_reference(record)
            locator, identity = ident.locator(parsed), ident.identity(parsed)
        except RecordError as exc:
            raise ApiError(422, "no key can be made for this record", [str(exc)[:500]]) from None
        stored = (await self.store.keys_by_identity([identity])).get(identity)
        if stored is not None:
            if stored != key:
                raise _known_elsewhere(stored)
            return
        if key != locator and not key.startswith(f"{locator}/doc."):
            raise ApiError(
                422,
                f"the record's reference gives the key {locator}, not {key}",
                [
                    *notes,
                    "a new document is stored under the key its reference gives; PUT it there",
                ],
                extra={"expected_key": locator},
            )

    async def _write(self, key: str, prepared: Prepared) -> Outcome:
        def same_key(outcomes: list[Outcome]) -> None:
            if outcomes[0].key != key:
                raise _Elsewhere(outcomes[0])

        try:
            (outcome,) = await self.store.write([prepared], check=same_key)
        except _Elsewhere as elsewhere:
            found = elsewhere.outcome
            if found.status != ADDED:
                raise _known_elsewhere(found.key) from None
            if key == prepared.locator:
                raise _held_by_another(key, found.key) from None
            raise ApiError(
                422,
                f"this document gets the key {found.key}, not {key}",
                extra={"expected_key": found.key},
            ) from None
        return outcome

    # -- page images ----------------------------------------------------------------

    async def _store_images(
        self, record: Record, files: dict[str, bytes]
    ) -> tuple[tuple[Page, ...], list[dict[str, Any]]]:
        """Every page's image stored (or found), as pages with ids; rows to register."""
        wanted = record.pages or tuple(Page(name) for name in sorted(files))
        self._check_pages(len(wanted), "the record")
        unused = sorted(set(files) - {p.image for p in wanted})
        if unused:
            raise ApiError(
                422,
                "uploaded images that no page names",
                [f"image part {name!r} is not named in pages[].image" for name in unused],
            )
        problems = []
        for page in wanted:
            problem = await self._locate(page.image, files)
            if problem:
                problems.append(problem)
        if problems:
            raise ApiError(422, "page images that are missing or not allowed", problems)
        pages: list[Page] = []
        rows: dict[str, dict[str, Any]] = {}
        for page in wanted:
            found = await self._image(page.image, files, rows)
            for n, image in enumerate(found):
                label = (
                    page.label if n == 0 else (f"{page.label} ({n + 1})" if page.label else None)
                )
                pages.append(Page(image.id, label, image.width, image.height))
            self._check_pages(len(pages), "the record (multi-page images split)")
        for row in self.images.pending_rows():  # built by any request: register them too
            rows.setdefault(row["id"], row)
        return tuple(pages), list(rows.values())

    def _check_pages(self, count: int, where: str) -> None:
        problem = too_many_pages(count, self.record_limits, where)
        if problem:
            raise ApiError(422, "the record is not valid", [problem])

    async def _locate(self, name: str, files: dict[str, bytes]) -> str | None:
        """Why the page image ``name`` cannot be had, or None when it can."""
        if name in files:
            return None
        if valid_id(name) and await self.store.image(name) is not None:
            return None
        if self.image_root is None:
            return (
                f"page image {name!r}: not among the uploaded files, and images by reference "
                "are disabled on this server (auth.image_root is empty)"
            )
        try:
            self._resolve(name)
        except ImageError as exc:
            return str(exc)
        return None

    def _resolve(self, name: str) -> Path:
        """A file under ``auth.image_root``; the server's own path is never shown."""
        assert self.image_root is not None
        try:
            return self.images.resolve_input(name, self.image_root)
        except ImageError as exc:
            message = str(exc).replace(str(self.image_root), "the image folder")
            message = message.replace("the record's folder", "the image folder")
            message = message.replace("relative to the record", "relative to the image folder")
            raise ImageError(message) from None

    async def _image(
        self, name: str, files: dict[str, bytes], rows: dict[str, dict[str, Any]]
    ) -> list[_Image]:
        if name in files:
            return await self._store(name, files[name], rows)
        if valid_id(name):
            row = await self.store.image(name)
            if row is not None:
                return [_Image(row["id"], row["width"], row["height"])]
        path = self._resolve(name)
        try:
            self._check_size(name, path.stat().st_size)
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise ApiError(422, f"page image {name!r}: cannot be read ({exc.strerror})") from None
        return await self._store(name, data, rows)

    def _check_size(self, name: str, size: int) -> None:
        if size > self.limits.max_input_bytes:
            raise ApiError(
                422,
                f"page image {name!r}: {size} bytes is over images.max_input_bytes "
                f"({self.limits.max_input_bytes})",
            )

    async def _store(self, name: str, data: bytes, rows: dict[str, dict[str, Any]]) -> list[_Image]:
        self._check_size(name, len(data))
        try:
            stored: list[StoredImage] = await self.images.store_bytes(data)
        except (ImageRejected, ImageError) as exc:
            raise ApiError(422, f"page image {name!r}: {exc}", [f"{name}: {exc}"]) from None
        for image in stored:
            rows[image.id] = image.row()
        return [_Image(i.id, i.width, i.height) for i in stored]


@contextmanager
def _database() -> Iterator[None]:
    """Database failures as the API reports them: a lost race is 409, a lost database 503."""
    try:
        yield
    except Conflict:
        raise ApiError(
            409, "another request changed this record at the same moment; send it again"
        ) from None
    except ConnectionError as exc:
        raise StoreUnavailable(str(exc)[:300]) from exc


def parse_record(body: bytes, limits: Limits) -> tuple[Record, list[str]]:
    """One JSON object, validated by the ingest reader: 400 if not JSON, 422 if not valid.

    Validation includes the record limits (settings ``[records]``), as for ingest.
    """
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the record is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ApiError(400, "the JSON is nested too deeply") from None
    except ValueError as exc:
        raise ApiError(400, f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ApiError(422, f"the body must be one JSON object (one record), not {_kind(data)}")
    (result,) = read_json_records(text, limits=limits)
    if isinstance(result, ReaderError):
        raise ApiError(422, "the record is not valid", list(result.problems))
    return result.record, list(result.warnings)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"


def _known_elsewhere(key: str) -> ApiError:
    return ApiError(
        409,
        f"this document is already stored under the key {key}, and a key never changes",
        [
            "a document is recognised by its source id, else its source URL, else its "
            "title, date and reference; PUT it to its key to change it"
        ],
        extra={"expected_key": key},
    )


def _held_by_another(key: str, elsewhere: str) -> ApiError:
    details = [
        "a document is recognised by its source id, else its source URL, else its title, "
        "date and reference; this body describes another document than the one stored here",
        f"as a new document it is stored under {elsewhere}",
    ]
    return ApiError(
        409,
        f"the key {key} holds a different document",
        details,
        extra={"expected_key": elsewhere},
    )
