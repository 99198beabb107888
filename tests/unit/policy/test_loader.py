"""Tests for milter.policy.loader: duplicate condition keys, the overlap index, the size cap and
the required end marker '...' (the broader loader cases are in test_loader_refusals.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from milter.core.address import is_within
from milter.policy import PolicyError, load_policy, load_policy_text
from milter.policy.loader import MAX_POLICY_BYTES
from tests.unit.policy.test_loader_refusals import END, VALID, append

EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"
CUT_SHORT = "the policy does not end with '...': the file may be cut short"


def refusal(text: str | bytes, source: str = "p.yaml") -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, source)
    return info.value


def with_content(when: str) -> str:
    """VALID with one content rule whose condition is ``when`` (starting at line 16)."""
    return append(
        f"content:\n  rules:\n    - id: r1\n      when:\n{when}      action: quarantine\n"
    )


def with_retired(domains: list[str]) -> str:
    """VALID with these retired domains added, one line each from line 13 on."""
    entries = "".join(
        f"  - {{domain: {d}, retired_since: 2018-06-30, owner: FG, reply: {{nl: x, en: y}}}}\n"
        for d in domains
    )
    return append(entries)


class TestDuplicateConditionKeys:
    def test_repeated_any_is_a_duplicate_at_the_repeat(self) -> None:
        """any: twice in one condition is a duplicate key at the second, not 'must stand alone'."""
        text = with_content("        any: [{detector: bsn}]\n        any: [{detector: iban}]\n")
        error = refusal(text)
        assert [str(i) for i in error.issues] == [
            "p.yaml:18:9: duplicate key 'any' (first at line 17) (hint: YAML would silently keep"
            " only the last one; remove one of them)"
        ]

    def test_repeated_all_inside_a_nested_condition(self) -> None:
        """A repeat deep inside any: [...] is found at its own line and column."""
        text = with_content(
            "        any:\n"
            "          - all: [{detector: bsn}]\n"
            "            all: [{detector: iban}]\n"
        )
        error = refusal(text)
        assert [(i.line, i.column, i.message) for i in error.issues] == [
            (19, 13, "duplicate key 'all' (first at line 18)")
        ]

    def test_repeated_detector_key_reported_once(self) -> None:
        """detector: twice in a detector condition: one duplicate issue, at the repeat."""
        text = with_content("        detector: bsn\n        detector: iban\n")
        error = refusal(text)
        assert [(i.line, i.column, i.message) for i in error.issues] == [
            (18, 9, "duplicate key 'detector' (first at line 17)")
        ]

    def test_mixed_keys_still_must_stand_alone(self) -> None:
        """all: beside detector: (no repeat) is still refused as a mixed condition."""
        error = refusal(with_content("        all: [{detector: bsn}]\n        detector: iban\n"))
        assert ["must stand alone" in i.message for i in error.issues] == [True]


def brute_force_overlaps(domains: list[str]) -> dict[int, int]:
    """{index: index of the first earlier overlapping entry}: the quadratic reference."""
    found = {}
    for i, later in enumerate(domains):
        for j, earlier in enumerate(domains[:i]):
            if is_within(later, earlier) or is_within(earlier, later):
                found[i] = j
                break
    return found


class TestDomainOverlapIndex:
    def test_reported_against_the_first_overlapping_entry(self) -> None:
        """A domain inside two earlier ones is reported once, against the earlier of the two."""
        error = refusal(with_retired(["y.a.nl", "a.nl", "z.y.a.nl"]))
        assert [(i.line, i.message) for i in error.issues] == [
            (14, "retired domain 'y.a.nl' lies inside retired domain 'a.nl' (domains at lines 13"
             " and 14 overlap)"),
            (15, "retired domain 'z.y.a.nl' lies inside retired domain 'y.a.nl' (domains at lines"
             " 13 and 15 overlap)"),
        ]  # fmt: skip

    def test_overlap_at_the_end_of_a_long_list(self) -> None:
        """In 3 000 retired domains, one inside an early entry is found and named."""
        domains = [f"old{n}.example" for n in range(3000)] + ["mail.old7.example"]
        error = refusal(with_retired(domains))
        assert [(i.line, i.column) for i in error.issues] == [(13 + 3000, 14)]
        assert "inside retired domain 'old7.example' (domains at lines 20 and 3013" in str(error)

    def test_a_long_list_without_overlap_loads(self) -> None:
        """3 000 distinct retired domains (siblings and look-alike suffixes) load."""
        domains = [f"old{n}.example" for n in range(1500)]
        domains += [f"xold{n}.example" for n in range(1500)]  # 'xold1' is not inside 'old1'
        assert len(load_policy_text(with_retired(domains)).retired_domains) == 3001

    def test_agrees_with_comparing_every_pair(self) -> None:
        """On seeded random lists, the index reports what comparing every pair reports."""
        rng = random.Random(20261123)
        labels = ["a", "b", "c"]
        for _ in range(150):
            domains = [
                ".".join(rng.choices(labels, k=rng.randint(1, 3))) + ".nl"
                for _ in range(rng.randint(1, 8))
            ]
            expected = brute_force_overlaps(domains)
            try:
                load_policy_text(with_retired(domains))
                lines = {}
            except PolicyError as error:
                lines = {i.line - 13: i.message for i in error.issues}
            assert set(lines) == set(expected), domains
            for index, first in expected.items():
                assert f"line {13 + first}" in lines[index] or (
                    f"lines {13 + first} and" in lines[index]
                ), (domains, lines[index])


class TestSizeLimit:
    def test_text_over_the_limit_is_refused_at_the_start(self) -> None:
        """More than MAX_POLICY_BYTES: one issue at 1:1 naming the size and the limit."""
        text = VALID + "#" * (MAX_POLICY_BYTES - len(VALID)) + "\n"
        error = refusal(text)
        assert [str(i) for i in error.issues] == [
            f"p.yaml:1:1: the policy file is {MAX_POLICY_BYTES + 1} bytes, more than the limit"
            f" of {MAX_POLICY_BYTES} bytes (1 MiB) (hint: a policy is a hand-kept file of some"
            " kB; is this the right file?)"
        ]

    def test_text_at_the_limit_is_checked(self) -> None:
        """Exactly MAX_POLICY_BYTES (comments after the end marker) loads."""
        text = VALID + "#" * (MAX_POLICY_BYTES - len(VALID) - 1) + "\n"
        assert len(text.encode()) == MAX_POLICY_BYTES
        assert load_policy_text(text).version == 1

    def test_file_over_the_limit_names_its_real_size(self, tmp_path: Path) -> None:
        """A 3 MiB file is refused at 1:1 with its size from the file system."""
        path = tmp_path / "policy.yaml"
        path.write_bytes(VALID.encode() + b"#" * (3 << 20))
        with pytest.raises(PolicyError) as info:
            load_policy(path)
        (issue,) = info.value.issues
        assert (issue.file, issue.line, issue.column) == (str(path), 1, 1)
        assert issue.message.startswith(f"the policy file is {len(VALID) + (3 << 20)} bytes,")


class TestEndMarker:
    def test_missing_end_marker_is_refused_at_the_end(self) -> None:
        """A policy without '...' is refused where the file ends, saying it may be cut short."""
        error = refusal(VALID.removesuffix(END))
        assert [(i.line, i.column, i.message) for i in error.issues] == [(13, 1, CUT_SHORT)]
        assert "last line is '...'" in (error.issues[0].hint or "")

    def test_missing_end_marker_without_final_newline(self) -> None:
        """Without a final newline the issue points just after the last character."""
        text = VALID.removesuffix(END).removesuffix("\n")
        last = text.splitlines()[-1]
        error = refusal(text)
        assert [(i.line, i.column) for i in error.issues] == [(12, len(last) + 1)]

    def test_every_cut_at_a_line_break_is_refused(self) -> None:
        """example.yaml cut after any of its lines (before the marker) never loads."""
        lines = EXAMPLE.read_text().splitlines(keepends=True)
        end = lines.index("...\n")
        for number in range(1, end):
            with pytest.raises(PolicyError):
                load_policy_text("".join(lines[:number]), "cut.yaml")

    @pytest.mark.parametrize(
        "tail",
        ["...", "...\n", "... # end of policy\n", "...\n\n# signed off: FG\n\n", "...\n...\n"],
    )
    def test_comments_and_blank_lines_may_follow(self, tail: str) -> None:
        """After '...' only comments, blank lines (and repeated markers) may follow."""
        assert load_policy_text(VALID.removesuffix(END) + tail).version == 1

    @pytest.mark.parametrize(
        ("tail", "message"),
        [
            ("...\nversion: 1\n", "YAML syntax error"),
            ("...\n---\nversion: 1\n", "only one YAML document is allowed"),
        ],
    )
    def test_values_after_the_marker_are_refused(self, tail: str, message: str) -> None:
        """Anything but comments after '...' is refused at its line."""
        error = refusal(VALID.removesuffix(END) + tail)
        assert [(i.line, i.column) for i in error.issues] == [(14, 1)]
        assert error.issues[0].message.startswith(message)

    def test_reported_with_other_issues(self) -> None:
        """A missing marker is listed together with every other problem, in file order."""
        text = VALID.removesuffix(END).replace("version: 1\n", "version: 1\ncolour: blue\n")
        error = refusal(text)
        assert [(i.line, i.message) for i in error.issues] == [
            (2, "unknown key 'colour'"),
            (14, CUT_SHORT),
        ]

    def test_example_ends_with_the_marker(self) -> None:
        """policies/example.yaml ends with the marker, so copies of it load."""
        assert EXAMPLE.read_text().endswith("\n...\n")
        assert load_policy(EXAMPLE).version == 1
