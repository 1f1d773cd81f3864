"""Input readers: turn what ingest is given into records.

Pure functions from ``str`` to data; they never open files. Two formats:

* ``read_page_text`` -- Digital Archive page text (and ``record.txt`` in that layout);
* ``read_json_records`` -- JSON records: one object, an array, or JSON Lines
  (format: docs/json-records.md); ``iter_json_lines`` reads JSON Lines lazily
  (``json_lines`` and ``read_json_line`` are its two halves, for parsing elsewhere).

Both return ``ReadResult`` (a record plus warnings about what the input lacked);
input that cannot become a record is a ``ReaderError``. Every reader holds its record
to ``Limits`` (field sizes and counts, settings ``[records]``): a record over a limit
is a ``ReaderError`` naming it.
"""

from metadata.readers.json_record import (
    JsonLine,
    iter_json_lines,
    json_lines,
    read_json_line,
    read_json_records,
)
from metadata.readers.limits import DEFAULT_LIMITS, Limits, record_problems
from metadata.readers.page_text import read_page_text
from metadata.readers.result import ReaderError, ReadResult

__all__ = [
    "DEFAULT_LIMITS",
    "JsonLine",
    "Limits",
    "ReadResult",
    "ReaderError",
    "iter_json_lines",
    "json_lines",
    "read_json_line",
    "read_json_records",
    "read_page_text",
    "record_problems",
]
