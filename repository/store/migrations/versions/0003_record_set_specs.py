"""Each record's current sets, kept on the record so a page of OAI headers is one query.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("set_specs", sa.Text, nullable=False, server_default=""))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT record_id, spec FROM memberships WHERE member ORDER BY record_id, spec")
    )
    specs: dict[int, list[str]] = {}
    for record_id, spec in rows:
        specs.setdefault(record_id, []).append(spec)
    update = sa.text("UPDATE records SET set_specs = :specs WHERE id = :id")
    items = [{"id": i, "specs": " ".join(s)} for i, s in specs.items()]
    for start in range(0, len(items), 1000):
        bind.execute(update, items[start : start + 1000])


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("set_specs")
