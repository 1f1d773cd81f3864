"""Image API 3.0: request parsing and resolution, info.json, pixels, pyramids, hostile input.

Images are generated here (at most 1200x900) so a clean clone tests pixels without
../shared; the IIIF validator's own test image is used too when it is present.
"""

from __future__ import annotations

import hashlib
import math
import struct
import time
import zlib
from decimal import Decimal
from fractions import Fraction

import pytest
import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifests.image_api import (
    BufferSource,
    ImageRejected,
    ImageRequest,
    ImageRequestError,
    Limits,
    PyramidBuffer,
    build_pyramid,
    choose_level,
    derivatives,
    halfway_sizes,
    info_json,
    open_pyramid_buffer,
    parse,
    polyglot,
    probe,
    pyramid_layout,
    render,
    render_sizes,
    sniff,
    supported_formats,
)
from manifests.image_api.derivatives import Upload
from manifests.image_api.polyglot import image_end, tiff_layout, trailing_bytes
from manifests.image_api.request import Region, Size
from tests.conftest import shared_path

NO_LIMITS = Limits()
UPSCALE = Limits(max_width=5000, max_area=20_000_000)

RED, GREEN, BLUE, YELLOW = [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]


# -- helpers -----------------------------------------------------------------------------


def quadrants(width: int = 400, height: int = 300) -> pyvips.Image:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    half_w, half_h = width // 2, height // 2
    image = pyvips.Image.black(width, height, bands=3).copy(interpretation="srgb")
    image = image.draw_rect(RED, 0, 0, half_w, half_h, fill=True)
    image = image.draw_rect(GREEN, half_w, 0, width - half_w, half_h, fill=True)
    image = image.draw_rect(BLUE, 0, half_h, half_w, height - half_h, fill=True)
    image = image.draw_rect(YELLOW, half_w, half_h, width - half_w, height - half_h, fill=True)
    return image.cast("uchar")


def request(
    region="full",
    size="max",
    rotation="0",
    qf="default.png",
    width=400,
    height=300,
    limits=NO_LIMITS,
):
    return parse("img", region, size, rotation, qf).resolve(width, height, limits)


def draw(source, region="full", size="max", rotation="0", qf="default.png", limits=NO_LIMITS):
    plan = parse("img", region, size, rotation, qf).resolve(source.width, source.height, limits)
    return pyvips.Image.new_from_buffer(render(plan, source), "")


def colour_at(image: pyvips.Image, x: int, y: int) -> list[float]:
    return image(x, y)[:3] if image.bands >= 3 else image(x, y)[:1] * 3


