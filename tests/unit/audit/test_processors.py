"""The audit processors: each step over a record's dict, alone, and the pipeline's order."""

from __future__ import annotations

from milter.audit.processors import (
    WITHHELD,
    add_time,
    bound_text,
    clean_text,
    mask_samples,
    order_keys,
    pipeline,
)


class TestProcessors:
    def test_time_is_utc_iso_with_z(self) -> None:
        """add_time writes UTC ISO 8601 with microseconds and a 'Z'."""
        ev = add_time(lambda: 0.25)(None, "msg", {})
        assert ev["time"] == "1970-01-01T00:00:00.250000Z"

    def test_clean_text_strips_controls_and_bidi(self) -> None:
        """Control characters, bidi overrides and line separators become '?'."""
        assert clean_text("a\r\nb\u202ec\u2028d\x00") == "a??b?c?d?"

    def test_clean_text_truncates(self) -> None:
        """Outside text is cut at the limit and marked."""
        assert clean_text("x" * 600) == "x" * 512 + "..."
        assert clean_text("abcdef", 3) == "abc..."

    def test_unmasked_samples_are_withheld(self) -> None:
        """A sample without a mask character is never written; at most three are kept."""
        ev = {"findings": [{"samples": ["*****2333", "123456782", "**1", "**2"], "where": []}]}
        assert mask_samples(None, "msg", ev)["findings"][0]["samples"] == [
            "*****2333",
            WITHHELD,
            "**1",
        ]

    def test_order_keys(self) -> None:
        """seq, time, kind, node lead; prev comes last."""
        ev = {"prev": "p", "a": 1, "node": "n", "kind": "k", "time": "t", "seq": 3}
        assert list(order_keys(None, "msg", ev)) == ["seq", "time", "kind", "node", "a", "prev"]

    def test_bound_text_reaches_nested_values(self) -> None:
        """Strings inside lists and dicts are cleaned and cut too; other values stay."""
        ev = {"a": ["x\ny" * 3], "b": {"c": "z" * 20}, "n": 7}
        assert bound_text(10)(None, "msg", ev) == {
            "a": ["x?yx?yx?y"],
            "b": {"c": "z" * 10 + "..."},
            "n": 7,
        }

    def test_pipeline_renders_one_ordered_json_line(self) -> None:
        """The steps in order give one compact line: seq, time, kind, node first, prev last."""

        def chain(_logger: object, _name: str, ev: dict[str, object]) -> dict[str, object]:
            ev.update(seq=1, prev="0" * 64)
            return ev

        ev: dict[str, object] = {"event": "test", "note": "a\u2028b"}
        for step in pipeline(lambda: 0.0, "mx1", chain):
            ev = step(None, "test", ev)
        assert ev == (
            '{"seq":1,"time":"1970-01-01T00:00:00.000000Z","kind":"test","node":"mx1",'
            '"note":"a?b","prev":"' + "0" * 64 + '"}'
        )
