"""Which domains a message asks DNS about, and how answers become facts (pure)."""

from __future__ import annotations

import pytest

from milter.domains.model import Answer, Expectation
from milter.domains.ownership import assess, mismatched, questions_for

OURS = Expectation(mx=("mx1.samen-veilig.nl", "mx2.samen-veilig.nl"), ns=("ns1.provider.example",))
MX_ONLY = Expectation(mx=("mx1.samen-veilig.nl",))
OWNED = {"samen-veilig.nl": OURS, "jeugd.samen-veilig.nl": MX_ONLY, "veiligthuisutrecht.nl": None}
RETIRED = ("bjzutrecht.nl",)


def mx(*hosts: str) -> Answer:
    """An MX answer with these hosts (none = NODATA)."""
    return Answer("d.test", "MX", "ok" if hosts else "nodata", hosts)


def ns(*hosts: str) -> Answer:
    """An NS answer with these hosts (none = NODATA)."""
    return Answer("d.test", "NS", "ok" if hosts else "nodata", hosts)


A_OK = Answer("d.test", "A", "ok", ("192.0.2.1",))
A_NONE = Answer("d.test", "A", "nodata")
AAAA_NONE = Answer("d.test", "AAAA", "nodata")
NXDOMAIN = Answer("d.test", "MX", "nxdomain")
TIMEOUT = Answer("d.test", "MX", "timeout", error="timeout")
NS_SERVFAIL = Answer("d.test", "NS", "servfail", error="SERVFAIL")


class TestQuestionsFor:
    @pytest.mark.parametrize(
        ("recipients", "check_existence", "expected"),
        [
            (["samen-veilig.nl"], True, {"samen-veilig.nl": OURS}),
            (
                ["mail.samen-veilig.nl"],
                True,
                {"samen-veilig.nl": OURS, "mail.samen-veilig.nl": None},
            ),
            (["mail.samen-veilig.nl"], False, {"samen-veilig.nl": OURS}),
            (["x.jeugd.samen-veilig.nl"], False, {"jeugd.samen-veilig.nl": MX_ONLY}),
            (["veiligthuisutrecht.nl"], True, {"veiligthuisutrecht.nl": None}),
            (["veiligthuisutrecht.nl"], False, {}),
            (["partner.example"], True, {"partner.example": None}),
            (["partner.example"], False, {}),
            (["bjzutrecht.nl", "mail.bjzutrecht.nl"], True, {}),
            (
                ["a.example", "a.example", "samen-veilig.nl"],
                True,
                {"a.example": None, "samen-veilig.nl": OURS},
            ),
        ],
    )
    def test_questions(
        self, recipients: list[str], check_existence: bool, expected: dict[str, object]
    ) -> None:
        """Owned zones with expectations, existence when asked, never retired domains."""
        got = questions_for(recipients, OWNED, RETIRED, check_existence=check_existence)
        assert got == expected

    def test_retired_as_a_set(self) -> None:
        """A set of retired domains (the policy's index) is honoured like a list."""
        retired = frozenset(f"old{n}.example" for n in range(10000)) | {"bjzutrecht.nl"}
        got = questions_for(["mail.bjzutrecht.nl", "x.old42.example", "old42.example.nl"], OWNED,
                            retired)  # fmt: skip
        assert got == {"old42.example.nl": None}


class TestAssess:
    @pytest.mark.parametrize(
        ("expectation", "answers", "state", "detail"),
        [
            (
                OURS,
                (mx("mx1.samen-veilig.nl"), (), ns("ns1.provider.example")),
                "ok",
                "MX and NS as expected",
            ),
            (MX_ONLY, (mx("mx1.samen-veilig.nl"), (), None), "ok", "MX as expected"),
            (None, (mx("mx.partner.example"), (), None), "ok", "mail host mx.partner.example"),
            (None, (mx(), (A_OK,), None), "ok", "mail host d.test"),
            (None, (mx("."), (), None), "no_mail_host", "null MX (RFC 7505): accepts no mail"),
            (None, (mx(), (A_NONE, AAAA_NONE), None), "no_mail_host", "no MX and no A/AAAA record"),
            (OURS, (NXDOMAIN, (), None), "nxdomain", "d.test does not exist (NXDOMAIN)"),
            (OURS, (TIMEOUT, (), None), "error", "MX lookup failed: timeout"),
            (
                OURS,
                (mx("mx1.samen-veilig.nl"), (), NS_SERVFAIL),
                "error",
                "NS lookup failed: SERVFAIL",
            ),
            (
                None,
                (mx(), (Answer("d.test", "A", "timeout", error="timeout"),), None),
                "error",
                "A lookup failed: timeout",
            ),
            (
                MX_ONLY,
                (mx("."), (), None),
                "drift",
                "null MX (RFC 7505): accepts no mail; expected MX mx1.samen-veilig.nl",
            ),
            (
                OURS,
                (mx("mx1.samen-veilig.nl", "mx.catchall.example"), (), ns("ns1.provider.example")),
                "drift",
                "MX mx.catchall.example not in expected mx1.samen-veilig.nl, mx2.samen-veilig.nl",
            ),
            (
                OURS,
                (mx("mx1.samen-veilig.nl"), (), ns()),
                "drift",
                "no NS records at d.test; expected NS ns1.provider.example",
            ),
            (
                OURS,
                (mx("mx.x.example"), (), ns("ns.x.example")),
                "drift",
                "MX mx.x.example not in expected mx1.samen-veilig.nl, mx2.samen-veilig.nl; "
                "NS ns.x.example not in expected ns1.provider.example",
            ),
        ],
    )
    def test_state(
        self,
        expectation: Expectation | None,
        answers: tuple[Answer, tuple[Answer, ...], Answer | None],
        state: str,
        detail: str,
    ) -> None:
        """Answers plus expectation give one state and a short detail."""
        facts = assess("d.test", expectation, answers[0], answers[1], answers[2])
        assert (facts.state, facts.detail) == (state, detail)

    def test_missing_expected_host_is_not_drift(self) -> None:
        """Only foreign hosts are drift; one of our two MX hosts being absent is not."""
        facts = assess("d.test", OURS, mx("mx2.samen-veilig.nl"), (), ns("ns1.provider.example"))
        assert facts.state == "ok"

    def test_detail_is_bounded(self) -> None:
        """At most five hosts are named, each cut to 100 characters."""
        hosts = [f"{'x' * 120}{i}.example" for i in range(8)]
        facts = assess("d.test", MX_ONLY, mx(*hosts))
        assert facts.detail.count("...") == 5
        assert "and 3 more" in facts.detail
        assert len(facts.detail) < 700

    def test_ns_answer_required_when_ns_expected(self) -> None:
        """Calling assess without the NS answer it needs is a bug, refused loudly."""
        with pytest.raises(ValueError):
            assess("d.test", OURS, mx("mx1.samen-veilig.nl"))

    def test_from_cache_only_when_every_answer_was(self) -> None:
        """Facts are from the cache only if all their answers were."""
        cached = Answer("d.test", "MX", "ok", ("mx1.samen-veilig.nl",), from_cache=True)
        assert assess("d.test", MX_ONLY, cached).from_cache
        assert not assess(
            "d.test", None, Answer("d.test", "MX", "nodata", from_cache=True), (A_OK,)
        ).from_cache


def test_mismatched_keeps_order_and_drops_duplicates() -> None:
    """mismatched() lists each foreign host once, in answer order."""
    assert mismatched(["b.x", "a.x", "b.x", "mx1.samen-veilig.nl"], ["mx1.samen-veilig.nl"]) == (
        "b.x",
        "a.x",
    )
