"""Bulk commands and their worker processes collect garbage less often (gc_tuning.py)."""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from click.testing import CliRunner

from repository.cli import main
from repository.intake.gc_tuning import YOUNG
from repository.intake.ingest import _init_worker
from repository.settings import load


def test_ingest_worker_processes_collect_less_often_than_python_does():
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=_init_worker, initargs=(load(),)
    ) as pool:
        assert pool.submit(gc.get_threshold).result()[0] == YOUNG


def test_the_ingest_command_collects_less_often_than_python_does(tmp_path, monkeypatch):
    before = gc.get_threshold()
    monkeypatch.setenv("OPIS_DATABASE_URL", f"sqlite:///{tmp_path}/opis.db")
    monkeypatch.setenv("OPIS_STORAGE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "none.jsonl").write_text("")
    try:
        CliRunner().invoke(main, ["ingest", str(tmp_path / "none.jsonl")])
        assert gc.get_threshold()[0] == YOUNG != before[0]
    finally:
        gc.set_threshold(*before)
