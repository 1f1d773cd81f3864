"""The ``rights`` URI of a manifest, from the record's own rights statement.

A record's own rights win over the repository's default, which applies only to a record
that has no rights statement at all. In order:

1. a Creative Commons or RightsStatements.org URI written in the record's statement
   (``... CC BY 4.0, https://creativecommons.org/licenses/by/4.0/``) is published as is;
2. else the first ``iiif.rights_map`` entry whose text occurs in the statement;
3. else, for a statement that neither names nor maps to a URI, RightsStatements.org's
   *Copyright Not Evaluated*: the manifest must carry a single URI, and this one claims
   nothing the record does not say, while the statement itself is shown in the
   manifest's metadata ("Rights"). Mapping the statement in ``iiif.rights_map`` gives
   it a better one;
4. the configured default, for a record without a statement.

IIIF wants a single URI, and for Creative Commons and RightsStatements.org it MUST be
their ``http://`` form (P3 §3.1; the official validator rejects ``https``), so every
URI is normalised to that form whatever was written in the record or the settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HTTP_ONLY = ("creativecommons.org/", "rightsstatements.org/")
NOT_EVALUATED = "http://rightsstatements.org/vocab/CNE/1.0/"
# A licence or rights statement URI written in free text; trailing punctuation is prose.
_URI_IN_TEXT = re.compile(
    r"https?://(?:www\.)?(?:creativecommons\.org/(?:licenses|publicdomain)/|"
    r"rightsstatements\.org/(?:vocab|page)/)[A-Za-z0-9._~/%+?=&#-]*",
    re.IGNORECASE,
)
# What a found URI must look like once normalised, or it is not used.
_PUBLISHABLE = re.compile(
    r"^http://creativecommons\.org/(?:licenses|publicdomain)(?:/[a-z0-9.+-]+)+/$"
    r"|^http://rightsstatements\.org/vocab/[A-Za-z-]+/\d+\.\d+/$"
)


def http_form(uri: str) -> str:
    """``https://creativecommons.org/...`` -> ``http://creativecommons.org/...``."""
    for host in _HTTP_ONLY:
        for scheme in ("https://", "https://www."):
            if uri.startswith(scheme + host):
                return "http://" + uri[len(scheme) :]
        if uri.startswith("http://www." + host):
            return "http://" + uri[len("http://www.") :]
    return uri


def stated_uri(text: str | None) -> str | None:
    """The first Creative Commons or RightsStatements.org URI written in ``text``, in the
    form IIIF wants (``http://``, the licence or statement itself rather than a page about
    it); None when there is none, or none of the expected shape."""
    for found in _URI_IN_TEXT.finditer(text or ""):
        uri = re.split(r"[?#]", found.group(0), maxsplit=1)[0].rstrip(".,;:!")
        _, _, rest = uri.partition("://")
        host, _, path = rest.partition("/")
        host = host.lower().removeprefix("www.")
        if host == "rightsstatements.org":  # a statement's web page names its URI
            path = re.sub(r"^page/", "vocab/", path)
        else:  # a licence's deed or legal code page names the licence
            path = re.sub(r"(?:deed|legalcode)[.\w-]*$", "", path).lower()
        uri = f"http://{host}/{path.rstrip('/')}/"
        if _PUBLISHABLE.match(uri):
            return uri
    return None


def rights_uri(text: str | None, mapping: Iterable[tuple[str, str]], default: str) -> str:
    """The record's rights as a URI: stated, else mapped, else not evaluated; the default
    only when the record has no rights statement (see the module's docstring)."""
    stated = stated_uri(text)
    if stated:
        return stated
    folded = (text or "").strip().casefold()
    if not folded:
        return http_form(default)
    for needle, uri in mapping:
        if needle.casefold() in folded:
            return http_form(uri)
    return NOT_EVALUATED
