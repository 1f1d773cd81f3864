"""Kept row counts (records, and memberships by set), so a full list's size is known
without counting it (store/counts.py).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "row_counts",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO row_counts (name, rows) SELECT '', count(*) FROM records")
    op.execute(
        "INSERT INTO row_counts (name, rows) SELECT spec, count(*) FROM memberships GROUP BY spec"
    )


def downgrade() -> None:
    op.drop_table("row_counts")
