"""Assembling OAI-PMH responses from pieces of bytes.

Record metadata is stored pre-rendered, so a page is the envelope, one header per
record and the stored bytes, joined; nothing is parsed or rebuilt per request. Every
string that is not stored metadata goes through ``text``/``attr`` here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from metadata.xmlchars import escape_attr, escape_text
from repository.oai.dates import format_us

NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
text = escape_text
attr = escape_attr


def opening(response_date: str, stylesheet: str | None) -> bytes:
    """Everything up to ``<request>``."""
    return f"{_prolog(stylesheet)}<responseDate>{response_date}</responseDate>\n".encode()


def request(base_url: str, request_attrs: dict[str, str] | None) -> bytes:
    """The ``<request>`` element; attrs None = echo no arguments."""
    attributes = "".join([f' {k}="{attr(v)}"' for k, v in (request_attrs or {}).items()])
    return f"<request{attributes}>{text(base_url)}</request>\n".encode()


@functools.lru_cache(maxsize=16)
def _prolog(stylesheet: str | None) -> str:
    """The same for every response of a server: made once."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    if stylesheet:
        parts.append(f'<?xml-stylesheet type="text/xsl" href="{attr(stylesheet)}"?>\n')
    parts.append(
        f'<OAI-PMH xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NAMESPACE} {SCHEMA}">\n'
    )
    return "".join(parts)


TAIL = b"</OAI-PMH>\n"


def errors(items: Iterable[tuple[str, str]]) -> bytes:
    return "".join(
        f'<error code="{code}">{text(message)}</error>\n' for code, message in items
    ).encode()


def header(identifier: str, datestamp_us: int, set_specs: Iterable[str], deleted: bool) -> bytes:
    """setSpecs need no escaping: their alphabet (OAI-PMH.xsd setSpecType) has no & < >."""
    status = ' status="deleted"' if deleted else ""
    specs = "</setSpec><setSpec>".join(set_specs)  # none is empty: joined, empty if none
    if specs:
        specs = f"<setSpec>{specs}</setSpec>"
    return (
        f"<header{status}><identifier>{text(identifier)}</identifier>"
        f"<datestamp>{format_us(datestamp_us)}</datestamp>{specs}</header>"
    ).encode()


def record(header_bytes: bytes, metadata: bytes | None) -> bytes:
    if metadata is None:
        return b"<record>" + header_bytes + b"</record>\n"
    return b"<record>" + header_bytes + b"<metadata>" + metadata + b"</metadata></record>\n"


def resumption_token(token: str, cursor: int, total: int, expires: str | None) -> bytes:
    """A token element; the final page's is empty, with no whitespace at all inside."""
    expiry = f' expirationDate="{expires}"' if expires else ""
    attrs = f'{expiry} completeListSize="{total}" cursor="{cursor}"'
    if not token:
        return f"<resumptionToken{attrs}/>\n".encode()
    return f"<resumptionToken{attrs}>{text(token)}</resumptionToken>\n".encode()


def element(name: str, value: str) -> str:
    return f"<{name}>{text(value)}</{name}>"
