"""The tables. One design for SQLite and PostgreSQL: only portable column types.

Times are integers (microseconds since the epoch, UTC) so that ordering, comparison and
the OAI datestamp arithmetic are exact and identical on both backends.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

metadata = MetaData()

# Row ids: 64-bit on PostgreSQL; on SQLite INTEGER, which is what makes a column the rowid.
ID = BigInteger().with_variant(Integer, "sqlite")


def record_id(*, primary_key: bool = False) -> Column[int]:
    """A column naming a record, gone with it (ON DELETE CASCADE)."""
    return Column(
        "record_id",
        ID,
        ForeignKey("records.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


# Small named values: the datestamp clock, the token secret, the render version.
meta = Table(
    "meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per document ever ingested; deleted documents stay as tombstones.
# ``datestamp`` is NULL while a change is committed but not yet stamped (see clock.py).
records = Table(
    "records",
    metadata,
    Column("id", ID, primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("locator", Text, nullable=False),
    Column("identity", Text, nullable=False, unique=True),
    Column("datestamp", BigInteger, nullable=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
    Column("render_version", String(64), nullable=False),
    # The record's JSON, compressed (bodies.py). SQLite keeps the column's declared type
    # from before compression: it stores bytes in a TEXT column as they are, and changing
    # a declared type means rebuilding the table (which cascades to every other table).
    Column("data", LargeBinary().with_variant(Text, "sqlite"), nullable=False),
    Column("created", BigInteger, nullable=False),
    # The sets the record is a member of, space-separated: what every OAI header lists,
    # kept here so a page of headers is one query.
    Column("set_specs", Text, nullable=False, server_default=""),
    Index("ix_records_datestamp", "datestamp", "id"),
    Index(
        "ix_records_pending",
        "id",
        sqlite_where=text("datestamp IS NULL"),
        postgresql_where=text("datestamp IS NULL"),
    ),
)

# Set membership, one row per set a record is or was in (ancestors included, so a
# parent set is one index range). ``member`` false = the record left the set: set
# harvests show it as deleted. ``datestamp`` mirrors the record's, for ordered scans.
# Keyed by record first: a new record's rows go at the end of the key (migration 0008).
memberships = Table(
    "memberships",
    metadata,
    record_id(primary_key=True),
    Column("spec", Text, primary_key=True),
    Column("member", Boolean, nullable=False),
    Column("datestamp", BigInteger, nullable=True),
    Index("ix_memberships_spec_datestamp", "spec", "datestamp", "record_id"),
    Index(
        "ix_memberships_pending",
        "record_id",
        sqlite_where=text("datestamp IS NULL"),
        postgresql_where=text("datestamp IS NULL"),
    ),
)

# How many rows ``records`` has (name "") and ``memberships`` has for each set spec, kept
# as rows are inserted, so a full list's size is known without counting (counts.py).
row_counts = Table(
    "row_counts",
    metadata,
    Column("name", Text, primary_key=True),
    Column("rows", BigInteger, nullable=False),
)

# The set tree: archives, fonds, opisi ... and named collections.
sets = Table(
    "sets",
    metadata,
    Column("spec", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
)

# Metadata rendered when the record is written: serving is assembling stored bytes.
# ``body`` is compressed (bodies.py).
renditions = Table(
    "renditions",
    metadata,
    record_id(primary_key=True),
    Column("format", String(32), primary_key=True),
    Column("body", LargeBinary, nullable=False),
)

# Compression dictionaries for stored bodies (bodies.py): added, never replaced, since
# each compressed body names the one it needs. ``id`` is zstd's own dictionary id.
dictionaries = Table(
    "dictionaries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("format", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created", BigInteger, nullable=False),
)

# Page images, content-addressed: the id is the SHA-256 of the input bytes.
images = Table(
    "images",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("format", String(16), nullable=False),
    Column("levels", Text, nullable=False),
    Column("sizes", Text, nullable=False),
    Column("created", BigInteger, nullable=False),
)

pages = Table(
    "pages",
    metadata,
    record_id(primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("image_id", String(64), ForeignKey("images.id"), nullable=False),
    Column("label", Text, nullable=True),
    Index("ix_pages_image", "image_id"),
)

# What happened to each manifest, in the order it became visible: the IIIF Change
# Discovery stream. ``position`` and ``datestamp`` are given by the stamp transaction
# (NULL until then), so positions follow visibility and a full page never changes.
activities = Table(
    "activities",
    metadata,
    Column("id", ID, primary_key=True),
    record_id(),
    Column("kind", String(8), nullable=False),
    Column("position", BigInteger, nullable=True, unique=True),
    Column("datestamp", BigInteger, nullable=True),
    Index(
        "ix_activities_pending",
        "id",
        sqlite_where=text("position IS NULL"),
        postgresql_where=text("position IS NULL"),
    ),
)

# Page text (ALTO, PAGE XML): one row per line, in reading order, with its box and its
# words' boxes (JSON ``[[text, x, y, w, h], ...]``, "" when the file had none), in the
# stored image's pixels. ``folded`` is the line's words folded for search
# (search/text.py). Searched through SQLite's FTS5 table ``search_page_fts`` (see
# below) or PostgreSQL's GIN index over ``tsv``.
page_lines = Table(
    "page_lines",
    metadata,
    Column("id", ID, primary_key=True),
    record_id(),
    Column("seq", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("folded", Text, nullable=False),
    Column("box", String(64), nullable=False),
    Column("words", Text, nullable=False),
    Column("language", String(35), nullable=True),
    # PostgreSQL: the line's words with positions and the tag lexeme ``r:<record_id>``,
    # so one GIN lookup finds a phrase in one record (NULL on SQLite)
    Column("tsv", Text().with_variant(TSVECTOR(), "postgresql"), nullable=True),
    Index("ix_page_lines_record", "record_id", "seq", "n", unique=True),
)
# PostgreSQL's GIN index over ``tsv`` is made by DDL (here and in migration 0004), not
# declared on the table: SQLite has none, and schema comparisons leave it out on both
# (migrate.schema_owned).
PAGE_TSV_INDEX = "CREATE INDEX IF NOT EXISTS ix_page_lines_tsv ON page_lines USING gin (tsv)"
_tsv_index = DDL(PAGE_TSV_INDEX)  # type: ignore[no-untyped-call]
event.listen(page_lines, "after_create", _tsv_index.execute_if(dialect="postgresql"))

# SQLite: the FTS5 index over ``folded``, an external-content table. New lines are
# indexed by one statement per record (page_text.index_lines; ``opis db copy`` rebuilds
# the whole index), which costs a quarter of a trigger's row-by-row inserts; deletes
# and updates are kept by triggers, so a line never leaves the index stale, however
# it goes (a cascade included). Named search_* so that schema comparisons leave it
# (and its shadow tables) alone.
PAGE_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_page_fts USING fts5(folded, "
    "content='page_lines', content_rowid='id', "
    "tokenize = 'unicode61 remove_diacritics 2', detail = full)",
    "CREATE TRIGGER IF NOT EXISTS page_lines_ad AFTER DELETE ON page_lines BEGIN "
    "INSERT INTO search_page_fts(search_page_fts, rowid, folded) "
    "VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER IF NOT EXISTS page_lines_au AFTER UPDATE ON page_lines BEGIN "
    "INSERT INTO search_page_fts(search_page_fts, rowid, folded) "
    "VALUES ('delete', old.id, old.folded); "
    "INSERT INTO search_page_fts(rowid, folded) VALUES (new.id, new.folded); END",
)
for _statement in PAGE_FTS_DDL:
    _ddl = DDL(_statement)  # type: ignore[no-untyped-call]
    event.listen(page_lines, "after_create", _ddl.execute_if(dialect="sqlite"))

# The words of each document's page text with their counts: autocomplete is one index
# range over (record_id, term).
page_terms = Table(
    "page_terms",
    metadata,
    record_id(primary_key=True),
    Column("term", Text, primary_key=True),
    Column("count", Integer, nullable=False),
)
