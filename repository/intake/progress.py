"""The progress bar ``opis ingest`` and ``opis harvest`` show in a terminal.

One bar for both, and a silent one when output is not a terminal, so a run is written
once whether it is watched or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Bar:
    """Advanced by a run as records are done; does nothing when nothing is shown."""

    def __init__(self, progress: Any = None, task: Any = None) -> None:
        self._progress, self._task = progress, task

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def update(self, total: int | None, done: int) -> None:
        """The total, once known (a harvest learns it from completeListSize)."""
        if self._progress is not None:
            self._progress.update(self._task, total=total, completed=done)


@contextmanager
def progress_bar(label: str, shown: bool) -> Iterator[Bar]:
    if not shown:
        yield Bar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        yield Bar(progress, progress.add_task(label, total=None))
