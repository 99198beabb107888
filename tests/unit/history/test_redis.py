"""The history and the notice limits shared by several gateways through a real Redis server
(started on a free loopback port by the test, stopped by its PID)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from milter.core.address import Address, parse_address
from milter.history.model import Contact, HistorySettings
from milter.history.store import History, RedisHistory, RedisRateLimit
from milter.officer.notices import Notifier, Outgoing
from tests.support.redisserver import RedisServer
from tests.unit.core.test_engine import POLICY

DAY = dt.date(2026, 12, 7)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as running:
        yield running


def addr(text: str) -> Address:
    parsed = parse_address(text)
    assert isinstance(parsed, Address)
    return parsed


def shared_policy(url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return dataclasses.replace(POLICY, history=HistorySettings(url, str(tmp_path / "site.key")))


def test_record_and_lookup(server: RedisServer) -> None:
    """Flags are only ever set: client data once seen stays seen."""
    store = RedisHistory(server.url)
    store.record([("aa", True), ("bb", False)], DAY)
    store.record([("aa", False)], DAY)
    assert store.lookup(["aa", "bb", "cc"]) == {
        "aa": Contact(True, True),
        "bb": Contact(True, False),
    }
    assert store.count() == 2
    store.close()


def test_contacts_expire_after_forget_after(server: RedisServer) -> None:
    """With keep_days each contact expires in Redis (renewed by every record), and a look-up
    leaves out a contact whose last day is too old."""
    import redis

    store = RedisHistory(server.url)
    store.record([("aa", True)], DAY, keep_days=30)
    ttl = redis.Redis.from_url(server.url).ttl("postwarden:contact:aa")
    assert 30 * 86_400 < ttl <= 31 * 86_400
    assert store.lookup(["aa"], since=DAY) == {"aa": Contact(True, True)}
    assert store.lookup(["aa"], since=DAY + dt.timedelta(days=1)) == {}
    store.close()


def test_two_gateways_share_the_history(server: RedisServer, tmp_path: Path) -> None:
    """What one gateway delivered is known to another (same store, same site key); Redis
    holds hashes, never the domain or address."""
    policy = shared_policy(server.url, tmp_path)
    one, two = History(), History()
    assert one.record(policy, [addr("a@partner.example")], client_data=True)
    assert one.flush(10)
    found = two.gather(policy, [addr("b@partner.example")])
    assert found is not None and found.error is None
    assert found.contact("domain", "partner.example") == Contact(True, True)
    assert found.contact("address", "b@partner.example") == Contact()
    one.close()
    two.close()
    raw = redis.Redis.from_url(server.url)
    keys = [k.decode() for k in raw.keys("*")]
    assert keys and all(k.startswith("postwarden:contact:") for k in keys)
    assert not any("partner" in k for k in keys)
    raw.close()


def test_store_down_is_an_error(server: RedisServer, tmp_path: Path) -> None:
    """Redis not answering: gather reports an error (the policy's on_failure decides), and a
    record is counted failed; nothing raises."""
    policy = shared_policy(server.url, tmp_path)
    server.stop()
    lookups: list[str] = []
    records: list[str] = []
    history = History(on_lookup=lookups.append, on_record=records.append)
    found = history.gather(policy, [addr("a@partner.example")])
    assert found is not None and found.error == "ConnectionError"
    history.record(policy, [addr("a@partner.example")], client_data=False)
    assert history.flush(10)
    history.close()
    assert lookups == ["error"] and records == ["failed"]


def test_notice_limits_shared_by_gateways(server: RedisServer) -> None:
    """Two gateways' notifiers share one per-day allowance per address through Redis."""
    limit_one, limit_two = RedisRateLimit(server.url), RedisRateLimit(server.url)
    results: list[tuple[str, str]] = []

    def notifier(limit: RedisRateLimit) -> Notifier:
        return Notifier(
            on_kind_result=lambda kind, result: results.append((kind, result)),
            shared=lambda: limit,
        )

    one, two = notifier(limit_one), notifier(limit_two)
    held = Outgoing("sender_held", "j@samen-veilig.nl", "127.0.0.1:9", lambda now: None)  # type: ignore[arg-type,return-value]
    assert one.request_message(held, "held", 2)
    assert two.request_message(held, "held", 2)
    assert not one.request_message(held, "held", 2)
    assert not two.request_message(held, "held", 2)
    assert results.count(("sender_held", "rate_limited")) == 2
    other = dataclasses.replace(held, to="k@samen-veilig.nl")
    assert two.request_message(other, "held", 2)  # per address
    for n in (one, two):
        n.close(timeout=0)
    limit_one.close()
    limit_two.close()


def test_notice_limit_falls_back_when_redis_is_down(server: RedisServer) -> None:
    """The shared store down: the notifier counts in its own process instead (never loses
    the notice, never exceeds its own allowance)."""
    limit = RedisRateLimit(server.url)
    server.stop()
    notifier = Notifier(shared=lambda: limit)
    held = Outgoing("sender_held", "j@samen-veilig.nl", "127.0.0.1:9", lambda now: None)  # type: ignore[arg-type,return-value]
    assert notifier.request_message(held, "held", 1)
    assert not notifier.request_message(held, "held", 1)
    notifier.close(timeout=0)
    limit.close()
