"""Tests for milter.policy.loader: strict YAML -> Policy, every refusal with file:line:column."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from milter.policy import (
    OwnedDomain,
    Policy,
    PolicyError,
    PolicyIssue,
    load_policy,
    load_policy_text,
    summarise,
)
from milter.policy.issues import MAX_ISSUES
from milter.policy.sections import MAX_OWNED_DOMAINS

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"

# Line numbers in the cases below refer to this text (value columns: domain 13, retired_since 20,
# owner 12, nl/en 11).
VALID = """\
version: 1
organisation: Samen Veilig Midden-Nederland
owned_domains:
  - domain: samen-veilig.nl
  - domain: veiligthuisutrecht.nl
retired_domains:
  - domain: bjzutrecht.nl
    retired_since: 2017-12-31
    owner: Hoofd Informatiemanagement
    reply:
      nl: "Dit adres bestaat niet meer; gebruik @samen-veilig.nl."
      en: "This address is retired; use @samen-veilig.nl."
...
"""
END = "...\n"  # the end marker a policy must close with
NL_LINE = 'nl: "Dit adres bestaat niet meer; gebruik @samen-veilig.nl."'


def edit(old: str, new: str, text: str = VALID) -> str:
    """VALID with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def append(extra: str, text: str = VALID) -> str:
    """``text`` with ``extra`` lines added at its end, before the end marker '...'."""
    assert text.endswith(END)
    return text.removesuffix(END) + extra + END


def retired_entry(domain: str) -> str:
    """A complete retired_domains entry, to append at line 13 of VALID (domain at column 13)."""
    return (
        f"  - domain: {domain}\n"
        "    retired_since: 2018-06-30\n"
        "    owner: FG\n"
        "    reply: {nl: Weg., en: Gone.}\n"
    )


def refusal(text: str | bytes, source: str = "p.yaml") -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, source)
    return info.value


