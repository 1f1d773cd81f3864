"""Rendering a record into every stored form, once, when it is written.

The output depends on the record and on a few settings (the OAI namespace, the
repository name, the IIIF settings) and on the public URL. ``version`` fingerprints
all of them but the public URL, together with the crosswalks' own version, so when any
of them changes the store knows which records to render again (and their datestamps
move, as the metadata did).

The public URL is left out because a new one costs nothing stored: the renderer renders
with ``base`` (the configured public URL), the store keeps every body in its own
*rendition base* (the public URL it was first written with, translating as it stores),
and serving replaces that base with the configured one when they differ
(``repository/store/bases.py``). No record is rendered again and no datestamp moves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from manifests.presentation import build_manifest, urls
from metadata import crosswalks
from metadata.pagetext import PageText
from metadata.record import Record
from metadata.references import archive_name, canonical, level_label
from repository.records import iiif_settings
from repository.settings import Settings

IIIF_MANIFEST = "iiif:manifest"
# The IIIF manifests a finding-aid unit links to elsewhere (JSON list): collections list
# them without reading the record (repository/store/iiif.py)
IIIF_LINKS = "iiif:links"


class Renderer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.base_url
        self.presentation = iiif_settings.presentation_context(settings)
        fingerprint = "\n".join(
            [
                crosswalks.VERSION,
                settings.repository.identifier,
                settings.repository.name,
                iiif_settings.fingerprint(self.presentation),
            ]
        )
        self.version = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]

    def oai_identifier(self, key: str) -> str:
        return self.settings.repository.oai_prefix + key

    def record_url(self, key: str) -> str:
        return urls.record_page(self.base, key)

    def manifest_url(self, key: str) -> str:
        return urls.manifest(self.base, key)

    def context(self, record: Record) -> crosswalks.CrosswalkContext:
        assert record.key is not None, "records are rendered once they have a key"
        ref = record.reference
        return crosswalks.CrosswalkContext(
            oai_identifier=self.oai_identifier(record.key),
            record_url=self.record_url(record.key),
            manifest_url=self.manifest_url(record.key) if record.pages else None,
            repository_name=self.settings.repository.name,
            reference_canonical=canonical(ref) if ref else None,
            archive_code=ref.archive if ref else None,
            archive_name=archive_name(ref.archive) if ref and ref.archive else None,
            hierarchy=tuple([(level_label(n), v) for n, v in ref.levels]) if ref else (),
            sheets=ref.pages if ref else None,
            alternates=self._alternates(record) if record.alternates else (),
        )

    @staticmethod
    def _alternates(record: Record) -> tuple[str, ...]:
        return tuple(c for c in (canonical(a) for a in record.alternates) if c)

    def renditions(self, record: Record, texts: Sequence[PageText | None] = ()) -> dict[str, bytes]:
        """Every stored form; ``texts``: each page's text, in page order (see Prepared)."""
        context = self.context(record)
        out = {prefix: fmt.crosswalk(record, context) for prefix, fmt in crosswalks.FORMATS.items()}
        if record.pages and any(page.width and page.height for page in record.pages):
            manifest = build_manifest(record, self.presentation, texts)
            out[IIIF_MANIFEST] = iiif_settings.to_bytes(manifest)
        if record.iiif_manifests:
            out[IIIF_LINKS] = json.dumps(list(record.iiif_manifests)).encode()
        return out
