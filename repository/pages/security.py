"""The security headers every HTML page carries: Content-Security-Policy and friends.

Each kind of page is allowed exactly what it loads, and nothing inline (no inline
script, ``style=`` or ``on…=`` attribute anywhere in the templates):

* every page: its own origin's stylesheet, scripts and images (the page images are this
  server's Image API, and the icon is a static file), forms that submit to this server;
* a record page, besides: the viewer frame (``/viewer``, same origin);
* the viewer page: its own script and stylesheet, the Mirador script named by
  ``web.mirador_url`` (that one file when it lives elsewhere, ``'self'`` when it is a
  path here), fetches of manifests and info.json from here, the page images (and the
  ``data:`` placeholder Mirador's thumbnail strip shows), and the empty ``<style>``
  elements Mirador's styling library fills through the CSSOM (see ``EMPTY_STYLE``).

No page may be framed by another site (``frame-ancestors 'self'``, and
``X-Frame-Options`` for browsers that predate it), and links that leave the site send
the origin only (``Referrer-Policy``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["page", "record", "viewer"]
Directives = dict[str, tuple[str, ...]]

REFERRER_POLICY = "strict-origin-when-cross-origin"
FRAME_OPTIONS = "SAMEORIGIN"
# Mirador styles itself with emotion, which in production builds inserts an empty <style>
# element and then fills its sheet through the CSSOM (insertRule), which CSP does not
# govern. The hash of the empty string admits exactly those empty elements: a <style>
# with any text in it is still refused, and only allowed scripts can reach the CSSOM.
EMPTY_STYLE = "'sha256-" + base64.b64encode(hashlib.sha256(b"").digest()).decode() + "'"
# What a host-source with a path may hold: no spaces, quotes, ``;`` or ``,`` (CSP3 §2.3.1).
_SOURCE = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s;,'\"]+$")

_COMMON: Directives = {
    "default-src": ("'none'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
}
_CLOSING: Directives = {
    "form-action": ("'self'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'self'",),
}


def script_source(url: str, base: str) -> str:
    """The source expression that allows the script at ``url`` and nothing more.

    A path (``/mirador/mirador.min.js``) or a URL on ``base``'s origin is ``'self'``; a URL
    elsewhere is that one file (a source with a path matches that path exactly), or its
    origin when the URL cannot be written as a source expression.
    """
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return "'self'"
    own = urlsplit(base)
    scheme = (parts.scheme or own.scheme or "https").lower()
    origin = f"{scheme}://{parts.netloc.lower()}"
    if origin == f"{own.scheme.lower()}://{own.netloc.lower()}":
        return "'self'"
    exact = origin + (parts.path or "/")
    return exact if _SOURCE.match(exact) else origin


def directives(kind: Kind, mirador_url: str, base: str) -> Directives:
    """What a page of this kind may load (``mirador_url`` matters to the viewer only)."""
    if kind == "page":
        return {**_COMMON, **_CLOSING}
    if kind == "record":
        return {**_COMMON, "frame-src": ("'self'",), "child-src": ("'self'",), **_CLOSING}
    mirador = script_source(mirador_url, base)
    return {
        **_COMMON,
        "script-src": tuple(dict.fromkeys(("'self'", mirador))),
        "style-src": ("'self'", EMPTY_STYLE),
        # Mirador's thumbnail strip shows a 1x1 data: PNG until a thumbnail scrolls in.
        "img-src": ("'self'", "data:"),
        "connect-src": ("'self'",),
        **_CLOSING,
        "form-action": ("'none'",),
    }


def policy(found: Directives) -> str:
    """The header value: ``name source source; name source; ...``."""
    return "; ".join(" ".join((name, *sources)) for name, sources in found.items())


def headers(kind: Kind, mirador_url: str, base: str) -> dict[str, str]:
    """Every security header of an HTML page of this kind."""
    return {
        "Content-Security-Policy": policy(directives(kind, mirador_url, base)),
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
    }
