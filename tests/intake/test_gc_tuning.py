"""Bulk work collects garbage less often, and only while it runs (gc_tuning.py)."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from repository.intake import ingest as module
from repository.intake.gc_tuning import YOUNG
from repository.settings import load
from tests.live import make_settings


def test_ingest_worker_processes_collect_less_often_than_python_does():
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=module._init_worker, initargs=(load(),)
    ) as pool:
        assert pool.submit(gc.get_threshold).result()[0] == YOUNG


def test_an_ingest_collects_less_often_while_it_runs_and_as_before_after(
    sqlite_url, tmp_path, monkeypatch
):
    before = gc.get_threshold()
    seen = []
    run = module.Ingest.run

    async def watched(self, paths):
        seen.append(gc.get_threshold())
        return await run(self, paths)

    monkeypatch.setattr(module.Ingest, "run", watched)
    (tmp_path / "none.jsonl").write_text("")
    settings = make_settings(sqlite_url, tmp_path / "data")
    asyncio.run(module.ingest_paths(settings, [str(tmp_path / "none.jsonl")]))
    assert seen[0][0] == YOUNG != before[0]
    assert gc.get_threshold() == before