# (id, policy text, line, column, message fragment)
REFUSALS: list[tuple[str, str | bytes, int, int, str]] = [
    (
        "unknown-top-level-key",
        edit("version: 1\n", "version: 1\nretired_domain: []\n"),
        2,
        1,
        "unknown key 'retired_domain'",
    ),
    (
        "unknown-top-level-key",
        edit("version: 1\n", "version: 1\nlookalike: {action: quarantine}\n"),
        2,
        1,
        "unknown key 'lookalike'",
    ),
    (
        "unknown-nested-key",
        edit(
            "    owner: Hoofd Informatiemanagement\n",
            "    owner: Hoofd Informatiemanagement\n    notify_sendr: true\n",
        ),
        10,
        5,
        "unknown key 'notify_sendr'",
    ),
    (
        "unknown-owned-key",
        edit(
            "  - domain: samen-veilig.nl\n",
            "  - domain: samen-veilig.nl\n    expects: {mx: [a.nl]}\n",
        ),
        5,
        5,
        "unknown key 'expects'",
    ),
    (
        "unknown-reply-language",
        edit('      en: "This', '      de: "Weg."\n      en: "This'),
        12,
        7,
        "unknown key 'de'",
    ),
    ("duplicate-top-level-key", append("version: 1\n"), 13, 1, "duplicate key 'version'"),
    (
        "duplicate-nested-key",
        edit("    reply:\n", "    owner: FG\n    reply:\n"),
        10,
        5,
        "duplicate key 'owner' (first at line 9)",
    ),
    (
        "duplicate-domain-normalised",
        append(retired_entry("BJZUTRECHT.NL.")),
        13,
        13,
        "domain 'bjzutrecht.nl' (written 'BJZUTRECHT.NL.') is listed twice (first at line 7)",
    ),
    (
        "duplicate-owned-domain",
        edit("veiligthuisutrecht.nl", "Samen-Veilig.nl"),
        5,
        13,
        "is listed twice",
    ),
    (
        "owned-and-retired",
        append(retired_entry("samen-veilig.nl")),
        13,
        13,
        "both owned and retired",
    ),
    (
        "retired-inside-owned",
        append(retired_entry("mail.samen-veilig.nl")),
        13,
        13,
        "retired domain 'mail.samen-veilig.nl' lies inside owned domain 'samen-veilig.nl'",
    ),
    (
        "owned-inside-retired",
        edit("veiligthuisutrecht.nl", "old.bjzutrecht.nl"),
        7,
        13,
        "owned domain 'old.bjzutrecht.nl' lies inside retired domain 'bjzutrecht.nl'",
    ),
    (
        "retired-inside-retired",
        append(retired_entry("mail.bjzutrecht.nl")),
        13,
        13,
        "lies inside retired domain 'bjzutrecht.nl'",
    ),
    (
        "string-instead-of-list",
        edit(
            "owned_domains:\n  - domain: samen-veilig.nl\n  - domain: veiligthuisutrecht.nl\n",
            "owned_domains: samen-veilig.nl\n",
        ),
        3,
        16,
        "owned_domains: expected a list, got text 'samen-veilig.nl'",
    ),
    (
        "null-instead-of-list",
        VALID.split("  - domain: bjzutrecht.nl")[0] + END,
        6,
        17,
        "retired_domains: expected a list, got nothing",
    ),
    (
        "list-instead-of-mapping",
        edit(
            '    reply:\n      nl: "Dit adres bestaat niet meer; gebruik @samen-veilig.nl."\n'
            '      en: "This address is retired; use @samen-veilig.nl."\n',
            "    reply: [Weg., Gone.]\n",
        ),
        10,
        12,
        "reply: expected a mapping",
    ),
    (
        "scalar-instead-of-entry",
        edit("  - domain: samen-veilig.nl\n", "  - samen-veilig.nl\n"),
        4,
        5,
        "owned_domains entry: expected a mapping",
    ),
    (
        "bool-where-text",
        edit("owner: Hoofd Informatiemanagement", "owner: yes"),
        9,
        12,
        "owner: expected text, got a boolean (yes)",
    ),
    (
        "int-where-text",
        edit("owner: Hoofd Informatiemanagement", "owner: 42"),
        9,
        12,
        "owner: expected text, got an integer (42)",
    ),
    (
        "null-where-text",
        edit("owner: Hoofd Informatiemanagement", "owner:"),
        9,
        11,
        "owner: expected text, got nothing",
    ),
    (
        "missing-nested-key",
        edit("    owner: Hoofd Informatiemanagement\n", ""),
        7,
        5,
        "retired_domains entry is missing required key 'owner'",
    ),
    (
        "missing-reply-language",
        edit(f"      {NL_LINE}\n", ""),
        11,
        7,
        "reply is missing required key 'nl'",
    ),
    (
        "missing-top-level-key",
        edit("organisation: Samen Veilig Midden-Nederland\n", ""),
        1,
        1,
        "the policy is missing required key 'organisation'",
    ),
    (
        "missing-retired-domains",
        VALID.split("retired_domains:")[0] + END,
        1,
        1,
        "missing required key 'retired_domains'",
    ),
    (
        "date-impossible-month",
        edit("2017-12-31", "2017-13-01"),
        8,
        20,
        "2017-13-01 is not a real date (month must be in 1..12)",
    ),
    ("date-impossible-day", edit("2017-12-31", "2017-02-30"), 8, 20, "is not a real date"),
    (
        "date-day-first",
        edit("2017-12-31", "31-12-2017"),
        8,
        20,
        "expected a date written YYYY-MM-DD, got '31-12-2017'",
    ),
    ("date-with-time", edit("2017-12-31", "2017-12-31 10:00:00"), 8, 20, "got a date and time"),
    ("date-iso-datetime", edit("2017-12-31", "2017-12-31T10:00:00Z"), 8, 20, "date and time"),
    ("date-short-month", edit("2017-12-31", "2017-1-31"), 8, 20, "YYYY-MM-DD"),
    (
        "date-integer",
        edit("2017-12-31", "2017"),
        8,
        20,
        "expected a date (YYYY-MM-DD), got an integer",
    ),
    (
        "domain-underscore",
        edit("bjzutrecht.nl\n", "bjz_utrecht.nl\n"),
        7,
        13,
        "domain: invalid domain 'bjz_utrecht.nl'",
    ),
    ("domain-empty-label", edit("bjzutrecht.nl\n", "a..b\n"), 7, 13, "invalid domain 'a..b'"),
    ("domain-long-label", edit("bjzutrecht.nl\n", "a" * 64 + ".nl\n"), 7, 13, "invalid domain"),
    ("domain-single-label", edit("bjzutrecht.nl\n", "localhost\n"), 7, 13, "invalid domain"),
    ("domain-bool", edit("bjzutrecht.nl\n", "no\n"), 7, 13, "domain: expected text, got a boolean"),
    (
        "empty-owned-domains",
        edit(
            "owned_domains:\n  - domain: samen-veilig.nl\n  - domain: veiligthuisutrecht.nl\n",
            "owned_domains: []\n",
        ),
        3,
        16,
        "owned_domains: needs at least 1 entry",
    ),
    (
        "too-many-owned-domains",  # named at the first entry past the cap: line 4 + 500
        edit(
            "  - domain: veiligthuisutrecht.nl\n",
            "".join(f"  - domain: d{i}.example\n" for i in range(MAX_OWNED_DOMAINS)),
        ),
        4 + MAX_OWNED_DOMAINS,
        5,
        f"owned_domains: at most {MAX_OWNED_DOMAINS} entries; this is entry 501 of 501",
    ),
    (
        "action-redirect",
        edit("    reply:\n", "    action: redirect\n    reply:\n"),
        7,
        5,
        "action redirect needs redirect_to",
    ),
    (
        "action-unknown",
        edit("    reply:\n", "    action: bounce\n    reply:\n"),
        10,
        13,
        "action: unknown value 'bounce'",
    ),
    ("version-2", edit("version: 1", "version: 2"), 1, 10, "unsupported policy version 2"),
    (
        "version-string",
        edit("version: 1", "version: '1'"),
        1,
        10,
        "version: expected an integer, got text '1'",
    ),
    ("version-float", edit("version: 1", "version: 1.0"), 1, 10, "got a number (1.0)"),
    ("version-bool", edit("version: 1", "version: yes"), 1, 10, "got a boolean"),
    ("anchor", edit("owner: Hoofd", "owner: &who Hoofd"), 9, 12, "anchor '&who' is not allowed"),
    (
        "alias",
        append(
            retired_entry("bjzflevo.nl")
            .replace("owner: FG", "owner: *who")
            .replace("retired_since: 2018-06-30", "retired_since: &d 2018-06-30")
        ),
        15,
        12,
        "alias '*who' is not allowed",
    ),
    (
        "merge-key",
        edit("    reply:\n", "    <<: {action: refuse}\n    reply:\n"),
        10,
        5,
        "merge keys ('<<') are not allowed",
    ),
    ("two-documents", append("---\nversion: 1\n"), 13, 1, "only one YAML document is allowed"),
    ("empty-file", "", 1, 1, "the policy file is empty"),
    ("only-comments", "# nothing yet\n\n", 1, 1, "the policy file is empty"),
    ("only-document-marker", "---\n", 1, 1, "the policy file is empty"),
    ("top-level-list", "- version: 1\n", 1, 1, "policy: expected a mapping"),
    ("binary-garbage", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, 1, "not valid UTF-8 (byte 0x89)"),
    (
        "latin-1-bytes",
        edit("Hoofd", "H\xf6ofd").encode("latin-1"),
        9,
        13,
        "not valid UTF-8 (byte 0xf6)",
    ),
    ("nul-character", edit("Hoofd", "Ho\x00ofd"), 9, 14, "non-printable character (U+0000)"),
    (
        "unclosed-quote",
        edit(
            '"This address is retired; use @samen-veilig.nl."',
            '"This address is retired; use @samen-veilig.nl.',
        ),
        13,
        1,
        "YAML syntax error: found unexpected document separator",
    ),
    (
        "bad-indentation",
        edit("  - domain: veiligthuisutrecht.nl", "   - domain: veiligthuisutr"),
        5,
        4,
        "YAML syntax error: expected <block end>",
    ),
    ("tab-indentation", edit("    owner:", "\towner:"), 9, 1, "YAML syntax error"),
    (
        "reply-newline-escape",
        edit('en: "This address', 'en: "This\\naddress'),
        12,
        11,
        "en: must be a single line",
    ),
    (
        "reply-block-literal",
        edit(
            'en: "This address is retired; use @samen-veilig.nl."',
            "en: |\n        This address is retired.\n",
        ),
        12,
        11,
        "en: must be a single line",
    ),
    (
        "reply-empty",
        edit('en: "This address is retired; use @samen-veilig.nl."', 'en: ""'),
        12,
        11,
        "en: must not be empty",
    ),
    (
        "reply-blank",
        edit('en: "This address is retired; use @samen-veilig.nl."', 'en: "   "'),
        12,
        11,
        "en: must not be empty",
    ),
    (
        "reply-too-long",
        edit('en: "This address is retired; use @samen-veilig.nl."', "en: " + "x" * 201),
        12,
        11,
        "en: is 201 characters long, at most 200 allowed",
    ),
    (
        "reply-bidi-override",
        edit('en: "This address', 'en: "This \\u202Eaddress'),
        12,
        11,
        "control or invisible character (U+202E)",
    ),
    (
        "reply-escape-char",
        edit('en: "This address', 'en: "This \\e[31maddress'),
        12,
        11,
        "control or invisible character (U+001B)",
    ),
    (
        "organisation-empty",
        edit("organisation: Samen Veilig Midden-Nederland", "organisation: ''"),
        2,
        15,
        "organisation: must not be empty",
    ),
    (
        "complex-key",
        edit("version: 1\n", "version: 1\n? [a, b]\n: c\n"),
        2,
        3,
        "keys must be plain words",
    ),
]


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "line", "column", "fragment"),
        [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
    )
    def test_refused_at_position(
        self, text: str | bytes, line: int, column: int, fragment: str
    ) -> None:
        """Each broken policy is refused with an issue at the offending node's line and column."""
        error = refusal(text)
        hits = [i for i in error.issues if fragment in i.message]
        assert hits, f"no issue mentions {fragment!r}:\n{error}"
        assert (hits[0].file, hits[0].line, hits[0].column) == ("p.yaml", line, column), str(error)

    def test_unknown_key_hint_suggests_close_match(self) -> None:
        """A misspelt key gets a 'did you mean' hint naming the real key."""
        error = refusal(edit("version: 1\n", "version: 1\nretired_domain: []\n"))
        assert error.issues[0].hint == "did you mean 'retired_domains'?"

    def test_unknown_key_hint_lists_allowed_keys(self) -> None:
        """A key with no close match gets a hint listing the keys allowed there."""
        error = refusal(edit("version: 1\n", "version: 1\nzzz: {}\n"))
        hint = error.issues[0].hint or ""
        assert hint.startswith("allowed keys here: version, organisation, owned_domains, ")
        assert "retired_domains" in hint and "content" in hint

    def test_boolean_hint_says_quote_it(self) -> None:
        """owner: yes is refused with a hint to put the word in quotes."""
        error = refusal(edit("owner: Hoofd Informatiemanagement", "owner: yes"))
        assert error.issues[0].hint is not None
        assert 'put the text in quotes: "yes"' in error.issues[0].hint

    def test_syntax_error_hint_has_context_position(self) -> None:
        """A YAML syntax error's hint says where the construct it was parsing began."""
        error = refusal(edit("  - domain: veiligthuisutrecht.nl", "   - domain: veiligthuisutr"))
        assert error.issues[0].hint == "while parsing a block collection at line 4, column 3"

    def test_missing_keys_reported_together(self) -> None:
        """All keys missing from one mapping are named in one issue, in schema order."""
        error = refusal(append("  - domain: bjzflevo.nl\n"))
        assert [str(i) for i in error.issues] == [
            "p.yaml:13:5: retired_domains entry is missing required keys 'retired_since', 'owner',"
            " 'reply' (hint: required here: domain, retired_since, owner, reply)"
        ]

    def test_multiple_errors_collected_and_sorted(self) -> None:
        """Independent problems across the file all land in one PolicyError, sorted by position."""
        text = edit("2017-12-31", "2017-13-01")
        text = edit("owner: Hoofd Informatiemanagement", "owner: yes", text)
        text = edit("version: 1\n", "version: 2\ncolour: blue\n", text)
        text = edit("  - domain: samen-veilig.nl", "  - domain: samen_veilig.nl", text)
        error = refusal(append(retired_entry("bjzutrecht.nl"), text))
        assert [(i.line, i.column) for i in error.issues] == [
            (1, 10),
            (2, 1),
            (5, 13),
            (9, 20),
            (10, 12),
            (14, 13),
        ]
        assert len(str(error).splitlines()) == 6

    def test_issues_capped(self) -> None:
        """More than MAX_ISSUES problems: the first MAX_ISSUES are kept and the rest counted."""
        extra = "".join(f"unknown_{n}: 1\n" for n in range(MAX_ISSUES + 10))
        error = refusal(append(extra))
        assert len(error.issues) == MAX_ISSUES
        assert error.omitted == 10
        assert str(error).splitlines()[-1] == "... and 10 more issues"

    def test_aliased_node_reported_once(self) -> None:
        """A problem inside an anchored value that is aliased is reported once, not per use."""
        text = edit("owner: Hoofd Informatiemanagement", "owner: &who yes")
        text = append(retired_entry("bjzflevo.nl").replace("owner: FG", "owner: *who"), text)
        messages = [i.message for i in refusal(text).issues]
        assert messages.count("owner: expected text, got a boolean (yes)") == 1


