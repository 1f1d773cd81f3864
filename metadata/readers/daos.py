"""Digital object links (EAD ``<dao>``, ``<daoloc>``): what each one points at.

A finding aid links a unit to its digital copy in three ways, and each is kept as it
serves best:

* a **IIIF manifest** (the path ends in ``/manifest`` or ``manifest.json``, or the link's
  ``xlink:role``/``linkrole`` names IIIF): a viewer can open it, so collections list it
  and the unit's own manifest points at it;
* an **image file** named by a relative path or a ``file:`` URL: a page image of the
  unit, ingested from the finding aid's folder as a document folder's images are;
* anything else (a web page, a handle, a file that is no image): a link, shown as it is.

Pure: the paths are only looked at here, never opened.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

# What ingest reads as page images (repository/intake/ingest.py reads the same suffixes
# in a document folder).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".pdf", ".jp2"})

_IIIF_PATH = re.compile(r"(?:/manifest|manifest\.json)/?$", re.IGNORECASE)
_IIIF_ROLE = re.compile(r"\biiif\b", re.IGNORECASE)


class Kind(Enum):
    MANIFEST = "manifest"
    IMAGE = "image"
    LINK = "link"


def kind(href: str, role: str | None = None) -> Kind:
    """What a digital object link points at (see the module's docstring)."""
    parts = urlsplit(href.strip())
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if _IIIF_PATH.search(parts.path) or (role and _IIIF_ROLE.search(role)):
            return Kind.MANIFEST
        return Kind.LINK
    if local_path(href) is not None:
        return Kind.IMAGE
    return Kind.LINK


def local_path(href: str) -> PurePosixPath | None:
    """The file an image link names (relative to the finding aid's folder unless
    absolute), or None when the link is not a local image file.

    ``..`` is kept: refusing it, with the reason, is the caller's (a link that leaves
    the folder is an error, not a web link).
    """
    text = href.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        path = PurePosixPath(unquote(parts.path))
    elif scheme or text.startswith("//") or not text:
        return None
    else:
        path = PurePosixPath(unquote(parts.path).replace("\\", "/"))
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    return path


def leaves_folder(path: PurePosixPath) -> bool:
    """Whether a relative image path climbs out of its folder (any ``..`` step)."""
    return ".." in path.parts
