"""domains._suffix -- registrable domains from the Public Suffix List shipped with the package.

The list comes with the `publicsuffixlist` package (no network at run time); ICANN and private
sections both count, so 'github.io' is a public suffix and 'x.github.io' a registrable domain.
A name under an unknown TLD counts its last label as the suffix ('samen-veilig.test').
"""

from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList

__all__ = ["registrable", "split_registrable"]


@functools.cache
def _list() -> PublicSuffixList:
    return PublicSuffixList()


def registrable(domain: str) -> str | None:
    """The registrable domain (public suffix + one label) of A-label `domain`, or None."""
    result: str | None = _list().privatesuffix(domain)
    return result


def split_registrable(domain: str) -> tuple[str, str, str] | None:
    """('labels left of it', 'registrable label', 'public suffix') or None if no such split.

    'mail.samen-veilig.co.uk' -> ('mail', 'samen-veilig', 'co.uk').
    """
    base = registrable(domain)
    if base is None:
        return None
    label, _, suffix = base.partition(".")
    left = domain[: -len(base)].rstrip(".") if domain != base else ""
    return left, label, suffix