class TestLoadPolicyText:
    def test_valid_text(self) -> None:
        """A valid policy becomes a Policy with normalised domains and real dates."""
        policy = load_policy_text(VALID, "p.yaml")
        assert policy.version == 1
        assert policy.owned_domains == (
            OwnedDomain("samen-veilig.nl"),
            OwnedDomain("veiligthuisutrecht.nl"),
        )
        (retired,) = policy.retired_domains
        assert retired.retired_since == dt.date(2017, 12, 31)
        assert retired.action == "refuse"
        assert retired.reply.en == "This address is retired; use @samen-veilig.nl."
        assert policy.source == "p.yaml"

    def test_domains_normalised(self) -> None:
        """Upper case and a trailing dot are normalised away; IDNs become A-labels."""
        text = edit("bjzutrecht.nl\n", "BJZUtrecht.NL.\n")
        text = edit("veiligthuisutrecht.nl", "zorgcliënt.nl", text)
        policy = load_policy_text(text)
        assert policy.retired_domains[0].domain == "bjzutrecht.nl"
        assert policy.owned_domains[1].domain.startswith("xn--")

    def test_unicode_reply_kept(self) -> None:
        """Reply text keeps what the officer wrote, accents included; '%' is fine."""
        text = edit('"Dit adres bestaat', '"Cliënt 100% veilig: dit adres bestaat')
        assert load_policy_text(text).retired_domains[0].reply.nl.startswith("Cliënt 100% veilig")

    def test_quoted_date_accepted(self) -> None:
        """A date in quotes (as editors using YAML 1.2 see it) is accepted too."""
        policy = load_policy_text(edit("2017-12-31", '"2017-12-31"'))
        assert policy.retired_domains[0].retired_since == dt.date(2017, 12, 31)

    def test_empty_retired_domains_and_flow_style(self) -> None:
        """retired_domains may be an empty list; flow style mappings are fine."""
        text = (
            "version: 1\norganisation: X\nowned_domains: [{domain: x.nl}]\nretired_domains: []\n"
            "...\n"
        )
        assert load_policy_text(text).retired_domains == ()

    def test_sha256_of_str_is_of_utf8_bytes(self) -> None:
        """A str policy is hashed as its UTF-8 bytes, matching the same file read as bytes."""
        text = edit("Hoofd", "Höofd")
        assert load_policy_text(text).sha256 == load_policy_text(text.encode()).sha256
        assert load_policy_text(text).sha256 == hashlib.sha256(text.encode()).hexdigest()

    def test_utf8_bom_accepted(self) -> None:
        """A UTF-8 byte order mark (as some Windows editors write) is accepted."""
        assert load_policy_text(b"\xef\xbb\xbf" + VALID.encode()).version == 1

    def test_explicit_document_markers_accepted(self) -> None:
        """One document with '---' and '...' markers is still one document."""
        assert load_policy_text("---\n" + VALID).version == 1

    def test_default_source(self) -> None:
        """Without a source, issues name '<policy>'."""
        with pytest.raises(PolicyError) as info:
            load_policy_text("")
        assert str(info.value).startswith("<policy>:1:1: ")


