"""The IIIF Change Discovery log.

Existing documents with page images get a Create activity each, in datestamp order and
carrying their datestamp, so the stream starts out describing the repository as it is.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    activities = op.create_table(
        "activities",
        sa.Column("id", ID, primary_key=True),
        sa.Column("record_id", ID, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=True, unique=True),
        sa.Column("datestamp", sa.BigInteger, nullable=True),
    )
    op.create_index(
        "ix_activities_pending",
        "activities",
        ["id"],
        sqlite_where=sa.text("position IS NULL"),
        postgresql_where=sa.text("position IS NULL"),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, datestamp FROM records WHERE NOT deleted AND datestamp IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM pages WHERE pages.record_id = records.id) "
            "ORDER BY datestamp, id"
        )
    ).all()
    if rows:
        op.bulk_insert(
            activities,
            [
                {"record_id": r.id, "kind": "Create", "position": n, "datestamp": r.datestamp}
                for n, r in enumerate(rows)
            ],
        )
        bind.execute(
            sa.text("INSERT INTO meta (name, value) VALUES ('activity_position', :n)"),
            {"n": str(len(rows))},
        )


def downgrade() -> None:
    op.drop_table("activities")
    op.execute("DELETE FROM meta WHERE name = 'activity_position'")
