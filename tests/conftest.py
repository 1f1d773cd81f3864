"""Shared test helpers: the shared data, and one database fixture for both backends.

``database_url`` runs a test once on SQLite and once on PostgreSQL. PostgreSQL is
reached at ``$OPIS_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
each test gets a fresh database there, dropped afterwards. Without a reachable server
the PostgreSQL half is skipped with the reason (``.ci/run`` always provides one).
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
POSTGRES = os.environ.get("OPIS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str],
    *,
    interval: float = 0.02,
) -> T:
    """Wait for something observable instead of sleeping for a guessed time.

    Calls ``condition`` every ``interval`` seconds until it returns something true, and
    returns that. When ``timeout`` seconds pass first, fails with an AssertionError naming
    what was awaited: ``message``, or what ``message()`` says then (e.g. the last value
    seen). The deadline only bounds a failure: a condition that holds ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"still waiting after {timeout} s for {text}")
        time.sleep(interval)


def fuzz_examples(default: int) -> int:
    """Examples per fuzz test: a short CI run by default, ``OPIS_FUZZ_EXAMPLES`` for long ones."""
    return int(os.environ.get("OPIS_FUZZ_EXAMPLES", default))


def unavailable(reason: str) -> None:
    """Skip for a missing service or tool, with the reason; in CI (OPIS_REQUIRE_ALL) fail."""
    if os.environ.get("OPIS_REQUIRE_ALL"):
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip that names what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"needs {path} (the shared data beside the checkout); not present here",
            allow_module_level=True,
        )
    return path


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed (pip install -e '.[test]')"
    try:
        asyncio.run(_admin("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES} ({exc.__class__.__name__}: {exc})"
    return None


def create_postgres_database() -> str:
    problem = postgres_problem()
    if problem:
        unavailable(problem + "; set OPIS_TEST_POSTGRES or run .ci/run, which starts one")
    name = f"opis_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", autouse=True)
def archive_registry() -> None:
    """The shipped archive registry, installed for every test (the parser needs one), the
    way every Opis process installs it."""
    from repository.settings import Settings, install_registry

    install_registry(Settings())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database: SQLite in the test's folder, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/opis.db"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For the few tests about SQLite itself (files, WAL, processes on one file)."""
    return f"sqlite:///{tmp_path}/opis.db"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Like ``database_url``, shared by the tests of one module (read-only fixtures)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/opis.db"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