def near(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def mean_colour(image: pyvips.Image) -> list[float]:
    stats = image.stats()
    return [stats(4, band + 1)[0] for band in range(min(3, image.bands))]


class Recording:
    """A PyramidSource that remembers which levels were opened."""

    def __init__(self, inner):
        self.inner = inner
        self.width, self.height, self.levels = inner.width, inner.height, inner.levels
        self.opened: list[int] = []

    def level(self, index):
        self.opened.append(index)
        return self.inner.level(index)


# -- parsing: syntax ---------------------------------------------------------------------

FULL = Region("full")

VALID = [
    # the four segments, then what they mean: region, size, mirror, rotation, quality, format
    (("full", "max", "0", "default.jpg"), (FULL, Size("max"), False, "0", "default", "jpg")),
    (
        ("square", "^max", "90", "color.png"),
        (Region("square"), Size("max", upscale=True), False, "90", "color", "png"),
    ),
    (
        ("0,0,10,10", "10,", "180", "gray.jpg"),
        (Region("px", (0, 0, 10, 10)), Size("w", width=10), False, "180", "gray", "jpg"),
    ),
    (
        ("pct:0,0,50.5,50", ",10", "270", "bitonal.png"),
        (
            Region("pct", (0, 0, Fraction(101, 2), 50)),
            Size("h", height=10),
            False,
            "270",
            "bitonal",
            "png",
        ),
    ),
    (
        ("pct:.5,0.25,10,10", "pct:50", "22.5", "default.webp"),
        (
            Region("pct", (Fraction(1, 2), Fraction(1, 4), 10, 10)),
            Size("pct", percent=Fraction(50)),
            False,
            "22.5",
            "default",
            "webp",
        ),
    ),
    (
        ("10,10,10,10", "^pct:150", "!0", "default.jpg"),
        (
            Region("px", (10, 10, 10, 10)),
            Size("pct", upscale=True, percent=Fraction(150)),
            True,
            "0",
            "default",
            "jpg",
        ),
    ),
    (
        ("full", "10,10", "!90", "default.jpg"),
        (FULL, Size("wh", width=10, height=10), True, "90", "default", "jpg"),
    ),
    (  # 360 degrees is the same image as 0, with one canonical form
        ("full", "^10,10", "360", "default.jpg"),
        (FULL, Size("wh", upscale=True, width=10, height=10), False, "0", "default", "jpg"),
    ),
    (
        ("full", "!10,10", "0.5", "default.jpg"),
        (FULL, Size("confined", width=10, height=10), False, "0.5", "default", "jpg"),
    ),
    (
        ("full", "^!10,10", "!359.99", "default.jpg"),
        (
            FULL,
            Size("confined", upscale=True, width=10, height=10),
            True,
            "359.99",
            "default",
            "jpg",
        ),
    ),
    (
        ("full", "^10,", "90.", "default.gif"),
        (FULL, Size("w", upscale=True, width=10), False, "90", "default", "gif"),
    ),
    (
        ("full", "^,10", "0", "default.tif"),
        (FULL, Size("h", upscale=True, height=10), False, "0", "default", "tif"),
    ),
]


@pytest.mark.parametrize(("segments", "meaning"), VALID)
def test_valid_syntax_parses(segments, meaning):
    region, size, mirror, rotation, quality, fmt = meaning
    parsed = parse("id", *segments)
    assert parsed == ImageRequest("id", region, size, mirror, Decimal(rotation), quality, fmt)
    assert str(parsed.rotation) == rotation  # in canonical form: no "90.", no "360"


INVALID = [
    # region
    ("", "max", "0", "default.jpg", "region"),
    ("Full", "max", "0", "default.jpg", "region"),
    ("0,0,10", "max", "0", "default.jpg", "region"),
    ("0,0,10,10,10", "max", "0", "default.jpg", "region"),
    ("-1,0,10,10", "max", "0", "default.jpg", "region"),
    ("0.5,0,10,10", "max", "0", "default.jpg", "region"),
    ("0,0,0,10", "max", "0", "default.jpg", "zero"),
    ("pct:0,0,10,0", "max", "0", "default.jpg", "zero"),
    ("pct:0,0,1e2,10", "max", "0", "default.jpg", "region"),
    ("pct:+1,0,10,10", "max", "0", "default.jpg", "region"),
    ("0, 0,10,10", "max", "0", "default.jpg", "region"),
    ("\u0663,0,10,10", "max", "0", "default.jpg", "region"),  # Arabic-Indic digit
    # size
    ("full", "full", "0", "default.jpg", "removed"),
    ("full", "", "0", "default.jpg", "size"),
    ("full", ",", "0", "default.jpg", "neither"),
    ("full", "!10,", "0", "default.jpg", "both"),
    ("full", "!,10", "0", "default.jpg", "both"),
    ("full", "0,", "0", "default.jpg", "zero"),
    ("full", "10,0", "0", "default.jpg", "zero"),
    ("full", "pct:0", "0", "default.jpg", "zero"),
    ("full", "pct:101", "0", "default.jpg", "over 100%"),
    ("full", "!^10,10", "0", "default.jpg", "size"),
    ("full", "^^max", "0", "default.jpg", "size"),
    ("full", "-10,", "0", "default.jpg", "size"),
    ("full", "10.5,", "0", "default.jpg", "size"),
    ("full", "pct:-5", "0", "default.jpg", "size"),
    # rotation
    ("full", "max", "361", "default.jpg", "out of range"),
    ("full", "max", "-90", "default.jpg", "rotation"),
    ("full", "max", "!!90", "default.jpg", "rotation"),
    ("full", "max", "", "default.jpg", "rotation"),
    ("full", "max", "ninety", "default.jpg", "rotation"),
    ("full", "max", "+90", "default.jpg", "rotation"),
    ("full", "max", "1e2", "default.jpg", "rotation"),
    # quality and format
    ("full", "max", "0", "default", "no format"),
    ("full", "max", "0", "native.jpg", "quality"),
    ("full", "max", "0", "grey.jpg", "quality"),
    ("full", "max", "0", "default.jpeg", "unknown"),
    ("full", "max", "0", "default.JPG", "unknown"),
    ("full", "max", "0", "default.", "unknown"),
    ("full", "max", "0", "default.jp2", "not offered"),
    ("full", "max", "0", "default.pdf", "not offered"),
    ("full", "max", "0", "default.xyz", "unknown"),
    ("9" * 300, "max", "0", "default.jpg", "longer"),
]


@pytest.mark.parametrize(("region", "size", "rotation", "qf", "message"), INVALID)
def test_invalid_syntax_is_400(region, size, rotation, qf, message):
    with pytest.raises(ImageRequestError) as caught:
        parse("id", region, size, rotation, qf)
    assert caught.value.status == 400
    assert message in caught.value.message


def test_empty_identifier_is_400():
    with pytest.raises(ImageRequestError) as caught:
        parse("", "full", "max", "0", "default.jpg")
    assert caught.value.status == 400


# -- resolving: crop box, output size, canonical form --------------------------------------

RESOLVE_1000 = [
    # region, size, crop, output, canonical params
    ("full", "max", (0, 0, 1000, 1000), (1000, 1000), "full/max/0/default.jpg"),
    ("square", "max", (0, 0, 1000, 1000), (1000, 1000), "full/max/0/default.jpg"),
    ("0,0,1000,1000", "1000,", (0, 0, 1000, 1000), (1000, 1000), "full/max/0/default.jpg"),
    ("pct:0,0,100,100", "pct:100", (0, 0, 1000, 1000), (1000, 1000), "full/max/0/default.jpg"),
    (
        "pct:10,20,30,40",
        "max",
        (100, 200, 300, 400),
        (300, 400),
        "100,200,300,400/max/0/default.jpg",
    ),
    (
        "pct:41.6,7.5,40,70",
        "max",
        (416, 75, 400, 700),
        (400, 700),
        "416,75,400,700/max/0/default.jpg",
    ),
    (
        "900,900,500,500",
        "max",
        (900, 900, 100, 100),
        (100, 100),
        "900,900,100,100/max/0/default.jpg",
    ),
    ("pct:90,95,50,50", "max", (900, 950, 100, 50), (100, 50), "900,950,100,50/max/0/default.jpg"),
    (
        "125,15,120,140",
        "90,",
        (125, 15, 120, 140),
        (90, 105),
        "125,15,120,140/90,105/0/default.jpg",
    ),
    ("full", "!200,100", (0, 0, 1000, 1000), (100, 100), "full/100,100/0/default.jpg"),
    ("full", "pct:12.5", (0, 0, 1000, 1000), (125, 125), "full/125,125/0/default.jpg"),
    ("full", "123,45", (0, 0, 1000, 1000), (123, 45), "full/123,45/0/default.jpg"),
    ("full", "^500,", (0, 0, 1000, 1000), (500, 500), "full/500,500/0/default.jpg"),
    ("0,0,1,1000", "1,", (0, 0, 1, 1000), (1, 1000), "0,0,1,1000/max/0/default.jpg"),
]


@pytest.mark.parametrize(("region", "size", "crop", "output", "canonical"), RESOLVE_1000)
def test_resolve_1000x1000(region, size, crop, output, canonical):
    plan = parse("id", region, size, "0", "default.jpg").resolve(1000, 1000, NO_LIMITS)
    assert plan.region == crop
    assert plan.size == output
    assert plan.canonical_params() == canonical


RESOLVE_3000x2000 = [
    ("full", "max", NO_LIMITS, (0, 0, 3000, 2000), (3000, 2000), "full/max"),
    ("square", "max", NO_LIMITS, (500, 0, 2000, 2000), (2000, 2000), "500,0,2000,2000/max"),
    (
        "2900,1900,200,200",
        "max",
        NO_LIMITS,
        (2900, 1900, 100, 100),
        (100, 100),
        "2900,1900,100,100/max",
    ),
    (
        "pct:41.6,7.5,40,70",
        "max",
        NO_LIMITS,
        (1248, 150, 1200, 1400),
        (1200, 1400),
        "1248,150,1200,1400/max",
    ),
    ("full", "150,", NO_LIMITS, (0, 0, 3000, 2000), (150, 100), "full/150,100"),
    ("full", ",150", NO_LIMITS, (0, 0, 3000, 2000), (225, 150), "full/225,150"),
    ("full", "pct:50", NO_LIMITS, (0, 0, 3000, 2000), (1500, 1000), "full/1500,1000"),
    ("full", "225,100", NO_LIMITS, (0, 0, 3000, 2000), (225, 100), "full/225,100"),
    ("full", "!225,100", NO_LIMITS, (0, 0, 3000, 2000), (150, 100), "full/150,100"),
    ("full", "3000,", NO_LIMITS, (0, 0, 3000, 2000), (3000, 2000), "full/max"),
    # limits: max fits inside them, an explicit size equal to that is canonical "max"
    ("full", "max", Limits(1000), (0, 0, 3000, 2000), (1000, 667), "full/max"),
    ("full", "1000,667", Limits(1000), (0, 0, 3000, 2000), (1000, 667), "full/max"),
    ("full", "max", Limits(max_area=600_000), (0, 0, 3000, 2000), (949, 632), "full/max"),
    ("full", "!2000,2000", Limits(1000), (0, 0, 3000, 2000), (1000, 667), "full/max"),
    # upscaling with ^
    ("full", "^max", UPSCALE, (0, 0, 3000, 2000), (5000, 3333), "full/^max"),
    ("0,0,300,200", "^!360,360", UPSCALE, (0, 0, 300, 200), (360, 240), "0,0,300,200/^360,240"),
    ("0,0,300,200", "^pct:150", UPSCALE, (0, 0, 300, 200), (450, 300), "0,0,300,200/^450,300"),
    ("0,0,300,200", "^,400", UPSCALE, (0, 0, 300, 200), (600, 400), "0,0,300,200/^600,400"),
]


@pytest.mark.parametrize(
    ("region", "size", "limits", "crop", "output", "canonical"), RESOLVE_3000x2000
)
def test_resolve_3000x2000(region, size, limits, crop, output, canonical):
    plan = parse("id", region, size, "0", "default.jpg").resolve(3000, 2000, limits)
    assert plan.region == crop
    assert plan.size == output
    assert plan.canonical_params() == f"{canonical}/0/default.jpg"
    assert limits.allows(*plan.size)


REFUSED = [
    # region, size, limits, status, message
    ("1000,0,10,10", "max", NO_LIMITS, 400, "outside"),
    ("0,1000,10,10", "max", NO_LIMITS, 400, "outside"),
    ("pct:100,0,10,10", "max", NO_LIMITS, 400, "outside"),
    ("pct:0,100,10,10", "max", NO_LIMITS, 400, "outside"),
    ("full", "1001,", NO_LIMITS, 400, "^"),
    ("full", ",1001", NO_LIMITS, 400, "^"),
    ("full", "1001,1000", NO_LIMITS, 400, "^"),
    ("full", "!2000,3000", NO_LIMITS, 400, "^"),  # the validator's size_noup case
    ("10,10,100,100", "101,", NO_LIMITS, 400, "^"),
    ("0,0,1000,1", "1,", NO_LIMITS, 400, "less than one pixel"),
    ("full", "pct:0.01", NO_LIMITS, 400, "less than one pixel"),
    ("full", "^1001,", NO_LIMITS, 501, "upscaling"),  # no limits bound upscaling
    ("full", "^pct:120", Limits(5000, allow_upscaling=False), 501, "upscaling"),
    ("full", "^max", Limits(5000, allow_upscaling=False), 501, "upscaling"),
    ("full", "600,", Limits(500), 400, "limits"),
    ("full", ",600", Limits(500), 400, "limits"),  # maxHeight defaults to maxWidth
    ("full", "600,100", Limits(1000, 50), 400, "limits"),
    ("full", "200,200", Limits(max_area=10_000), 400, "limits"),
    ("full", "^5000,", UPSCALE, 400, "limits"),  # 25 Mpx is over maxArea
]


@pytest.mark.parametrize(("region", "size", "limits", "status", "message"), REFUSED)
def test_resolve_refuses(region, size, limits, status, message):
    with pytest.raises(ImageRequestError) as caught:
        parse("id", region, size, "0", "default.jpg").resolve(1000, 1000, limits)
    assert caught.value.status == status
    assert message in caught.value.message


SPEC_EXAMPLES = [
    # IMG §4.1 and §4.2 examples, on the spec's 300x200 image
    ("125,15,120,140", "max", NO_LIMITS, (125, 15, 120, 140), (120, 140)),
    ("pct:41.6,7.5,40,70", "max", NO_LIMITS, (125, 15, 120, 140), (120, 140)),
    ("125,15,200,200", "max", NO_LIMITS, (125, 15, 175, 185), (175, 185)),
    ("pct:41.6,7.5,66.6,100", "max", NO_LIMITS, (125, 15, 175, 185), (175, 185)),
    ("full", "max", Limits(200), (0, 0, 300, 200), (200, 133)),
    ("full", "^max", Limits(360), (0, 0, 300, 200), (360, 240)),
    ("full", "150,", NO_LIMITS, (0, 0, 300, 200), (150, 100)),
    ("full", "^360,", Limits(360), (0, 0, 300, 200), (360, 240)),
    ("full", ",150", NO_LIMITS, (0, 0, 300, 200), (225, 150)),
    ("full", "pct:50", NO_LIMITS, (0, 0, 300, 200), (150, 100)),
    ("full", "225,100", NO_LIMITS, (0, 0, 300, 200), (225, 100)),
    ("full", "^360,360", Limits(360), (0, 0, 300, 200), (360, 360)),
    ("full", "!225,100", NO_LIMITS, (0, 0, 300, 200), (150, 100)),
    ("full", "^!360,360", Limits(360), (0, 0, 300, 200), (360, 240)),
]


@pytest.mark.parametrize(("region", "size", "limits", "crop", "output"), SPEC_EXAMPLES)
def test_spec_examples(region, size, limits, crop, output):
    plan = parse("id", region, size, "0", "default.jpg").resolve(300, 200, limits)
    assert (plan.region, plan.size) == (crop, output)


def test_limits_refuse_before_any_pixel_exists():
    """A 'billion-pixel image' that does not exist: resolve needs only its dimensions."""
    limits = Limits(max_width=10_000, max_height=10_000, max_area=50_000_000)
    with pytest.raises(ImageRequestError) as caught:
        parse("id", "full", "40000,", "0", "default.jpg").resolve(40_000, 30_000, limits)
    assert caught.value.status == 400
    plan = parse("id", "full", "max", "0", "default.jpg").resolve(40_000, 30_000, limits)
    assert limits.allows(*plan.size) and plan.size[0] <= 10_000


def test_rotation_and_mirror_canonical():
    plan = request(rotation="!22.50", qf="gray.png")
    assert (plan.mirror, plan.rotation) == (True, Decimal("22.5"))
    assert plan.canonical_params() == "full/max/!22.5/gray.png"
    assert request(rotation="360").canonical_params() == "full/max/0/default.png"
    assert request(rotation="90.0").canonical_params() == "full/max/90/default.png"
    assert request(rotation="!0").canonical_params() == "full/max/!0/default.png"


def test_canonical_path_encodes_identifier():
    plan = parse("ark:/12025/654xz321", "full", "max", "0", "default.jpg").resolve(
        10, 10, NO_LIMITS
    )
    assert plan.canonical_path() == "ark:%2F12025%2F654xz321/full/max/0/default.jpg"
    plan = parse("urn:foo:a123,456", "full", "max", "0", "default.jpg").resolve(10, 10, NO_LIMITS)
    assert plan.canonical_path().startswith("urn:foo:a123,456/")
    plan = parse("л. 1 об.", "full", "max", "0", "default.jpg").resolve(10, 10, NO_LIMITS)
    assert plan.canonical_path().isascii()


def test_canonical_form_resolves_to_the_same_plan():
    for region, size, limits, *_ in RESOLVE_3000x2000:
        plan = parse("id", region, size, "!90", "gray.png").resolve(3000, 2000, limits)
        again = parse("id", *plan.canonical_params().split("/")).resolve(3000, 2000, limits)
        assert again == plan


def test_media_type():
    assert request(qf="default.jpg").media_type == "image/jpeg"
    assert request(qf="default.png").media_type == "image/png"


# -- property tests ------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(0, 5000).map(str),
    st.decimals(0, 200, places=3, allow_nan=False, allow_infinity=False).map(str),
)
regions = st.one_of(
    st.sampled_from(["full", "square"]),
    st.lists(st.integers(0, 4000), min_size=4, max_size=4).map(lambda v: ",".join(map(str, v))),
    st.lists(numbers, min_size=4, max_size=4).map(lambda v: "pct:" + ",".join(v)),
    st.text(max_size=20),
)
sizes = st.builds(
    lambda up, body: ("^" if up else "") + body,
    st.booleans(),
    st.one_of(
        st.just("max"),
        st.integers(0, 6000).map(lambda w: f"{w},"),
        st.integers(0, 6000).map(lambda h: f",{h}"),
        st.tuples(st.integers(0, 6000), st.integers(0, 6000)).map(lambda t: f"{t[0]},{t[1]}"),
        st.tuples(st.integers(0, 6000), st.integers(0, 6000)).map(lambda t: f"!{t[0]},{t[1]}"),
        numbers.map(lambda n: f"pct:{n}"),
        st.text(max_size=12),
    ),
)
rotations = st.one_of(
    st.builds(lambda m, n: ("!" if m else "") + n, st.booleans(), numbers), st.text(max_size=8)
)
quality_formats = st.one_of(
    st.builds(
        lambda q, f: f"{q}.{f}",
        st.sampled_from(["default", "color", "gray", "bitonal", "native"]),
        st.sampled_from(["jpg", "png", "webp", "tif", "gif", "jp2", "pdf", "bmp"]),
    ),
    st.text(max_size=16),
)
limits_strategy = st.builds(
    Limits,
    st.one_of(st.none(), st.integers(1, 4000)),
    st.none(),
    st.one_of(st.none(), st.integers(1, 8_000_000)),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=30),
    st.text(max_size=30),
    st.text(max_size=30),
    st.text(max_size=30),
    st.text(max_size=30),
)
def test_arbitrary_segments_only_raise_image_request_error(identifier, region, size, rot, qf):
    try:
        parse(identifier, region, size, rot, qf).resolve(1000, 700, Limits(800, None, 400_000))
    except ImageRequestError as error:
        assert error.status in (400, 501)


