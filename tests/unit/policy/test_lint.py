"""Policy lint: expiring and expired exceptions, and other things an officer should see."""

from __future__ import annotations

import dataclasses
import datetime as dt

from milter.policy.lint import warnings
from milter.policy.model import RiskAcceptance
from tests.unit.core.test_engine_rules import CONTENT_POLICY, EXCEPTION


def with_exception(expires: dt.date, rule: str = "client-data-external") -> list[str]:
    exc: RiskAcceptance = dataclasses.replace(EXCEPTION, expires=expires, rule=rule)
    return warnings(dataclasses.replace(CONTENT_POLICY, exceptions=(exc,)), dt.date(2027, 3, 1))


class TestWarnings:
    def test_expiring_within_30_days(self) -> None:
        """An exception that ends within 30 days is announced with the days left."""
        found = with_exception(dt.date(2027, 3, 31))
        assert any("expires on 2027-03-31 (30 days)" in w for w in found)

    def test_expired(self) -> None:
        """An expired exception is listed as no longer applying."""
        assert any("expired on 2027-02-28" in w for w in with_exception(dt.date(2027, 2, 28)))

    def test_far_future_is_quiet(self) -> None:
        """An exception far from its end gives no expiry warning."""
        assert not any("expire" in w for w in with_exception(dt.date(2028, 1, 1)))

    def test_unknown_rule(self) -> None:
        """An exception naming a rule that does not exist is pointed out."""
        assert any("no rule has" in w for w in with_exception(dt.date(2028, 1, 1), "nope"))

    def test_monitor_mode_rule_is_mentioned(self) -> None:
        """Rules in monitor mode are listed: they do not act."""
        assert any(
            "iban-external is in monitor mode" in w
            for w in warnings(CONTENT_POLICY, dt.date(2027, 1, 1))
        )
