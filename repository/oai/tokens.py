"""Resumption tokens: stateless, signed, and meaningful on any worker after any restart.

A token carries everything needed to produce the next page: the verb it belongs to,
the list's fixed window (its upper bound frozen at the first page), the position to
resume from, the cursor and the list size. It is HMAC-signed with the repository
secret, so a tampered or foreign token is refused, and it expires only after
``oai.token_lifetime_days``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass

from repository.oai.errors import OAIError

_SIG_BYTES = 16


@dataclass(frozen=True)
class Position:
    verb: str
    prefix: str | None
    set_spec: str | None
    start: int
    end: int
    cursor: int
    total: int
    next_datestamp: int | None = None
    next_id: int | None = None
    next_spec: str | None = None
    issued: int = 0


def encode(position: Position, secret: bytes) -> str:
    payload = json.dumps(asdict(position), separators=(",", ":"), sort_keys=True).encode()
    body = _b64(payload)
    return f"{body}.{_b64(_sign(body, secret))}"


def decode(token: str, verb: str, secret: bytes, lifetime: int) -> Position:
    """The position in ``token``, or badResumptionToken saying why not."""
    body, dot, signature = token.partition(".")
    if not dot or not body or not signature:
        raise OAIError("badResumptionToken", "this resumptionToken was not issued here")
    try:
        given = _unb64(signature)
    except ValueError:
        given = b""
    if not hmac.compare_digest(given, _sign(body, secret)):
        raise OAIError("badResumptionToken", "this resumptionToken was not issued here")
    try:
        position = Position(**json.loads(_unb64(body)))
    except (ValueError, TypeError) as exc:
        raise OAIError("badResumptionToken", "this resumptionToken is malformed") from exc
    if position.verb != verb:
        raise OAIError(
            "badResumptionToken", f"this resumptionToken belongs to {position.verb}, not {verb}"
        )
    if time.time() > position.issued + lifetime:
        raise OAIError("badResumptionToken", "this resumptionToken has expired; start again")
    return position


def _sign(body: str, secret: bytes) -> bytes:
    return hmac.new(secret, body.encode(), hashlib.sha256).digest()[:_SIG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the one canonical spelling decodes (no ignored padding bits)."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data
