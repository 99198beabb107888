"""Policy model: the frozen, typed values a loaded policy file becomes.

Nothing here reads files or validates YAML; ``milter.policy.loader`` does that and builds these
values only from input it has already checked. Inside the engine the policy is trusted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

RetiredAction = Literal["refuse"]


@dataclass(frozen=True, slots=True)
class ReplyText:
    """The text a sender sees in the SMTP reply, in Dutch and English.

    Kept as the officer wrote it (one printable line, Unicode allowed); the SMTP layer makes it
    ASCII-safe when it builds the reply."""

    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class OwnedDomain:
    """A domain the organisation holds: mail to it (or a subdomain) is internal."""

    domain: str  # normalised A-label, lower case, no trailing dot


@dataclass(frozen=True, slots=True)
class RetiredDomain:
    """A domain that must never receive mail again, whatever DNS says."""

    domain: str  # normalised A-label, lower case, no trailing dot
    retired_since: dt.date
    owner: str
    reply: ReplyText
    action: RetiredAction = "refuse"


@dataclass(frozen=True, slots=True)
class Policy:
    """One loaded policy file. ``sha256`` is of the file's bytes: ops see which version runs."""

    version: int
    organisation: str
    owned_domains: tuple[OwnedDomain, ...]
    retired_domains: tuple[RetiredDomain, ...]
    source: str  # path the policy was loaded from
    sha256: str
