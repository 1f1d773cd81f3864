"""Connections: one async engine per database URL, with the per-dialect set-up in one place.

SQLite runs in WAL mode (readers never wait for the writer) with explicit transactions:
read transactions keep one snapshot across statements, write transactions start with
``BEGIN IMMEDIATE`` so writers queue instead of failing half-way. PostgreSQL read
transactions that must see one snapshot use REPEATABLE READ.

aiosqlite runs every call (cursor, execute, fetch, commit) in a thread of its own and
hands the answer back to the event loop: some ten thread switches for one read, which
cost far more than an indexed SQLite lookup, and each waits behind a busy event loop.
So on SQLite, brief reads (a GetRecord, a resumed OAI page) run at once in the event
loop's thread on a plain synchronous connection (``brief_snapshot``, ``single_statement``),
and longer reads, the stamp and batch writes run on one in a store thread, in one
hand-off (``read_in_thread``, ``write_in_thread``). On PostgreSQL each is the usual
async path.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager, contextmanager
from operator import itemgetter
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from repository.store.errors import Conflict, StoreUnavailable

T = TypeVar("T")
# How long a connection waits for SQLite's lock: writers queue; inline readers (which
# take no lock in WAL mode, but for a crashed writer's recovery) must not stall the loop.
WRITER_BUSY_MS, READER_BUSY_MS = 60_000, 1_000
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
        _configure_sqlite(engine.sync_engine)
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
            # No ping before each use (a round trip on every read): a connection that
            # died with a server restart fails its request with a 503, and SQLAlchemy then
            # replaces every connection older than the failure.
            pool_timeout=10,
            connect_args={"timeout": 10, "command_timeout": 60},
        )
    return engine


def create_inline_engine(url: str, *, writer: bool = False) -> Engine | None:
    """For SQLite files, a synchronous engine whose statements run in the caller's thread.

    Its pool never makes a caller wait (more connections open instead): a wait would
    block the event loop. A reader waits at most a second for a lock (WAL readers take
    none, except while SQLite recovers a crashed writer's log). The ``writer`` engine
    keeps one connection, with the writer's lock wait and page cache (``WRITER_CACHE_KB``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    engine = sqlalchemy.create_engine(
        parsed.set(drivername="sqlite+pysqlite"),
        pool_size=1 if writer else 4,
        max_overflow=-1,
        connect_args={"check_same_thread": False},
    )
    _configure_sqlite(
        engine,
        busy_ms=WRITER_BUSY_MS if writer else READER_BUSY_MS,
        cache_kb=WRITER_CACHE_KB if writer else CACHE_KB,
    )
    return engine


# A connection's page cache: the OS page cache serves reads, and memory stays flat
# however many connections a busy server opens.
CACHE_KB = 2048
# The writer's (one connection a process): a batch of 500 records dirties thousands of
# index pages (keys, identities, sets, the search index) spread over the whole
# store, and the next batch the same ones again; in a small cache SQLite writes them to
# the log before the commit, then again, and reads them back for the next batch.
WRITER_CACHE_KB = 64 << 10

# A commit copies the log back into the database once it holds this many pages (400 MB),
# not SQLite's 1,000. A batch of records dirties pages all over the set, tree and count
# indexes, the next batch many of the same again: the longer the log, the more of those
# are copied back once rather than at each checkpoint, and each checkpoint costs a
# sync. Measured with 100,000 records ingested into stores of 100,000 and 1,000,000
# (bench_harvest's): at 10,000 pages, 48 s and 66 s, with 39 GB written to the disk at a
# million; at 100,000 pages, 44 s and 55 s, 19 GB (250,000: no faster). The price is
# paid by reads while the log is long, since a page in it is read from it: GetRecord's
# lookup took 8.6 us instead of 6.3 with 17,000 pages of records in the log. A bulk
# write ends with a checkpoint of its own (Store.tidy), so its log does not outlive it.
CHECKPOINT_PAGES = 100_000
# Once checkpointed, the log is cut back to this size, so a long log does not keep its
# disk space after the burst of writes that made it.
LOG_KEPT_BYTES = 64 << 20


def _configure_sqlite(
    engine: Engine, *, busy_ms: int = WRITER_BUSY_MS, cache_kb: int = CACHE_KB
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA busy_timeout={busy_ms}",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA cache_size=-{cache_kb}",
            "PRAGMA temp_store=MEMORY",
            f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}",
            f"PRAGMA journal_size_limit={LOG_KEPT_BYTES}",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    # A connection handed back ends the quick reader's shared snapshot before its next read.
    event.listen(engine, "checkin", _changed)


def is_sqlite(engine: AsyncEngine | Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def translated() -> Iterator[None]:
    """The driver's failures as the store's own errors, so no caller needs to know SQLAlchemy.

    A lost or refused connection, a pool that cannot give one, a server shutting down
    (SQLSTATE classes 08 and 57P) or a locked SQLite file is ``StoreUnavailable``; a
    unique key taken by a concurrent writer is ``Conflict``. Anything else is a fault
    and goes up as it is.
    """
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(_first_line(exc)) from exc
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        raise StoreUnavailable(_first_line(exc)) from exc
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None) or ""
        if exc.connection_invalidated or state.startswith(("08", "57P")):
            raise StoreUnavailable(_first_line(exc)) from exc
        raise


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection with no transaction of its own (the caller runs one statement or DDL)."""
    with translated():
        async with engine.connect() as conn:
            yield conn


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that holds the write lock from its first statement (SQLite)."""
    with translated():
        async with engine.connect() as conn:
            if is_sqlite(engine):
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                yield conn


