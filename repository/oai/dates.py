"""UTCdatetime values: the two forms the protocol allows, and nothing else.

Datestamps are kept in microseconds; the repository's granularity is seconds, so a
datestamp is shown truncated to its second and ``from``/``until`` cover whole seconds
(``until`` a whole day when given as a date): bounds are inclusive. Any date the two
forms can write (years 0001 to 9999) gives a bound; the arithmetic is done in integers,
so the end of 9999 is no overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from repository.oai.errors import OAIError
from repository.store.clock import format_us

__all__ = ["format_us", "lower_bound", "parse", "upper_bound"]

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND_US = 1_000_000
_DAY_US = 86_400 * _SECOND_US


def parse(value: str, name: str) -> tuple[datetime, str]:
    """A ``from``/``until`` argument and its granularity, or badArgument."""
    try:
        if _DAY.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), DAY
        if _SECONDS.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), SECONDS
    except ValueError:
        pass
    raise OAIError(
        "badArgument",
        f"{name} must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ)",
    )


def lower_bound(moment: datetime) -> int:
    """The first microsecond ``from`` covers; no datestamp precedes 1970, so none earlier."""
    return max(0, _to_us(moment))


def upper_bound(moment: datetime, granularity: str) -> int:
    """The last microsecond that ``until`` covers: the whole second, or the whole day.

    Counted in integers, not datetimes: ``until=9999-12-31`` covers up to the end of
    9999, a moment ``datetime`` cannot hold.
    """
    span = _DAY_US if granularity == DAY else _SECOND_US
    return _to_us(moment) + span - 1


def _to_us(moment: datetime) -> int:
    """Microseconds since 1970 (negative before it); any datetime fits."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
