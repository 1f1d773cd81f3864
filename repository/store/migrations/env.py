"""Alembic environment: runs the migrations over the same async engine Opis uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from repository.store.engine import create_engine
from repository.store.migrate import schema_owned
from repository.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=schema_owned,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = context.config.get_main_option("opis.url")
    if url is None:  # migrate.config() always sets it
        raise RuntimeError("opis.url is not set: run the migrations with `opis db upgrade`")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


asyncio.run(_main())
