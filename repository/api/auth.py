"""Bearer tokens for the write API, parsed once from ``auth.tokens``.

Each entry is ``NAME:SECRET`` (may write) or ``NAME:SECRET:read`` (may only read). The
secret may be written ``sha256:<64 hex digits>`` so the settings file holds no clear
text; a clear secret is hashed as it is loaded, so only digests stay in memory. A
presented token is hashed and compared with every known digest in constant time, and
the loop never stops early, so timing does not tell how many tokens exist or which one
came close. The token's *name* (never the secret) goes into the access log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass

from repository.settings import SettingsError

log = logging.getLogger("opis")

READ, WRITE = "read", "write"
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_SCHEME = re.compile(r"Bearer[ \t]+(\S+)[ \t]*", re.IGNORECASE)
MAX_SECRET = 4096
SHORT_SECRET = 16


@dataclass(frozen=True)
class Token:
    name: str
    digest: bytes
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == WRITE


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def parse_token(entry: str) -> Token:
    """One ``auth.tokens`` entry; SettingsError names the entry by its name only."""
    name, sep, rest = entry.strip().partition(":")
    if not _NAME.fullmatch(name) or not sep:
        raise SettingsError(
            "auth.tokens: each entry is NAME:SECRET or NAME:SECRET:read, NAME being "
            f"1-64 of A-Z a-z 0-9 . _ @ - (entry {_shown(name)} is not)"
        )
    scope = WRITE
    if rest.endswith(":read"):
        rest, scope = rest[: -len(":read")], READ
    if rest.startswith("sha256:"):
        hexdigest = rest[len("sha256:") :]
        if not _DIGEST.fullmatch(hexdigest):
            raise SettingsError(
                f"auth.tokens: token {name!r}: sha256: must be followed by 64 hex digits"
            )
        return Token(name, bytes.fromhex(hexdigest), scope)
    if not rest:
        raise SettingsError(f"auth.tokens: token {name!r} has an empty secret")
    if len(rest) < SHORT_SECRET:
        log.warning(
            "auth.tokens: token %r has a secret shorter than %d characters", name, SHORT_SECRET
        )
    return Token(name, digest(rest), scope)


def _shown(name: str) -> str:
    return repr(name[:64]) if name else "with an empty name"


class Tokens:
    """The configured tokens; ``check`` maps an Authorization header to one of them."""

    def __init__(self, entries: list[str]) -> None:
        self.tokens = tuple(parse_token(e) for e in entries if e.strip())
        names = [t.name for t in self.tokens]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise SettingsError(f"auth.tokens: names must be unique: {', '.join(twice)}")

    def check(self, header: str | None) -> Token | None:
        """The token a ``Bearer`` header presents, or None (missing, malformed, unknown)."""
        secret = bearer(header)
        if secret is None:
            return None
        presented = digest(secret)
        found = None
        for token in self.tokens:
            if hmac.compare_digest(presented, token.digest) and found is None:
                found = token
        return found


def bearer(header: str | None) -> str | None:
    """The credentials of ``Authorization: Bearer <token>``; None for anything else."""
    if not header or len(header) > MAX_SECRET + 16:
        return None
    match = _SCHEME.fullmatch(header)
    return match.group(1) if match else None
