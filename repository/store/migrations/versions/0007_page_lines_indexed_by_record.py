"""SQLite: new page text lines are indexed one record at a time, not by a trigger.

The insert trigger indexed each line by its own statement, four times the cost of one
``INSERT ... SELECT`` per record (store/page_text.py). Lines already indexed stay as
they are.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INSERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS page_lines_ai AFTER INSERT ON page_lines BEGIN "
    "INSERT INTO search_page_fts(rowid, folded) VALUES (new.id, new.folded); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS page_lines_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(INSERT_TRIGGER)
