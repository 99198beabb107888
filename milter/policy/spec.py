"""Policy spec: the small schema language the policy file is written against.

Each class names one kind of value (text, a domain, a date, a list, a mapping with exactly these
keys, ...) and its limits. ``milter.policy.sections`` writes the policy file in these terms,
``milter.policy.walk`` checks a YAML node tree against them, and ``milter.policy.schema``
renders them as the JSON Schema editors use, so the three cannot drift apart. ``title`` and
``doc`` are for that schema only: what an officer sees in the editor.

Pure values, no behaviour: nothing here reads YAML or refuses anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yaml.nodes import Node

    from milter.policy.issues import Issues

MAX_TEXT = 200


@dataclass(frozen=True)
class Text:
    """Non-blank, printable text of at most ``max_len`` characters, one line unless
    ``multiline``."""

    max_len: int = MAX_TEXT
    multiline: bool = False


@dataclass(frozen=True)
class Address:
    """A mail address (``role`` says what for); ``owned`` requires an owned domain."""

    role: str
    owned: bool = False


@dataclass(frozen=True)
class SenderPattern:
    """A sender address or a pattern with '*' (e.g. *@samen-veilig.nl)."""


@dataclass(frozen=True)
class HostPort:
    """host:port (an IP address or host name, and a port)."""


@dataclass(frozen=True)
class HostPattern:
    """An expected MX/NS host name; '*' stands for part of one label (mx*.example.nl)."""


@dataclass(frozen=True)
class Nameserver:
    """A nameserver: an IP address, optionally with :port ('127.0.0.1:53', '[::1]:53')."""


@dataclass(frozen=True)
class OwnPhrase:
    """One of the organisation's own phrases (a name, the footer's KvK or IBAN): one line of at
    most ``max_len`` characters with at least four letters or digits."""

    max_len: int = 200


@dataclass(frozen=True)
class Integer:
    """An integer; ``allowed`` (if given) lists the only values accepted; ``low``/``high``
    bound it."""

    allowed: tuple[int, ...] = ()
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class Duration:
    """A span of time written as a number and a unit: 90s, 10m, 2h, 30d (seconds, minutes,
    hours, days); the value is in seconds, between ``low`` and ``high`` seconds. ``units``
    lists the units allowed (e.g. "d" where only whole days make sense)."""

    low: int = 1
    high: int = 366 * 86_400
    units: str = "smhd"


@dataclass(frozen=True)
class Bool:
    """true or false (YAML 1.1 also reads yes/no/on/off)."""


@dataclass(frozen=True)
class Identifier:
    """A rule or pattern id: lower-case letters, digits, '-' and '_' (it becomes a metric label)."""


@dataclass(frozen=True)
class Pattern:
    """A regular expression for RE2 (linear time: no backreferences or lookaround)."""


@dataclass(frozen=True)
class Condition:
    """A content condition: ``detector`` (a mapping such as {detector: NAME, confidence: LEVEL,
    min_count: N}), one of the ``keyed`` mappings (chosen by the key it has: {first_contact:
    domain, kind: client_data}, {domain_registered_within: 30d}), or {all: [...]} / {any: [...]}
    of conditions, nested freely. ``all_of`` and ``any_of`` build the value of a checked list of
    parts."""

    detector: Map
    all_of: Callable[[tuple[Any, ...]], Any]
    any_of: Callable[[tuple[Any, ...]], Any]
    keyed: tuple[tuple[str, Map], ...] = ()


@dataclass(frozen=True)
class Date:
    """A calendar date written YYYY-MM-DD (quoted or not)."""


@dataclass(frozen=True)
class Domain:
    """A domain name, normalised by ``normalise_domain``; ``role`` names its list in messages."""

    role: str


@dataclass(frozen=True)
class Choice:
    """One word out of ``values``; those in ``later`` are known but not supported yet."""

    values: tuple[str, ...]
    later: tuple[str, ...] = ()


@dataclass(frozen=True)
class List:
    """A YAML list of ``item``s with at least ``min_items`` and at most ``max_items`` entries."""

    item: Spec
    min_items: int = 0
    hint: str | None = None  # shown when the value is not a list at all
    max_items: int | None = None
    max_hint: str | None = None  # shown with the entry past max_items


@dataclass(frozen=True)
class Field:
    """One key of a ``Map``: its value's spec, and whether the key must be there."""

    spec: Spec
    required: bool = True
    title: str | None = None
    doc: str | None = None


@dataclass(frozen=True)
class Paired:
    """``field`` is required when ``key`` is ``value``, and allowed only then (e.g.
    redirect_to with action: redirect)."""

    field: str
    key: str
    value: str
    hint: str | None = None  # shown when the field is missing


@dataclass(frozen=True)
class Map:
    """A mapping with exactly these keys. ``build`` turns the checked values into a model value;
    ``later`` names keys that a later Postwarden version will accept; ``pairs`` are fields that
    go together; ``check`` runs further rules on the checked values (False: refused, with the
    reason added). ``name`` makes it a named definition in the JSON Schema."""

    fields: Mapping[str, Field]
    build: Callable[[dict[str, Any]], Any] = dict
    later: tuple[str, ...] = ()
    check: Callable[[dict[str, Any], Node, Issues], bool] | None = None  # cross-field rules
    pairs: tuple[Paired, ...] = ()
    name: str | None = None
    title: str | None = None
    doc: str | None = None


Spec = (
    Text
    | Integer
    | Bool
    | Identifier
    | Pattern
    | Duration
    | Condition
    | Date
    | Domain
    | Choice
    | List
    | Map
    | Address
    | SenderPattern
    | HostPort
    | HostPattern
    | Nameserver
    | OwnPhrase
)
