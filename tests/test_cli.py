"""The ``opis`` command line as an operator meets it in the first hour (project issue 15):
complete help, quiet re-ingests, skips that say why, delete given a citation, ``opis ref``
on a file of citations, and the demo (its rights, and the README's example citation).

Harvesting a URL that is not an OAI-PMH endpoint is tested in tests/intake/test_harvest.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import click
import pytest
from click.testing import CliRunner

from manifests.presentation.rights import NOT_EVALUATED, rights_uri
from repository.cli import main
from repository.intake.demo import load_demo, sample_records
from tests.conftest import ROOT
from tests.iiif_rules import request
from tests.live import LiveServer, ingest, make_settings, settings_environ

INC_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
PD_MARK = "http://creativecommons.org/publicdomain/mark/1.0/"
SEED = "GAPPOD, f.1, op.89, d.112"  # the README's example citation


def opis(settings, *args: str, input: str | None = None):
    """``opis ARGS`` in this process, configured for ``settings`` through the environment."""
    return CliRunner().invoke(main, list(args), env=settings_environ(settings), input=input)


# ---------------------------------------------------------------- help


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("columns", ["80", "50", "200"])
def test_help_lists_every_command_in_full(columns):
    for args in ([], ["db"]):
        result = CliRunner().invoke(main, [*args, "--help"], env={"COLUMNS": columns})
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert not [line for line in lines if line.rstrip().endswith("...")], result.output
        listed = " ".join(" ".join(lines).split())
        group = main if not args else main.commands["db"]
        for name, command in group.commands.items():
            assert command.short_help, name
            assert f"{name} {command.short_help}" in listed, (name, listed)


def test_every_command_has_informative_help():
    for path, command in _commands(main):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert "..." not in command.short_help, path
        assert len(command.help or "") > 120, f"opis {' '.join(path)} --help says too little"
        if path not in (("db", "upgrade"), ("db", "copy")):
            assert "Examples:" in text and f"opis {' '.join(path)}" in text, path


# ---------------------------------------------------------------- ingest


def test_a_second_ingest_does_not_repeat_warnings_and_skips_say_why(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    source = tmp_path / "in"
    source.mkdir()
    (source / "README.md").write_text("# notes\n")
    records = [
        {"reference": "FO 371/99999", "title": "Minute", "source": {"id": "m1"}},  # a warning
        {"reference": "GARF, f. 5446, op. 1, d. 7", "title": "Clean", "source": {"id": "c1"}},
    ]
    (source / "records.json").write_text(json.dumps(records))

    first = opis(settings, "ingest", str(source))
    assert first.exit_code == 0, first.output
    skipped = [line for line in first.stderr.splitlines() if line.startswith("skipped")]
    assert skipped == [f"skipped {source / 'README.md'}: not an input Opis reads (.md)"]
    assert "names no archive; TNA inferred" in first.stderr
    assert first.stdout.strip() == "2 added, 0 updated, 0 unchanged, 0 failed, 1 skipped"

    again = opis(settings, "ingest", str(source))
    assert again.exit_code == 0, again.output
    assert "warning" not in again.stderr
    assert again.stdout.strip() == (
        "0 added, 0 updated, 2 unchanged, 0 failed, 1 skipped; "
        "1 warning about unchanged records not repeated (-v shows them)"
    )

    verbose = opis(settings, "ingest", "-v", str(source))
    assert "names no archive; TNA inferred" in verbose.stderr
    assert "unchanged records not repeated" not in verbose.stdout

    records[0]["title"] = "Minute, revised"  # updated: its warning is news again
    (source / "records.json").write_text(json.dumps(records))
    changed = opis(settings, "ingest", str(source))
    assert changed.stderr.count("names no archive") == 1
    assert changed.stdout.strip().startswith("0 added, 1 updated, 1 unchanged")
    assert "not repeated" not in changed.stdout


# ---------------------------------------------------------------- delete


def test_delete_given_a_citation_or_other_sheets_names_the_key_and_deletes_nothing(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    path = tmp_path / "records.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"reference": SEED, "title": "Letter"},
                {"reference": "GAPPOD, f.1, op.89, d.201, ll. 3-4", "title": "Memo"},
                {"reference": "GAPPOD, f.1, op.89, d.201, l. 7", "title": "Telegram"},
            ]
        )
    )
    assert ingest(settings, [path]).count("added") == 3

    result = opis(
        settings,
        "delete",
        SEED,  # a citation of a stored record
        "GAPPOD/f.1/op.89/d.112/l.5",  # a key with sheets the record does not have
        "GAPPOD/f.1/op.89/d.201",  # a key without the sheets its documents have
        "GAPPOD, f.1, op.89, d.999",  # a citation of nothing here
        "GARF/no/such",
    )
    assert result.exit_code == 1
    assert result.stdout == ""  # nothing deleted
    assert result.stderr.splitlines() == [
        f"FAILED  {SEED}: no record under the key '{SEED}'; "
        "did you mean GAPPOD/f.1/op.89/d.112? (opis delete takes keys)",
        "FAILED  GAPPOD/f.1/op.89/d.112/l.5: no record under the key "
        "'GAPPOD/f.1/op.89/d.112/l.5'; did you mean GAPPOD/f.1/op.89/d.112?",
        "FAILED  GAPPOD/f.1/op.89/d.201: no record under the key 'GAPPOD/f.1/op.89/d.201'; "
        "did you mean one of GAPPOD/f.1/op.89/d.201/l.7, GAPPOD/f.1/op.89/d.201/ll.3-4?",
        "FAILED  GAPPOD, f.1, op.89, d.999: no such record, nor under "
        "GAPPOD/f.1/op.89/d.999, the key that citation gives (opis delete takes keys)",
        "FAILED  GARF/no/such: no such record",
    ]

    done = opis(settings, "delete", "GAPPOD/f.1/op.89/d.112")
    assert done.exit_code == 0 and done.stdout == "deleted   GAPPOD/f.1/op.89/d.112\n"
    gone = opis(settings, "delete", SEED)
    assert "already deleted" in gone.stderr and gone.exit_code == 1


# ---------------------------------------------------------------- ref


def _ref(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repository", "ref", *args],
        input=stdin.encode(),
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )


def test_ref_reads_a_file_of_citations_from_standard_input():
    citations = "\ufeffГАППОД, ф. 1, оп. 89, д. 112, л. 5 об.\n\nAPRF f.45 op.1 d.334\r\n"
    done = _ref(stdin=citations)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["key"] for o in out] == ["GAPPOD/f.1/op.89/d.112/l.5ob", "APRF/f.45/op.1/d.334"]
    assert out[0]["unit_key"] == "GAPPOD/f.1/op.89/d.112"
    assert out[0]["input"] == "ГАППОД, ф. 1, оп. 89, д. 112, л. 5 об." and out[0]["pages"] == "5ob"
    assert all(o["error"] is None for o in out)

    # "-" reads standard input where it stands; one citation not understood: exit 1
    done = _ref("FO 371/99999", "-", stdin="Там же. Л. 67\nGAPPOD f.1 op.89 d.112\n")
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["input"] for o in out] == ["FO 371/99999", "Там же. Л. 67", "GAPPOD f.1 op.89 d.112"]
    assert [o["error"] is None for o in out] == [True, False, True]

    done = _ref(stdin="")
    assert done.returncode == 0 and done.stdout == b""


def test_ref_reports_a_line_that_is_not_utf8():
    done = subprocess.run(
        [sys.executable, "-m", "repository", "ref"],
        input=b"GAPPOD f.1 op.89 d.112\n\xff\xfe broken\n",
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1
    first, second = (json.loads(line) for line in done.stdout.decode().splitlines())
    assert first["error"] is None
    assert second["error"].startswith("line 2 is not UTF-8") and second["key"] is None


# ---------------------------------------------------------------- the demo


def test_the_demo_holds_the_readme_citation_and_its_rights_agree(tmp_path):
    assert SEED in (ROOT / "README.md").read_text()
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    report = asyncio.run(load_demo(settings))
    assert not report.failed and report.count("added") == len(sample_records()) == 7
    keys = {e.source.rsplit("/", 1)[-1]: e.key for e in report.entries}
    seed_record = sample_records()[6]
    assert seed_record["reference"] == SEED and keys["doc07"] == "GAPPOD/f.1/op.89/d.112"
    seed_page = _shared_seed_text()
    if seed_page is not None:  # the real record's title, date and summary, not invented ones
        assert seed_record["title"] in seed_page and "April 20, 1946" in seed_page
        assert seed_record["description"][0] in seed_page
    assert (Path(settings.storage.data_dir) / "demo" / "doc07" / "p1.jpg").stat().st_size

    with LiveServer(settings) as server:
        reply = request(server.url("/resolve?ref=" + quote(SEED)))
        assert reply.status == 303
        assert reply.headers["location"] == f"{server.base}/records/GAPPOD/f.1/op.89/d.112"
        for folder, key in keys.items():
            record = sample_records()[int(folder[3:]) - 1]
            manifest = request(server.url(f"/iiif/3/{key}/manifest")).json()
            stated = re.findall(r"http://\S+", record["rights"])
            if stated:  # a written sample: free to reuse, and its manifest says the same
                assert stated == [CC0] and manifest["rights"] == CC0, key
            else:  # the seed letter: the Digital Archive's statement, "welcomes reuse"
                assert "welcomes reuse" in record["rights"]
                assert manifest["rights"] == INC_EDU, key


def _shared_seed_text() -> str | None:
    path = ROOT.parent / "shared" / "corpus" / "seed-gappod-f1-op89-d112.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def test_a_records_own_rights_win_over_the_default():
    """(The rule in manifests/presentation/rights.py; the demo test above shows it served.)"""
    mapping = (("welcomes reuse", INC_EDU), ("public domain", PD_MARK))
    # its own URI, in any spelling, wins over the default and over the mapping
    own = "Public domain dedication: https://creativecommons.org/publicdomain/zero/1.0/."
    assert rights_uri(own, mapping, INC_EDU) == CC0
    cc_by = "Licensed CC BY 4.0 (https://www.creativecommons.org/licenses/by/4.0/deed.en)."
    assert rights_uri(cc_by, mapping, INC_EDU) == "http://creativecommons.org/licenses/by/4.0/"
    rs_page = "See https://rightsstatements.org/page/InC/1.0/?language=en"
    assert rights_uri(rs_page, mapping, INC_EDU) == "http://rightsstatements.org/vocab/InC/1.0/"
    # a statement the mapping knows
    assert rights_uri("The Program welcomes reuse.", mapping, PD_MARK) == INC_EDU
    # a statement with neither: not the default, which would claim what it does not say
    assert rights_uri("All rights reserved.", mapping, INC_EDU) == NOT_EVALUATED
    # the default, only for a record without a statement
    for nothing in (None, "", "  "):
        assert rights_uri(nothing, mapping, "https://rightsstatements.org/vocab/InC/1.0/") == (
            "http://rightsstatements.org/vocab/InC/1.0/"
        )