@asynccontextmanager
async def read_snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction whose statements all see the same committed state."""
    with translated():
        async with engine.connect() as conn:
            if not is_sqlite(engine):
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn


class InlineConnection:
    """The part of ``AsyncConnection`` that reads and batch writes use, over a
    synchronous connection.

    ``execute`` returns the same buffered result ``AsyncConnection.execute`` does; it
    never yields to the event loop, so a snapshot's statements run back to back.
    """

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection

    async def execute(
        self, statement: Any, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return self.sync_connection.execute(statement, parameters)

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return self.sync_connection.exec_driver_sql(statement, parameters)

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @property
    def engine(self) -> Engine:
        return self.sync_connection.engine


QUICK_MMAP_BYTES = 1 << 30
# How long the quick reader's reads share one snapshot (see QuickReader).
SHARED_SNAPSHOT_S = 0.01


class _Changes:
    """Connections handed back to their pools by this process's SQLite engines
    (``_configure_sqlite`` counts them). Every write commits before its connection goes
    back, and SQLAlchemy's own commit event comes before the commit lands: so after a
    check-in, a snapshot taken before it may lack a write this process made, and the
    quick reader takes a new one."""

    count = 0


def _changed(*_: Any) -> None:
    _Changes.count += 1


class QuickReader:
    """A plain sqlite3 connection for single-statement reads in the event loop's thread.

    SQLAlchemy's execution (a pooled connection, BEGIN and ROLLBACK, result wrapping)
    costs some 40 us around an indexed lookup that takes 5, and a GetRecord is one such
    lookup. Reads share one snapshot for up to ``SHARED_SNAPSHOT_S``: beginning and ending
    a read transaction per statement (locks taken and released in the WAL's shared index,
    system calls each) cost a third of the lookup. A write in this process ends the
    shared snapshot before the next read, so it is read back at once; another
    process's commit is seen within ``SHARED_SNAPSHOT_S`` (a GetRecord's memo already
    waits up to a second for the tick). Only the event loop's thread uses it, so it is
    never shared across threads.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._changes = -1  # _Changes.count when the shared snapshot began
        self._ending: asyncio.TimerHandle | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={READER_BUSY_MS}")
            conn.execute("PRAGMA query_only=ON")
            # Pages read through a memory map: a lookup's few B-tree pages cost no read
            # call each (measured on a 470 MB store: a fifth of a GetRecord's time).
            conn.execute(f"PRAGMA mmap_size={QUICK_MMAP_BYTES}")
            self._conn = conn
        return self._conn

    def all(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            return self._cursor(sql, parameters).fetchall()
        except sqlite3.OperationalError as exc:  # a locked or vanished file
            raise self._unavailable(exc) from exc

    def one(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None (a GetRecord's one lookup: kept short)."""
        try:
            row: tuple[Any, ...] | None = self._cursor(sql, parameters).fetchone()
            return row
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _cursor(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> sqlite3.Cursor:
        conn = self._conn or self._connection()
        if conn.in_transaction and self._changes != _Changes.count:  # this process wrote
            self.release()  # so that the read sees it
            conn = self._connection()
        if not conn.in_transaction:
            self._share(conn)
        return conn.execute(sql, parameters)

    def _unavailable(self, exc: sqlite3.OperationalError) -> StoreUnavailable:
        self.release()
        return StoreUnavailable(str(exc).splitlines()[0])

    def _share(self, conn: sqlite3.Connection) -> None:
        """Begin a snapshot for the reads of the next ``SHARED_SNAPSHOT_S``, when there is
        an event loop to end it (else each statement is its own)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._changes = _Changes.count
        conn.execute("BEGIN")
        self._ending = loop.call_later(SHARED_SNAPSHOT_S, self.release)

    def release(self) -> None:
        """End the shared snapshot, so that an idle server holds none (it would keep a
        checkpoint from emptying the log)."""
        if self._ending is not None:
            self._ending.cancel()
            self._ending = None
        if self._conn is not None and self._conn.in_transaction:
            try:
                self._conn.execute("COMMIT")  # nothing was written: this only ends it
            except sqlite3.Error:  # a connection in trouble: the next read opens another
                self._conn.close()
                self._conn = None

    def close(self) -> None:
        self.release()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def quick_reader(inline: Engine | None) -> QuickReader | None:
    database = inline.url.database if inline is not None else None
    return QuickReader(database) if database else None


async def driver_row(conn: AsyncConnection, statement: str, *arguments: Any) -> Any:
    """One row of a one-statement read, asked of asyncpg itself (``$1``-style SQL).

    SQLAlchemy's async execution around it costs more than the round trip to the
    server: a GetRecord took 500 us that way, 230 us this way. A connection that fails
    is invalidated, so the pool replaces it, and the failure is ``StoreUnavailable``,
    as ``translated`` makes it for SQLAlchemy's own errors.
    """
    import asyncpg

    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None, "a checked-out connection has its driver connection"
    try:
        return await raw.fetchrow(statement, *arguments)
    except Exception as exc:
        state = str(getattr(exc, "sqlstate", "") or "")
        # a connection the server dropped under it: an OS error, an asyncpg interface
        # error, or its protocol left in a state it cannot continue from
        lost = isinstance(exc, OSError | asyncpg.InterfaceError | asyncpg.InternalClientError)
        if not (lost or state.startswith(("08", "57P"))):
            raise
        await conn.invalidate()
        raise StoreUnavailable(_first_line(exc)) from exc


# What read functions take: either kind of connection.
Reader = AsyncConnection | InlineConnection
# What write functions take: the same two kinds (inline on SQLite, ``write_in_thread``);
# the name says what the function does with it.
Writer = Reader


@asynccontextmanager
async def brief_snapshot(engine: AsyncEngine, inline: Engine | None) -> AsyncIterator[Reader]:
    """A read snapshot for a few indexed statements (see the module's docstring)."""
    if inline is None:
        async with read_snapshot(engine) as conn:
            yield conn
        return
    with translated(), inline.connect() as sync_conn, sync_conn.begin():
        yield InlineConnection(sync_conn)


async def read_in_thread(
    engine: AsyncEngine,
    inline: Engine | None,
    threads: Executor,
    read: Callable[[Reader], Coroutine[Any, Any, T]],
) -> T:
    """``read(conn)`` in one snapshot; on SQLite in one of ``threads``, in one hand-off.

    For reads too long for the event loop (a count over the whole repository) that
    would otherwise pay aiosqlite's hand-off per call, each one waiting behind a busy
    loop. ``read`` is an ordinary read coroutine: on an ``InlineConnection`` nothing in
    it suspends, so the thread runs it to the end without an event loop.
    """
    if inline is None:
        async with read_snapshot(engine) as conn:
            return await read(conn)

    def run() -> T:
        with translated(), inline.connect() as conn, conn.begin():
            return _run_to_end(read(InlineConnection(conn)))

    return await asyncio.get_running_loop().run_in_executor(threads, run)


async def write_in_thread(
    engine: AsyncEngine,
    inline: Engine | None,
    threads: Executor,
    write: Callable[[Reader], Coroutine[Any, Any, T]],
) -> T:
    """``write(conn)`` in one write transaction; on SQLite in one of ``threads``.

    For a short, frequent write (the stamp) that must not pay a hand-off per statement
    while the event loop is busy. On SQLite the transaction is ``BEGIN IMMEDIATE`` and
    waits for the write lock as long as any writer does.
    """
    if inline is None:
        async with write_transaction(engine) as conn:
            return await write(conn)

    def run() -> T:
        with translated(), inline.connect() as conn:
            immediate = conn.execution_options(sqlite_begin="IMMEDIATE")
            with immediate.begin():
                return _run_to_end(write(InlineConnection(immediate)))

    return await asyncio.get_running_loop().run_in_executor(threads, run)


def checkpoint(inline: Engine) -> None:
    """Copy the whole log into the database and empty it, waiting for older readers as a
    writer waits for the lock (past that, the log is left to the next checkpoint). On the
    driver's connection, outside any transaction, which would keep it from finishing."""
    raw = inline.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()


def _run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        coroutine.send(None)
    except StopIteration as done:
        value: T = done.value  # what the coroutine returned
        return value
    coroutine.close()
    raise RuntimeError("a read on an inline connection waited for something")


@asynccontextmanager
async def single_statement(engine: AsyncEngine, inline: Engine | None) -> AsyncIterator[Reader]:
    """For one statement, which sees one committed state by itself: on PostgreSQL it runs
    outside any transaction (no BEGIN and COMMIT round trips), on SQLite inline."""
    if inline is not None:
        with translated(), inline.connect() as conn:
            yield InlineConnection(conn)
        return
    async with connect(engine) as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def insert_many(
    conn: Writer, table: Table, rows: Sequence[Mapping[str, Any]], *, verb: str = "INSERT"
) -> None:
    """Insert rows that all have the same keys. On SQLite as plain driver SQL: there,
    SQLAlchemy's processing of each row's parameters costs more than SQLite's insert."""
    if not rows:
        return
    if not is_sqlite(conn.engine):
        await conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" * len(names))
    statement = f'{verb} INTO "{table.name}" ({columns}) VALUES ({marks})'
    values = itemgetter(*names)
    await conn.exec_driver_sql(
        statement,
        [values(row) for row in rows] if len(names) > 1 else [(values(row),) for row in rows],
    )


async def insert_missing(conn: Writer, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows whose primary key is not there yet (concurrent writers may race)."""
    if not rows:
        return
    if is_sqlite(conn.engine):
        await insert_many(conn, table, rows, verb="INSERT OR IGNORE")
    else:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        await conn.execute(postgresql_insert(table).on_conflict_do_nothing(), rows)
