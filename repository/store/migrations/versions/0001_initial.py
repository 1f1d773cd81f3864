"""The first schema: records, sets, memberships, renditions, images, pages.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", ID, primary_key=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("locator", sa.Text, nullable=False),
        sa.Column("identity", sa.Text, nullable=False, unique=True),
        sa.Column("datestamp", sa.BigInteger, nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("render_version", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_records_datestamp", "records", ["datestamp", "id"])
    op.create_index("ix_records_locator", "records", ["locator"])
    op.create_index(
        "ix_records_pending",
        "records",
        ["id"],
        sqlite_where=sa.text("datestamp IS NULL"),
        postgresql_where=sa.text("datestamp IS NULL"),
    )
    op.create_table(
        "memberships",
        sa.Column("spec", sa.Text, primary_key=True),
        sa.Column(
            "record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("member", sa.Boolean, nullable=False),
        sa.Column("datestamp", sa.BigInteger, nullable=True),
    )
    op.create_index(
        "ix_memberships_spec_datestamp", "memberships", ["spec", "datestamp", "record_id"]
    )
    op.create_index("ix_memberships_record", "memberships", ["record_id"])
    op.create_index(
        "ix_memberships_pending",
        "memberships",
        ["record_id"],
        sqlite_where=sa.text("datestamp IS NULL"),
        postgresql_where=sa.text("datestamp IS NULL"),
    )
    op.create_table(
        "sets",
        sa.Column("spec", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "renditions",
        sa.Column(
            "record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("format", sa.String(32), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("sizes", sa.Text, nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pages",
        sa.Column(
            "record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("image_id", sa.String(64), sa.ForeignKey("images.id"), nullable=False),
        sa.Column("label", sa.Text, nullable=True),
    )
    op.create_index("ix_pages_image", "pages", ["image_id"])


def downgrade() -> None:
    for table in ("pages", "images", "renditions", "sets", "memberships", "records", "meta"):
        op.drop_table(table)
