"""IIIF Image API 3.0 (level 2): request parsing, info.json, pixels and ingest derivatives.

Pure: nothing here opens files or sockets. The repository layer opens the pyramid files
and hands in images or bytes; status codes come back as ImageRequestError.status.
"""

from .derivatives import (
    ImageRejected,
    PageProbe,
    Upload,
    build_pyramid,
    open_pyramid_buffer,
    probe,
    render_sizes,
    sniff,
)
from .formats import IIIF_FORMATS, media_type, supported_formats
from .info import PROFILE_URI, halfway_sizes, info_json, pyramid_layout
from .pipeline import BufferSource, PyramidBuffer, PyramidSource, choose_level, render
from .request import ImageRequest, ImageRequestError, Limits, Plan, parse

__all__ = [
    "IIIF_FORMATS",
    "PROFILE_URI",
    "BufferSource",
    "ImageRejected",
    "ImageRequest",
    "ImageRequestError",
    "Limits",
    "PageProbe",
    "Plan",
    "PyramidBuffer",
    "PyramidSource",
    "Upload",
    "build_pyramid",
    "choose_level",
    "halfway_sizes",
    "info_json",
    "media_type",
    "open_pyramid_buffer",
    "parse",
    "probe",
    "pyramid_layout",
    "render",
    "render_sizes",
    "sniff",
    "supported_formats",
]
