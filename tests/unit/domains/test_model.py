"""Host patterns, nameserver syntax and the validation of the domain values."""

from __future__ import annotations

import pytest

from milter.domains.model import (
    Answer,
    DnsSettings,
    Expectation,
    host_matches,
    normalise_host,
    normalise_host_pattern,
    parse_nameserver,
)


class TestHostPattern:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("mx1.samen-veilig.nl", "mx1.samen-veilig.nl"),
            ("MX1.Samen-Veilig.NL.", "mx1.samen-veilig.nl"),
            ("*.mail.protection.outlook.com", "*.mail.protection.outlook.com"),
            ("mx*.samen-veilig.nl", "mx*.samen-veilig.nl"),
            ("*.*.outlook.com", "*.*.outlook.com"),
            ("mx.bücher.de", "mx.xn--bcher-kva.de"),
        ],
    )
    def test_normalised(self, text: str, expected: str) -> None:
        """Patterns are lower-cased, lose the trailing dot and use A-labels."""
        assert normalise_host_pattern(text) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", "empty host pattern"),
            (".", "empty host pattern"),
            ("a..b.nl", "empty label in host pattern"),
            ("mx_1.samen-veilig.nl", "character not allowed in a host pattern"),
            ("mx?.samen-veilig.nl", "character not allowed in a host pattern"),
            ("*", "'*' must stay left of a registrable domain in a host pattern"),
            ("*.nl", "'*' must stay left of a registrable domain in a host pattern"),
            ("*.co.uk", "'*' must stay left of a registrable domain in a host pattern"),
            ("*.github.io", "'*' must stay left of a registrable domain in a host pattern"),
            ("samen*.nl", "'*' must stay left of a registrable domain in a host pattern"),
            ("mx.*.example", "'*' must stay left of a registrable domain in a host pattern"),
            ("a" * 254 + ".nl", "host pattern too long"),
        ],
    )
    def test_refused(self, text: str, reason: str) -> None:
        """Patterns that are malformed or would match hosts anyone can own are refused."""
        with pytest.raises(ValueError, match=reason.replace("*", r"\*")):
            normalise_host_pattern(text)

    @pytest.mark.parametrize(
        ("host", "pattern", "matches"),
        [
            ("mx1.samen-veilig.nl", "mx1.samen-veilig.nl", True),
            ("MX1.SAMEN-VEILIG.NL.", "mx1.samen-veilig.nl", True),
            ("mx3.samen-veilig.nl", "mx1.samen-veilig.nl", False),
            ("x.mail.protection.outlook.com", "*.mail.protection.outlook.com", True),
            ("a.b.mail.protection.outlook.com", "*.mail.protection.outlook.com", False),
            ("a.b.mail.protection.outlook.com", "*.*.mail.protection.outlook.com", True),
            ("mail.protection.outlook.com", "*.mail.protection.outlook.com", False),
            ("mx.samen-veilig.nl", "mx*.samen-veilig.nl", True),
            ("mx12.samen-veilig.nl", "mx*.samen-veilig.nl", True),
            ("mx1.samen-veilig.nl.attacker.example", "mx1.samen-veilig.nl", False),
            ("mx1.samen-veilig.nl.attacker.example", "*.samen-veilig.nl", False),
            ("evil-samen-veilig.nl", "*.samen-veilig.nl", False),
        ],
    )
    def test_matching(self, host: str, pattern: str, matches: bool) -> None:
        """'*' matches within one label only; case and a trailing dot do not matter."""
        assert host_matches(host, pattern) is matches

    @pytest.mark.parametrize(("name", "expected"), [("A.B.", "a.b"), (".", "."), ("", ".")])
    def test_normalise_host(self, name: str, expected: str) -> None:
        """Hosts from DNS answers are lower-cased without trailing dot; the root stays '.'."""
        assert normalise_host(name) == expected


class TestNameserver:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("127.0.0.1", ("127.0.0.1", 53)),
            ("127.0.0.1:5353", ("127.0.0.1", 5353)),
            ("[::1]:53", ("::1", 53)),
            ("[::1]", ("::1", 53)),
            ("2001:db8::1", ("2001:db8::1", 53)),
        ],
    )
    def test_parsed(self, text: str, expected: tuple[str, int]) -> None:
        """HOST, HOST:PORT, [V6]:PORT and bare IPv6 literals are accepted."""
        assert parse_nameserver(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "ns1.example",
            "127.0.0.1:0",
            "127.0.0.1:70000",
            "127.0.0.1:",
            "[::1",
            "[1.2.3.4]:53",
            "[::1]53",
        ],
    )
    def test_refused(self, text: str) -> None:
        """Host names, bad ports and malformed brackets are refused."""
        with pytest.raises(ValueError):
            parse_nameserver(text)


class TestValues:
    def test_expectation_normalises_its_patterns(self) -> None:
        """An Expectation holds normalised patterns, whatever it was built from."""
        assert Expectation(mx=("MX1.Samen-Veilig.NL.",)).mx == ("mx1.samen-veilig.nl",)

    def test_expectation_refuses_bad_patterns(self) -> None:
        """A wildcard over a public suffix cannot be an expectation."""
        with pytest.raises(ValueError):
            Expectation(ns=("*.nl",))

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"timeout_ms": 0},
            {"timeout_ms": 900, "budget_ms": 800},
            {"max_concurrency": 0},
            {"on_failure": "accept"},
            {"nameservers": ("resolver.example",)},
        ],
    )
    def test_settings_refuse_nonsense(self, kwargs: dict[str, object]) -> None:
        """DnsSettings refuse values no resolver could work with."""
        with pytest.raises(ValueError):
            DnsSettings(**kwargs)  # type: ignore[arg-type]

    def test_settings_defaults(self) -> None:
        """The defaults are the issue's: 800 ms per query, 2 s per message, tempfail."""
        s = DnsSettings()
        assert (s.timeout_ms, s.budget_ms, s.on_failure, s.refuse_nonexistent) == (
            800,
            2000,
            "tempfail",
            True,
        )

    @pytest.mark.parametrize(
        ("status", "trouble"),
        [("ok", False), ("nxdomain", False), ("nodata", False), ("timeout", True),
         ("servfail", True), ("refused", True), ("error", True)],
    )  # fmt: skip
    def test_answer_trouble(self, status: str, trouble: bool) -> None:
        """Only timeouts, SERVFAIL, REFUSED and errors are DNS trouble."""
        assert Answer("a.test", "MX", status).is_trouble is trouble  # type: ignore[arg-type]
