"""The Content-Security-Policy each kind of page gets, worked out from the settings."""

from __future__ import annotations

import pytest

from repository.pages import security
from repository.settings import Settings

BASE = "https://opis.example.org"
UNPKG = "https://unpkg.com/mirador@4.0.0/dist/mirador.min.js"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("/mirador/mirador.min.js", "'self'"),  # a path on this server
        ("mirador/mirador.min.js", "'self'"),
        (f"{BASE}/mirador/mirador.min.js", "'self'"),
        ("HTTPS://OPIS.example.org/m.js", "'self'"),
        (UNPKG, UNPKG),  # that one file, not all of unpkg
        (
            "https://cdn.example:8443/m/mirador.min.js?v=4#x",
            "https://cdn.example:8443/m/mirador.min.js",
        ),
        ("//cdn.example/mirador.min.js", "https://cdn.example/mirador.min.js"),
        ("http://opis.example.org/m.js", "http://opis.example.org/m.js"),  # another scheme
        ("https://cdn.example/a;script-src *", "https://cdn.example"),  # cannot be a path
        ("https://cdn.example/a,b.js", "https://cdn.example"),
    ],
)
def test_the_mirador_script_is_allowed_and_nothing_beside_it(url, source):
    assert security.script_source(url, BASE) == source


def test_the_default_settings_allow_the_mirador_file_on_unpkg_only():
    settings = Settings()
    assert settings.web.mirador_url == UNPKG
    found = security.directives("viewer", settings.web.mirador_url, settings.base_url)
    assert found["script-src"] == ("'self'", UNPKG)
    assert "frame-src" not in found and found["frame-ancestors"] == ("'self'",)


def test_the_empty_style_hash_is_the_hash_of_nothing():
    assert security.EMPTY_STYLE == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


@pytest.mark.parametrize("kind", ["page", "record", "viewer"])
def test_no_policy_allows_inline_code_or_any_host(kind):
    value = security.headers(kind, UNPKG, BASE)["Content-Security-Policy"]
    for banned in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", " * ", "*;", "http: "):
        assert banned not in value + ";", (kind, banned)
    names = [part.split()[0] for part in value.split("; ")]
    assert names[0] == "default-src" and len(names) == len(set(names))
    assert "frame-ancestors" in names and "base-uri" in names
    frames = "frame-src 'self'; child-src 'self'"
    assert (frames in value) == (kind == "record"), "only a record page frames the viewer"
