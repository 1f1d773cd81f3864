"""The search index's own tables, kept apart from the migrated schema.

Everything here is derived from ``records`` and can be rebuilt from it at any time, so
it lives on its own ``MetaData``: ``search.create`` makes the tables when they are
missing and rebuilds them when ``search.VERSION`` changes, instead of a migration
(``opis db copy`` rebuilds them too, in the destination's own form). Only live records
have rows; deleting a record removes them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

from repository.store.schema import ID

search_metadata = MetaData()

# One row per live record: the facet values (grouped over a result set without touching
# the record's JSON), the creation time (recent additions), and on PostgreSQL the words
# and tags as a tsvector (SQLite keeps those in the FTS5 table ``search_fts``).
search_docs = Table(
    "search_docs",
    search_metadata,
    Column("record_id", ID, primary_key=True, autoincrement=False),
    Column("created", BigInteger, nullable=False),
    Column("archive", Text, nullable=False),
    Column("fond", Text, nullable=False),
    Column("decade", Text, nullable=False),
    Column("year", Text, nullable=False),
    Column("languages", Text, nullable=False),  # packed, search_document.SEPARATOR
    Column("types", Text, nullable=False),
    Column("tsv", Text().with_variant(TSVECTOR(), "postgresql"), nullable=True),
    # SQLite: the values the contentless ``search_fts`` indexed, compressed, since it
    # needs them back to delete them (search/sqlite.py)
    Column("words", LargeBinary, nullable=True),
    Index("ix_search_docs_created", "created", "record_id"),
    Index("ix_search_docs_tsv", "tsv", postgresql_using="gin").ddl_if(dialect="postgresql"),
)

# The archival tree over live records: one row per (parent, child) step of each record's
# key, and (its own container, "") for the record itself. Children of a container with
# their counts, and the documents filed directly in it, are both one index range, and
# only equality is compared, so the answers do not depend on the database's collation.
search_tree = Table(
    "search_tree",
    search_metadata,
    Column("parent", Text, primary_key=True),
    Column("child", Text, primary_key=True),
    Column("record_id", ID, primary_key=True, autoincrement=False),
    Index("ix_search_tree_record", "record_id"),
    sqlite_with_rowid=False,
)
