"""Policy: the officer's YAML file -> a frozen, typed ``Policy`` the engine trusts.

``load_policy`` reads and checks a file strictly and either returns a ``Policy`` or raises
``PolicyError`` listing every problem as ``file:line:column: message (hint: ...)``.

The modules, in the order a file passes through them: ``loader`` (read, then each step below),
``marks`` (YAML -> nodes with positions), ``walk`` (nodes checked against ``sections``, which
are written in the ``spec`` language), ``checks`` (rules across fields), ``issues`` (what is
refused, and why); ``model`` holds the values a policy becomes, ``lint`` what a valid policy
should still fix, ``schema`` renders the sections as ``policies/schema.json`` for editors.
"""

from milter.policy.issues import PolicyError, PolicyIssue
from milter.policy.loader import MAX_POLICY_BYTES, load_policy, load_policy_text, summarise
from milter.policy.model import OwnedDomain, Policy, ReplyText, RetiredAction, RetiredDomain

__all__ = [
    "MAX_POLICY_BYTES",
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
