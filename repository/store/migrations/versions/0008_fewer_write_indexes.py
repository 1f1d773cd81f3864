"""Fewer index pages written for each new record.

``ix_records_locator`` is dropped: nothing looks records up by locator (a new record's
key is found by key, see store/writes.py). ``memberships`` is keyed by record first,
``(record_id, spec)`` rather than ``(spec, record_id)``: new records have growing ids,
so their rows go at the end of that index instead of at thousands of places spread over
it, and the key also serves what ``ix_memberships_record`` did, which is dropped. Lists
by set use ``ix_memberships_spec_datestamp`` as before. Once the indexes outgrow the
writer's page cache, every insert at a random place costs a page read and a page
written: ingest of a million records took 12-18% less time (a pair of runs in each order).

SQLite cannot change a primary key in place, so there the table is copied.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
PENDING = sa.text("datestamp IS NULL")


def upgrade() -> None:
    op.drop_index("ix_records_locator", table_name="records")
    if op.get_bind().dialect.name == "sqlite":
        _copy_memberships(("record_id", "spec"))
    else:
        op.drop_constraint("memberships_pkey", "memberships", type_="primary")
        op.create_primary_key("memberships_pkey", "memberships", ["record_id", "spec"])
        op.drop_index("ix_memberships_record", table_name="memberships")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _copy_memberships(("spec", "record_id"))
    else:
        op.drop_constraint("memberships_pkey", "memberships", type_="primary")
        op.create_primary_key("memberships_pkey", "memberships", ["spec", "record_id"])
    op.create_index("ix_memberships_record", "memberships", ["record_id"])
    op.create_index("ix_records_locator", "records", ["locator"])


def _copy_memberships(key: tuple[str, str]) -> None:
    """``memberships`` again with the primary key ``key``, rows copied in its order."""
    op.create_table(
        "memberships_new",
        sa.Column("record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("member", sa.Boolean, nullable=False),
        sa.Column("datestamp", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint(*key),
    )
    op.execute(
        "INSERT INTO memberships_new (record_id, spec, member, datestamp) "
        f"SELECT record_id, spec, member, datestamp FROM memberships ORDER BY {', '.join(key)}"
    )
    op.drop_table("memberships")
    op.rename_table("memberships_new", "memberships")
    op.create_index(
        "ix_memberships_spec_datestamp", "memberships", ["spec", "datestamp", "record_id"]
    )
    op.create_index(
        "ix_memberships_pending",
        "memberships",
        ["record_id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
