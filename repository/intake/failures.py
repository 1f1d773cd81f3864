"""How an input that failed is reported: the reader's own reason, or a fault logged as one.

What a reader or an image can fail with is told to the user as it is. Anything else is a
fault in Opis (or the machine): logged with its traceback, and it fails its input only.
"""

from __future__ import annotations

import logging

from manifests.image_api import ImageRejected
from metadata.errors import RecordError
from metadata.readers.result import ReaderError
from repository.records.page_images import ImageError

log = logging.getLogger("opis")
_EXPECTED = (ReaderError, ImageError, ImageRejected, RecordError, OSError, UnicodeDecodeError)


def failure(source: str, exc: Exception, *, after: int | None = None) -> Exception:
    """The error to report for an input that failed with ``exc``."""
    stopped = f"reading stopped after {after} record(s): " if after else ""
    if isinstance(exc, UnicodeDecodeError):
        return ReaderError(
            f"{stopped}not UTF-8: byte 0x{exc.object[exc.start]:02X} at offset {exc.start}"
        )
    if isinstance(exc, OSError):
        return ReaderError(f"{stopped}cannot be read: {os_reason(exc)}")
    if isinstance(exc, _EXPECTED):
        return ReaderError(f"{stopped}{exc}") if stopped else exc
    if isinstance(exc, RecursionError | MemoryError):
        log.warning("reading %s failed: %r", source, exc)
        return ReaderError(f"{stopped}too large or too deeply nested to read ({exc!r})")
    log.error("reading %s failed", source, exc_info=exc)
    return ReaderError(f"{stopped}internal error (please report it): {exc!r}")


def os_reason(exc: BaseException) -> str:
    """``permission denied (/data/box-1/record.json)``: the reason, and the file it concerns."""
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror[0].lower() + exc.strerror[1:]
        return f"{reason} ({exc.filename})" if exc.filename else reason
    return str(exc) or exc.__class__.__name__
