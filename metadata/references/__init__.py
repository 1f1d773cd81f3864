"""Archival citations: parse any written variant, give its canonical form, key and setSpec.

``parse("GAPPOD AzR, f. 1, op. 89, d. 90, ll. 9-15")`` gives the reference
``GAPPOD f.1 op.89 d.90`` with sheets ``9-15``; ``unit_key`` makes it
``GAPPOD/f.1/op.89/d.90`` and ``key_to_set_spec`` the OAI set ``GAPPOD:f.1:op.89:d.90``.
Pure code: no files, no network. The archives come from the installed registry
(``registry.install``; the repository layer installs ``archives.toml`` at start-up).
"""

from metadata.references.archives import archive_name
from metadata.references.citation import Citation
from metadata.references.keys import (
    canonical,
    document_key,
    key_prefixes,
    key_to_set_spec,
    locator,
    parse_key,
    set_spec_to_key,
    unit_key,
)
from metadata.references.levels import level_label
from metadata.references.parse import parse
from metadata.references.registry import (
    SHIPPED_DATA,
    Archive,
    Registry,
    RegistryError,
    RegistryNotLoaded,
    current,
    install,
)

__all__ = [
    "SHIPPED_DATA",
    "Archive",
    "Citation",
    "Registry",
    "RegistryError",
    "RegistryNotLoaded",
    "archive_name",
    "canonical",
    "current",
    "document_key",
    "install",
    "key_prefixes",
    "key_to_set_spec",
    "level_label",
    "locator",
    "parse",
    "parse_key",
    "set_spec_to_key",
    "unit_key",
]
