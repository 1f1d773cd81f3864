"""Page text (ALTO, PAGE XML): lines with their boxes, a full-text index, and terms.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from repository.store.schema import PAGE_FTS_DDL, PAGE_TSV_INDEX

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "page_lines",
        sa.Column("id", ID, primary_key=True),
        sa.Column("record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("folded", sa.Text, nullable=False),
        sa.Column("box", sa.String(64), nullable=False),
        sa.Column("words", sa.Text, nullable=False),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("tsv", sa.Text().with_variant(TSVECTOR(), "postgresql"), nullable=True),
    )
    op.create_index("ix_page_lines_record", "page_lines", ["record_id", "seq", "n"], unique=True)
    op.create_table(
        "page_terms",
        sa.Column(
            "record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("term", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PAGE_TSV_INDEX)
    else:
        for statement in PAGE_FTS_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for name in ("page_lines_ai", "page_lines_ad", "page_lines_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_page_fts")
    op.drop_table("page_terms")
    op.drop_table("page_lines")
