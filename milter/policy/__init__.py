"""Policy: the officer's YAML file -> a frozen, typed ``Policy`` the engine trusts.

``load_policy`` reads and checks a file strictly and either returns a ``Policy`` or raises
``PolicyError`` listing every problem as ``file:line:column: message (hint: ...)``.
``policies/schema.json`` describes the same shape for editors; the loader is authoritative.
"""

from milter.policy.loader import (
    PolicyError,
    PolicyIssue,
    load_policy,
    load_policy_text,
    summarise,
)
from milter.policy.model import OwnedDomain, Policy, ReplyText, RetiredAction, RetiredDomain

__all__ = [
    "OwnedDomain",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "ReplyText",
    "RetiredAction",
    "RetiredDomain",
    "load_policy",
    "load_policy_text",
    "summarise",
]
