"""The archive registry: data in, archives out, and what installing one changes.

The shipped registry is ``metadata/references/archives.toml``; a site adds archives or
overrides fields of shipped ones with ``[[archives]]`` tables in its own config file. The
parser reads whatever registry is installed (``conftest.py`` installs the shipped one for
every test; tests here that install another put it back).
"""

from __future__ import annotations

import importlib.resources
import json
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from metadata.references import archive_name, canonical, parse, unit_key
from metadata.references.archives import find_aliases
from metadata.references.registry import (
    SCHEMES,
    SHIPPED_DATA,
    Registry,
    RegistryError,
    RegistryNotLoaded,
    current,
    install,
    uninstall,
)
from tests.conftest import shared_path


def shipped_data() -> dict[str, Any]:
    text = (
        importlib.resources.files("metadata.references").joinpath(SHIPPED_DATA).read_text("utf-8")
    )
    return tomllib.loads(text)


@pytest.fixture
def installed() -> Iterator[None]:
    """Lets a test install another registry; the shipped one is back afterwards."""
    before = current()
    try:
        yield
    finally:
        install(before)


SITE = {
    "code": "CSAX",
    "name": "Central State Archive of Kazakhstan",
    "names": {
        "ru": "Центральный государственный архив Республики Казахстан",
        "kk": "Қазақстан Республикасының Орталық мемлекеттік архиві",
    },
    "aliases": ["ЦГАК"],
    "scheme": "fond",
}


# --- loading -----------------------------------------------------------------------------------


def test_the_shipped_registry_loads_from_its_data() -> None:
    registry = Registry.from_data(shipped_data(), origin="shipped")
    assert len(registry) > 100
    gappod = registry.get("GAPPOD")
    assert gappod is not None and gappod.origin == "shipped"
    assert gappod.scheme == "fond" and gappod.country == "AZ"
    assert "ARPİİSSA" in gappod.aliases and "ГАППОД" in gappod.former
    assert [a.code for a in registry][:3] == ["GAPPOD", "RGASPI", "RGANI"]  # file order


def test_every_scheme_has_a_reader() -> None:
    from metadata.references.parse import FOND_SCHEMES, READERS

    assert set(READERS) | FOND_SCHEMES == SCHEMES
    assert {entry.scheme for entry in current()} <= SCHEMES


def test_every_realworld_archive_is_registered() -> None:
    path = shared_path("identifiers", "realworld.jsonl")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            name = json.loads(line)["archive"]
            assert current().get(name) is not None, name


# --- lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("GAPPOD", "GAPPOD"),
        ("gappod", "GAPPOD"),  # case
        ("ARPİİSSA", "GAPPOD"),  # the current name of a renamed archive
        ("ARP İİ İSSA", "GAPPOD"),
        ("AP RF", "APRF"),  # spaces
        ("АП РФ", "APRF"),  # Cyrillic
        ("ЦГА РСФСР", "GARF"),  # a former name
        ("MOL", "MNL-OL"),
        ("mnl ol", "MNL-OL"),
        ("MNL-OL", "MNL-OL"),
        ("SUA", "NA-CZ"),  # accents
        ("Arch. nat.", "ANF"),
        ("AN", "ANF"),  # matched in citations only before a cote, but found by name
        ("ASV", "AAV"),  # Archivio Segreto Vaticano is now the Apostolic Archive
        ("Nehru Memorial Museum and Library", "NMML"),
        ("Haus-, Hof-, und Staatsarchiv", "HHSTA"),
    ],
)
def test_get_resolves_codes_names_aliases_and_former_names(written: str, code: str) -> None:
    found = current().get(written)
    assert found is not None and found.code == code


def test_get_unknown() -> None:
    assert current().get("NOPE") is None
    assert current().get("") is None
    assert current().by_code("GAPPOD") is not None and current().by_code("gappod") is None


def test_names_by_language() -> None:
    registry = current()
    assert (
        registry.name("RGASPI", "ru")
        == "Российский государственный архив социально-политической истории"
    )
    assert registry.name("RGASPI", "ru-RU") == registry.name("RGASPI", "ru")
    assert (
        registry.name("RGASPI", "az") == "Russian State Archive of Socio-Political History"
    )  # falls back
    assert registry.name("RGASPI") == "Russian State Archive of Socio-Political History"
    assert registry.name("NOPE", "ru") is None
    assert archive_name("GAPPOD", "az") == (
        "Azərbaycan Respublikası Prezidentinin İşlər İdarəsinin İctimai-Siyasi Sənədlər Arxivi"
    )


# --- extending ---------------------------------------------------------------------------------


def test_extended_adds_a_site_archive() -> None:
    site = current().extended([SITE], origin="/etc/opis/opis.toml")
    entry = site.get("ЦГАК")
    assert entry is not None and entry.code == "CSAX" and entry.origin == "/etc/opis/opis.toml"
    assert site.name("CSAX", "kk") == SITE["names"]["kk"]
    assert [a.code for a in site][-1] == "CSAX"  # site entries after the shipped ones
    assert current().get("CSAX") is None  # extended() returns a new registry


