"""Unit tests for milter.core.address: envelope address parsing and domain normalisation."""

from __future__ import annotations

import contextlib
import dataclasses
import string
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milter.core import address as address_module
from milter.core.address import (
    Address,
    DomainError,
    Malformed,
    is_within,
    normalise_domain,
    parent_domains,
    parse_address,
)

LONG_LABEL = "a" * 64
NAME_254 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 octets
assert len(NAME_254) == 253


def fullwidth(text: str) -> str:
    """The FULLWIDTH FORMS spelling of printable ASCII text (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) - 0x21 + 0xFF01) for c in text)


def parsed(raw: str | bytes) -> Address:
    result = parse_address(raw)
    assert isinstance(result, Address), result
    return result


def refused(raw: str | bytes) -> Malformed:
    result = parse_address(raw)
    assert isinstance(result, Malformed), result
    return result


# --------------------------------------------------------------------------- strategies

_ALNUM = string.ascii_lowercase + string.digits
# A host-name label: alphanumerics, hyphens only inside (cheaper than st.from_regex).
LABEL = st.builds(
    lambda head, hyphens, tail: head + (hyphens + tail if tail else ""),
    st.text(alphabet=_ALNUM, min_size=1, max_size=8),
    st.sampled_from(["", "-", "--"]),
    st.text(alphabet=_ALNUM, max_size=6),
).filter(lambda label: not label.startswith("xn--"))  # an A-label must be valid Punycode
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
SAFE_LOCAL = st.text(
    alphabet=string.ascii_letters + string.digits + "._+-=", min_size=1, max_size=24
)
# Characters that drive the parser into its corners, for fuzzing.
ADDRESSY = st.text(
    alphabet='<>@"\\%!.,:;[]()aAzZ09-_ \t\x00\x7fü。\uff0eß\u200d' + "xn--IPv6",
    max_size=40,
)


@st.composite
def case_mixed(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


@st.composite
def valid_domain_variants(draw: st.DrawFn) -> tuple[str, str]:
    """A normalised domain and a spelling of it with random case and maybe a trailing dot."""
    domain = draw(DOMAIN)
    spelled = draw(case_mixed(domain)) + ("." if draw(st.booleans()) else "")
    return domain, spelled


# --------------------------------------------------------------------------- parse_address


class TestParseAddress:
    @pytest.mark.parametrize(
        ("raw", "local", "domain"),
        [
            ("user@bjzutrecht.nl", "user", "bjzutrecht.nl"),
            ("<user@bjzutrecht.nl>", "user", "bjzutrecht.nl"),
            ("B@BJZUTRECHT.NL.", "B", "bjzutrecht.nl"),
            ("<B@BJZUTRECHT.NL.>", "B", "bjzutrecht.nl"),
            ("John.Doe@Mail.Example.COM", "John.Doe", "mail.example.com"),
            ("  <user@dom.nl>  ", "user", "dom.nl"),
            ("<user@dom.nl>\r\n", "user", "dom.nl"),
            ("< user@dom.nl >", "user", "dom.nl"),
            ("user@localhost", "user", "localhost"),
            ("user@r3--sn-abc.example", "user", "r3--sn-abc.example"),
            ("üser@dom.nl", "üser", "dom.nl"),
            ("a" * 200 + "@dom.nl", "a" * 200, "dom.nl"),
            (".odd..dots.@dom.nl", ".odd..dots.", "dom.nl"),
        ],
    )
    def test_plain_addresses(self, raw: str, local: str, domain: str) -> None:
        """Plain addresses give the local part as written and the domain normalised."""
        result = parsed(raw)
        assert (result.local, result.domain) == (local, domain)
        assert result.raw == raw
        assert not result.is_null
        assert not result.is_literal

    @pytest.mark.parametrize("raw", ["<>", "", "  <>  ", "< >", "<>\x00SIZE=1000", b"<>", b""])
    def test_null_sender(self, raw: str | bytes) -> None:
        """The null sender '<>' (or empty input) is an Address with is_null and no domain."""
        result = parsed(raw)
        assert result.is_null
        assert (result.local, result.domain, result.routed_domains) == ("", "", ())
        assert result.domains == ()
        assert str(result) == "<>"

    @pytest.mark.parametrize(
        ("raw", "expected_raw"),
        [
            ("<b@bjzutrecht.nl>\x00NOTIFY=NEVER", "<b@bjzutrecht.nl>"),
            ("<b@bjzutrecht.nl>\x00NOTIFY=NEVER\x00ORCPT=rfc822;b@x", "<b@bjzutrecht.nl>"),
            (b"<b@bjzutrecht.nl>\x00NOTIFY=NEVER", "<b@bjzutrecht.nl>"),
            (b"<b@bjzutrecht.nl>\x00X=\xff\xfe", "<b@bjzutrecht.nl>"),
        ],
    )
    def test_esmtp_arguments_after_nul_are_ignored(
        self, raw: str | bytes, expected_raw: str
    ) -> None:
        """Everything from the first NUL on is ignored, even when it is not UTF-8."""
        result = parsed(raw)
        assert (result.local, result.domain, result.raw) == ("b", "bjzutrecht.nl", expected_raw)

    def test_raw_is_kept_exactly(self) -> None:
        """raw keeps the input as received (brackets, case, trailing dot) for delrcpt."""
        assert parsed("<B@BJZUTRECHT.NL.>").raw == "<B@BJZUTRECHT.NL.>"

    @pytest.mark.parametrize(
        ("raw", "domain"),
        [
            ("u@bücher.example", "xn--bcher-kva.example"),
            ("u@BÜCHER.EXAMPLE", "xn--bcher-kva.example"),
            ("u@xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("u@XN--BCHER-KVA.EXAMPLE.", "xn--bcher-kva.example"),
            ("u@faß.de", "xn--fa-hia.de"),
            ("u@日本語。jp", "xn--wgv71a119e.jp"),
            ("u@" + fullwidth("bjzutrecht.nl"), "bjzutrecht.nl"),
            ("u@bjzutrecht｡nl", "bjzutrecht.nl"),
            ("u@bjzutrecht。nl。", "bjzutrecht.nl"),
            ("u@bjz\u00adutrecht.nl", "bjzutrecht.nl"),
            (b"u@b\xc3\xbccher.example", "xn--bcher-kva.example"),
        ],
    )
    def test_idn_domains(self, raw: str | bytes, domain: str) -> None:
        """IDN domains are UTS-46 mapped and converted to A-labels; A-labels stay."""
        assert parsed(raw).domain == domain

    @pytest.mark.parametrize(
        "raw",
        [
            "u@xn--zz.nl",
            "u@xn--a.nl",
            "u@xn--.nl",
            "u@a\u200db.nl",
            "u@\u0308a.nl",
            "u@⒈.com",
            "u@\u0661.nl",
        ],
    )
    def test_invalid_idn_is_refused(self, raw: str) -> None:
        """Invalid Punycode and IDNA-disallowed names give an 'invalid domain name' Malformed."""
        assert refused(raw).reason.startswith("invalid domain name: ")

    @pytest.mark.parametrize(
        ("raw", "local"),
        [
            ('"john doe"@dom.nl', "john doe"),
            ('"quoted@local"@dom.nl', "quoted@local"),
            ('<"a@b"@dom.nl>', "a@b"),
            ('"a\\"b"@dom.nl', 'a"b'),
            ('"back\\\\slash"@dom.nl', "back\\slash"),
            ('"\\x"@dom.nl', "x"),
            ('"Mixed.Case"@DOM.NL', "Mixed.Case"),
        ],
    )
    def test_quoted_local_parts(self, raw: str, local: str) -> None:
        """Quotes are removed, escapes resolved, and an @ inside quotes is not the separator."""
        result = parsed(raw)
        assert (result.local, result.domain) == (local, "dom.nl")

    @pytest.mark.parametrize(
        ("raw", "domain", "routed"),
        [
            ("<user%bjzutrecht.nl@relay.example>", "relay.example", ("bjzutrecht.nl",)),
            ("<user%BJZUTRECHT.NL.@relay.example>", "relay.example", ("bjzutrecht.nl",)),
            ("u%a.example%b.example@c.example", "c.example", ("b.example", "a.example")),
            (
                "<@a.example,@b.example:user@bjzflevo.nl>",
                "bjzflevo.nl",
                ("a.example", "b.example"),
            ),
            ("<@A.EXAMPLE.:user@bjzflevo.nl>", "bjzflevo.nl", ("a.example",)),
            ("<@[192.0.2.1],@b.example:u@c.example>", "c.example", ("[192.0.2.1]", "b.example")),
            ("<@[IPv6:2001:db8::1]:u@c.example>", "c.example", ("[ipv6:2001:db8::1]",)),
            ("bjzutrecht.nl!user@relay.example", "relay.example", ("bjzutrecht.nl",)),
            ("a.example!b.example!user@relay.example", "relay.example", ("a.example", "b.example")),
            ('"user@bjzutrecht.nl"@relay.example', "relay.example", ("bjzutrecht.nl",)),
            ("user%relay.example@relay.example", "relay.example", ()),
            ("user%bad_name@relay.example", "relay.example", ()),
            ("user%@relay.example", "relay.example", ()),
            ("u%bücher.example@relay.example", "relay.example", ("xn--bcher-kva.example",)),
            ("<@a.example:u%b.example@c.example>", "c.example", ("a.example", "b.example")),
        ],
    )
    def test_routed_domains(self, raw: str, domain: str, routed: tuple[str, ...]) -> None:
        """Source routes, percent hack, quoted @ and bang paths land in routed_domains."""
        result = parsed(raw)
        assert result.domain == domain
        assert result.routed_domains == routed
        literals = tuple(d for d in routed if d.startswith("["))
        assert result.domains == (domain, *(d for d in routed if d not in literals))

    def test_percent_hack_domain_is_in_domains(self) -> None:
        """A percent-hack inner domain is one of the domains a policy must check."""
        result = parsed("<user%bjzutrecht.nl@relay.example>")
        assert "bjzutrecht.nl" in result.routed_domains
        assert "bjzutrecht.nl" in result.domains
        assert result.local == "user%bjzutrecht.nl"

    @pytest.mark.parametrize(
        ("raw", "domain"),
        [
            ("u@[192.0.2.1]", "[192.0.2.1]"),
            ("<u@[192.0.2.1]>", "[192.0.2.1]"),
            ("u@[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]"),
            ("u@[ipv6:::1]", "[ipv6:::1]"),
            ("u@[IPv6:::ffff:192.0.2.1]", "[ipv6:::ffff:192.0.2.1]"),
        ],
    )
    def test_address_literals(self, raw: str, domain: str) -> None:
        """Address literals are validated, kept as written in lower case, not in .domains."""
        result = parsed(raw)
        assert result.is_literal
        assert result.domain == domain
        assert result.domains == ()

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("u@[300.1.1.1]", "invalid address literal"),
            ("u@[01.2.3.4]", "invalid address literal"),
            ("u@[1.2.3]", "invalid address literal"),
            ("u@[]", "invalid address literal"),
            ("u@[IPv6:zz::1]", "invalid address literal"),
            ("u@[IPv6:fe80::1%eth0]", "invalid address literal"),
            ("u@[IPv6:]", "invalid address literal"),
            ("u@[2001:db8::1]", "unsupported address literal"),
            ("u@[x-tag:anything]", "unsupported address literal"),
            ("u@[192.0.2.1", "unbalanced square brackets"),
            ("u@192.0.2.1]", "unbalanced square brackets"),
            ("u@[[192.0.2.1]]", "unbalanced square brackets"),
        ],
    )
    def test_invalid_literals(self, raw: str, reason: str) -> None:
        """Literals that are not an IPv4 or IPv6 address are refused."""
        assert refused(raw).reason == reason

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("postmaster", "no domain"),
            ("<postmaster>", "no domain"),
            ('"postmaster"', "no domain"),
            ("user@", "empty domain"),
            ("<user@>", "empty domain"),
            ("@dom.nl", "empty local part"),
            ('""@dom.nl', "empty local part"),
            ("u@" + LONG_LABEL + ".nl", "invalid domain name: label too long"),
            ("u@" + NAME_254 + ".e", "invalid domain name: name too long"),
            ('"unbalanced@dom.nl', "unbalanced quotes"),
            ('unbalanced"@dom.nl', "unbalanced quotes"),
            ('"a\\"@dom.nl', "unbalanced quotes"),
            ('a"b"@dom.nl', "invalid quoting in local part"),
            ('"a"b@dom.nl', "invalid quoting in local part"),
            ('u@"dom.nl"', "unbalanced quotes"),
            ("<u@dom.nl", "unbalanced angle brackets"),
            ("u@dom.nl>", "unbalanced angle brackets"),
            ("<<u@dom.nl>>", "unbalanced angle brackets"),
            ("<", "unbalanced angle brackets"),
            ("u\x01@dom.nl", "control character"),
            ("u@dom\r\n.nl", "control character"),
            ('"a\tb"@dom.nl', "control character"),
            ("u@dom.nl\x7f", "control character"),
            ("john doe@dom.nl", "space outside quotes"),
            ("u@dom .nl", "space outside quotes"),
            ("u@dom\u3000nl", "space outside quotes"),
            ("u@a..b.nl", "invalid domain name: empty label"),
            ("u@.dom.nl", "invalid domain name: empty label"),
            ("u@dom.nl..", "invalid domain name: empty label"),
            ("u@.", "invalid domain name: empty name"),
            ("u@under_score.nl", "invalid domain name: character not allowed in host names"),
            ("u@dom!.nl", "invalid domain name: character not allowed in host names"),
            ("u@-dom.nl", "invalid domain name: label starts or ends with a hyphen"),
            ("u@dom-.nl", "invalid domain name: label starts or ends with a hyphen"),
            ("a@b@dom.nl", "invalid character in local part"),
            ("u(comment)@dom.nl", "invalid character in local part"),
            ("u,v@dom.nl", "invalid character in local part"),
            ("u\\x@dom.nl", "invalid character in local part"),
            ("<@a.example>", "empty local part"),
            ("<@a.example,@b.example>", "invalid source route"),
            ("<@a.example:>", "invalid source route"),
            ("<@,@b.example:u@dom.nl>", "invalid source route"),
            ("<@a.example;u@dom.nl>", "invalid character in local part"),
            (
                "<@a_b.example:u@dom.nl>",
                "invalid source route: character not allowed in host names",
            ),
            ("<@[192.0.2.1:u@dom.nl>", "unbalanced square brackets"),
            (b"\xff\xfe@dom.nl", "not valid UTF-8"),
            (b"u@dom\xc3.nl", "not valid UTF-8"),
            ("u\ud800@dom.nl", "not valid Unicode"),
        ],
    )
    def test_garbage_is_malformed(self, raw: str | bytes, reason: str) -> None:
        """Garbage gives a Malformed with a short fixed reason instead of raising."""
        result = refused(raw)
        assert result.reason == reason
        assert len(result.reason) <= 100

    def test_raw_length_limit_is_1000_octets(self) -> None:
        """Input up to 1000 octets is accepted; 1001 octets (ASCII or UTF-8) is refused."""
        tail = "@dom.nl"
        assert isinstance(parse_address("a" * (1000 - len(tail)) + tail), Address)
        assert refused("a" * (1001 - len(tail)) + tail).reason == "address too long"
        assert refused("é" * 500 + tail).reason == "address too long"
        assert refused(("a" * (1001 - len(tail)) + tail).encode()).reason == "address too long"
        assert refused("a" * 100_000).reason == "address too long"

    def test_invalid_utf8_raw_is_recoverable(self) -> None:
        """Undecodable bytes are kept in raw with surrogateescape, so the input is recoverable."""
        result = refused(b"\xffu@dom.nl")
        assert result.raw.encode("utf-8", "surrogateescape") == b"\xffu@dom.nl"

    @pytest.mark.parametrize(
        ("raw", "text"),
        [
            ("<B@BJZUTRECHT.NL.>", "B@bjzutrecht.nl"),
            ('"john doe"@dom.nl', '"john doe"@dom.nl'),
            ('"quoted@local"@dom.nl', '"quoted@local"@dom.nl'),
            ('"a\\"b"@dom.nl', '"a\\"b"@dom.nl'),
            ('"plain"@dom.nl', "plain@dom.nl"),
            (".odd@dom.nl", '".odd"@dom.nl'),
            ("u%bjzutrecht.nl@relay.example", "u%bjzutrecht.nl@relay.example"),
            ("<@a.example:u@dom.nl>", "u@dom.nl"),
            ("u@[IPv6:2001:DB8::1]", "u@[ipv6:2001:db8::1]"),
            ("üser@bücher.example", "üser@xn--bcher-kva.example"),
        ],
    )
    def test_str(self, raw: str, text: str) -> None:
        """str() gives local@domain with the local part re-quoted only when needed."""
        assert str(parsed(raw)) == text

    def test_domains_property_skips_empty_and_literals(self) -> None:
        """Address.domains is domain plus routed domains without '' and literals."""
        address = Address("raw", "u", "[192.0.2.1]", ("a.example", "[ipv6:::1]"), is_literal=True)
        assert address.domains == ("a.example",)
        assert Address("<>", "", "", is_null=True).domains == ()

    def test_values_are_frozen(self) -> None:
        """Address and Malformed are immutable."""
        with pytest.raises(dataclasses.FrozenInstanceError):
            parsed("u@dom.nl").domain = "other.nl"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            refused("garbage").reason = "x"  # type: ignore[misc]

    def test_reasons_do_not_echo_input(self) -> None:
        """A distinctive marker in garbage input never shows up in the reason."""
        marker = "SECRETMARKER"
        for raw in [
            marker,
            f"{marker}@",
            f"{marker} x@dom.nl",
            f"u@{marker}_x.nl",
            f"u@[{marker}]",
            f'"{marker}',
            f"<@{marker}_x:u@dom.nl>",
        ]:
            result = refused(raw)
            assert marker.lower() not in result.reason.lower()

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.text(max_size=60), ADDRESSY))
    def test_never_raises_on_text(self, raw: str) -> None:
        """parse_address never raises on text; reasons are fixed phrases that never echo it."""
        result = parse_address(raw)
        assert isinstance(result, Address | Malformed)
        if isinstance(result, Malformed):
            assert result.reason in address_module._REASONS
            assert len(result.reason) <= 100
            if len(raw) > 3 and not any(raw in r for r in address_module._REASONS):
                assert raw not in result.reason

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.binary(max_size=60), ADDRESSY.map(str.encode)))
    def test_never_raises_on_bytes(self, raw: bytes) -> None:
        """parse_address never raises on bytes; reasons are fixed phrases that never echo it."""
        result = parse_address(raw)
        assert isinstance(result, Address | Malformed)
        if isinstance(result, Malformed):
            assert result.reason in address_module._REASONS
            shown = raw.decode("utf-8", "replace")
            if len(shown) > 3 and not any(shown in r for r in address_module._REASONS):
                assert shown not in result.reason

    @settings(max_examples=200, deadline=None)
    @given(SAFE_LOCAL, valid_domain_variants(), st.booleans())
    def test_domain_spelling_does_not_matter(
        self, local: str, variant: tuple[str, str], brackets: bool
    ) -> None:
        """Case changes and a trailing dot on the domain give the same normalised domain."""
        domain, spelled = variant
        raw = f"{local}@{spelled}"
        result = parsed(f"<{raw}>" if brackets else raw)
        assert result.domain == domain
        assert result.local == local

    @settings(max_examples=200, deadline=None)
    @given(SAFE_LOCAL, valid_domain_variants())
    def test_str_round_trips(self, local: str, variant: tuple[str, str]) -> None:
        """str() of a parsed address parses back to the same local part and domain."""
        first = parsed(f"{local}@{variant[1]}")
        again = parsed(str(first))
        assert (again.local, again.domain) == (first.local, first.domain)

    @settings(max_examples=200, deadline=None)
    @given(
        st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=20)
    )
    def test_str_round_trips_any_local_part(self, local: str) -> None:
        """Any local part that survives quoting round-trips through str() and parse_address."""
        first = parse_address('"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"@dom.nl')
        if isinstance(first, Address):
            assert first.local == local
            again = parsed(str(first))
            assert (again.local, again.domain) == (local, "dom.nl")


# --------------------------------------------------------------------------- ASCII fast path

# Any ASCII, controls and space included, and the parser's special characters more often.
ASCII_TEXT = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
    st.text(alphabet='<>@"\\%!.,:;[]()aAzZ09-_ \t\x00\x7f' + "xn--IPv6", max_size=40),
    st.builds("{}@{}".format, SAFE_LOCAL, DOMAIN),
)


@contextlib.contextmanager
def general_path() -> Iterator[None]:
    """parse_address and normalise_domain without the ASCII fast path and the domain cache."""
    address_module._ascii_fast_path = False
    try:
        yield
    finally:
        address_module._ascii_fast_path = True


def outcome(name: str) -> str:
    try:
        return normalise_domain(name)
    except DomainError as err:
        return f"refused: {err}"


class TestAsciiFastPath:
    @settings(max_examples=500, deadline=None)
    @given(ASCII_TEXT)
    def test_parse_address_gives_what_the_general_path_gives(self, raw: str) -> None:
        """On ASCII input the fast path returns exactly the general path's result."""
        fast = parse_address(raw)
        with general_path():
            general = parse_address(raw)
        assert fast == general

    @settings(max_examples=500, deadline=None)
    @given(ASCII_TEXT)
    def test_str_gives_what_the_general_path_gives(self, raw: str) -> None:
        """str() of a parsed address quotes its local part exactly as the general path does."""
        parsed_address = parse_address(raw)
        if isinstance(parsed_address, Address):
            fast = str(parsed_address)
            with general_path():
                assert str(parsed_address) == fast

    def test_plain_address_skips_the_general_parser(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """'<local@domain>' is parsed without _parse; a routed or odd one still goes through it."""

        def refuse(raw: str, text: str) -> Address:
            raise AssertionError("general parser used")

        monkeypatch.setattr(address_module, "_parse", refuse)
        assert parse_address("<Jan.de-Vries+x@Partner.Example.>") == Address(
            "<Jan.de-Vries+x@Partner.Example.>", "Jan.de-Vries+x", "partner.example"
        )
        for raw in ("<a%b.nl@c.nl>", "<a!b@c.nl>", "< a@b.nl>", '<"a"@b.nl>', "<a@-b.nl>"):
            assert parse_address(raw) == Malformed(raw, "internal error while parsing")

    @settings(max_examples=500, deadline=None)
    @given(st.one_of(ASCII_TEXT, DOMAIN))
    def test_normalise_domain_gives_what_the_general_path_gives(self, name: str) -> None:
        """On ASCII input the fast (cached) path returns or refuses exactly as the general path."""
        fast, again = outcome(name), outcome(name)  # the second answer comes from the cache
        with general_path():
            general = outcome(name)
        assert fast == again == general


# --------------------------------------------------------------------------- normalise_domain


class TestNormaliseDomain:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("bjzutrecht.nl", "bjzutrecht.nl"),
            ("BJZUTRECHT.NL.", "bjzutrecht.nl"),
            ("Mail.BjzUtrecht.Nl", "mail.bjzutrecht.nl"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
            ("faß.de", "xn--fa-hia.de"),
            (fullwidth("BJZ.nl"), "bjz.nl"),
            ("bjz。nl", "bjz.nl"),
            ("localhost", "localhost"),
            ("1.2.3.4", "1.2.3.4"),
            ("a" * 63 + ".nl", "a" * 63 + ".nl"),
            (NAME_254, NAME_254),
            (NAME_254 + ".", NAME_254),
        ],
    )
    def test_valid_names(self, name: str, expected: str) -> None:
        """Valid names come back lower case, A-label, without trailing dot."""
        assert normalise_domain(name) == expected

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("", "empty name"),
            (".", "empty name"),
            ("a..b", "empty label"),
            (".a", "empty label"),
            ("a.b..", "empty label"),
            ("a" * 64 + ".nl", "label too long"),
            (NAME_254 + ".e", "name too long"),
            ("x" * 2000, "name too long"),
            ("under_score.nl", "character not allowed in host names"),
            ("sp ace.nl", "character not allowed in host names"),
            ("tab\t.nl", "character not allowed in host names"),
            ("[192.0.2.1]", "character not allowed in host names"),
            ("-a.nl", "label starts or ends with a hyphen"),
            ("a-.nl", "label starts or ends with a hyphen"),
            ("xn--zz.nl", "invalid A-label (Punycode)"),
            ("xn--a.nl", "invalid A-label (Punycode)"),
            ("ü" * 60 + ".nl", "label too long"),
        ],
    )
    def test_invalid_names(self, name: str, reason: str) -> None:
        """Invalid names raise DomainError with a short fixed reason."""
        with pytest.raises(DomainError) as info:
            normalise_domain(name)
        assert str(info.value) == reason

    def test_domain_error_is_value_error(self) -> None:
        """DomainError is a ValueError, so generic validation code catches it."""
        assert issubclass(DomainError, ValueError)

    def test_non_string_is_refused(self) -> None:
        """A non-string (a YAML number, say) raises DomainError rather than TypeError."""
        with pytest.raises(DomainError):
            normalise_domain(123)  # type: ignore[arg-type]

    @settings(max_examples=200, deadline=None)
    @given(
        st.one_of(
            DOMAIN,
            valid_domain_variants().map(lambda v: v[1]),
            st.text(alphabet="abcü日本ßÄ\uff21\uff0e。.-xn", min_size=1, max_size=30),
        )
    )
    def test_idempotent(self, name: str) -> None:
        """normalise_domain gives a result it maps to itself."""
        try:
            once = normalise_domain(name)
        except DomainError as err:
            assert len(str(err)) <= 100
            return
        assert normalise_domain(once) == once
        assert once == once.lower()
        assert once.isascii()
        assert not once.endswith(".")


