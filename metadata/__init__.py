"""The record model: archival references, the record, crosswalks and input readers.

Pure code: nothing in this package opens a file, a socket or a database.
"""
