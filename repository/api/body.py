"""Reading a write request's body: a JSON record, or multipart with the page images.

The size limit (``auth.max_body_bytes``) is enforced twice: from ``Content-Length``
before a byte is read, and while reading, so a chunked upload with no length is cut
off at the limit instead of being buffered without end. Compressed request bodies and
encoded parts are refused rather than decoded, so the limit counts the bytes that are
actually kept. Each part other than ``record`` is a page image, named by its file name
(or, without one, by the part's name, as the OpenAPI schema's property names say), or a
page's text: a part named like its image with ``.xml`` (ALTO or PAGE XML).
These names are only matched against the record's page names; they never reach the
file system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, MultipartReader, StreamReader, web
from aiohttp.http_exceptions import HttpProcessingError

from repository.api.errors import ApiError

JSON = "application/json"
MULTIPART = "multipart/form-data"
ACCEPTED = f"{JSON}, {MULTIPART}"
RECORD_PART = "record"
MAX_PARTS = 10_000
CHUNK = 1 << 16
_PLAIN_TRANSFER = {"", "binary", "8bit", "7bit"}


@dataclass
class Upload:
    """The record's JSON bytes and the uploaded files (page images, and page text named
    like its image with ``.xml``) by file name, in the order sent."""

    record: bytes
    files: dict[str, bytes] = field(default_factory=dict)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"the request body is larger than the limit of {limit} bytes (auth.max_body_bytes)",
        extra={"max_body_bytes": limit},
    )


def precheck(request: web.BaseRequest, limit: int) -> None:
    """Refuse what can be refused from the headers alone: size, type, encoding."""
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(
            415,
            f"Content-Encoding {encoding!r} is not accepted; send the body uncompressed",
            headers={"Accept-Encoding": "identity"},
        )
    kind = request.content_type
    if kind not in (JSON, MULTIPART):
        shown = request.headers.get("Content-Type", "none")[:100]
        raise ApiError(
            415,
            f"the body must be {JSON} (the record) or {MULTIPART} (the record and its "
            f"page images), not {shown}",
            headers={"Accept": ACCEPTED},
        )
    charset = (request.charset or "utf-8").lower()
    if kind == JSON and charset not in ("utf-8", "utf8"):
        raise ApiError(415, f"JSON must be UTF-8, not {charset}", headers={"Accept": ACCEPTED})


async def read_upload(request: web.Request, limit: int) -> Upload:
    precheck(request, limit)
    try:
        if request.content_type == JSON:
            return Upload(await _read_limited(request.content, limit))
        return await _read_multipart(request, limit)
    except (ValueError, RuntimeError, AssertionError, HttpProcessingError) as exc:
        raise ApiError(400, "the body could not be read", [_first_line(exc)]) from None


async def _read_limited(stream: StreamReader, limit: int) -> bytes:
    body = bytearray()
    while chunk := await stream.readany():
        body.extend(chunk)
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


async def _read_multipart(request: web.Request, limit: int) -> Upload:
    reader = await request.multipart()
    record: bytes | None = None
    files: dict[str, bytes] = {}
    parts = 0
    while (part := await reader.next()) is not None:
        parts += 1
        if request.content.total_bytes > limit:
            raise too_large(limit)
        if parts > MAX_PARTS:
            raise ApiError(400, f"a multipart body may have at most {MAX_PARTS} parts")
        if isinstance(part, MultipartReader):
            raise ApiError(400, "nested multipart bodies are not accepted")
        _check_part(part)
        data = await _read_part(part, request.content, limit)
        if part.name == RECORD_PART:
            if record is not None:
                raise ApiError(400, f'the part "{RECORD_PART}" is given more than once')
            record = data
        elif name := part.filename or part.name:
            if name in files:
                raise ApiError(400, f"two parts have the file name {name!r}")
            files[name] = data
        else:
            raise ApiError(
                400,
                "a part with neither a name nor a file name: send the record as the part "
                f'"{RECORD_PART}" and each page image as a part named by its file name',
            )
    if record is None:
        raise ApiError(400, f'the multipart body has no part named "{RECORD_PART}"')
    return Upload(record, files)


def _check_part(part: BodyPartReader) -> None:
    transfer = part.headers.get("Content-Transfer-Encoding", "").strip().lower()
    encoding = part.headers.get("Content-Encoding", "identity").strip().lower()
    if transfer not in _PLAIN_TRANSFER or encoding not in ("", "identity"):
        raise ApiError(
            415,
            f"part {part.name or part.filename!r}: encoded parts are not accepted; "
            "send the bytes as they are",
        )


async def _read_part(part: BodyPartReader, stream: StreamReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        if stream.total_bytes > limit:
            raise too_large(limit)
        data.extend(chunk)
    return bytes(data)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:200]
