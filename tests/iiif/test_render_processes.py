"""Renders in worker processes (``repository.iiif.render_processes``).

What is rendered there is what rendering here gives, byte for byte; a render that raises
comes back as an error that names its cause; a process that dies costs the render it was
doing and nothing after it; closing the pool ends its processes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import pyvips

from manifests.image_api import Limits, parse
from repository.iiif.pyramids import LevelCache, PyramidFiles, render
from repository.iiif.render_processes import RenderFailed, RenderProcesses
from repository.records.page_images import ImageStore, StoredImage
from tests.conftest import wait_until
from tests.live import make_settings

LIMITS = Limits(10_000, 10_000, 50_000_000)
REQUESTS = (
    "full/!200,200/0/default.jpg",  # a thumbnail, from a pre-rendered size
    "100,100,700,500/350,/0/default.jpg",  # a region, cut from a level
    "square/!150,150/90/gray.png",  # the shared pipeline
    "pct:10,10,50,50/max/!0/default.webp",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoredImage, PyramidFiles]:
    noise = pyvips.Image.gaussnoise(325, 450, sigma=20, mean=0, seed=5)
    scan = noise.resize(4, kernel="linear").linear([1] * 3, [230, 220, 200]).cast("uchar")
    data = scan.copy(interpretation="srgb").jpegsave_buffer(Q=90)
    folder = tmp_path_factory.mktemp("renders")
    images = ImageStore(make_settings("sqlite:///unused.db", folder / "data"))
    (image,) = asyncio.run(images.store_bytes(data))
    return image, PyramidFiles(images.folder(image.id), image.levels, image.sizes)


@pytest.fixture
async def processes():
    pool = RenderProcesses(2)
    yield pool
    pool.close()


def plan_for(image: StoredImage, path: str):
    region, size, rotation, quality = path.split("/")
    return parse(image.id, region, size, rotation, quality).resolve(
        image.width, image.height, LIMITS
    )


async def test_a_render_in_a_process_is_the_render_made_here(page, processes):
    image, files = page
    assert await processes.run(os.getpid) != os.getpid()
    for path in REQUESTS:
        plan = plan_for(image, path)
        here = render(plan, files.open(LevelCache()))
        assert await processes.render(plan, files) == here, path


async def test_started_processes_render_at_once(page, processes):
    image, files = page
    # as `opis serve` does before it listens; callers at the same moment share one start
    assert processes.start() is processes.start()
    await processes.start()
    plan = plan_for(image, REQUESTS[0])
    assert await processes.render(plan, files) == render(plan, files.open(LevelCache()))


async def test_a_render_that_fails_names_its_cause_and_the_next_one_is_made(
    page, processes, tmp_path
):
    image, files = page
    broken = tmp_path / image.id
    broken.mkdir()
    (broken / "pyramid.tif").write_bytes(b"II*\0" + b"\0" * 64)  # a TIFF header, no image
    with pytest.raises(RenderFailed, match=r"pyramid\.tif"):
        await processes.render(plan_for(image, REQUESTS[1]), replace(files, folder=broken))
    assert await processes.render(plan_for(image, REQUESTS[1]), files)


async def test_a_process_that_dies_costs_only_its_own_render(page, processes):
    image, files = page
    with pytest.raises(RenderFailed, match="stopped before it answered"):
        await processes.run(os._exit, 70)
    plans = [plan_for(image, path) for path in REQUESTS]
    made = await asyncio.gather(*(processes.render(plan, files) for plan in plans))
    assert all(made)


async def test_a_process_that_dies_leaves_none_of_its_pool_behind(processes):
    """A pool that breaks is replaced, and the other processes of the broken one end
    rather than wait for work until the server exits. They ignore the SIGTERM a broken
    pool sends them; what ends them is the stop sentinel its manager sends after it."""
    pids = set(await asyncio.gather(*(processes.run(_slow_pid) for _ in range(4))))
    assert len(pids) == 2
    with pytest.raises(RenderFailed, match="stopped before it answered"):
        await processes.run(os._exit, 70)
    wait_until(
        lambda: not any(_alive(pid) for pid in pids),
        30,
        lambda: f"processes of the broken pool still running: {sorted(pids)}",
    )
    assert await processes.run(os.getpid) not in pids


async def test_closing_the_pool_ends_its_processes(processes):
    pids = set(await asyncio.gather(*(processes.run(_slow_pid) for _ in range(4))))
    assert os.getpid() not in pids and pids
    processes.close()

    def ended() -> bool:
        return all(not _alive(pid) for pid in pids)

    wait_until(ended, 30, lambda: f"processes still running: {sorted(pids)}")


def _slow_pid() -> int:
    import time

    time.sleep(0.2)  # so that the four calls spread over both processes
    return os.getpid()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


CHILD_SERVER = """
import asyncio, os, sys, time
from repository.iiif.render_processes import RenderProcesses

async def main():
    processes = RenderProcesses(2)
    pids = await asyncio.gather(*(processes.run(os.getpid) for _ in range(2)))
    print(*pids, flush=True)
    time.sleep(600)

asyncio.run(main())
"""


def test_a_server_killed_outright_leaves_no_render_process_behind():
    server = subprocess.Popen(
        [sys.executable, "-c", CHILD_SERVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # its resource tracker's complaint when it is killed
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        pids = {int(pid) for pid in server.stdout.readline().split()}
        if not pids:
            server.kill()
            pytest.fail(f"the server started no render process: {server.stderr.read()}")
        assert server.pid not in pids
        assert all(_alive(pid) for pid in pids)
    finally:
        server.kill()
        server.wait()
    wait_until(
        lambda: not any(_alive(pid) for pid in pids),
        30,
        lambda: f"render processes still running after their server was killed: {sorted(pids)}",
    )


STUCK_SERVER = """
import asyncio, os, sys, time
from repository.iiif.render_processes import RenderProcesses
from repository.serve import end_children

async def main():
    processes = RenderProcesses(1)
    pid = await processes.run(os.getpid)
    stuck = asyncio.ensure_future(processes.run(time.sleep, 600))  # a render that hangs
    await asyncio.sleep(0.5)
    print(pid, flush=True)
    processes.close()  # the server's own shutdown: the pool is told to stop
    stuck.cancel()

asyncio.run(main())
started = time.monotonic()
end_children(float(sys.argv[1]))
print(round(time.monotonic() - started, 1), flush=True)
"""


def test_a_render_process_that_does_not_stop_does_not_hold_its_server_up():
    """Render processes ignore SIGTERM, and Python's exit waits for child processes: one
    stuck in its work would keep a stopped server from ever exiting. The server waits
    its grace and kills it."""
    server = subprocess.Popen(
        [sys.executable, "-c", STUCK_SERVER, "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        out, err = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        pytest.fail("the server did not exit: its render process held it up")
    pid, waited = out.split()
    assert server.returncode == 0, err
    assert 1.5 <= float(waited) <= 10, "waited its grace, then killed the stuck process"
    assert not _alive(int(pid))