@settings(max_examples=400, deadline=None)
@given(
    regions,
    sizes,
    rotations,
    quality_formats,
    st.integers(1, 5000),
    st.integers(1, 5000),
    limits_strategy,
)
def test_any_resolved_plan_is_inside_image_and_limits(region, size, rot, qf, width, height, limits):
    try:
        plan = parse("id", region, size, rot, qf).resolve(width, height, limits)
    except ImageRequestError as error:
        assert error.status in (400, 501)
        return
    x, y, w, h = plan.region
    assert 0 <= x < width and 0 <= y < height and w >= 1 and h >= 1
    assert x + w <= width and y + h <= height
    out_w, out_h = plan.size
    assert out_w >= 1 and out_h >= 1
    assert limits.allows(out_w, out_h)
    if not size.startswith("^"):
        assert out_w <= w and out_h <= h
    elif plan.upscaled:
        assert limits.upscaling_enabled
    # canonical form is itself valid and means the same thing
    region_c, size_c, rot_c, qf_c = plan.canonical_params().split("/")
    assert parse("id", region_c, size_c, rot_c, qf_c).resolve(width, height, limits) == plan


# -- info.json -----------------------------------------------------------------------------


def test_pyramid_layout():
    assert pyramid_layout(1000, 1400, 512) == (
        [1, 2, 4],
        [(63, 88), (125, 175), (250, 350), (500, 700)],
    )
    assert pyramid_layout(512, 512, 512) == ([1], [(64, 64), (128, 128), (256, 256)])
    assert pyramid_layout(513, 100, 512) == ([1, 2], [(65, 13), (129, 25), (257, 50)])
    assert pyramid_layout(50, 30) == ([1], [(50, 30)])


