"""Identical work asked for while it runs is done once (repository/http/coalesce.py)."""

from __future__ import annotations

import asyncio

import pytest

from repository.http.coalesce import Coalesce


async def test_callers_that_arrive_while_the_work_runs_share_it():
    shared, calls = Coalesce(), []
    gate = asyncio.Event()

    async def work(name: str) -> str:
        calls.append(name)
        await gate.wait()
        return f"page of {name}"

    waiting = [asyncio.create_task(shared.run("a", lambda: work("a"))) for _ in range(20)]
    other = asyncio.create_task(shared.run("b", lambda: work("b")))
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == ["page of a"] * 20
    assert await other == "page of b"
    assert sorted(calls) == ["a", "b"]
    assert len(shared) == 0  # nothing is kept once done
    assert await shared.run("a", lambda: work("a")) == "page of a"
    assert sorted(calls) == ["a", "a", "b"]


async def test_an_error_reaches_every_caller_and_the_next_call_tries_again():
    shared, calls = Coalesce(), []

    async def failing() -> None:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise ValueError("no such set")

    results = await asyncio.gather(
        *(shared.run("k", failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ValueError) for r in results) and len(calls) == 1
    with pytest.raises(ValueError):
        await shared.run("k", failing)
    assert len(calls) == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_others():
    shared = Coalesce()

    async def slow() -> int:
        await asyncio.sleep(0.05)
        return 42

    first = asyncio.create_task(shared.run("k", slow))
    second = asyncio.create_task(shared.run("k", slow))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == 42
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_the_first_caller_runs_the_work_without_waiting_for_the_event_loop():
    """On a busy event loop every turn waits behind the whole queue: a first page that
    went through a task of its own waited twice, 100 ms and more under bench_load."""
    shared, ran_in = Coalesce(), []
    queued: list[int] = []

    async def page() -> str:
        ran_in.append(asyncio.current_task())
        return "first page"

    asyncio.get_running_loop().call_soon(queued.append, 1)  # what the queue holds
    assert await shared.run("k", page) == "first page"
    assert queued == [], "the caller gave the event loop a turn"
    assert ran_in == [asyncio.current_task()]
