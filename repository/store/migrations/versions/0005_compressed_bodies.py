"""Stored bodies compressed: a ``dictionaries`` table, and every rendition recompressed.

Each format's dictionary is trained on a sample of its stored bodies (store/bodies.py),
then every body is rewritten as a zstd frame in chunks, in key order. What is served
does not change, so no datestamp moves.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from repository.store import bodies

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 2000


def upgrade() -> None:
    op.create_table(
        "dictionaries",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
    )
    bind = op.get_bind()
    samples: dict[str, list[bytes]] = {}
    for fmt, body in bind.execute(
        sa.text("SELECT format, body FROM renditions ORDER BY record_id DESC LIMIT :n"),
        {"n": bodies.TRAIN_MAX * 8},
    ):
        samples.setdefault(fmt, []).append(bytes(body))
    # Train on the newest bodies of each format first (one pack call per format).
    for fmt, some in samples.items():
        if len(some) >= bodies.TRAIN_AT:
            bodies.pack_sync(bind, [{"format": fmt, "body": b} for b in some])
    select = sa.text(
        "SELECT record_id, format, body FROM renditions WHERE (record_id, format) > (:rid, :fmt) "
        "ORDER BY record_id, format LIMIT :n"
    )
    update = sa.text("UPDATE renditions SET body = :body WHERE record_id = :rid AND format = :fmt")
    after: tuple[int, str] = (-1, "")
    while True:
        found = bind.execute(select, {"rid": after[0], "fmt": after[1], "n": CHUNK}).all()
        if not found:
            return
        after = (found[-1].record_id, found[-1].format)
        rows = [
            {"rid": r.record_id, "fmt": r.format, "format": r.format, "body": bytes(r.body)}
            for r in found
            if not bodies.is_frame(bytes(r.body))
        ]
        bodies.pack_sync(bind, rows)
        if rows:
            bind.execute(
                update, [{"rid": r["rid"], "fmt": r["fmt"], "body": r["body"]} for r in rows]
            )


def downgrade() -> None:
    bind = op.get_bind()
    select = sa.text(
        "SELECT record_id, format, body FROM renditions WHERE (record_id, format) > (:rid, :fmt) "
        "ORDER BY record_id, format LIMIT :n"
    )
    update = sa.text("UPDATE renditions SET body = :body WHERE record_id = :rid AND format = :fmt")
    known = bind.execute(sa.text("SELECT id, data FROM dictionaries"))
    bodies.learn((r.id, r.data) for r in known)
    after: tuple[int, str] = (-1, "")
    while True:
        found = bind.execute(select, {"rid": after[0], "fmt": after[1], "n": CHUNK}).all()
        if not found:
            break
        after = (found[-1].record_id, found[-1].format)
        rows = [
            {"rid": r.record_id, "fmt": r.format, "body": bodies.unpack_known(bytes(r.body))}
            for r in found
        ]
        bind.execute(update, rows)
    op.drop_table("dictionaries")
