"""OAI sets of finding-aid units take the unit's reference, title and description;
a retitled unit renames its set; documents without a level keep the names of their keys."""

from __future__ import annotations

import asyncio
import json
import re

from sqlalchemy import select, update

from repository.store import Store
from repository.store.schema import sets
from tests.conftest import shared_path
from tests.live import LiveServer, ingest, make_settings
from tests.oai_client import NS, harvest

NL_HANA = shared_path("formats", "ead", "ead2002", "nl-hana-1.01.01.01-dutch.xml")
SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<ead xmlns="urn:isbn:1-931666-22-9"><eadheader>
<eadid countrycode="RU" mainagencycode="GAPPOD">fa-sets</eadid>
<filedesc><titlestmt><titleproper>Minutes</titleproper></titlestmt></filedesc></eadheader>
<archdesc level="fonds"><did><unitid>17</unitid><unittitle>{title}</unittitle>
<unitdate normal="1920/1991">1920-1991</unitdate>
<physdesc><extent>3 linear metres</extent></physdesc></did>
<scopecontent><p>Minutes of the bureau.</p></scopecontent><dsc>
<c01 level="series"><did><unitid>2</unitid><unittitle>Bureau</unittitle></did>
<c02 level="file"><did><unittitle>Sitting of 1 May</unittitle></did></c02></c01>
</dsc></archdesc></ead>"""


def set_rows(settings) -> dict[str, tuple[str, str]]:
    async def run() -> dict[str, tuple[str, str]]:
        store = await Store(settings.database.url).open()
        try:
            async with store.engine.connect() as conn:
                rows = await conn.execute(select(sets.c.spec, sets.c.name, sets.c.description))
                return {spec: (name, description) for spec, name, description in rows}
        finally:
            await store.close()

    return asyncio.run(run())


def rename_all(settings, name: str) -> None:
    """As a store written before units named their sets would have them."""

    async def run() -> None:
        store = await Store(settings.database.url).open()
        try:
            async with store.engine.begin() as conn:
                await conn.execute(update(sets).values(name=name, description=""))
        finally:
            await store.close()

    asyncio.run(run())


def test_list_sets_names_units_by_reference_and_title(sqlite_url, tmp_path):
    letter = tmp_path / "letter.json"
    letter.write_text(json.dumps({"reference": "GAPPOD, f.1, op.89, d.112", "title": "Letter"}))
    settings = make_settings(sqlite_url, tmp_path / "data", oai={"set_page_size": 50})
    report = ingest(settings, [NL_HANA, letter])
    assert not report.failed
    with LiveServer(settings) as server:
        listed = harvest(server.url("/oai"), "ListSets")  # every page checked by the XSD
    names = {
        s.findtext("oai:setSpec", namespaces=NS): (
            s.findtext("oai:setName", namespaces=NS),
            s.findtext(".//{http://purl.org/dc/elements/1.1/}description"),
        )
        for s in listed.items
    }
    name, description = names["NL-HANA:f.12"]
    assert name == "12 Regeringsarchieven Geünieerde Provinciën I, 1576-1588"
    assert description.startswith("Fonds of archive NL-HANA, 1576/1588. Extent: 2.3 meter")
    # every unit is named by its own unitid and title
    assert names["NL-HANA:f.12:sub.A"][0] == "A Archief van de griffie"
    assert names["NL-HANA:f.12:sub.B"][0].startswith("B Archief van de Hoogduitse")
    unit_specs = [s for s in names if s.startswith("NL-HANA:")]
    assert len(unit_specs) == 290
    assert not any(re.match(r"NL-HANA, ", names[s][0]) for s in unit_specs)
    # the archive is no unit; the JSON record's sets keep the names of their keys
    assert names["NL-HANA"][0] == "NL-HANA"
    assert names["GAPPOD:f.1:op.89:d.112"][0] == "GAPPOD, Fond 1, Opis 89, Delo 112"
    assert names["GAPPOD:f.1"][0] == "GAPPOD, Fond 1"


def test_a_retitled_unit_renames_its_set_and_old_names_are_replaced(database_url, tmp_path):
    path = tmp_path / "minutes.xml"
    path.write_text(SMALL.format(title="Party bureau"), encoding="utf-8")
    settings = make_settings(database_url, tmp_path / "data")
    assert ingest(settings, [path]).summary().startswith("3 added")
    rows = set_rows(settings)
    assert rows["GAPPOD:f.17"] == (
        "17 Party bureau",
        "Fonds of the Azerbaijan State Archive of Political Parties and Social Movements"
        " (GAPPOD), 1920/1991. Extent: 3 linear metres. Minutes of the bureau.",
    )
    assert rows["GAPPOD:f.17:s.2"][0] == "2 Bureau"
    assert rows["GAPPOD:f.17:s.2:fl.n1"][0] == "Sitting of 1 May"  # no unitid: the title

    path.write_text(SMALL.format(title="Party bureau, renamed"), encoding="utf-8")
    assert ingest(settings, [path]).summary().startswith("0 added, 1 updated, 2 unchanged")
    assert set_rows(settings)["GAPPOD:f.17"][0] == "17 Party bureau, renamed"

    rename_all(settings, "generic")  # sets named before units named them
    assert ingest(settings, [path]).summary().startswith("0 added, 0 updated, 3 unchanged")
    rows = set_rows(settings)
    assert rows["GAPPOD:f.17"][0] == "17 Party bureau, renamed"
    assert rows["GAPPOD:f.17:s.2"][0] == "2 Bureau"
    assert rows["GAPPOD"][0] == "generic"  # no unit names the archive's set