class TestLoadPolicy:
    def test_example_loads(self) -> None:
        """policies/example.yaml is a valid policy for the incident organisation."""
        policy = load_policy(EXAMPLE)
        assert policy.organisation == "Samen Veilig Midden-Nederland"
        assert [d.domain for d in policy.owned_domains] == [
            "samen-veilig.nl",
            "veiligthuisutrecht.nl",
        ]
        assert [(d.domain, d.retired_since) for d in policy.retired_domains] == [
            ("bjzutrecht.nl", dt.date(2017, 12, 31)),
            ("bjzflevo.nl", dt.date(2018, 6, 30)),
        ]
        assert all("@samen-veilig.nl" in d.reply.nl for d in policy.retired_domains)
        assert all("@samen-veilig.nl" in d.reply.en for d in policy.retired_domains)

    def test_sha256_of_file_bytes(self) -> None:
        """Policy.sha256 is the sha256 of the file's raw bytes."""
        assert load_policy(EXAMPLE).sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()

    def test_source_is_path_as_given(self) -> None:
        """Policy.source is the path as given, str or PathLike."""
        assert load_policy(EXAMPLE).source == str(EXAMPLE)
        assert load_policy(str(EXAMPLE)).source == str(EXAMPLE)

    def test_issue_names_file(self, tmp_path: Path) -> None:
        """Issues from a file carry its path."""
        path = tmp_path / "policy.yaml"
        path.write_text(edit("version: 1", "version: 2"))
        with pytest.raises(PolicyError) as info:
            load_policy(path)
        assert str(info.value).startswith(f"{path}:1:10: unsupported policy version 2")

    def test_unreadable_file(self, tmp_path: Path) -> None:
        """A missing file is a PolicyError without a position, not an OSError."""
        path = tmp_path / "missing.yaml"
        with pytest.raises(PolicyError) as info:
            load_policy(path)
        assert str(info.value) == (
            f"{path}: cannot read the policy file: it does not exist; choose another file "
            "with --policy"
        )


