"""The progress bar of ``opis ingest`` and ``opis harvest``: counted when shown, silent
otherwise, with the same calls either way."""

from __future__ import annotations

from repository.intake.progress import progress_bar


def test_a_shown_bar_counts_what_the_run_reports():
    with progress_bar("harvest", True) as bar:
        bar.update(10, 3)  # a harvest learns its total from the first page
        bar.advance(2)
        (task,) = bar._progress.tasks
        assert (task.total, task.completed, task.description) == (10, 5, "harvest")


def test_a_bar_not_shown_takes_the_same_calls_and_shows_nothing(capsys):
    with progress_bar("ingest", False) as bar:
        bar.update(None, 0)
        bar.advance(7)
    assert capsys.readouterr() == ("", "")
