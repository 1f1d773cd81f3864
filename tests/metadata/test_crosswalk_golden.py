"""Crosswalk output pinned byte for byte for a few records that reach every branch.

``test_crosswalks`` fingerprints three ordinary records; these cases add the rest: an
archival unit deep in a finding aid (EAD levels, digital objects, page images, a date
range across years), a record of hostile text (forbidden characters, markup, CR/tab/
newline, no-break spaces, a 14-level key that EAD writes with plain ``<c>``), and whole
finding aids. The files in ``golden/`` were written by the lxml-based crosswalks that the
string writer replaced; a difference here is a change of output, so it needs a
``VERSION`` bump (see test_crosswalks). To regenerate after an intended change:
``python -m tests.metadata.test_crosswalk_golden``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metadata.crosswalks import FORMATS, CrosswalkContext
from metadata.crosswalks.oai_ead import finding_aid
from metadata.record import Agent, Page, Record, Reference, Source, Text, TextBody

GOLDEN = Path(__file__).resolve().parent / "golden"
BASE = "https://opis.example.org"

ARCHIVAL = Record(
    title="The minutes of the plenum, with annexes",
    title_language="Russian",
    citation=None,
    reference=Reference(
        "MNU",
        (("collection", "uarc 1180"), ("series", "2"), ("file", "14"), ("item", "3b")),
        "1-1ob, 4",
    ),
    key="MNU/col.uarc%201180/s.2/fl.14/it.3b",
    date="1956-11/1957-02-14",
    description=(Text("Minutes & annexes <draft>.", None), Text("  ", "en")),
    creators=(),
    origination=("Central Committee of the Party", "Ivanov, I."),
    contributors=(
        Agent("Smith, J.", "Translated by"),
        Agent("Archives Department", "digitised by"),
        Agent("Lee, K.", None),
    ),
    language=("rus", "xx", "ru", "English"),
    subjects=("Plenums -- Soviet Union", "--", "Agriculture"),
    places=("Moscow",),
    collections=("Plenum papers",),
    types=("Minutes",),
    publisher="University Archives",
    rights="https://creativecommons.org/licenses/by-nc/4.0",
    funders=("NEH",),
    text=(
        TextBody("Протокол", "ru", "transcription"),
        TextBody("Minutes", "en", "translation"),
        TextBody("", "de", "translation"),
    ),
    source=Source("uarc-1180-2-14-3b", "https://archives.example.edu/uarc/1180?c=2&f=14"),
    pages=(Page("img-1", "1"), Page("img-2", "1ob"), Page("img-3", "4")),
    level="item",
    parent="MNU/col.uarc%201180/s.2/fl.14",
    finding_aid="uarc01180",
    extent=("3 leaves",),
    scope=("Not used: the description comes first.",),
    access=("Open for research.",),
    use=("Cite as: University Archives.",),
    location=("Box 4", "Folder 2"),
    daos=("https://viewer.example.edu/uarc/1180/14", "https://viewer.example.edu/uarc/1180/14"),
)
ARCHIVAL_CONTEXT = CrosswalkContext(
    oai_identifier="oai:opis.example.org:MNU/col.uarc%201180/s.2/fl.14/it.3b",
    record_url=f"{BASE}/records/MNU/col.uarc%201180/s.2/fl.14/it.3b",
    manifest_url=f"{BASE}/iiif/3/MNU/col.uarc%201180/s.2/fl.14/it.3b/manifest",
    repository_name="Opis",
    reference_canonical="MNU, Collection uarc 1180, Series 2, File 14, Item 3b",
    archive_code="MNU",
    archive_name=None,
    hierarchy=(("Collection", "uarc 1180"), ("Series", "2"), ("File", "14"), ("Item", "3b")),
    sheets="1-1ob, 4",
    alternates=("RGASPI f.17 op.2 d.14",),
    collection_urls=(f"{BASE}/collections/plenums",),
)

NASTY = "a\x00b\x0bc\ud800d\ufffe & <e> \"f\" 'g' \r\n\th\xa0i\u2028"
HOSTILE = Record(
    title="\x01\ufffe \x0b",  # nothing left after cleaning: [Untitled]
    title_language="x-klingon",
    citation=f"  {NASTY}  ",
    reference=Reference("ZZ", tuple((f"level_{n}", f"v{n}&<") for n in range(14)), None),
    key="ZZ/doc.1",
    date="1946-02-30",
    description=(Text(NASTY, "ru-Latn"), Text("\x00", "en")),
    creators=(NASTY, "The Ministry of Foreign Affairs", " "),
    contributors=(Agent(NASTY, NASTY), Agent("Obtained & edited", "OBTAINED BY")),
    language=("\x00", "de-DE", "zz", " ru "),
    subjects=(f"A -- {NASTY} -- ", "&amp;"),
    places=("<Tabriz>",),
    collections=(NASTY,),
    types=("Text", "Cable\r\n"),
    publisher="\x00",
    rights=NASTY,
    funders=(NASTY, ""),
    text=(TextBody(NASTY, NASTY, NASTY), TextBody("\x00", "en", "translation")),
    source=Source(NASTY, None),
    pages=(Page(f'i&m"g{NASTY}', None), Page("", "blank")),
    level="Weird Level",
    parent="ZZ/&",
    extent=(NASTY,),
    access=("\x00",),
    use=(NASTY, NASTY),
    origination=(),
    location=(NASTY,),
    daos=(f'https://x.example/?a=1&b="2"{NASTY}',),
)
HOSTILE_CONTEXT = CrosswalkContext(
    oai_identifier=f"oai:opis.example.org:ZZ/doc.1{NASTY}",
    record_url=f'{BASE}/records/ZZ/doc.1?x=1&y="2"',
    manifest_url=f"{BASE}/iiif/3/ZZ/doc.1/manifest{NASTY}",
    repository_name=f"Opis {NASTY}",
    reference_canonical=f"ZZ {NASTY}",
    archive_code="ZZ",
    archive_name=f" {NASTY} ",
    hierarchy=(("", "1"), (NASTY, NASTY), ("Delo", "\x00")),
    sheets=NASTY,
    alternates=(NASTY, "\x00", NASTY),
    collection_urls=(f"{BASE}/collections/x?a&b",),
)
CASES = {"archival": (ARCHIVAL, ARCHIVAL_CONTEXT), "hostile": (HOSTILE, HOSTILE_CONTEXT)}


def _aid_units() -> dict[str, tuple[Record, CrosswalkContext]]:
    fonds = Record(title="Fond 1 & its <papers>", level="fonds", date="1945/1950")
    units = {
        "MNU/f.1": (fonds, ARCHIVAL_CONTEXT),
        "MNU/f.1/op.2/d.10": (ARCHIVAL, ARCHIVAL_CONTEXT),
    }
    units["MNU/f.1/op.2/d.9"] = (HOSTILE, HOSTILE_CONTEXT)
    units["MNU/f.1/op.10"] = (Record(title="Opis 10", level="series"), HOSTILE_CONTEXT)
    return units


AIDS = {
    "aid": dict(url=f"{BASE}/ead/MNU/f.1.xml", repository_name="Opis", archive_name="Archive"),
    "aid-ape": dict(
        url=f"{BASE}/ead/MNU/f.1.xml?profile=apeEAD",
        repository_name="",
        archive_name="Archive & Co",
        ape=True,
        country="US",
    ),
}


def rendered() -> dict[str, bytes]:
    """Every golden file's name and the bytes the crosswalks give for it now."""
    out = {
        f"{case}.{prefix}.xml": fmt.crosswalk(record, context)
        for case, (record, context) in CASES.items()
        for prefix, fmt in FORMATS.items()
    }
    for name, options in AIDS.items():
        out[f"{name}.xml"] = finding_aid("MNU/f.1", _aid_units(), **options)
    # a fonds no record describes: its levels come from the keys alone
    units = {k: v for k, v in _aid_units().items() if k != "MNU/f.1"}
    out["aid-keys-only.xml"] = finding_aid(
        "MNU/f.1", units, url=f"{BASE}/ead/MNU/f.1.xml", repository_name="Opis", archive_name=None
    )
    return out


@pytest.mark.parametrize("name", sorted(rendered()))
def test_output_is_the_golden_file(name):
    golden = GOLDEN / name
    assert golden.exists(), f"missing {golden}: python -m tests.metadata.test_crosswalk_golden"
    assert rendered()[name].decode("utf-8") == golden.read_bytes().decode("utf-8")


def test_no_stale_golden_files():
    assert sorted(p.name for p in GOLDEN.glob("*.xml")) == sorted(rendered())


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, data in rendered().items():
        (GOLDEN / name).write_bytes(data)
        print(f"wrote {GOLDEN / name} ({len(data)} bytes)")
