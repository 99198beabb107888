"""history.model -- the values of the contact history: settings, what is known, what failed.

Pure values, no I/O: the engine reads ``HistoryFacts`` (gathered before deciding, like DNS
answers), the policy holds ``HistorySettings``. Names here are in clear (normalised domains,
lower-cased addresses) because they live only in memory for one message; the store keeps only
keyed hashes of them (``milter.history.store``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["domain", "address"]
ContactKind = Literal["client_data", "any"]
HistoryOnFailure = Literal["tempfail", "accept_and_flag", "treat_as_first"]
SCOPES: tuple[Scope, ...] = ("domain", "address")
CONTACT_KINDS: tuple[ContactKind, ...] = ("client_data", "any")
DEFAULT_KEY_FILE = "/var/lib/postwarden/history.key"
DEFAULT_FORGET_AFTER_DAYS = 730  # two years without mail to a contact: a stranger again


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """Where the history is kept (``store``: a SQLite file path), the site key that hashes the
    names (``key_file``, created 0600 at first use), what a store that fails means, and after
    how many days without mail a contact is forgotten (``forget_after_days``)."""

    store: str
    key_file: str = DEFAULT_KEY_FILE
    on_failure: HistoryOnFailure = "tempfail"
    forget_after_days: int = DEFAULT_FORGET_AFTER_DAYS

    def known_since(self, today: dt.date) -> dt.date:
        """The oldest last day of a contact still known on ``today``."""
        return today - dt.timedelta(days=self.forget_after_days)


@dataclass(frozen=True, slots=True)
class Contact:
    """What the history knows of one domain or address: it has received mail from us
    (``any``), and mail with client data (``client_data``)."""

    any: bool = False
    client_data: bool = False

    def has(self, kind: ContactKind) -> bool:
        return self.client_data if kind == "client_data" else self.any


NO_CONTACT = Contact()


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """The history of one message's external recipients, looked up before deciding.

    ``domains`` by normalised domain, ``addresses`` by lower-cased address; a name missing from
    them has no contact. ``error`` (a short reason, never a name) says the store could not be
    read: then nothing here is known and the policy's ``on_failure`` decides."""

    domains: Mapping[str, Contact] = field(default_factory=dict)
    addresses: Mapping[str, Contact] = field(default_factory=dict)
    error: str | None = None

    def contact(self, scope: Scope, name: str) -> Contact:
        table = self.domains if scope == "domain" else self.addresses
        return table.get(name, NO_CONTACT)