@given(st.integers(1, 40_000), st.integers(1, 40_000))
def test_halfway_sizes_halve_the_step_between_the_listed_sizes(width, height):
    """Between two listed sizes (each about twice the next in width and height) lies one
    with about half the larger's pixels, both sides scaled alike."""
    _, sizes = pyramid_layout(width, height, 512)
    halfway = halfway_sizes(sizes)
    assert len(halfway) == len(sizes) - 1
    for smaller, (w, h), larger in zip(sizes[:-1], halfway, sizes[1:], strict=True):
        assert smaller <= (w, h) <= larger
        assert smaller[0] <= w <= larger[0] and smaller[1] <= h <= larger[1]
        if min(smaller) >= 16:
            assert 0.4 <= (w * h) / (larger[0] * larger[1]) <= 0.6
        # the larger size scaled by 1/sqrt(2) on both sides, to the nearest pixel
        assert abs(w - larger[0] / math.sqrt(2)) <= 0.5
        assert abs(h - larger[1] / math.sqrt(2)) <= 0.5


def test_info_json_document():
    factors, sizes = pyramid_layout(1000, 1400)
    limits = Limits(max_width=2000, max_height=2000, max_area=4_000_000)
    doc = info_json(
        "https://example.org/iiif/3/abc",
        1000,
        1400,
        tile_size=512,
        scale_factors=factors,
        sizes=sizes,
        limits=limits,
        rights="http://rightsstatements.org/vocab/InC-EDU/1.0/",
    )
    assert next(iter(doc)) == "@context"
    assert doc["@context"] == "http://iiif.io/api/image/3/context.json"
    assert doc["id"] == "https://example.org/iiif/3/abc"
    assert (doc["type"], doc["protocol"], doc["profile"]) == (
        "ImageService3",
        "http://iiif.io/api/image",
        "level2",
    )
    assert (doc["width"], doc["height"]) == (1000, 1400)
    assert (doc["maxWidth"], doc["maxHeight"], doc["maxArea"]) == (2000, 2000, 4_000_000)
    assert doc["sizes"][0] == {"width": 63, "height": 88}
    assert doc["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}]
    assert doc["extraQualities"] == ["color", "gray", "bitonal"]
    assert "jpg" not in doc["extraFormats"] and "png" not in doc["extraFormats"]
    assert ("webp" in doc["extraFormats"]) == ("webp" in supported_formats())
    features = doc["extraFeatures"]
    assert {
        "mirroring",
        "rotationArbitrary",
        "sizeUpscaling",
        "canonicalLinkHeader",
        "profileLinkHeader",
    } <= set(features)
    assert not {"cors", "jsonldMediaType", "baseUriRedirect", "regionSquare"} & set(features)
    assert doc["rights"].startswith("http://")


def test_info_json_promises_are_kept():
    """Every advertised size and tile request resolves within the limits, canonically."""
    width, height = 3000, 2000
    factors, sizes = pyramid_layout(width, height, 512)
    limits = Limits(max_width=2000, max_area=3_000_000)
    doc = info_json(
        "https://example.org/i",
        width,
        height,
        tile_size=512,
        scale_factors=factors,
        sizes=[*sizes, (3000, 2000)],
        limits=limits,
    )
    assert {"width": 3000, "height": 2000} not in doc["sizes"]  # over maxWidth: dropped
    for entry in doc["sizes"]:
        plan = parse(
            "i", "full", f"{entry['width']},{entry['height']}", "0", "default.jpg"
        ).resolve(width, height, limits)
        assert plan.canonical_params() == f"full/{entry['width']},{entry['height']}/0/default.jpg"
    for quality in doc["extraQualities"]:
        for fmt in ["jpg", "png", *doc["extraFormats"]]:
            parsed = parse("i", "full", "max", "0", f"{quality}.{fmt}")
            assert (parsed.quality, parsed.format) == (quality, fmt)
    tile = doc["tiles"][0]["width"]
    for factor in doc["tiles"][0]["scaleFactors"]:  # what OpenSeadragon asks for
        span = tile * factor
        for x in range(0, width, span):
            for y in range(0, height, span):
                w, h = min(span, width - x), min(span, height - y)
                size = f"{math.ceil(w / factor)},{math.ceil(h / factor)}"
                plan = parse("i", f"{x},{y},{w},{h}", size, "0", "default.jpg").resolve(
                    width, height, limits
                )
                assert limits.allows(*plan.size)


def test_info_json_without_upscaling_limits():
    doc = info_json(
        "https://example.org/i",
        100,
        100,
        tile_size=512,
        scale_factors=[1],
        sizes=[(50, 50)],
        limits=NO_LIMITS,
        http_features=(),
    )
    assert "sizeUpscaling" not in doc["extraFeatures"]
    assert "canonicalLinkHeader" not in doc["extraFeatures"]
    assert "maxWidth" not in doc


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_id": "https://example.org/i/"}, "slash"),
        ({"service_id": "/relative/i"}, "absolute"),
        ({"service_id": "https://example.org/i?x=1"}, "query"),
        ({"rights": "https://creativecommons.org/licenses/by/4.0/"}, "http://"),
        ({"limits": Limits(256)}, "tile size"),
        ({"scale_factors": []}, "scale factors"),
    ],
)
def test_info_json_refuses_bad_input(kwargs, message):
    args = {
        "service_id": "https://example.org/i",
        "width": 100,
        "height": 100,
        "tile_size": 512,
        "scale_factors": [1],
        "sizes": [],
        "limits": NO_LIMITS,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        info_json(**args)


def test_limits_validation():
    with pytest.raises(ValueError):
        Limits(max_height=100)
    with pytest.raises(ValueError):
        Limits(max_width=0)


# -- pixels: synthetic image ---------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic():
    return BufferSource(quadrants(400, 300))


def test_full_image_colours(synthetic):
    image = draw(synthetic)
    assert (image.width, image.height) == (400, 300)
    assert near(colour_at(image, 10, 10), RED)
    assert near(colour_at(image, 390, 10), GREEN)
    assert near(colour_at(image, 10, 290), BLUE)
    assert near(colour_at(image, 390, 290), YELLOW)


@pytest.mark.parametrize(
    ("region", "colour"),
    [
        ("200,0,200,150", GREEN),
        ("0,150,200,150", BLUE),
        ("pct:50,50,50,50", YELLOW),
        ("pct:0,0,50,50", RED),
        ("350,250,500,500", YELLOW),  # partly outside: cropped
    ],
)
def test_region_crops_hit_the_right_colours(synthetic, region, colour):
    image = draw(synthetic, region=region)
    assert near(mean_colour(image), colour, tolerance=2)


def test_region_partly_outside_is_cropped(synthetic):
    image = draw(synthetic, region="350,250,500,500")
    assert (image.width, image.height) == (50, 50)


def test_square_region_is_centred(synthetic):
    image = draw(synthetic, region="square")
    assert (image.width, image.height) == (300, 300)
    # 50 px cut from each side: the colour boundary sits at x=150
    assert near(colour_at(image, 145, 10), RED)
    assert near(colour_at(image, 155, 10), GREEN)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("100,", (100, 75)),
        (",75", (100, 75)),
        ("pct:25", (100, 75)),
        ("!100,100", (100, 75)),
        ("40,60", (40, 60)),
        ("max", (400, 300)),
    ],
)
def test_sizes(synthetic, size, expected):
    image = draw(synthetic, size=size)
    assert (image.width, image.height) == expected
    assert near(colour_at(image, 2, 2), RED, tolerance=20)
    assert near(colour_at(image, expected[0] - 3, expected[1] - 3), YELLOW, tolerance=20)


