"""Dates as the sources write them, turned into ISO 8601 partial dates.

Archival dates are often partial (``July 1945``, ``1952``); the record keeps exactly
the precision the source gives (``1945-07``, ``1952``) and ranges as ``A/B``.
"""

from __future__ import annotations

import calendar
import re

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_MONTH = r"(?P<{0}>[A-Za-z]{{3,9}})\.?"
_DAY = r"(?P<{0}>\d{{1,2}})(?:st|nd|rd|th)?"
_YEAR = r"(?P<{0}>\d{{4}})"

_FORMS = [
    # April 20, 1946 / April 20 1946
    re.compile(rf"{_MONTH.format('m')}\s+{_DAY.format('d')},?\s+{_YEAR.format('y')}"),
    # 20 April 1946 / 20 April, 1946
    re.compile(rf"{_DAY.format('d')}\s+{_MONTH.format('m')},?\s+{_YEAR.format('y')}"),
    # July 1945 / February, 1946
    re.compile(rf"{_MONTH.format('m')},?\s+{_YEAR.format('y')}"),
    # 1952
    re.compile(_YEAR.format("y")),
]
_ISO = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")
_RANGE_SEPARATOR = re.compile(r"\s+(?:-|–|—|to)\s+|\s*[–—]\s*|(?<=\d{4})-(?=\d{4}$)|/")


def _one_date(text: str) -> str | None:
    text = text.strip().rstrip(".").strip()
    iso = _ISO.fullmatch(text)
    if iso:
        return text if validate_iso_date(text) is None else None
    for form in _FORMS:
        match = form.fullmatch(text)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["y"])
        if "m" not in parts:
            return f"{year:04d}"
        month = _MONTHS.get(parts["m"].lower())
        if month is None:
            return None
        if parts.get("d") is None:
            return f"{year:04d}-{month:02d}"
        day = int(parts["d"])
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def parse_display_date(text: str) -> str | None:
    """The ISO form of a displayed date or date range, or None when it is not one.

    ``April 20, 1946`` -> ``1946-04-20``; ``July 1945`` -> ``1945-07``;
    ``April 17, 1946 - April 20, 1946`` -> ``1946-04-17/1946-04-20``.
    """
    text = text.strip()
    if not text or len(text) > 60:
        return None
    single = _one_date(text)
    if single is not None:
        return single
    pieces = _RANGE_SEPARATOR.split(text)
    if len(pieces) == 2:
        start, end = _one_date(pieces[0]), _one_date(pieces[1])
        if start and end and _bounds(start)[0] <= _bounds(end)[1]:
            return f"{start}/{end}"
    return None


def _bounds(iso: str) -> tuple[str, str]:
    """First and last day an ISO partial date covers, for ordering checks."""
    year, _, rest = iso.partition("-")
    if not rest:
        return f"{year}-01-01", f"{year}-12-31"
    month, _, day = rest.partition("-")
    if not day:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"
    return iso, iso


def validate_iso_date(value: str) -> str | None:
    """Why ``value`` is not ISO ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a range ``A/B``.

    None when it is valid; the reason is phrased to follow the field name in an error.
    """
    parts = value.split("/")
    if len(parts) > 2:
        return "a range has exactly one '/'"
    for part in parts:
        match = _ISO.fullmatch(part)
        if not match:
            return f"{part!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
        year, month, day = match["y"], match["m"], match["d"]
        if month is not None and not 1 <= int(month) <= 12:
            return f"{part!r} has no month {month}"
        if day is not None and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            return f"{part!r} has no day {day}"
    if len(parts) == 2 and _bounds(parts[0])[0] > _bounds(parts[1])[1]:
        return "the range ends before it starts"
    return None
