"""``GET /ead/<archive>/<fond-key>.xml``: the whole finding aid of a fonds, as EAD 2002.

Every live record under the fonds' key (its own, when the fonds itself is a record, and
every unit below it) is nested by key into one ``<ead>`` document, valid against
``ead.xsd``; ``?profile=apeEAD`` gives the Archives Portal Europe profile (apeEAD.xsd).
A key with no live record under it is 404.

``GET /schemas/oai_dcterms.xsd`` serves the container schema of the ``oai_dcterms`` format.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from metadata.crosswalks import CrosswalkContext
from metadata.crosswalks.oai_ead import finding_aid
from metadata.record import Record
from metadata.references import archive_name, key_to_set_spec
from metadata.references.registry import current
from repository.keys import RENDERER, SETTINGS, STORE
from repository.store import reads
from repository.store.lookup import records_by_key

PAGE = 1000
CONTENT_TYPE = "application/xml"


async def finding_aid_xml(request: web.Request) -> web.StreamResponse:
    # keys are percent-encoded already (``col.uarc%201180``): read the path undecoded
    key = request.rel_url.raw_path.removeprefix("/ead/").removesuffix(".xml")
    archive = key.split("/", 1)[0]
    ape = request.query.get("profile", "").lower() in ("apeead", "ape")
    store, renderer, settings = request.app[STORE], request.app[RENDERER], request.app[SETTINGS]
    try:
        spec = key_to_set_spec(key)
    except ValueError:
        raise web.HTTPNotFound(text=f"no finding aid {key}") from None
    units: dict[str, tuple[Record, CrosswalkContext]] = {}
    # one snapshot: the document shows the finding aid as it stood at one moment
    async with store.snapshot() as conn:
        keys: list[str] = []
        after: tuple[int, int] | None = None
        while True:
            rows = await reads.page(conn, reads.Window(0, 2**62, spec), after, PAGE, None)
            keys.extend(r.key for r in rows if not r.deleted)
            if len(rows) < PAGE:
                break
            after = (rows[-1].datestamp, rows[-1].id)
        own = await reads.header_by_key(conn, key, None)
        if own is not None and not own.deleted and key not in keys:
            keys.append(key)
        for start in range(0, len(keys), PAGE):
            found = await records_by_key(conn, keys[start : start + PAGE])
            for unit_key, stored in found.items():
                record = stored.with_key(unit_key)
                units[unit_key] = (record, renderer.context(record))
    if not units:
        raise web.HTTPNotFound(text=f"no finding aid {key}")
    entry = current().by_code(archive)
    # a large fonds takes seconds to write out: not on the event loop
    body = await asyncio.to_thread(
        finding_aid,
        key,
        units,
        url=f"{settings.base_url}{request.rel_url.path}",
        repository_name=settings.repository.name,
        archive_name=archive_name(archive),
        ape=ape,
        country=entry.country if entry is not None else None,
    )
    return web.Response(
        body=b'<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        content_type=CONTENT_TYPE,
        charset="utf-8",
    )


OAI_DCTERMS_XSD = (Path(__file__).parent / "oai_dcterms.xsd").read_bytes()


async def oai_dcterms_schema(request: web.Request) -> web.StreamResponse:
    """The one-element container schema of the ``oai_dcterms`` format."""
    return web.Response(body=OAI_DCTERMS_XSD, content_type=CONTENT_TYPE, charset="utf-8")


def setup(app: web.Application) -> None:
    app.router.add_get(r"/ead/{archive}/{fond:.+}.xml", finding_aid_xml)
    app.router.add_get("/schemas/oai_dcterms.xsd", oai_dcterms_schema)
