"""Schema versions: a fresh database gets the current schema at once; an older one is
brought up to date by ``opis db upgrade`` (Alembic), never behind the user's back.

Opening a store whose schema is behind refuses to start with a message that names the
command, because several workers or processes upgrading at once is how data gets lost.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from repository.store.errors import StoreError
from repository.store.schema import metadata

SCRIPTS = Path(__file__).resolve().parent / "migrations"
FIRST = "0001"
version_table = Table(
    "alembic_version", MetaData(), Column("version_num", String(32), primary_key=True)
)


def schema_owned(name: str | None, type_: str, parent_names: NameFilterParentNames) -> bool:
    """What migrations manage: everything but the search index, which the store builds and
    rebuilds itself (store/search.py) because it is derived from the records. The page
    text's GIN index exists on PostgreSQL only (SQLite has ``search_page_fts``), so the
    comparison leaves it out on both (migration 0004 makes it)."""
    if type_ == "index" and name in POSTGRESQL_ONLY_INDEXES:
        return False
    return not (type_ == "table" and (name or "").startswith("search_"))


POSTGRESQL_ONLY_INDEXES = frozenset({"ix_page_lines_tsv"})


class SchemaOutdated(StoreError):
    """The database was written by an older Opis; ``opis db upgrade`` brings it up to date."""


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("opis.url", url)
    return cfg


@functools.cache
def head() -> str:
    found = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    if found is None:  # only an empty migrations folder has no head
        raise StoreError(f"no migrations in {SCRIPTS}")
    return found


async def ensure(conn: AsyncConnection) -> None:
    """Create the schema in an empty database; refuse one that needs an upgrade."""
    tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    if "records" not in tables:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(version_table.create, checkfirst=True)
        await conn.execute(version_table.delete())
        await conn.execute(version_table.insert().values(version_num=head()))
        return
    current = await version(conn, tables)
    if current != head():
        raise SchemaOutdated(
            f"the database schema is at revision {current}, this Opis needs {head()}: "
            "run `opis db upgrade` (with the same --config) first"
        )


async def version(conn: AsyncConnection, tables: set[str]) -> str:
    if "alembic_version" not in tables:
        return FIRST  # written before migrations were recorded: the first schema
    return (await conn.execute(select(version_table.c.version_num))).scalar() or FIRST


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (run outside any event loop)."""
    import asyncio

    from repository.store.engine import create_engine

    async def current() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
                if "records" not in tables:
                    return None
                return await version(conn, tables) if "alembic_version" in tables else FIRST
        finally:
            await engine.dispose()

    found = asyncio.run(current())
    cfg = config(url)
    if found == FIRST:
        command.stamp(cfg, FIRST)  # a database from before migrations were recorded
    command.upgrade(cfg, revision)
