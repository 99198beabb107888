"""Links for senders: single-use, expiring, HMAC-signed tokens bound to one message and its sender.

A held-mail notice carries a link to the portal's page for that one message. The link's token
says which gateway holds it, its queue id, its sender and until when the link works, signed
with a key the gateways (which write notices) and the portal (which reads the links) share:

    token = base64url(claims JSON) "." base64url(HMAC-SHA256(key, "pw1." + claims part))
    claims = {"v": 1, "g": gateway, "q": queue id, "s": sender (lower case), "e": expiry
              (epoch seconds), "n": nonce (16 hex digits)}

``verify`` refuses a token that was altered (signature), made with another key, expired, or of
another version; it compares signatures in constant time. Single use is the portal's part: it
records each nonce it has accepted for an action (``milter.portal`` keeps them until the token
would have expired anyway). A token grants nothing beyond its message: the portal checks that
the queue id, gateway and sender it acts on are the token's.

The key is a file of at least 32 random bytes (``new_key_file`` makes one, mode 0600); it is
read whole and used as is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass

VERSION = 1
_DOMAIN = b"pw1."  # signs this scheme only: a MAC of other data under the same key never passes
MIN_KEY_BYTES = 32
MAX_TOKEN = 600
_QUEUE_ID = re.compile(r"^[0-9A-Za-z]{5,20}$")
_GATEWAY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")  # two base64url parts


class TokenError(Exception):
    """A token that must not be honoured; the message says why (never the token itself)."""


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token grants: acting on one held message, as its sender, until expires."""

    gateway: str
    queue_id: str
    sender: str
    expires: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, claims_part: str) -> bytes:
    return hmac.new(key, _DOMAIN + claims_part.encode("ascii"), hashlib.sha256).digest()


def sign(key: bytes, gateway: str, queue_id: str, sender: str, expires: int) -> str:
    """A token for ``sender`` to act on ``queue_id`` at ``gateway`` until ``expires``."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the token key must be at least {MIN_KEY_BYTES} bytes")
    if not _GATEWAY.match(gateway) or not _QUEUE_ID.match(queue_id):
        raise ValueError("gateway name or queue id out of shape")
    claims = {
        "v": VERSION,
        "g": gateway,
        "q": queue_id,
        "s": sender.lower(),
        "e": int(expires),
        "n": secrets.token_hex(8),
    }
    part = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{part}.{_b64(_mac(key, part))}"


def verify(key: bytes, token: str, now: float) -> Claims:
    """The claims of a genuine, unexpired token; TokenError otherwise."""
    if not token or len(token) > MAX_TOKEN or not _SHAPE.fullmatch(token):
        raise TokenError("not a Postwarden link")
    part, mac = token.split(".")
    try:
        given = _unb64(mac)
    except (binascii.Error, ValueError):
        raise TokenError("not a Postwarden link") from None
    # One spelling per token: the signature's last character carries two bits base64 does
    # not use, and a character differing only there would decode to the same signature.
    if _b64(given) != mac or not hmac.compare_digest(given, _mac(key, part)):
        raise TokenError("the link was altered or is not from this organisation")
    try:
        claims = json.loads(_unb64(part))
    except (binascii.Error, ValueError):
        raise TokenError("not a Postwarden link") from None
    if not isinstance(claims, dict) or claims.get("v") != VERSION:
        raise TokenError("a link of another version")
    try:
        out = Claims(
            str(claims["g"]), str(claims["q"]), str(claims["s"]), int(claims["e"]), str(claims["n"])
        )
    except (KeyError, TypeError, ValueError):
        raise TokenError("not a Postwarden link") from None
    if not _GATEWAY.match(out.gateway) or not _QUEUE_ID.match(out.queue_id):
        raise TokenError("not a Postwarden link")
    if out.expires <= now:
        raise TokenError("the link has expired")
    return out


def read_key(path: str) -> bytes:
    """The shared key from ``path``; ValueError when it is too short to be a key."""
    with open(path, "rb") as fh:
        key = fh.read()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path}: a token key needs at least {MIN_KEY_BYTES} bytes")
    return key


def new_key_file(path: str) -> None:
    """Write a new random key to ``path`` (mode 0600); refuses to overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(MIN_KEY_BYTES))
