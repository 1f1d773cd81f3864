"""Tiles served as stored: a request that is one tile of the pyramid's grid is that tile.

The image service answers such a request with the tile's JPEG data from the pyramid file
(``repository.iiif.pyramids.TileIndex``), nothing decoded or encoded. These tests check
that what is sent decodes to exactly the pixels the pyramid holds there, that everything
else (edge tiles, other regions and sizes, other qualities, formats and rotations) is
still rendered to the size asked for, that a pyramid the index cannot vouch for is
rendered instead, and that the index reads only the file's directories.
"""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path

import pytest
import pyvips

from manifests.image_api import Limits, choose_level, parse
from manifests.image_api import render as render_pipeline
from repository.iiif import pyramids
from repository.iiif.pyramids import DiskPyramid, LevelCache, TileIndex, read_levels, render
from repository.records.page_images import ImageStore, StoredImage, level_box
from tests.live import make_settings

LIMITS = Limits(10_000, 10_000, 50_000_000)
SIDE = 512


def scan(width: int, height: int, bands: int = 3) -> bytes:
    """A textured page with dark bars, so that every tile holds different pixels."""
    noise = pyvips.Image.gaussnoise(width // 4, height // 4, sigma=18, mean=0, seed=3)
    paper = noise.resize(4, kernel="linear").linear([1] * 3, [230, 220, 200]).cast("uchar")
    for row in range(0, height, 97):
        paper = paper.draw_rect([40, 30, 60], 50 + row % 300, row, width // 2, 11, fill=True)
    image = paper.copy(interpretation="srgb")
    if bands == 1:
        image = image.colourspace("b-w")
    return image.jpegsave_buffer(Q=92)


def store(tmp_path: Path, data: bytes) -> tuple[ImageStore, StoredImage]:
    images = ImageStore(make_settings("sqlite:///unused.db", tmp_path / "data"))
    (stored,) = asyncio.run(images.store_bytes(data))
    return images, stored


@pytest.fixture(scope="module")
def colour(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImageStore, StoredImage]:
    return store(tmp_path_factory.mktemp("colour"), scan(2300, 1700))


def source(images: ImageStore, image: StoredImage, tiles: TileIndex | None) -> DiskPyramid:
    return DiskPyramid(images.pyramid_path(image.id), image.levels, LevelCache(), tiles)


def plan_for(image: StoredImage, path: str):
    region, size, rotation, quality = path.split("/")
    return parse(image.id, region, size, rotation, quality).resolve(
        image.width, image.height, LIMITS
    )


def grid(width: int, height: int) -> list[str]:
    """Every tile of every scale factor, as OpenSeadragon asks for them."""
    out, factor = [], 1
    while True:
        step = SIDE * factor
        for y in range(0, height, step):
            for x in range(0, width, step):
                w, h = min(step, width - x), min(step, height - y)
                out.append(f"{x},{y},{w},{h}/{math.ceil(w / factor)},/0/default.jpg")
        if step >= max(width, height):
            return out
        factor *= 2


def pixels(body: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(body, "")


def largest_difference(a: pyvips.Image, b: pyvips.Image) -> float:
    return float((a.cast("int") - b.cast("int")).abs().max())


def psnr(a: pyvips.Image, b: pyvips.Image) -> float:
    diff = a.cast("float") - b.cast("float")
    return 10 * math.log10(255 * 255 / max((diff * diff).avg(), 1e-9))


def test_a_tile_of_the_grid_is_the_stored_tile(colour):
    images, image = colour
    served = source(images, image, TileIndex())
    stored = 0
    for path in grid(image.width, image.height):
        plan = plan_for(image, path)
        body = render(plan, served)
        got = pixels(body)
        assert (got.width, got.height) == plan.size, path
        index = choose_level(plan, image.width, image.height, image.levels)
        box = level_box(plan, image.levels[index])
        level = served.level(index)
        whole = box[0] + SIDE <= level.width and box[1] + SIDE <= level.height
        if box[2:] == (SIDE, SIDE) and whole:
            stored += 1
            assert body.startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"), path
            assert largest_difference(got, level.crop(*box)) == 0, path  # the stored pixels
        else:  # rendered: the same pixels, give or take a resize and JPEG
            scale = plan.size[0] / box[2], plan.size[1] / box[3]
            wanted = level.crop(*box).resize(scale[0], vscale=scale[1])
            assert psnr(got, wanted) > 25, path
    assert stored == 14  # 4x3 whole tiles at full size, 2x1 at half size


def test_edge_tiles_and_other_requests_are_rendered_to_the_size_asked(colour):
    images, image = colour
    index = TileIndex()
    served, plain = source(images, image, index), source(images, image, None)
    for path in (
        "2048,1536,252,164/max/0/default.jpg",  # an edge tile: padded in the file
        "100,100,512,512/max/0/default.jpg",  # off the grid
        "0,0,512,512/256,/0/default.jpg",  # the grid's region, another size
        "full/!400,400/0/default.jpg",
        "full/max/0/color.jpg",
    ):
        plan = plan_for(image, path)
        assert render(plan, served) == render(plan, plain), path  # rendered, not stored
        got = pixels(render(plan, served))
        assert (got.width, got.height) == plan.size, path


@pytest.mark.parametrize(
    "path",
    [
        "0,0,512,512/max/90/default.jpg",
        "0,0,512,512/max/!0/default.jpg",
        "0,0,512,512/max/0/gray.jpg",
        "0,0,512,512/max/0/bitonal.png",
        "0,0,512,512/max/0/default.png",
        "0,0,512,512/max/0/default.webp",
        "full/!300,300/22.5/default.jpg",
    ],
)
def test_requests_that_change_pixels_go_through_the_shared_pipeline(colour, path):
    images, image = colour
    plan = plan_for(image, path)
    assert render(plan, source(images, image, TileIndex())) == render_pipeline(
        plan, source(images, image, None)
    )


def test_a_grey_page_is_served_as_stored_in_grey(tmp_path):
    images, image = store(tmp_path, scan(1100, 1100, bands=1))
    served = source(images, image, TileIndex())
    plan = plan_for(image, "0,0,512,512/max/0/default.jpg")
    got = pixels(render(plan, served))
    assert got.bands == 1
    assert largest_difference(got, served.level(0).crop(0, 0, 512, 512)) == 0


def test_a_pyramid_without_jpeg_tiles_is_rendered(tmp_path):
    page = pyvips.Image.new_from_buffer(scan(1100, 900), "")
    path = tmp_path / "pyramid.tif"
    page.tiffsave(str(path), tile=True, tile_width=512, tile_height=512, pyramid=True)
    levels = [(1100, 900), (550, 450)]
    index = TileIndex()
    assert index.levels(path, levels) is None
    served = DiskPyramid(path, levels, LevelCache(), index)
    plan = parse("-", "0,0,512,512", "max", "0", "default.jpg").resolve(1100, 900, LIMITS)
    got = pixels(render(plan, served))
    assert (got.width, got.height) == (512, 512)


def test_levels_that_do_not_match_the_images_row_are_not_trusted(colour):
    images, image = colour
    path = images.pyramid_path(image.id)
    assert TileIndex().levels(path, image.levels) is not None
    wrong = [(image.width + 1, image.height), *image.levels[1:]]
    assert TileIndex().levels(path, wrong) is None
    assert TileIndex().levels(path, [*image.levels, (10, 10)]) is None  # one level too many


def test_the_index_reads_the_directories_not_the_pixels(colour, monkeypatch):
    images, image = colour
    path = images.pyramid_path(image.id)
    read: list[int] = []
    real = os.pread

    def counted(fd: int, size: int, offset: int) -> bytes:
        read.append(size)
        return real(fd, size, offset)

    monkeypatch.setattr(pyramids.os, "pread", counted)
    levels = read_levels(path, image.levels)
    assert sum(read) < 8192 < path.stat().st_size // 100
    assert [(level.width, level.height) for level in levels] == list(image.levels)
    read.clear()
    plan = plan_for(image, "512,512,512,512/max/0/default.jpg")
    index = TileIndex()
    index.levels(path, image.levels)
    read.clear()
    body = render(plan, source(images, image, index))
    assert read == [levels[0].counts[1 * 5 + 1]]  # one tile, nothing else
    assert len(body) < levels[0].counts[6] + 1024


def test_a_tile_that_is_not_a_jpeg_is_not_sent_as_stored(colour, tmp_path):
    images, image = colour
    data = bytearray(images.pyramid_path(image.id).read_bytes())
    levels = read_levels(images.pyramid_path(image.id), image.levels)
    data[levels[0].offsets[0] : levels[0].offsets[0] + 2] = b"\x00\x00"  # no SOI
    path = tmp_path / "pyramid.tif"
    path.write_bytes(bytes(data))
    index = TileIndex()
    box = (0, 0, SIDE, SIDE)
    assert index.jpeg(path, image.levels, 0, box) is None
    assert index.jpeg(images.pyramid_path(image.id), image.levels, 0, box) is not None


def test_a_thumbnail_is_decoded_from_a_pre_rendered_size(colour):
    images, image = colour
    asked: list[tuple[int, int]] = []

    def size_path(width: int, height: int) -> Path:
        asked.append((width, height))
        return images.size_path(image.id, width, height)

    served = DiskPyramid(
        images.pyramid_path(image.id),
        image.levels,
        LevelCache(),
        TileIndex(),
        sizes=image.sizes,
        size_path=size_path,
    )
    levels_only = source(images, image, TileIndex())
    assert sorted(image.sizes) == [(72, 54), (144, 107), (288, 213), (575, 425), (1150, 850)]
    # stored beside the listed sizes, halfway between them; not listed in info.json
    assert images.size_path(image.id, 813, 601).is_file()
    cases = (
        (60, (575, 425)),  # not from the smaller sizes: their JPEG lost too much of the detail
        (300, (575, 425)),
        (600, (813, 601)),  # halfway between the listed 575x425 and 1150x850
        (810, (813, 601)),
        (830, (1150, 850)),
        (1200, None),  # larger than every size pre-rendered: from the level
    )
    for box, used in cases:
        plan = plan_for(image, f"full/!{box},{box}/0/default.jpg")
        asked.clear()
        got = pixels(render(plan, served))
        assert (got.width, got.height) == plan.size
        assert asked == ([used] if used else []), box
        assert psnr(got, pixels(render(plan, levels_only))) > 30, box


def test_a_missing_pre_rendered_size_is_rendered_from_the_levels(colour, tmp_path):
    images, image = colour
    served = DiskPyramid(
        images.pyramid_path(image.id),
        image.levels,
        LevelCache(),
        TileIndex(),
        sizes=image.sizes,
        size_path=lambda width, height: tmp_path / f"{width},{height}.jpg",  # none there
    )
    plan = plan_for(image, "full/!300,300/0/default.jpg")
    assert render(plan, served) == render(plan, source(images, image, TileIndex()))