# --------------------------------------------------------------------------- is_within


class TestIsWithin:
    @pytest.mark.parametrize(
        ("domain", "parent", "expected"),
        [
            ("bjzutrecht.nl", "bjzutrecht.nl", True),
            ("mail.bjzutrecht.nl", "bjzutrecht.nl", True),
            ("a.b.bjzutrecht.nl", "bjzutrecht.nl", True),
            ("xbjzutrecht.nl", "bjzutrecht.nl", False),
            ("bjzutrecht.nl", "mail.bjzutrecht.nl", False),
            ("bjzutrecht.nl.evil.example", "bjzutrecht.nl", False),
            ("nl", "bjzutrecht.nl", False),
            ("", "bjzutrecht.nl", False),
            ("bjzutrecht.nl", "", False),
            ("", "", False),
        ],
    )
    def test_table(self, domain: str, parent: str, expected: bool) -> None:
        """A domain is within a parent when equal to it or a subdomain of it."""
        assert is_within(domain, parent) is expected

    @settings(max_examples=200, deadline=None)
    @given(DOMAIN, DOMAIN)
    def test_subdomain_is_within(self, sub: str, parent: str) -> None:
        """sub + '.' + parent is always within parent."""
        assert is_within(sub + "." + parent, parent)
        assert is_within(parent, parent)

    @settings(max_examples=200, deadline=None)
    @given(
        st.text(
            alphabet=string.ascii_lowercase + string.digits + ".-", min_size=1, max_size=12
        ).filter(lambda x: not x.endswith(".")),
        DOMAIN,
    )
    def test_suffix_without_dot_is_not_within(self, prefix: str, parent: str) -> None:
        """prefix + parent is not within parent unless prefix ends with a dot."""
        assert not is_within(prefix + parent, parent)


# --------------------------------------------------------------------------- parent_domains


class TestParentDomains:
    def test_most_specific_first(self) -> None:
        """A domain, then each domain it lies within, down to the top-level label."""
        assert list(parent_domains("mail.bjzutrecht.nl")) == [
            "mail.bjzutrecht.nl",
            "bjzutrecht.nl",
            "nl",
        ]

    def test_empty_domain_has_none(self) -> None:
        """The empty string yields nothing (it lies within no domain)."""
        assert list(parent_domains("")) == []

    @settings(max_examples=200, deadline=None)
    @given(DOMAIN, DOMAIN)
    def test_agrees_with_is_within(self, domain: str, parent: str) -> None:
        """parent is among parent_domains(domain) exactly when is_within(domain, parent)."""
        for candidate in (parent, domain, parent + "." + domain, domain + "." + parent):
            assert (candidate in set(parent_domains(domain))) is is_within(domain, candidate)
