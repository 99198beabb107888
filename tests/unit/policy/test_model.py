"""Tests for milter.policy.model: the domain lookups a Policy answers per recipient."""

from __future__ import annotations

import dataclasses
import datetime as dt

from milter.policy import OwnedDomain, Policy, ReplyText, RetiredDomain


def retired(domain: str) -> RetiredDomain:
    return RetiredDomain(domain, dt.date(2017, 12, 31), "FG", ReplyText("Weg.", "Gone."))


POLICY = Policy(
    version=1,
    organisation="Samen Veilig",
    owned_domains=(OwnedDomain("samen-veilig.nl"), OwnedDomain("mail.samen-veilig.nl")),
    retired_domains=(*(retired(f"old{n}.example") for n in range(10000)), retired("bjzutrecht.nl")),
    source="p.yaml",
    sha256="0" * 64,
)


class TestRetiredZone:
    def test_the_domain_itself(self) -> None:
        """A retired domain is found by its own name."""
        assert POLICY.retired_zone("bjzutrecht.nl") == retired("bjzutrecht.nl")

    def test_a_subdomain(self) -> None:
        """A subdomain at any depth is found under the retired domain."""
        assert POLICY.retired_zone("a.b.old9999.example") == retired("old9999.example")

    def test_not_a_parent_or_a_longer_name(self) -> None:
        """Neither the parent nor a name that merely ends in the same letters is retired."""
        assert POLICY.retired_zone("nl") is None
        assert POLICY.retired_zone("xbjzutrecht.nl") is None
        assert POLICY.retired_zone("old1.example.nl") is None

    def test_retired_names_is_a_set_of_the_domains(self) -> None:
        """retired_names() holds every retired domain once."""
        assert len(POLICY.retired_names()) == 10001
        assert "old5.example" in POLICY.retired_names()


class TestOwnedZone:
    def test_most_specific_owned_domain(self) -> None:
        """The owned domain closest to the name wins."""
        assert POLICY.owned_zone("x.mail.samen-veilig.nl") == OwnedDomain("mail.samen-veilig.nl")
        assert POLICY.owned_zone("www.samen-veilig.nl") == OwnedDomain("samen-veilig.nl")
        assert POLICY.owned_zone("samen-veilig.nl.evil.example") is None

    def test_is_owned(self) -> None:
        """is_owned is true for an owned domain and its subdomains only."""
        assert POLICY.is_owned("samen-veilig.nl")
        assert POLICY.is_owned("a.samen-veilig.nl")
        assert not POLICY.is_owned("samen-veilig.nl.example")


class TestIndexFollowsTheLists:
    def test_replace_rebuilds_the_index(self) -> None:
        """dataclasses.replace with other lists answers from the new lists."""
        smaller = dataclasses.replace(POLICY, retired_domains=(), owned_domains=())
        assert smaller.retired_zone("bjzutrecht.nl") is None
        assert not smaller.is_owned("samen-veilig.nl")

    def test_index_is_not_part_of_equality(self) -> None:
        """Two policies with the same values are equal; the index is derived, not compared."""
        assert dataclasses.replace(POLICY) == POLICY
        assert "_retired_by_name" not in repr(dataclasses.replace(POLICY, retired_domains=()))