def test_extended_overrides_fields_of_a_shipped_archive() -> None:
    site = current().extended(
        [
            {
                "code": "GAVO",
                "name": "State Archive of Voronezh Oblast",
                "names": {"ru": "Государственный архив Воронежской области"},
            }
        ],
        origin="site.toml",
    )
    gavo = site.get("ГАВО")
    assert gavo is not None and gavo.code == "GAVO"
    assert gavo.name == "State Archive of Voronezh Oblast" and gavo.origin == "site.toml"
    assert gavo.aliases == current().get("GAVO").aliases  # type: ignore[union-attr]  # kept
    assert len(site) == len(current())


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"name": "No code"}, "code"),
        ({"code": "bad code", "name": "x"}, "code"),
        ({"code": "-X", "name": "x"}, "code"),
        ({"code": "NEWARCH"}, "name"),
        ({"code": "NEWARCH", "name": "x", "scheme": "klingon"}, "scheme"),
        ({"code": "NEWARCH", "name": "x", "levels": ["fond", "shelf"]}, "levels"),
        ({"code": "NEWARCH", "name": "x", "aliases": "ABC"}, "aliases"),
        ({"code": "NEWARCH", "name": "x", "names": {"Russian": "x"}}, "names"),
        ({"code": "NEWARCH", "name": "x", "display": "fancy"}, "display"),
        ({"code": "NEWARCH", "name": "x", "colour": "red"}, "colour"),
        (
            {"code": "NEWARCH", "name": "x", "alias_rules": [{"regex": "(unclosed"}]},
            "alias_rules[0]",
        ),
        ({"code": "NEWARCH", "name": "x", "alias_rules": [{"regex": "X(Y)"}]}, "alias_rules[0]"),
        ({"code": "NEWARCH", "name": "x", "infer": [{"scheme": "tna"}]}, "infer[0]"),
        ({"code": "NEWARCH", "name": "x", "country": "Hungary"}, "country"),
    ],
)
def test_a_bad_entry_names_the_entry_and_the_field(entry: dict[str, Any], field: str) -> None:
    with pytest.raises(RegistryError) as raised:
        current().extended([entry], origin="site.toml")
    message = str(raised.value)
    assert "site.toml" in message and repr(field) in message
    if "code" in entry and field != "code":
        assert entry["code"] in message


def test_a_name_of_two_archives_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"'ЦГА РСФСР' already names archive GARF"):
        current().extended([{**SITE, "aliases": ["ЦГА РСФСР"]}], origin="site.toml")


def test_from_data_validates_the_document() -> None:
    with pytest.raises(RegistryError, match="unknown top-level"):
        Registry.from_data({"archive": []}, origin="x.toml")
    with pytest.raises(RegistryError, match="array of tables"):
        Registry.from_data({"archives": {"code": "X"}}, origin="x.toml")
    with pytest.raises(RegistryError, match="given twice"):
        Registry.from_data(
            {"archives": [{"code": "X", "name": "a"}, {"code": "X", "name": "b"}]}, origin="x.toml"
        )
    assert len(Registry.from_data({}, origin="empty.toml")) == 0


# --- installing ----------------------------------------------------------------------------------


def test_installing_a_site_registry_changes_what_the_parser_recognises(installed: None) -> None:
    before = parse("ЦГАК, ф. 12, оп. 3, д. 45")  # an unknown code, taken as given
    assert before.primary is not None and before.primary.archive == "TSGAK"
    assert not before.archive_known
    install(current().extended([SITE], origin="site.toml"))
    citation = parse("ЦГАК, ф. 12, оп. 3, д. 45")
    assert citation.primary is not None and unit_key(citation.primary) == "CSAX/f.12/op.3/d.45"
    assert citation.archive_known
    assert canonical(citation.primary) == "CSAX f.12 op.3 d.45"
    assert archive_name("CSAX") == "Central State Archive of Kazakhstan"


def test_site_levels_read_bare_call_numbers(installed: None) -> None:
    install(current().extended([{**SITE, "levels": ["fond", "opis", "delo"]}], origin="site.toml"))
    citation = parse("CSAX 12/3/45")
    assert citation.primary is not None and unit_key(citation.primary) == "CSAX/f.12/op.3/d.45"
    # without levels the same call number is not read: the slash means nothing by itself
    install(current().extended([{"code": "CSAX", "levels": []}], origin="site.toml"))
    assert parse("CSAX 12/3/45").references == ()


def test_an_override_changes_how_a_shipped_archive_is_read(installed: None) -> None:
    assert parse("ГАВО 5/1/1").references == ()
    install(
        current().extended(
            [{"code": "GAVO", "levels": ["fond", "opis", "delo"]}], origin="site.toml"
        )
    )
    assert unit_key(parse("ГАВО 5/1/1").primary) == "GAVO/f.5/op.1/d.1"  # type: ignore[arg-type]


def test_caches_follow_the_installed_registry(installed: None) -> None:
    assert [h.code for h in find_aliases("ЦГАК")] == []
    install(current().extended([SITE], origin="site.toml"))
    assert [h.code for h in find_aliases("ЦГАК")] == ["CSAX"]


def test_a_site_style_rule(installed: None) -> None:
    rule = {
        "why": "our finding aids write the fond as 'Фонд №'",
        "labels": ["фонд"],
        "numero": True,
    }
    install(current().extended([{**SITE, "infer": [rule]}], origin="site.toml"))
    citation = parse("Фонд №17, оп. 2")
    assert citation.primary is not None and citation.primary.archive == "CSAX"
    assert citation.inferred_archive


def test_current_without_install_raises(installed: None) -> None:
    uninstall()
    with pytest.raises(RegistryNotLoaded, match="the archive registry is not loaded: "):
        current()
    citation = parse("GAPPOD, f.1, op.89, d.112")  # parse never raises; it says why
    assert citation.references == () and "not loaded" in (citation.error or "")


def test_install_takes_a_registry(installed: None) -> None:
    with pytest.raises(TypeError):
        install(shipped_data())  # type: ignore[arg-type]
