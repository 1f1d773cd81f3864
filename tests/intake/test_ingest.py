"""Ingest: every input format, idempotence, keys that never collide, whole-or-nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from repository.intake.demo import page_image
from repository.store import NotFound, Store
from tests.conftest import shared_path
from tests.live import ingest, make_settings, settings_environ
from tests.synthetic import write_jsonl


def opis(settings, *args, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_environ(settings)}
    return subprocess.run(
        [sys.executable, "-m", "repository", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def stored(settings, key):
    async def get():
        store = await Store(settings.database.url).open()
        try:
            return await store.get(key)
        finally:
            await store.close()

    return asyncio.run(get())


def keys_of(settings) -> dict[str, str]:
    """key -> title of every live record."""

    async def scan():
        from sqlalchemy import select

        from repository.store import bodies
        from repository.store.schema import records

        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                query = select(records.c.key, records.c.data, records.c.deleted)
                rows = (await conn.execute(query)).all()
                datas = await bodies.loads(conn, [d for _, d, _ in rows])
                return {
                    k: data["title"]
                    for (k, _, deleted), data in zip(rows, datas, strict=True)
                    if not deleted
                }
        finally:
            await store.close()

    return asyncio.run(scan())


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path / "data")


def test_the_whole_corpus_ingests_and_again_changes_nothing(settings):
    corpus = shared_path("corpus")
    first = opis(settings, "ingest", str(corpus))
    assert first.returncode == 0, first.stderr
    assert "27 added, 0 updated, 0 unchanged, 0 failed, 2 skipped" in first.stdout
    assert "README.md" in first.stderr and "INDEX.tsv" in first.stderr

    seed = stored(settings, "GAPPOD/f.1/op.89/d.112").record
    assert seed.title.startswith("Letter from Bagirov to Stalin and Molotov about Qavam")
    assert seed.date == "1946-04-20"
    assert "offensive Iranian troops" in seed.description[0].value
    assert seed.creators == ("Bagirov, M. D.", "Maslennikov, I. I.")
    assert {(a.name, a.role) for a in seed.contributors} == {
        ("Hasanli, Jamil", "obtainer"),
        ("Goldberg, Gary", "translator"),
    }
    assert "HAPP@wilsoncenter.org" in seed.rights
    body = seed.text[0].content
    assert body.startswith("To Cde. Stalin") and "Pishevari and our people from Tabriz" in body
    assert "For our part we request your instructions" in body
    assert seed.reference.archive == "GAPPOD"

    datestamp = stored(settings, "GAPPOD/f.1/op.89/d.112").datestamp
    again = opis(settings, "ingest", str(corpus))
    assert again.returncode == 0
    assert "0 added, 0 updated, 27 unchanged, 0 failed, 2 skipped" in again.stdout
    assert stored(settings, "GAPPOD/f.1/op.89/d.112").datestamp == datestamp


def test_pages_without_a_citation_get_stable_keys_in_their_own_branch(settings, tmp_path):
    page = (
        "Skip to content\n\nMarch 3, 1950\n\nNote on the delivery of coal to the depot\n\n"
        "The coal arrived two days late and the depot manager asked for a receipt.\n"
    )
    path = tmp_path / "note.txt"
    path.write_text(page)
    result = opis(settings, "ingest", str(path))
    assert result.returncode == 0, result.stderr
    assert "UNCITED branch" in result.stderr
    keys = list(keys_of(settings))
    assert len(keys) == 1 and keys[0].startswith("UNCITED/doc.1950-03-03-note-on-the-delivery")
    path.write_text(page)  # same document again, from a new file
    (tmp_path / "copy.txt").write_text(page)
    again = opis(settings, "ingest", str(path), str(tmp_path / "copy.txt"))
    assert "2 unchanged" in again.stdout
    assert list(keys_of(settings)) == keys


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    citation = "MNL OL XIX-J-1-j É-Korea, 1972, 60. doboz, 81-146, 00394"
    first = {
        "reference": citation,
        "title": "Report on the ambassador's visit",
        "date": "1972-08-12",
        "source": {"id": "123125"},
    }
    second = {
        "reference": citation,
        "title": "Report on the trade talks",
        "date": "1972-08-20",
        "source": {"id": "123123"},
    }
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(first, ensure_ascii=False))
    b.write_text(json.dumps(second, ensure_ascii=False))
    return a, b


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_two_documents_with_one_citation_stay_two_records(database_url, tmp_path, order):
    a, b = _pair(tmp_path)
    settings = make_settings(database_url, tmp_path / "data")
    paths = [a, b] if order == "ab" else [b, a]
    report = ingest(settings, paths)
    assert report.count("added") == 2, report.entries
    keys = keys_of(settings)
    assert sorted(keys.values()) == [
        "Report on the ambassador's visit",
        "Report on the trade talks",
    ]
    unit = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.81-146/no.00394"
    assert all(k == unit or k.startswith(unit + "/doc.") for k in keys)
    # Re-ingesting, in either order, finds each document under the key it already has.
    for again in ([a, b], [b, a]):
        report = ingest(settings, again)
        assert report.count("unchanged") == 2
        assert keys_of(settings) == keys


def test_same_citation_without_ids_is_told_apart_by_title_and_date(database_url, tmp_path):
    citation = "GAPPOD, f.1, op.89, d.90"
    lines = [
        {"reference": citation, "title": "First letter", "date": "1945-07-14"},
        {"reference": citation, "title": "Second letter", "date": "1945-07-16"},
    ]
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    settings = make_settings(database_url, tmp_path / "data")
    assert ingest(settings, [path]).count("added") == 2
    keys = keys_of(settings)
    assert len(keys) == 2 and "GAPPOD/f.1/op.89/d.90" in keys


def test_a_bad_record_fails_alone_and_the_exit_status_says_so(settings, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"reference": "RGASPI, f. 17, op. 3, d. 1", "title": "Good one"}\n'
        '{"reference": "RGASPI, f. 17, op. 3, d. 2"}\n'
        "{not json\n"
        '{"reference": "RGASPI, f. 17, op. 3, d. 3", "title": "Good two"}\n'
    )
    result = opis(settings, "ingest", str(path))
    assert result.returncode == 1
    assert "2 added" in result.stdout and "2 failed" in result.stdout
    assert f"{path}:2" in result.stderr and '"title"' in result.stderr
    assert f"{path}:3" in result.stderr
    assert set(keys_of(settings)) == {"RGASPI/f.17/op.3/d.1", "RGASPI/f.17/op.3/d.3"}


def test_missing_inputs_fail_with_their_name(settings, tmp_path):
    result = opis(settings, "ingest", str(tmp_path / "nowhere.json"))
    assert result.returncode == 1
    assert "nowhere.json: no such file or folder" in result.stderr


def _document_folder(root: Path, name: str, reference: str, pages: int = 2) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    record = {"reference": reference, "title": f"Document {name}", "date": "1950-01-01"}
    (folder / "record.json").write_text(json.dumps(record))
    for n in range(pages):
        (folder / f"{n + 1:03d}.jpg").write_bytes(page_image([f"page {n + 1}"], seed=n, title=name))
    return folder


def test_document_folders_store_their_page_images_in_order(settings, tmp_path):
    folder = _document_folder(tmp_path / "in", "one", "RGASPI, f. 17, op. 3, d. 10, ll. 1-2")
    report = ingest(settings, [folder])
    assert report.count("added") == 1, report.entries
    record = stored(settings, "RGASPI/f.17/op.3/d.10/ll.1-2").record
    assert [p.width for p in record.pages] == [1400, 1400]
    assert len({p.image for p in record.pages}) == 2
    for page in record.pages:
        image_dir = Path(settings.storage.data_dir) / "images" / page.image[:2] / page.image
        assert (image_dir / "pyramid.tif").is_file() and (image_dir / "info.json").is_file()


def test_a_corrupt_image_fails_the_whole_document(settings, tmp_path):
    folder = _document_folder(tmp_path / "in", "broken", "RGASPI, f. 17, op. 3, d. 11")
    good = (folder / "002.jpg").read_bytes()
    (folder / "002.jpg").write_bytes(good[: len(good) // 2])
    report = ingest(settings, [folder])
    assert report.count("failed") == 1
    assert "002.jpg" in report.entries[0].message
    with pytest.raises(NotFound):
        stored(settings, "RGASPI/f.17/op.3/d.11")


def test_delete_leaves_a_tombstone(settings, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"reference": "GARF, f. 5446, op. 1, d. 7", "title": "To delete"}))
    ingest(settings, [path])
    result = opis(settings, "delete", "GARF/f.5446/op.1/d.7", "GARF/no/such")
    assert result.returncode == 1
    assert "deleted   GARF/f.5446/op.1/d.7" in result.stdout
    assert "GARF/no/such: no such record" in result.stderr
    gone = stored(settings, "GARF/f.5446/op.1/d.7")
    assert gone.deleted and gone.datestamp is not None
    # Ingesting it again brings it back under the same key.
    assert ingest(settings, [path]).count("updated") == 1
    assert not stored(settings, "GARF/f.5446/op.1/d.7").deleted


def test_killed_ingest_leaves_whole_records_and_a_rerun_completes(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")
    source = write_jsonl(tmp_path / "many.jsonl", 6000)
    env = {**os.environ, **settings_environ(settings)}
    process = subprocess.Popen(
        [sys.executable, "-m", "repository", "ingest", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _committed(sqlite_url) < 600:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = _safe_keys(settings)
    assert 0 < len(partial) < 6000, "the ingest was meant to be killed half-way"
    _assert_consistent(settings)
    report = ingest(settings, [source])
    assert report.count("failed") == 0
    assert report.count("added") == 6000 - len(partial)
    assert report.count("unchanged") == len(partial)
    _assert_consistent(settings)


def _committed(url: str) -> int:
    """Records committed so far, read without opening a store: a look that takes a
    moment of its own would let a fast ingest finish before it is killed."""
    path = url.removeprefix("sqlite:///")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1)) as db:
            return int(db.execute("SELECT count(*) FROM records").fetchone()[0])
    except sqlite3.Error:  # not created yet, or the writer holds it this instant
        return 0


def _safe_keys(settings) -> set[str]:
    try:
        return set(keys_of(settings))
    except Exception:
        return set()


def _assert_consistent(settings) -> None:
    """Every record has all its renditions and memberships: none is half-written."""

    async def check():
        from sqlalchemy import func, select

        from repository.store.schema import memberships, records, renditions

        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                total = (await conn.execute(select(func.count()).select_from(records))).scalar()
                formats = await conn.execute(
                    select(renditions.c.record_id, func.count()).group_by(renditions.c.record_id)
                )
                counts = dict(formats.all())
                members = set(
                    (await conn.execute(select(memberships.c.record_id).distinct())).scalars()
                )
                ids = set((await conn.execute(select(records.c.id))).scalars())
        finally:
            await store.close()
        from metadata.crosswalks import FORMATS

        assert len(ids) == total
        assert set(counts) == ids and set(counts.values()) == {len(FORMATS)}
        assert members == ids

    asyncio.run(check())


# -- one bad input costs only itself (issue 15) ---------------------------------------------

GOOD_ONE = {"reference": "RGASPI, f. 17, op. 3, d. 21", "title": "Good one"}
GOOD_TWO = {"reference": "RGASPI, f. 17, op. 3, d. 22", "title": "Good two"}
GOOD_KEYS = {"RGASPI/f.17/op.3/d.21", "RGASPI/f.17/op.3/d.22"}
FORBIDDEN_ONLY = '{"reference": "\\u0015", "title": "0"}'
DEEP = "[" * 100_000


def _failures(report) -> dict[str, str]:
    return {e.source: e.message for e in report.entries if e.status == "failed"}


@pytest.mark.parametrize("layout", ["array", "lines"])
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (FORBIDDEN_ONLY, '"reference" must be a non-empty string, not only characters XML 1.0'),
        (DEEP, "JSON nested more than 64 levels deep"),
        (DEEP + "]" * 100_000, "JSON nested more than 64 levels deep"),
        (
            json.dumps({"reference": "RGASPI, f. 17, op. 3, d. 23", "title": "x" * 10_485_760}),
            "title is 10,485,760 characters; the limit is 2,000 (records.max_title_chars)",
        ),
    ],
    ids=["forbidden-only", "deep-unclosed", "deep", "10MB-title"],
)
def test_a_bad_record_between_good_ones_fails_alone(settings, tmp_path, layout, bad, reason):
    good = [json.dumps(GOOD_ONE), json.dumps(GOOD_TWO)]
    if layout == "array":
        path = tmp_path / "three.json"
        path.write_text("[\n" + ",\n".join([good[0], bad, good[1]]) + "\n]")
    else:
        path = tmp_path / "three.jsonl"
        path.write_text("\n".join([good[0], bad, good[1]]) + "\n")
    if bad == DEEP and layout == "array":  # an array element that never closes swallows the rest
        path.write_text("[\n" + ",\n".join([good[0], good[1], bad]) + "\n")
    report = ingest(settings, [path])
    assert report.count("added") == 2, report.entries
    failures = _failures(report)
    assert list(failures) == [f"{path}:{3 if bad == DEEP and layout == 'array' else 2}"]
    (message,) = failures.values()
    assert reason in message
    assert message.startswith("record ") and "(line " in message  # which record, on which line
    assert set(keys_of(settings)) == GOOD_KEYS


def test_a_whole_file_that_cannot_be_read_fails_alone(settings, tmp_path):
    deep = tmp_path / "a-deep.json"
    deep.write_text(DEEP)
    good = tmp_path / "b-good.json"
    good.write_text(json.dumps([GOOD_ONE, GOOD_TWO]))
    report = ingest(settings, [deep, good])
    assert report.count("added") == 2
    assert list(_failures(report)) == [str(deep)]
    assert "nested more than 64 levels deep" in _failures(report)[str(deep)]


def test_the_cli_reports_the_bad_record_and_writes_the_others(settings, tmp_path):
    path = tmp_path / "three.json"
    path.write_text(f"[{json.dumps(GOOD_ONE)},\n{FORBIDDEN_ONLY},\n{json.dumps(GOOD_TWO)}]")
    result = opis(settings, "ingest", str(path))
    assert result.returncode == 1
    assert "2 added" in result.stdout and "1 failed" in result.stdout
    assert f"{path}:2" in result.stderr and "record 2 (line 2)" in result.stderr
    assert "Traceback" not in result.stderr
    assert set(keys_of(settings)) == GOOD_KEYS


def test_a_line_that_is_not_utf8_fails_alone(settings, tmp_path):
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(GOOD_ONE).encode()
        + b'\n{"reference": "RGASPI, f. 17, op. 3, d. 24", "title": "Caf\xe9"}\n'
        + json.dumps(GOOD_TWO).encode()
        + b"\n"
    )
    report = ingest(settings, [path])
    assert report.count("added") == 2
    assert _failures(report) == {
        f"{path}:2": "record 2 (line 2): not UTF-8: the line's byte 59 is 0xE9"
    }


def test_limits_come_from_the_settings(database_url, tmp_path):
    settings = make_settings(
        database_url, tmp_path / "data", records={"max_title_chars": 8, "max_pages": 1}
    )
    path = tmp_path / "titles.jsonl"
    path.write_text(json.dumps(GOOD_ONE) + "\n" + json.dumps(GOOD_TWO | {"title": "Far too long"}))
    folder = _document_folder(tmp_path / "in", "two", "RGASPI, f. 17, op. 3, d. 25")
    (folder / "record.json").write_text(json.dumps({**GOOD_ONE, "reference": "RGASPI 17/3/25"}))
    report = ingest(settings, [path, folder])
    assert _failures(report) == {
        f"{path}:2": "record 2 (line 2): title is 12 characters; the limit is 8 "
        "(records.max_title_chars)",
        str(folder): "the folder has 2 page images; the limit is 1 (records.max_pages)",
    }
    assert report.count("added") == 1


def test_an_unexpected_failure_costs_only_its_input(settings, tmp_path, monkeypatch, caplog):
    from repository.intake import ingest as module

    real = module.read_page_text

    def broken(text, **kwargs):
        if "BROKEN" in text:
            raise RuntimeError("a fault in a reader")
        return real(text, **kwargs)

    monkeypatch.setattr(module, "read_page_text", broken)
    page = "Skip to content\n\nMarch 3, 1950\n\n{title}\n\nThe coal arrived two days late.\n"
    (tmp_path / "a.txt").write_text(page.format(title="BROKEN note"))
    (tmp_path / "b.json").write_text(json.dumps(GOOD_ONE))
    (tmp_path / "c.txt").write_text(page.format(title="Note on the coal"))
    report = ingest(settings, [tmp_path / "a.txt", tmp_path / "b.json", tmp_path / "c.txt"])
    assert report.count("added") == 2
    failures = _failures(report)
    assert list(failures) == [str(tmp_path / "a.txt")]
    assert (
        "internal error (please report it): RuntimeError('a fault in a reader')"
        in (failures[str(tmp_path / "a.txt")])
    )
    logged = [r for r in caplog.records if r.exc_info and "a.txt" in r.getMessage()]
    assert logged, "the unexpected failure is logged with its traceback"


def test_reading_that_breaks_off_keeps_the_records_before(settings, tmp_path, monkeypatch):
    from repository.intake import ingest as module

    real = module.json_lines

    def breaks_after_one(lines):
        results = real(lines)
        yield next(results)
        raise OSError(5, "Input/output error", "lines.jsonl")

    monkeypatch.setattr(module, "json_lines", breaks_after_one)
    path = tmp_path / "lines.jsonl"
    path.write_text(json.dumps(GOOD_ONE) + "\n" + json.dumps(GOOD_TWO) + "\n")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(GOOD_TWO))
    report = ingest(settings, [path, other])
    assert report.count("added") == 2
    assert _failures(report) == {
        f"{path}:2": "reading stopped after 1 record(s): cannot be read: "
        "input/output error (lines.jsonl)"
    }


def test_a_folder_that_cannot_be_listed_fails_alone(settings, tmp_path, monkeypatch):
    closed = tmp_path / "in" / "closed"
    closed.mkdir(parents=True)
    (closed / "x.json").write_text(json.dumps(GOOD_TWO))
    (tmp_path / "in" / "open.json").write_text(json.dumps(GOOD_ONE))
    real = Path.iterdir

    def iterdir(self):
        if self.name == "closed":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    report = ingest(settings, [tmp_path / "in"])
    assert report.count("added") == 1
    assert _failures(report) == {str(closed): f"cannot be read: permission denied ({closed})"}


def test_the_records_settings_are_the_readers_limits():
    """One set of defaults: settings [records] are metadata.readers.Limits themselves."""
    from metadata.readers import Limits
    from repository.settings import Settings

    assert Settings().records == Limits()


def test_a_big_json_lines_file_read_in_the_workers_gives_what_reading_here_gives(
    sqlite_url, tmp_path
):
    """A file of more lines than a batch is parsed in the worker processes; what fails
    there fails with the message, and what is warned about carries the warnings, that
    the reader gives in this process; a record naming page images has them stored."""
    from metadata.readers import iter_json_lines

    settings = make_settings(sqlite_url, tmp_path / "data", records={"max_title_chars": 40})
    (tmp_path / "p1.jpg").write_bytes(page_image(["one"], seed=1, title="p"))
    lines = [
        json.dumps({"reference": f"RGANI, f. 5, op. 30, d. {i}", "title": f"R {i}"})
        for i in range(1, 1201)
    ]
    lines[99] = '{"reference": "RGANI, f. 5, op. 30, d. 100", "title": '  # cut short
    lines[149] = "  "  # blank: not a record, so the records after it are numbered one less
    lines[199] = json.dumps({"reference": "RGANI, f. 5, op. 30, d. 200", "title": "x" * 41})
    lines[299] = json.dumps({"reference": "RGANI, f. 5, op. 30, d. 300", "title": "R\u0015 300"})
    lines[399] = json.dumps(
        {"reference": "RGANI, f. 5, op. 30, d. 400", "title": "R 400", "pages": ["p1.jpg"]}
    )
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")

    here = list(iter_json_lines(lines, limits=settings.records))
    failed_here = {f"{path}:{n}": str(r) for n, r in enumerate(here, 1) if isinstance(r, Exception)}
    warned_here = {
        f"{path}:{n}": r.warnings
        for n, r in enumerate(here, 1)
        if not isinstance(r, Exception) and r.warnings
    }

    report = ingest(settings, [path])
    assert len(failed_here) == 2 and _failures(report) == failed_here
    assert report.count("added") == 1199 - 2
    entries = {e.source: e for e in report.entries}
    assert warned_here and all(
        set(warnings) <= set(entries[source].warnings) for source, warnings in warned_here.items()
    )

    async def pages_of(key: str):
        store = await Store(sqlite_url).open()
        try:
            return (await store.get(key)).record.pages
        finally:
            await store.close()

    [page] = asyncio.run(pages_of("RGANI/f.5/op.30/d.400"))
    assert page.width and page.height
