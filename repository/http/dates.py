"""HTTP-dates (RFC 9110 §5.6.7), read and written in one place.

Servers send the preferred form, ``Sun, 06 Nov 1994 08:49:37 GMT``; recipients accept
the two obsolete forms as well (RFC 850 and asctime). A value that is none of them is
not an error to report: the header it came in is ignored.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def parse_http_date(value: str | None) -> datetime | None:
    """The moment an HTTP-date names (timezone-aware, UTC), or None if it is not one."""
    if not value or not value.strip():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime, and "-0000": both mean GMT here
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def http_date(seconds: float) -> str:
    """``Last-Modified`` and friends: seconds since the epoch in the preferred form."""
    return email.utils.formatdate(seconds, usegmt=True)
