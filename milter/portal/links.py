"""The link a held-mail notice carries to the portal's page for that one message.

``notice_link`` signs a token (``milter.portal.tokens``) for the message's queue id, its sender
and this gateway, valid for the policy's ``link_days`` (never beyond the retention time), and
puts it after ``portal_url``: ``https://portal.example/m/<token>``. Without a ``portal_url`` in
the policy, or when the key file cannot be read, there is no link — the notice then tells the
sender to write to the officers, as before; a notice is never held back for want of a link
(the failure is logged, without the key's path contents).

The gateway is named by this host's short name (``hostname -s``, lower case): the portal's
configuration lists its gateways under those names.
"""

from __future__ import annotations

import os
import re
import socket
import threading

import structlog

from milter.policy.model import HeldNotices
from milter.portal.tokens import read_key, sign

log = structlog.get_logger("postwarden.notify")

DAY = 86_400
_NOT_NAME = re.compile(r"[^a-z0-9._-]")
_lock = threading.Lock()
_keys: dict[str, tuple[float, bytes]] = {}  # path -> (mtime, key): re-read when it changes


def gateway_name() -> str:
    """This gateway's name in links: the host's short name, lower case."""
    name = _NOT_NAME.sub("-", socket.gethostname().split(".")[0].lower())[:63].lstrip("._-")
    return name or "gateway"


def _key(path: str) -> bytes:
    mtime = os.stat(path).st_mtime
    with _lock:
        cached = _keys.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
    key = read_key(path)
    with _lock:
        _keys[path] = (mtime, key)
    return key


def notice_link(
    settings: HeldNotices, queue_id: str | None, sender: str, retention_days: int, now: float
) -> str | None:
    """The portal link for this held message, or None (no portal, no queue id, no key)."""
    if not settings.portal_url or not settings.portal_key or not queue_id or not sender:
        return None
    try:
        key = _key(settings.portal_key)
        days = min(settings.link_days, retention_days)
        token = sign(key, gateway_name(), queue_id, sender, int(now) + days * DAY)
    except (OSError, ValueError) as exc:
        log.warning("notice_link_failed", error=type(exc).__name__)
        return None
    return f"{settings.portal_url.rstrip('/')}/m/{token}"
