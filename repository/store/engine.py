"""Connections: one async engine per database URL, with the per-dialect set-up in one place.

SQLite runs in WAL mode (readers never wait for the writer) with explicit transactions:
read transactions keep one snapshot across statements, write transactions start with
``BEGIN IMMEDIATE`` so writers queue instead of failing half-way. PostgreSQL read
transactions that must see one snapshot use REPEATABLE READ.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from repository.store.errors import StoreUnavailable

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """Map the user's URL (``sqlite:///x.db``, ``postgresql://...``) to its async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    return str(parsed.set(drivername=_DRIVERS[backend]).render_as_string(hide_password=False))


def create_engine(url: str, *, pool_size: int = 8) -> AsyncEngine:
    target = async_url(url)
    if target.startswith("sqlite"):
        engine = create_async_engine(target, pool_size=pool_size, max_overflow=24, pool_timeout=10)
        _configure_sqlite(engine)
    else:
        try:
            import asyncpg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StoreUnavailable(
                "PostgreSQL needs the asyncpg driver: pip install 'opis[postgres]'"
            ) from exc
        engine = create_async_engine(
            target,
            pool_size=pool_size,
            max_overflow=8,
            pool_pre_ping=True,
            pool_timeout=10,
            connect_args={"timeout": 10, "command_timeout": 60},
        )
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=60000",
            "PRAGMA foreign_keys=ON",
            "PRAGMA cache_size=-2048",
            "PRAGMA temp_store=MEMORY",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that holds the write lock from its first statement (SQLite)."""
    async with engine.connect() as conn:
        if is_sqlite(engine):
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            yield conn


@asynccontextmanager
async def read_snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction whose statements all see the same committed state."""
    async with engine.connect() as conn:
        if not is_sqlite(engine):
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn


async def insert_missing(conn: AsyncConnection, table: Any, rows: list[dict]) -> None:
    """Insert rows whose primary key is not there yet (concurrent writers may race)."""
    if not rows:
        return
    if is_sqlite(conn.engine):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    await conn.execute(insert(table).on_conflict_do_nothing(), rows)
