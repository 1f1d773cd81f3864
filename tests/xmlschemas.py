"""Strict, offline XML Schema validation of OAI-PMH responses and metadata payloads.

For any test that needs to know whether XML is schema-valid (crosswalks, the OAI endpoint):

    from tests.xmlschemas import validate_oai_response, validate_payload
    validate_oai_response(body)            # a whole OAI-PMH response, payloads included
    validate_payload("marc21", payload)    # a bare <metadata> child of one format

Both raise AssertionError carrying lxml's error log when the XML is not well-formed or
not valid, and return None otherwise.

Why one schema set: OAI-PMH.xsd declares ``<metadata>``, ``<about>`` and Identify
``<description>`` content as ``<any namespace="##other" processContents="strict"/>``, so a
response validates only if the payload schemas (oai_dc, MARC21slim, MODS 3.7,
oai-identifier) are loaded together with the envelope. An in-memory driver schema
imports them all from ``tests/schemas`` (copied there, see its README) with
``no_network=True``: a remote import fails at once instead of being fetched. It is built
once per process.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

OAI_NAMESPACE = "http://www.openarchives.org/OAI/2.0/"

# namespace -> schema file in SCHEMA_DIR
_IMPORTS = {
    OAI_NAMESPACE: "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai_dc.xsd",
    "http://www.openarchives.org/OAI/2.0/oai-identifier": "oai-identifier.xsd",
    "http://www.loc.gov/MARC21/slim": "MARC21slim.xsd",
    "http://www.loc.gov/mods/v3": "mods-3-7.xsd",
}

# metadataPrefix -> the root element its payload must have (Clark notation)
PAYLOAD_ROOTS = {
    "oai_dc": "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc",
    "marc21": "{http://www.loc.gov/MARC21/slim}record",
    "mods": "{http://www.loc.gov/mods/v3}mods",
}


def _parser() -> etree.XMLParser:
    """Offline parser: no network, no entity expansion from outside."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalCopies())
    return parser


# Remote imports in the copied schemas, and the local copy each resolves to (README.md).
_REMOTE = {
    "http://www.loc.gov/standards/xlink/xlink.xsd": "ead2002/xlink.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "edm/xml.xsd",
    "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dcterms.xsd": "dcterms/dcterms.xsd",
}


class _LocalCopies(etree.Resolver):
    def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
        local = _REMOTE.get(system_url)
        if local is None:
            return None
        return self.resolve_filename(str(SCHEMA_DIR / local), context)


# Formats whose schemas cannot join the one set (EDM, qualified DC and EAD define the
# dc, dcterms and xlink namespaces differently from oai_dc and MODS): each is validated
# on its own, and in a response its payload is then swapped for a placeholder.
SEPARATE = {
    "oai_ead": ("{urn:isbn:1-931666-22-9}ead", "ead2002/ead.xsd"),
    "ape_ead": ("{urn:isbn:1-931666-22-9}ead", "apeead/apeEAD.xsd"),
    "edm": ("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF", "edm/EDM.xsd"),
    "oai_dcterms": ("{urn:opis:oai_dcterms}dcterms", "oai_dcterms.xsd"),
}


@cache
def _separate_schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / path), _parser()))


def _validate_separate(prefix: str, root: etree._Element, xml_bytes: bytes) -> None:
    schema = _separate_schema(SEPARATE[prefix][1])
    if not schema.validate(root):
        raise AssertionError(f"{prefix} schema-invalid:\n{schema.error_log}\n{_excerpt(xml_bytes)}")


_PLACEHOLDER = (
    b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
    b'"http://www.openarchives.org/OAI/2.0/oai_dc/ '
    b'http://www.openarchives.org/OAI/2.0/oai_dc.xsd"/>'
)
_ROOT_FORMATS = {root: prefix for prefix, (root, _) in SEPARATE.items() if prefix != "ape_ead"}


@cache
def _schema() -> etree.XMLSchema:
    """The envelope and every payload schema in one set (built once per process)."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(SCHEMA_DIR / name).as_uri()}"/>'
        for ns, name in _IMPORTS.items()
    )
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:opis:test:schema-driver">{imports}</xs:schema>'
    )
    base = (SCHEMA_DIR / "driver.xsd").as_uri()
    return etree.XMLSchema(etree.fromstring(driver.encode(), _parser(), base_url=base))


def _parse(xml_bytes: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml_bytes, _parser())
    except etree.XMLSyntaxError as error:
        raise AssertionError(f"not well-formed XML: {error}\n{_excerpt(xml_bytes)}") from None


def _excerpt(xml_bytes: bytes, limit: int = 2000) -> str:
    text = xml_bytes.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + " ..."


def _validate(root: etree._Element, xml_bytes: bytes) -> None:
    schema = _schema()
    if not schema.validate(root):
        raise AssertionError(f"schema-invalid:\n{schema.error_log}\n{_excerpt(xml_bytes)}")


def validate_oai_response(xml_bytes: bytes) -> None:
    """Assert that ``xml_bytes`` is a schema-valid OAI-PMH response, payloads included."""
    root = _parse(xml_bytes)
    if root.tag != f"{{{OAI_NAMESPACE}}}OAI-PMH":
        raise AssertionError(f"root is {root.tag}, not OAI-PMH\n{_excerpt(xml_bytes)}")
    for metadata in root.iter(f"{{{OAI_NAMESPACE}}}metadata"):
        payload = next(iter(metadata), None)
        if payload is not None and payload.tag in _ROOT_FORMATS:
            prefix = _ROOT_FORMATS[payload.tag]
            alone = etree.tostring(payload)
            _validate_separate(prefix, etree.fromstring(alone, _parser()), alone)
            metadata.replace(payload, etree.fromstring(_PLACEHOLDER))
    _validate(root, xml_bytes)


def validate_payload(prefix: str, xml_bytes: bytes) -> None:
    """Assert that ``xml_bytes`` is a valid bare payload of format ``prefix``.

    ``prefix`` is ``oai_dc``, ``marc21`` or ``mods``; the root must be that format's
    element (a valid MODS record given as ``oai_dc`` fails).
    """
    if prefix in SEPARATE:
        root = _parse(xml_bytes)
        if root.tag != SEPARATE[prefix][0]:
            raise AssertionError(f"{prefix} payload root is {root.tag}")
        _validate_separate(prefix, root, xml_bytes)
        return
    if prefix not in PAYLOAD_ROOTS:
        raise AssertionError(f"no schema known for metadataPrefix {prefix!r}")
    root = _parse(xml_bytes)
    if root.tag != PAYLOAD_ROOTS[prefix]:
        raise AssertionError(f"{prefix} payload root is {root.tag}, not {PAYLOAD_ROOTS[prefix]}")
    _validate(root, xml_bytes)
