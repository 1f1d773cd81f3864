"""What the builders need besides the record: the repository's settings, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field

from manifests.image_api import Limits
from metadata.crosswalks import FORMATS


def _oai_formats() -> tuple[tuple[str, str], ...]:
    return tuple((prefix, fmt.schema) for prefix, fmt in FORMATS.items())


@dataclass(frozen=True)
class PresentationContext:
    """Settings the documents depend on (the renderer fingerprints all of them).

    ``base`` is the public base URL without a trailing slash; ``oai_formats`` lists
    (metadataPrefix, schema URL) for the ``seeAlso`` links; ``tile_size`` and ``limits``
    decide the ``sizes`` and ``tiles`` embedded in image service blocks, which must agree
    with what info.json says.
    """

    base: str
    repository_name: str
    oai_namespace: str
    default_rights: str
    rights_map: tuple[tuple[str, str], ...] = ()
    tile_size: int = 512
    limits: Limits = field(default_factory=Limits)
    oai_formats: tuple[tuple[str, str], ...] = field(default_factory=_oai_formats)
