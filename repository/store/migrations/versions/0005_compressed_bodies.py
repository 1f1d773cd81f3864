"""Stored bodies compressed: a ``dictionaries`` table; every rendition and every
record's JSON (``records.data``, now binary) rewritten as a zstd frame.

Each format's dictionary is trained on a sample of the store's own bodies
(store/bodies.py), then every body is rewritten in chunks, in key order. What is served
does not change, so no datestamp moves.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Callable
from typing import Any

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
    if bind.dialect.name == "postgresql":  # SQLite keeps bytes in a TEXT column as they are
        op.execute(
            "ALTER TABLE records ALTER COLUMN data TYPE bytea USING convert_to(data, 'UTF8')"
        )
    _train(bind, "SELECT format, body FROM renditions ORDER BY record_id DESC LIMIT :n")
    _train(bind, f"SELECT '{bodies.RECORD}', data FROM records ORDER BY id DESC LIMIT :n")
    _rewrite(bind, "renditions", ("record_id", "format"), "body", _pack)
    _rewrite(bind, "records", ("id",), "data", _pack)


def downgrade() -> None:
    bind = op.get_bind()
    bodies.learn((r.id, r.data) for r in bind.execute(sa.text("SELECT id, data FROM dictionaries")))
    _rewrite(bind, "renditions", ("record_id", "format"), "body", _unpack)
    _rewrite(bind, "records", ("id",), "data", _unpack)
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE records ALTER COLUMN data TYPE text USING convert_from(data, 'UTF8')"
        )
    else:
        op.execute("UPDATE records SET data = CAST(data AS TEXT)")
    op.drop_table("dictionaries")


def _train(bind: sa.Connection, query: str) -> None:
    """One dictionary per format, trained on its newest bodies."""
    samples: dict[str, list[bytes]] = {}
    for fmt, body in bind.execute(sa.text(query), {"n": bodies.TRAIN_MAX * 8}):
        samples.setdefault(fmt, []).append(_bytes(body))
    for fmt, some in samples.items():
        if len(some) >= bodies.TRAIN_AT:
            bodies.pack_sync(bind, [{"format": fmt, "body": b} for b in some])


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _pack(bind: sa.Connection, rows: list[dict[str, Any]]) -> None:
    rows[:] = [r for r in rows if not bodies.is_frame(r["body"])]
    bodies.pack_sync(bind, rows)


def _unpack(bind: sa.Connection, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        r["body"] = bodies.unpack_known(r["body"])


def _rewrite(
    bind: sa.Connection,
    table: str,
    key: tuple[str, ...],
    column: str,
    change: Callable[[sa.Connection, list[dict[str, Any]]], None],
) -> None:
    """Rewrite ``column`` of every row, in chunks in key order."""
    keys = ", ".join(key)
    marks = ", ".join(f":k{n}" for n in range(len(key)))
    fmt = "format" if table == "renditions" else f"'{bodies.RECORD}'"
    select = sa.text(
        f"SELECT {keys}, {fmt} AS fmt, {column} AS body FROM {table} "
        f"WHERE ({keys}) > ({marks}) ORDER BY {keys} LIMIT {CHUNK}"
    )
    where = " AND ".join(f"{k} = :k{n}" for n, k in enumerate(key))
    update = sa.text(f"UPDATE {table} SET {column} = :body WHERE {where}")
    after = {f"k{n}": v for n, v in enumerate((-1, "")[: len(key)])}
    while True:
        found = bind.execute(select, after).all()
        if not found:
            return
        after = {f"k{n}": found[-1][n] for n in range(len(key))}
        rows = [
            {**{f"k{n}": r[n] for n in range(len(key))}, "format": r.fmt, "body": _bytes(r.body)}
            for r in found
        ]
        change(bind, rows)
        if rows:
            bind.execute(update, [{k: v for k, v in r.items() if k != "format"} for r in rows])