class TestPolicyIssue:
    def test_str_with_hint(self) -> None:
        """str() is 'file:line:column: message (hint: ...)'."""
        issue = PolicyIssue("p.yaml", 3, 7, "unknown key 'x'", "did you mean 'y'?")
        assert str(issue) == "p.yaml:3:7: unknown key 'x' (hint: did you mean 'y'?)"

    def test_str_without_hint(self) -> None:
        """Without a hint, no '(hint: ...)' part."""
        assert str(PolicyIssue("p.yaml", 3, 7, "bad")) == "p.yaml:3:7: bad"

    def test_str_without_position(self) -> None:
        """Line 0 means no position: only the file is named."""
        assert str(PolicyIssue("p.yaml", 0, 0, "cannot read")) == "p.yaml: cannot read"


class TestPolicyError:
    def test_str_one_issue_per_line(self) -> None:
        """str() lists the issues, one per line."""
        error = PolicyError([PolicyIssue("p", 1, 1, "a"), PolicyIssue("p", 2, 1, "b", "h")])
        assert str(error) == "p:1:1: a\np:2:1: b (hint: h)"
        assert error.omitted == 0


class TestSummarise:
    def test_example_summary(self) -> None:
        """The summary names the organisation, counts and the short sha256."""
        policy = load_policy(EXAMPLE)
        assert summarise(policy) == (
            "policy OK: Samen Veilig Midden-Nederland, 2 owned domains, 2 retired domains, "
            f"sha256 {policy.sha256[:12]}"
        )

    def test_singular(self) -> None:
        """One domain is 'domain', not 'domains'."""
        policy = Policy(1, "X", (OwnedDomain("x.nl"),), (), "p", "0" * 64)
        expected = "policy OK: X, 1 owned domain, 0 retired domains, sha256 000000000000"
        assert summarise(policy) == expected
