"""Errors that belong to one record: the record's fault, reported for it alone.

Whoever writes records (ingest, harvest, the write API) catches ``RecordError`` and
reports that record as failed with the message. Any other exception raised while a
record is keyed or rendered is a fault in Opis, and is logged as one.
"""

from __future__ import annotations


class RecordError(ValueError):
    """This record cannot be stored as it is; the message says why."""


class UnkeyableReference(RecordError):
    """The reference cannot be spelled as a key (an archive code or level no key has)."""


class RenderError(RecordError):
    """A crosswalk or the manifest builder cannot represent this record."""
