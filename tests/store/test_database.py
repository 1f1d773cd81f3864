"""Schema migrations and moving a repository between SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from repository.intake.demo import page_image
from repository.keys import STORE
from repository.store import Store
from repository.store.migrate import SchemaOutdated, config, head, schema_owned, upgrade
from repository.store.schema import memberships, meta, metadata, records
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.live import LiveServer, ingest, make_settings, settings_environ
from tests.oai_client import harvest


def _inspected(url: str, look):
    """``look(connection)`` on a synchronous connection to the database at ``url``."""

    async def run():
        store = Store(url)
        try:
            async with store.engine.connect() as conn:
                return await conn.run_sync(look)
        finally:
            await store.close()

    return asyncio.run(run())


def _diff(url: str) -> list:
    return _inspected(
        url,
        lambda c: compare_metadata(
            MigrationContext.configure(c, opts={"include_name": schema_owned}), metadata
        ),
    )


def test_migrations_build_exactly_the_schema_the_code_expects(database_url):
    upgrade(database_url)
    assert _diff(database_url) == []
    # Alembic's comparison does not look at primary keys: the one that matters, here
    assert _memberships_key(database_url) == ["record_id", "spec"]
    asyncio.run(_open_close(database_url))  # and the store accepts it as current


def _memberships_key(url: str) -> list[str]:
    return _inspected(
        url, lambda c: inspect(c).get_pk_constraint("memberships")["constrained_columns"]
    )


async def _open_close(url: str) -> None:
    store = await Store(url).open()
    await store.close()


def test_an_upgrade_from_the_previous_schema_keeps_every_record(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data")
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 9, op. 1, d. 1", "title": "With a page"})
    )
    (folder / "001.jpg").write_bytes(page_image(["one"], seed=1, title="p"))
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"reference": f"GARF, f. 1, op. 1, d. {n}", "title": f"R{n}"})
            for n in range(5)
        )
    )
    assert ingest(settings, [path, folder]).count("added") == 6
    before = _dump(database_url)
    command.downgrade(config(database_url), _revisions()[-2])
    with pytest.raises(SchemaOutdated, match="opis db upgrade"):
        asyncio.run(_open_close(database_url))
    env = {**os.environ, **settings_environ(settings)}
    result = subprocess.run(
        [sys.executable, "-m", "repository", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert _dump(database_url) == before
    assert _diff(database_url) == []
    assert ingest(settings, [path, folder]).count("unchanged") == 6


def _dump(url: str) -> list:
    async def run():
        store = await Store(url).open()
        try:
            async with store.engine.connect() as conn:
                rows = await conn.execute(
                    select(
                        records.c.key, records.c.datestamp, records.c.deleted, records.c.data
                    ).order_by(records.c.key)
                )
                sets = await conn.execute(
                    select(memberships).order_by(memberships.c.record_id, memberships.c.spec)
                )
                return [tuple(r) for r in rows] + [tuple(r) for r in sets]
        finally:
            await store.close()

    return asyncio.run(run())


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from repository.store.migrate import config

    script = ScriptDirectory.from_config(config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_copy_sqlite_to_postgresql_and_back_keeps_everything(tmp_path):
    first = f"sqlite:///{tmp_path}/first.db"
    settings = make_settings(first, tmp_path / "data", oai={"page_size": 4})
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "reference": f"GARF, f. 1, op. {n % 3}, d. {n}",
                    "title": f"Rec {n}",
                    "collections": ["Moved"] if n % 2 else [],
                }
            )
            for n in range(11)
        )
    )
    ingest(settings, [path])
    with LiveServer(settings) as server:
        server.call(server.app[STORE].delete("GARF/f.1/op.1/d.4"))
        server.call(server.app[STORE].stamp())
        before = harvest(server.url("/oai"), "ListRecords", metadataPrefix="oai_dc")
        token = before.pages[0].find("oai:ListRecords/oai:resumptionToken").text
    middle = create_postgres_database()
    last = f"sqlite:///{tmp_path}/last.db"
    try:
        for source, target in ((first, middle), (middle, last)):
            env = {**os.environ, **settings_environ(settings)}
            result = subprocess.run(
                [sys.executable, "-m", "repository", "db", "copy", source, target],
                env=env,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, result.stderr
            assert "11 records" in result.stdout
            moved = make_settings(
                target,
                tmp_path / "data",
                oai={"page_size": 4},
                server={"public_url": settings.base_url},
            )
            with LiveServer(moved) as server:
                after = harvest(server.url("/oai"), "ListRecords", metadataPrefix="oai_dc")
                assert after.headers() == before.headers()
                resumed = harvest(server.url("/oai"), "ListRecords", resumptionToken=token)
                assert len(resumed.items) == len(before.items) - 4
        again = subprocess.run(
            [sys.executable, "-m", "repository", "db", "copy", first, last],
            env=env,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 1 and "already holds records" in again.stderr
    finally:
        drop_postgres_database(middle)


def test_new_rows_after_a_copy_get_fresh_ids(tmp_path):
    first = f"sqlite:///{tmp_path}/first.db"
    settings = make_settings(first, tmp_path / "data")
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"reference": "GARF, f. 2, op. 1, d. 1", "title": "Old"}))
    ingest(settings, [path])
    target = create_postgres_database()
    try:
        from repository.store.copy import copy

        asyncio.run(copy(first, target, lambda *_: None))
        moved = make_settings(target, tmp_path / "data")
        path.write_text(json.dumps({"reference": "GARF, f. 2, op. 1, d. 2", "title": "New"}))
        assert ingest(moved, [path]).count("added") == 1

        async def count():
            store = await Store(target).open()
            async with store.engine.connect() as conn:
                n = (await conn.execute(select(func.count()).select_from(records))).scalar()
            await store.close()
            return n

        assert asyncio.run(count()) == 2
    finally:
        drop_postgres_database(target)


def test_head_is_known():
    assert head() == _revisions()[-1]


def test_a_brief_snapshot_keeps_one_state_while_another_connection_commits(database_url):
    """Brief snapshots (GetRecord, resumed OAI pages) are snapshots on both backends,
    though on SQLite they run on a synchronous connection beside the async engine."""

    async def run() -> list[str | None]:
        store = await Store(database_url).open()
        probe = select(meta.c.value).where(meta.c.name == "probe")
        seen = []
        try:
            await store.set_meta("probe", "before")
            async with store.brief_snapshot() as conn:
                seen.append((await conn.execute(probe)).scalar())
                await store.set_meta("probe", "after")  # committed on another connection
                seen.append((await conn.execute(probe)).scalar())
            async with store.brief_snapshot() as conn:
                seen.append((await conn.execute(probe)).scalar())
        finally:
            await store.close()
        return seen

    assert asyncio.run(run()) == ["before", "before", "after"]


def test_a_read_in_a_thread_returns_what_the_read_returns(database_url):
    """The first page of an OAI list (a count over the repository) runs this way: on
    SQLite in a worker thread, in one hand-off; a read that would wait fails loudly."""

    async def run() -> tuple:
        store = await Store(database_url).open()
        probe = select(meta.c.value).where(meta.c.name == "probe")
        try:
            await store.set_meta("probe", "seen")

            async def read(conn):
                return (await conn.execute(probe)).scalar(), threading.get_ident()

            async def waits(conn):
                await asyncio.sleep(0)
                return (await conn.execute(probe)).scalar()

            value, thread = await store.read_in_thread(read)
            try:
                waited = await store.read_in_thread(waits)
            except RuntimeError as exc:
                waited = str(exc)
            return value, thread != threading.get_ident(), waited
        finally:
            await store.close()

    value, elsewhere, waited = asyncio.run(run())
    assert value == "seen"
    if database_url.startswith("sqlite"):
        assert elsewhere, "SQLite reads it in a worker thread"
        assert waited == "a read on an inline connection waited for something"
    else:
        assert (elsewhere, waited) == (False, "seen")
