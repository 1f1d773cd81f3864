"""Errors the store raises; the web layer maps them to HTTP statuses."""


class StoreError(Exception):
    """Something the caller asked of the store that cannot be done."""


class StoreUnavailable(StoreError):
    """The database cannot be reached now (the web layer answers 503)."""


class NotFound(StoreError):
    """No record under that key."""


class Conflict(StoreError):
    """Another writer changed the same rows at the same moment; the write can be sent again."""