def test_upscaling(synthetic):
    image = draw(synthetic, region="0,0,40,30", size="^400,", limits=UPSCALE)
    assert (image.width, image.height) == (400, 300)
    assert near(mean_colour(image), RED, tolerance=2)


def test_mirroring(synthetic):
    image = draw(synthetic, rotation="!0")
    assert near(colour_at(image, 10, 10), GREEN)
    assert near(colour_at(image, 390, 290), BLUE)


@pytest.mark.parametrize(
    ("rotation", "dims", "top_left", "top_right"),
    [
        ("90", (300, 400), BLUE, RED),
        ("180", (400, 300), YELLOW, BLUE),
        ("270", (300, 400), GREEN, YELLOW),
        ("!90", (300, 400), YELLOW, GREEN),  # mirrored first, then rotated
        ("!180", (400, 300), BLUE, YELLOW),
    ],
)
def test_rotation_by_90s(synthetic, rotation, dims, top_left, top_right):
    image = draw(synthetic, rotation=rotation)
    assert (image.width, image.height) == dims
    assert near(colour_at(image, 5, 5), top_left)
    assert near(colour_at(image, dims[0] - 6, 5), top_right)


def test_arbitrary_rotation_expands_with_transparent_png_and_white_jpg(synthetic):
    png = draw(synthetic, rotation="45", qf="default.png")
    expected = round((400 + 300) / math.sqrt(2))
    assert abs(png.width - expected) <= 2 and abs(png.height - expected) <= 2
    assert png.hasalpha() and png(0, 0)[-1] == 0  # corner is transparent
    assert png(png.width // 2, png.height // 2)[-1] == 255
    jpg = draw(synthetic, rotation="45", qf="default.jpg")
    assert (jpg.width, jpg.height) == (png.width, png.height)
    assert jpg.bands == 3 and near(colour_at(jpg, 0, 0), [255, 255, 255], tolerance=3)


def test_gray_and_bitonal_change_the_pixels(synthetic):
    colour = draw(synthetic, qf="color.png")
    gray = draw(synthetic, qf="gray.png")
    bitonal = draw(synthetic, qf="bitonal.png")
    assert colour.bands == 3
    assert gray.bands == 1 and gray.interpretation == "b-w"
    # red, green, blue, yellow become four different greys, not one
    greys = {round(gray(x, y)[0]) for x, y in [(10, 10), (390, 10), (10, 290), (390, 290)]}
    assert len(greys) == 4
    histogram = bitonal.hist_find()
    used = [i for i in range(256) if histogram(i, 0)[0] > 0]
    assert used == [0, 255]
    assert bitonal(390, 290)[0] == 255 and bitonal(10, 290)[0] == 0  # yellow white, blue black


@pytest.mark.parametrize("fmt", supported_formats())
def test_formats_decode_with_the_right_dimensions(synthetic, fmt):
    plan = parse("img", "0,0,300,200", "150,", "0", f"default.{fmt}").resolve(400, 300, NO_LIMITS)
    data = render(plan, synthetic)
    image = pyvips.Image.new_from_buffer(data, "")
    assert (image.width, image.height) == (150, 100)
    loader = image.get("vips-loader")
    expected = {"jpg": "jpeg", "png": "png", "webp": "webp", "gif": "gif", "tif": "tiff"}[fmt]
    assert loader.startswith(expected)


def test_webp_is_written():
    assert "webp" in supported_formats()  # pyvips-binary 8.18 ships libwebp


def test_rendering_is_deterministic(synthetic):
    plan = request(region="pct:10,10,80,80", size="!150,150", rotation="!33", qf="default.jpg")
    assert render(plan, synthetic) == render(plan, synthetic)


def test_plan_for_another_image_is_refused(synthetic):
    with pytest.raises(ValueError):
        render(request(width=10, height=10), synthetic)


def test_alpha_source_flattened_for_jpeg():
    rgba = quadrants(40, 30).bandjoin_const([128])
    image = draw(BufferSource(rgba), qf="default.jpg")
    assert image.bands == 3


# -- pixels: the IIIF validator's image --------------------------------------------------------


@pytest.fixture(scope="module")
def validation():
    path = shared_path("fixtures", "iiif-validation-image.png")
    image = pyvips.Image.new_from_file(str(path), access="random")
    return image, BufferSource(image)


def square_colour(original, col, row):
    return original(col * 100 + 50, row * 100 + 50)[:3]


@pytest.mark.parametrize(("col", "row"), [(0, 0), (3, 7), (9, 9), (5, 2)])
def test_validation_image_regions(validation, col, row):
    original, source = validation
    image = draw(source, region=f"{col * 100 + 10},{row * 100 + 10},80,80", qf="default.png")
    assert near(mean_colour(image), square_colour(original, col, row), tolerance=2)
    pct = draw(source, region=f"pct:{col * 10 + 1},{row * 10 + 1},8,8", qf="default.png")
    assert near(mean_colour(pct), square_colour(original, col, row), tolerance=2)


def test_validation_image_size_mirror_rotation(validation):
    original, source = validation
    small = draw(source, size="100,", qf="default.png")  # 10 px per square
    assert (small.width, small.height) == (100, 100)
    assert near(small(15, 75)[:3], square_colour(original, 1, 7), tolerance=8)
    mirrored = draw(source, rotation="!0", qf="default.png")
    rotated = draw(source, rotation="90", qf="default.png")
    upside = draw(source, rotation="180", qf="default.png")
    for col, row in [(0, 0), (2, 7), (9, 4)]:
        x, y = col * 100 + 50, row * 100 + 50
        assert near(mirrored(999 - x, y)[:3], original(x, y)[:3], 0)
        assert near(rotated(999 - y, x)[:3], original(x, y)[:3], 0)  # clockwise
        assert near(upside(999 - x, 999 - y)[:3], original(x, y)[:3], 0)


def test_validation_image_gray_and_bitonal(validation):
    _, source = validation
    gray = draw(source, qf="gray.jpg")
    assert gray.bands == 1
    bitonal = draw(source, qf="bitonal.png")
    histogram = bitonal.hist_find()
    assert histogram(0, 0)[0] + histogram(255, 0)[0] == 1000 * 1000


# -- pyramids ------------------------------------------------------------------------------

MAX_PIXELS = 5_000_000


def write_tiff(pages: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian TIFF, one uncompressed strip per page: (width, height, bands, pixels).

    libvips only writes multi-page TIFFs whose pages share one size; archives' do not.
    """
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    previous_link = 4
    for width, height, bands, pixels in pages:
        pixel_at = len(out)
        out += pixels
        bps_at = len(out)
        out += struct.pack("<" + "H" * bands, *([8] * bands)) + b"\x00\x00"
        entries = [
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, bands, bps_at if bands > 2 else 8),
            (259, 3, 1, 1),  # no compression
            (262, 3, 1, 2 if bands >= 3 else 1),  # RGB or min-is-black
            (273, 4, 1, pixel_at),  # StripOffsets
            (277, 3, 1, bands),
            (278, 4, 1, height),  # RowsPerStrip
            (279, 4, 1, len(pixels)),  # StripByteCounts
            (284, 3, 1, 1),  # PlanarConfiguration: chunky
        ]
        ifd_at = len(out)
        struct.pack_into("<I", out, previous_link, ifd_at)
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            inline = kind == 3 and count == 1
            out += struct.pack("<HHI", tag, kind, count)
            out += struct.pack("<HH", value, 0) if inline else struct.pack("<I", value)
        previous_link = len(out)
        out += struct.pack("<I", 0)
    return bytes(out)


def two_page_tiff() -> bytes:
    first = quadrants(800, 600)
    second = (
        pyvips.Image.black(600, 800, bands=3)
        .draw_rect(GREEN, 0, 0, 600, 800, fill=True)
        .cast("uchar")
    )
    return write_tiff([(im.width, im.height, 3, im.write_to_memory()) for im in (first, second)])


@pytest.fixture(scope="module")
def jpeg_pyramid():
    data = quadrants(1200, 900).jpegsave_buffer(Q=95)
    return build_pyramid(data, 0, tile_size=256, max_pixels=MAX_PIXELS)


def test_pyramid_levels_from_jpeg(jpeg_pyramid):
    source = open_pyramid_buffer(jpeg_pyramid)
    assert list(source.levels) == [(1200, 900), (600, 450), (300, 225), (150, 112)]
    tiff = pyvips.Image.new_from_buffer(jpeg_pyramid, "")
    assert tiff.get("vips-loader") == "tiffload_buffer"
    for index, (width, height) in enumerate(source.levels):
        level = source.level(index)
        assert (level.width, level.height) == (width, height)
        assert level.get("tile-width") == 256


def test_thumbnail_touches_only_a_small_level(jpeg_pyramid):
    source = Recording(open_pyramid_buffer(jpeg_pyramid))
    image = draw(source, size="150,", qf="default.jpg")
    assert source.opened == [3]
    assert (image.width, image.height) == (150, 113)
    assert near(colour_at(image, 5, 5), RED, tolerance=20)
    assert near(colour_at(image, 145, 108), YELLOW, tolerance=20)
    source.opened.clear()
    draw(source, region="600,0,600,450", size="300,", qf="default.jpg")  # scale factor 2
    assert source.opened == [1]
    source.opened.clear()
    draw(source, region="0,0,256,256", size="max", qf="default.jpg")  # full-res tile
    assert source.opened == [0]


def test_choose_level_needs_enough_pixels(jpeg_pyramid):
    source = open_pyramid_buffer(jpeg_pyramid)
    levels = source.levels
    # a level may be up to 1% short of the output (LEVEL_SLACK), not more
    for size, expected in [
        ("1200,", 0),
        ("607,", 0),
        ("601,", 1),
        ("600,", 1),
        ("304,", 1),
        ("300,", 2),
        ("152,", 2),
        ("150,", 3),
        ("10,", 3),
    ]:
        plan = request(size=size, width=1200, height=900)
        assert choose_level(plan, 1200, 900, levels) == expected, size


def test_pyramid_pixels_match_quadrants(jpeg_pyramid):
    source = open_pyramid_buffer(jpeg_pyramid)
    for region, colour in [
        ("0,0,600,450", RED),
        ("600,0,600,450", GREEN),
        ("0,450,600,450", BLUE),
        ("600,450,600,450", YELLOW),
    ]:
        for size in ["max", "75,"]:
            image = draw(source, region=region, size=size, qf="default.png")
            inner = image.crop(4, 4, image.width - 8, image.height - 8)
            assert near(mean_colour(inner), colour, tolerance=6), (region, size)


def test_pyramid_from_png_with_alpha_is_flattened():
    data = quadrants(500, 400).bandjoin_const([255]).pngsave_buffer()
    pyramid = build_pyramid(data, 0, tile_size=256, max_pixels=MAX_PIXELS)
    source = open_pyramid_buffer(pyramid)
    assert list(source.levels) == [(500, 400), (250, 200)]
    assert source.level(0).bands == 3
    assert [p.format for p in probe(data, max_pixels=MAX_PIXELS)] == ["png"]


def test_pyramid_from_two_page_tiff():
    data = two_page_tiff()
    pages = probe(data, max_pixels=MAX_PIXELS)
    assert [(p.index, p.width, p.height, p.format) for p in pages] == [
        (0, 800, 600, "tiff"),
        (1, 600, 800, "tiff"),
    ]
    first = open_pyramid_buffer(build_pyramid(data, 0, tile_size=256, max_pixels=MAX_PIXELS))
    second = open_pyramid_buffer(build_pyramid(data, 1, tile_size=256, max_pixels=MAX_PIXELS))
    assert list(first.levels) == [(800, 600), (400, 300), (200, 150)]
    assert list(second.levels) == [(600, 800), (300, 400), (150, 200)]
    assert near(mean_colour(draw(second, size="50,", qf="default.png")), GREEN, tolerance=6)
    with pytest.raises(ImageRejected, match="page 3 does not exist"):
        build_pyramid(data, 2, max_pixels=MAX_PIXELS)


def test_exif_orientation_is_applied():
    rotated = quadrants(300, 200).copy()
    rotated.set_type(pyvips.GValue.gint_type, "orientation", 6)
    data = rotated.jpegsave_buffer(Q=95)
    assert [(p.width, p.height) for p in probe(data, max_pixels=MAX_PIXELS)] == [(200, 300)]
    source = open_pyramid_buffer(build_pyramid(data, 0, tile_size=256, max_pixels=MAX_PIXELS))
    assert (source.width, source.height) == (200, 300)
    image = draw(source, qf="default.png")
    assert near(colour_at(image, 190, 5), RED, tolerance=20)  # top-left went top-right


def test_cmyk_and_16_bit_masters_become_8_bit_srgb():
    cmyk = quadrants(300, 200).icc_transform("cmyk").jpegsave_buffer(Q=95)
    source = open_pyramid_buffer(build_pyramid(cmyk, 0, tile_size=256, max_pixels=MAX_PIXELS))
    image = draw(source, qf="default.png")
    assert image.bands == 3
    red = colour_at(image, 10, 10)
    assert red[0] > 200 and red[1] < 60 and red[2] < 80
    deep = quadrants(300, 200).cast("ushort").linear(257, 0).cast("ushort")
    png16 = deep.copy(interpretation="rgb16").pngsave_buffer()
    source = open_pyramid_buffer(build_pyramid(png16, 0, tile_size=256, max_pixels=MAX_PIXELS))
    image = draw(source, qf="default.png")
    assert image.format == "uchar" and near(colour_at(image, 290, 190), YELLOW, tolerance=6)


def test_render_sizes(jpeg_pyramid):
    source = open_pyramid_buffer(jpeg_pyramid)
    _, sizes = pyramid_layout(source.width, source.height, 256)
    rendered = render_sizes(jpeg_pyramid, sizes)
    assert set(rendered) == set(sizes)
    for (width, height), data in rendered.items():
        image = pyvips.Image.new_from_buffer(data, "")
        assert (image.width, image.height, image.get("vips-loader")) == (
            width,
            height,
            "jpegload_buffer",
        )
        plan = request(size=f"{width},{height}", qf="default.jpg", width=1200, height=900)
        assert render(plan, source) == data  # identical to what would be served live
    with pytest.raises(ValueError, match="cannot pre-render"):
        render_sizes(jpeg_pyramid, [(2400, 1800)])


def test_pyramid_buffer_rejects_missing_level(jpeg_pyramid):
    with pytest.raises(IndexError):
        PyramidBuffer(jpeg_pyramid).level(9)


# -- hostile input -------------------------------------------------------------------------


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A real 8x8 PNG whose IHDR claims width x height (CRC fixed, so it parses)."""
    png = pyvips.Image.black(8, 8, bands=3).pngsave_buffer()
    assert png[12:16] == b"IHDR"
    fields = struct.pack(">II", width, height) + png[24:29]
    chunk = b"IHDR" + fields
    return png[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def tiff_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A hand-written TIFF header claiming width x height 8-bit grey pixels in one strip."""
    entries = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: min-is-black
        (273, 4, 1, 8 + 2 + 12 * 9 + 4),  # StripOffsets: just after the IFD
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, width * height),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x00" * 64


@pytest.mark.parametrize("bomb", [png_bomb(), tiff_bomb()], ids=["png", "tiff"])
def test_decompression_bomb_refused_from_the_header(bomb):
    started = time.perf_counter()
    with pytest.raises(ImageRejected, match="decompression bomb") as caught:
        probe(bomb, max_pixels=250_000_000)
    with pytest.raises(ImageRejected, match="decompression bomb"):
        build_pyramid(bomb, 0, max_pixels=250_000_000)
    assert time.perf_counter() - started < 1.0  # nothing was decoded
    assert "before decoding" in caught.value.message


def test_truncated_jpeg_is_rejected_not_grey():
    data = quadrants(600, 400).jpegsave_buffer(Q=90)
    truncated = data[: len(data) // 2]
    assert probe(truncated, max_pixels=MAX_PIXELS)[0].format == "jpeg"  # header is intact
    with pytest.raises(ImageRejected, match="truncated or corrupt image"):
        build_pyramid(truncated, 0, max_pixels=MAX_PIXELS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 4, "not an image"),
        (b"This is a letter, saved as letter.jpg by mistake.\n", "text, not an image"),
        (("Письмо " * 100).encode(), "text, not an image"),  # cut mid-letter
        (b"", "empty"),
        (b"%PDF-1.7\n%...", "PDF"),
        (b"GIF89a" + b"\x00" * 20, "GIF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt png header"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "corrupt jpeg header"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "not an image"),
    ],
)
def test_non_images_rejected_with_a_reason(data, message):
    with pytest.raises(ImageRejected, match=message):
        probe(data, max_pixels=MAX_PIXELS)


def test_format_is_sniffed_not_taken_from_the_name():
    png = quadrants(20, 10).pngsave_buffer()  # as if uploaded as "page.jpg"
    assert sniff(png) == "png"
    assert probe(png, max_pixels=MAX_PIXELS)[0].format == "png"
    webp = quadrants(20, 10).webpsave_buffer()
    assert [(p.width, p.height, p.format) for p in probe(webp, max_pixels=MAX_PIXELS)] == [
        (20, 10, "webp")
    ]


def test_max_pages():
    with pytest.raises(ImageRejected, match="pages"):
        probe(two_page_tiff(), max_pixels=MAX_PIXELS, max_pages=1)


# -- polyglots: where each format really ends ----------------------------------------------

# a ZIP's local header and its end record, with a JPEG EOI and a PNG IEND in between
PAYLOAD = b"PK\x03\x04" + b"\x14\x00" * 200 + b"\xff\xd9" + b"IEND" + b"PK\x05\x06" + b"\x01" * 18


def exif_thumbnail_jpeg() -> bytes:
    """A JPEG whose APP1 segment holds a whole JPEG thumbnail (with its own EOI)."""
    thumb = quadrants(40, 30).jpegsave_buffer(Q=80)
    body = b"Exif\x00\x00" + thumb
    main = quadrants(400, 300).jpegsave_buffer(Q=90)
    return main[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + main[2:]


def masters() -> dict[str, tuple[str, bytes]]:
    image = quadrants(300, 200)
    return {
        "jpeg": ("jpeg", image.jpegsave_buffer(Q=90)),
        "progressive jpeg": ("jpeg", image.jpegsave_buffer(Q=90, interlace=True)),
        "jpeg with exif thumbnail": ("jpeg", exif_thumbnail_jpeg()),
        "png": ("png", image.pngsave_buffer()),
        "webp": ("webp", image.webpsave_buffer()),
        "tiff": ("tiff", image.tiffsave_buffer()),
        "tiled tiff": ("tiff", image.tiffsave_buffer(tile=True, compression="jpeg")),
        "bigtiff": ("tiff", image.tiffsave_buffer(bigtiff=True, compression="lzw")),
        "tiff with exif": ("tiff", _with_exif(image).tiffsave_buffer()),
        "two-page tiff": ("tiff", two_page_tiff()),
        "many-page tiff": ("tiff", many_page_tiff(12)),
    }


def _with_exif(image: pyvips.Image) -> pyvips.Image:
    tagged = image.copy()
    tagged.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Artist", "Opis tests")
    tagged.set_type(pyvips.GValue.gstr_type, "exif-ifd2-UserComment", "a comment")
    return tagged


def many_page_tiff(pages: int, width: int = 40, height: int = 30) -> bytes:
    strip = pyvips.Image.black(width, height * pages, bands=3).new_from_image(GREEN)
    return strip.cast("uchar").tiffsave_buffer(page_height=height, compression="deflate")


@pytest.mark.parametrize("name", sorted(masters()))
def test_an_image_ends_where_its_structure_says(name):
    fmt, data = masters()[name]
    assert image_end(data, fmt) == len(data)
    assert trailing_bytes(data + b"\x00" * 30 + b"\n", fmt) == 0  # padding is harmless
    assert trailing_bytes(data + PAYLOAD, fmt) == len(PAYLOAD)
    pages = probe(data, max_pixels=MAX_PIXELS)
    assert pages and all(p.format == fmt for p in pages)
    with pytest.raises(ImageRejected, match="polyglot"):
        probe(data + PAYLOAD, max_pixels=MAX_PIXELS)


def test_a_payload_between_tiff_pages_is_not_the_end():
    """Data inside the file (strips, directories) is the image; only what follows is not."""
    data = two_page_tiff()
    layout = tiff_layout(data)
    assert layout.end == len(data)
    assert [(p.width, p.height, p.orientation) for p in layout.pages] == [
        (800, 600, 1),
        (600, 800, 1),
    ]


def test_a_tiff_whose_extent_is_unknown_is_not_refused():
    """Strips without byte counts: libtiff guesses their size, so the end cannot be told."""
    data = bytearray(tiff_bomb(20, 20))
    at = data.index(struct.pack("<HHI", 279, 4, 1))
    struct.pack_into("<H", data, at, 65000)  # StripByteCounts becomes an unknown private tag
    assert tiff_layout(bytes(data)).end is None
    assert trailing_bytes(bytes(data) + PAYLOAD, "tiff") == 0


def test_the_end_of_a_large_jpeg_is_found_without_a_python_byte_loop():
    noise = pyvips.Image.gaussnoise(1500, 1200, sigma=50, mean=128).cast("uchar")
    data = noise.bandjoin([noise.flip("horizontal"), noise.rot180()]).jpegsave_buffer(Q=95)
    assert len(data) > 2_000_000  # mostly entropy-coded data, with many 0xFF bytes

    def best(work) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return min(times)

    assert image_end(data, "jpeg") == len(data)
    hashing = best(lambda: hashlib.sha256(data).digest())
    finding = best(lambda: image_end(data, "jpeg"))
    # a Python loop over the bytes took about 20 times as long as hashing them
    assert finding < 5 * hashing, f"{finding:.4f} s to find the end, {hashing:.4f} s to hash"


def test_an_upload_is_probed_and_checked_for_polyglots_once(monkeypatch):
    calls = {"image_end": 0, "tiff_layout": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(derivatives, "image_end", counting("image_end", polyglot.image_end))
    monkeypatch.setattr(derivatives, "tiff_layout", counting("tiff_layout", polyglot.tiff_layout))
    upload = Upload(quadrants(300, 200).jpegsave_buffer(), max_pixels=MAX_PIXELS)
    upload.pyramid(0, tile_size=256)
    assert calls == {"image_end": 1, "tiff_layout": 0}
    upload = Upload(many_page_tiff(5), max_pixels=MAX_PIXELS)
    for page in range(5):
        upload.pyramid(page, tile_size=256)
    assert calls == {"image_end": 1, "tiff_layout": 1}


# -- multi-page TIFFs and small images -------------------------------------------------------


def test_each_page_of_a_multi_page_tiff_reads_as_itself():
    pages = [
        (quadrants(80, 60), 80, 60),
        (pyvips.Image.black(50, 70, bands=3).new_from_image(BLUE).cast("uchar"), 50, 70),
        (pyvips.Image.black(33, 17, bands=3).new_from_image(YELLOW).cast("uchar"), 33, 17),
    ]
    data = write_tiff([(im.width, im.height, 3, im.write_to_memory()) for im, _, _ in pages])
    upload = Upload(data, max_pixels=MAX_PIXELS)
    assert [(p.width, p.height) for p in upload.pages] == [(80, 60), (50, 70), (33, 17)]
    for index, (_, width, height) in enumerate(pages):
        source = open_pyramid_buffer(upload.pyramid(index, tile_size=256))
        assert (source.width, source.height) == (width, height)
    assert near(colour_at(draw(open_pyramid_buffer(upload.pyramid(1))), 10, 10), BLUE)
    assert near(colour_at(draw(open_pyramid_buffer(upload.pyramid(2))), 10, 10), YELLOW)
    assert near(colour_at(draw(open_pyramid_buffer(upload.pyramid(0))), 70, 50), YELLOW)
    assert upload.data == data, "the upload's bytes are left as they came"


def test_a_bomb_on_a_later_page_is_refused_before_decoding():
    small = quadrants(40, 30)
    data = bytearray(write_tiff([(40, 30, 3, small.write_to_memory())] * 2))
    layout = tiff_layout(bytes(data))
    second = layout.pages[1].directory
    at = data.index(struct.pack("<HHI", 256, 4, 1), second)
    struct.pack_into("<I", data, at + 8, 200_000)  # page 2 claims 200000 x 30 pixels
    started = time.perf_counter()
    with pytest.raises(ImageRejected, match="page 2 claims 200000x30"):
        probe(bytes(data), max_pixels=MAX_PIXELS)
    assert time.perf_counter() - started < 1.0


def test_a_duplicated_size_tag_counts_as_libtiff_reads_it():
    """libtiff keeps the first of two ImageWidth tags: so must the probe, or a second,
    small one would hide a bomb."""
    small = quadrants(40, 30)
    data = bytearray(write_tiff([(40, 30, 3, small.write_to_memory())] * 2))
    second = tiff_layout(bytes(data)).pages[1].directory
    width = data.index(struct.pack("<HHI", 256, 4, 1), second)
    struct.pack_into("<I", data, width + 8, 900_000)  # the first ImageWidth: a bomb
    planar = data.index(struct.pack("<HHI", 284, 3, 1), second)
    struct.pack_into("<HHII", data, planar, 256, 4, 1, 40)  # a second one, harmless
    assert tiff_layout(bytes(data)).pages[1].width == 900_000
    with pytest.raises(ImageRejected, match="page 2 claims 900000x30"):
        probe(bytes(data), max_pixels=MAX_PIXELS)


def test_too_many_pages_are_refused_without_reading_them_all():
    data = many_page_tiff(30)
    with pytest.raises(ImageRejected, match="more than 10 pages"):
        probe(data, max_pixels=MAX_PIXELS, max_pages=10)
    assert len(probe(data, max_pixels=MAX_PIXELS, max_pages=30)) == 30


@pytest.mark.parametrize("side", [1, 2, 15, 16, 17, 128, 129, 255])
def test_a_small_image_gets_a_pyramid_libvips_reads_back(side):
    image = pyvips.Image.black(side, side, bands=3).new_from_image(RED).cast("uchar")
    pyramid = build_pyramid(image.pngsave_buffer(), 0, tile_size=512, max_pixels=MAX_PIXELS)
    source = open_pyramid_buffer(pyramid)
    assert list(source.levels) == [(side, side)]
    level = source.level(0)
    assert level.get("tile-width") % 16 == 0 and level.get("tile-width") <= max(16, side + 15)
    assert near(colour_at(draw(source), side - 1, side - 1), RED, tolerance=20)
    _, sizes = pyramid_layout(side, side, 512)
    assert set(render_sizes(pyramid, sizes)) == set(sizes)


def test_a_narrow_image_gets_narrow_tiles():
    image = pyvips.Image.black(1000, 3, bands=3).new_from_image(GREEN).cast("uchar")
    source = open_pyramid_buffer(build_pyramid(image.pngsave_buffer(), max_pixels=MAX_PIXELS))
    assert (source.width, source.height) == (1000, 3)
    assert near(colour_at(draw(source, region="990,0,10,3"), 5, 1), GREEN, tolerance=30)
