"""Tests for milter.policy.walk on small specs: the spec language works without the policy's
sections (a new section needs a spec, not a walker change)."""

from __future__ import annotations

from typing import Any

import pytest

from milter.policy.issues import Issues
from milter.policy.marks import compose
from milter.policy.spec import Choice, Duration, Field, Integer, List, Map, Paired, Text
from milter.policy.walk import walk

SPEC = Map(
    {
        "name": Field(Text(max_len=10)),
        "mode": Field(Choice(("plain", "forward"), later=("bounce",)), required=False),
        "target": Field(Text(), required=False),
        "sizes": Field(List(Integer(low=1, high=9), min_items=1), required=False),
    },
    build=lambda v: ("built", v["name"], v.get("target")),
    pairs=(Paired("target", "mode", "forward", "add target: ..."),),
    later=("colour",),
)


def run(text: str) -> tuple[Any, list[str]]:
    issues = Issues("t.yaml")
    root = compose(text + "...\n", issues)
    assert root is not None
    value = walk(root, SPEC, "thing", issues)
    return value, [str(i) for i in issues.error().issues] if issues else []


class TestWalk:
    def test_builds_checked_values(self) -> None:
        """A valid mapping is built by the spec's build, from the checked values."""
        assert run("name: a\nmode: forward\ntarget: b\nsizes: [1, 9]\n") == (
            ("built", "a", "b"),
            [],
        )

    def test_paired_field_missing(self) -> None:
        """A paired field is required with its key's value, at the mapping's position."""
        assert run("name: a\nmode: forward\n") == (
            None,
            ["t.yaml:1:1: mode forward needs target (hint: add target: ...)"],
        )

    def test_paired_field_alone(self) -> None:
        """A paired field without its key's value is refused."""
        assert run("name: a\ntarget: b\n")[1] == [
            "t.yaml:1:1: target is only used with mode: forward"
        ]

    def test_every_problem_reported_with_position(self) -> None:
        """Siblings are all walked: each problem is reported at its own line and column."""
        value, found = run("name: far too long text\nmode: bounce\nsizes: [0]\ncolour: red\n")
        assert value is None
        assert found == [
            "t.yaml:1:7: name: is 17 characters long, at most 10 allowed",
            "t.yaml:2:7: mode: 'bounce' is not supported yet (hint: this version knows: plain, "
            "forward)",
            "t.yaml:3:9: sizes entry: 0 is out of range (1 to 9)",
            "t.yaml:4:1: unknown key 'colour': not supported by this Postwarden version yet "
            "(hint: allowed keys here: name, mode, target, sizes)",
        ]


def run_duration(text: str, spec: Duration) -> tuple[Any, list[str]]:
    issues = Issues("t.yaml")
    root = compose(f"x: {text}\n...\n", issues)
    assert root is not None
    value = walk(root, Map({"x": Field(spec)}, build=lambda v: v["x"]), "thing", issues)
    return value, [str(i) for i in issues.error().issues] if issues else []


class TestDuration:
    @pytest.mark.parametrize(
        ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("30d", 2_592_000)]
    )
    def test_units(self, text: str, seconds: int) -> None:
        """s, m, h, d; the value is seconds."""
        assert run_duration(text, Duration()) == (seconds, [])

    @pytest.mark.parametrize(
        ("text", "message"),
        [("10", "is not a duration"), ("10 min", "is not a duration"), ("2d", "out of range")],
    )
    def test_refused(self, text: str, message: str) -> None:
        """No unit, another word, or outside the field's range: refused with the reason."""
        value, problems = run_duration(text, Duration(high=86_400))
        assert value is None and any(message in p for p in problems), problems
