"""Tests for milter.history.store: the site key, keyed hashes, the SQLite store and History."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from milter.core.address import Address, parse_address
from milter.history.model import Contact, HistorySettings
from milter.history.store import (
    KEY_BYTES,
    History,
    HistoryError,
    SqliteHistory,
    contact_hash,
    external_names,
    load_key,
)
from tests.unit.core.test_engine import POLICY

DAY = dt.date(2026, 12, 7)


def addr(text: str) -> Address:
    parsed = parse_address(text)
    assert isinstance(parsed, Address)
    return parsed


def settings(tmp_path: Path, **extra: str) -> HistorySettings:
    return HistorySettings(str(tmp_path / "history.sqlite"), str(tmp_path / "history.key"), **extra)  # type: ignore[arg-type]


class TestKey:
    def test_created_at_first_use_private(self, tmp_path: Path) -> None:
        """A missing key file is created with 32 random bytes, readable by its owner only."""
        path = tmp_path / "history.key"
        key = load_key(str(path))
        assert len(key) == KEY_BYTES
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_key(str(path)) == key  # the second use reads the same key
        assert [p.name for p in tmp_path.iterdir()] == ["history.key"]  # no temporary left

    def test_readable_by_others_is_refused(self, tmp_path: Path) -> None:
        """A key others may read is refused, naming the file and the fix."""
        path = tmp_path / "history.key"
        load_key(str(path))
        path.chmod(0o644)
        with pytest.raises(HistoryError, match="chmod 600"):
            load_key(str(path))

    def test_wrong_length_is_refused(self, tmp_path: Path) -> None:
        """A key file of the wrong size (cut short, or another file) is refused."""
        path = tmp_path / "history.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"short")
        os.close(fd)
        with pytest.raises(HistoryError, match="not 32 bytes"):
            load_key(str(path))

    def test_missing_without_create(self, tmp_path: Path) -> None:
        """Reading without creating says the key does not exist."""
        with pytest.raises(HistoryError, match="does not exist"):
            load_key(str(tmp_path / "none.key"), create=False)


class TestHash:
    def test_keyed_and_scoped(self) -> None:
        """The hash depends on the key and the scope, and never contains the name."""
        one, two = b"a" * 32, b"b" * 32
        h = contact_hash(one, "domain", "partner.example")
        assert len(h) == 64 and "partner" not in h
        assert h == contact_hash(one, "domain", "partner.example")
        assert h != contact_hash(two, "domain", "partner.example")
        assert h != contact_hash(one, "address", "partner.example")


class TestSqlite:
    def test_record_then_lookup(self, tmp_path: Path) -> None:
        """Recorded hashes are known afterwards; client data, once seen, stays seen."""
        store = SqliteHistory(str(tmp_path / "h.sqlite"))
        store.record([("aa", False), ("bb", True)], DAY)
        store.record([("bb", False)], DAY + dt.timedelta(days=1))
        assert store.lookup(["aa", "bb", "cc"]) == {
            "aa": Contact(any=True, client_data=False),
            "bb": Contact(any=True, client_data=True),
        }
        assert store.count() == 2

    def test_file_holds_no_names(self, tmp_path: Path) -> None:
        """What History writes to disk holds hashes, never the domain or address."""
        history = History()
        policy = dataclasses.replace(POLICY, history=settings(tmp_path))
        assert history.record(policy, [addr("Jan@Partner.example")], client_data=True)
        assert history.flush(10)
        history.close()
        data = (tmp_path / "history.sqlite").read_bytes()
        for f in tmp_path.glob("history.sqlite*"):
            data += f.read_bytes()
        assert b"partner" not in data.lower() and b"jan" not in data.lower()
        rows = sqlite3.connect(tmp_path / "history.sqlite").execute("SELECT hash FROM contact")
        assert len(list(rows)) == 2  # the domain and the address

    def test_unopenable_store_is_an_error(self, tmp_path: Path) -> None:
        """A store path that cannot be opened raises HistoryError naming it."""
        with pytest.raises(HistoryError, match="cannot open history store"):
            SqliteHistory(str(tmp_path / "missing-dir" / "h.sqlite"))


class TestHistory:
    def test_gather_knows_what_was_recorded(self, tmp_path: Path) -> None:
        """After a delivered message, its external domain and address are known contacts;
        with client data only when the message had it."""
        history = History()
        policy = dataclasses.replace(POLICY, history=settings(tmp_path))
        history.record(policy, [addr("a@partner.example")], client_data=False)
        history.record(policy, [addr("b@clinic.example")], client_data=True)
        assert history.flush(10)
        found = history.gather(policy, [addr("A@partner.example"), addr("c@clinic.example")])
        history.close()
        assert found is not None and found.error is None
        assert found.contact("domain", "partner.example") == Contact(True, False)
        assert found.contact("address", "a@partner.example") == Contact(True, False)
        assert found.contact("domain", "clinic.example") == Contact(True, True)
        assert found.contact("address", "c@clinic.example") == Contact()

    def test_contact_without_mail_for_forget_after_is_a_stranger_again(
        self, tmp_path: Path
    ) -> None:
        """A partner last mailed more than forget_after_days ago is first contact again, and
        the next record removes it from the store; one mailed since is kept."""
        today = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
        history = History(clock=lambda: today)
        policy = dataclasses.replace(
            POLICY, history=dataclasses.replace(settings(tmp_path), forget_after_days=30)
        )
        old = today.date() - dt.timedelta(days=31)
        recent = today.date() - dt.timedelta(days=29)
        history.record(policy, [addr("a@old.example")], client_data=True, day=old)
        history.record(policy, [addr("b@recent.example")], client_data=True, day=recent)
        assert history.flush(10)
        found = history.gather(policy, [addr("a@old.example"), addr("b@recent.example")])
        assert found is not None
        assert found.contact("domain", "old.example") == Contact()
        assert found.contact("domain", "recent.example") == Contact(True, True)
        store = SqliteHistory(str(tmp_path / "history.sqlite"))
        assert store.count() == 4  # still on disk until the next record of the day
        history.record(policy, [addr("c@new.example")], client_data=False)
        assert history.flush(10)
        history.close()
        assert store.count() == 4  # old.example's two gone, new.example's two added
        store.close()

    def test_internal_recipients_are_not_kept(self) -> None:
        """Owned-domain recipients, the null address and literals are no contacts."""
        names = external_names(
            POLICY,
            [addr("x@samen-veilig.nl"), addr("y@[192.0.2.1]"), addr("z@partner.example")],
        )
        assert names == [("domain", "partner.example"), ("address", "z@partner.example")]

    def test_unreadable_store_gives_an_error_not_no_contact(self, tmp_path: Path) -> None:
        """A store that cannot be opened makes gather report an error (for on_failure), and
        is counted."""
        results: list[str] = []
        history = History(on_lookup=results.append)
        broken = HistorySettings(str(tmp_path / "no" / "h.sqlite"), str(tmp_path / "k"))
        policy = dataclasses.replace(POLICY, history=broken)
        found = history.gather(policy, [addr("a@partner.example")])
        history.close()
        assert found is not None and found.error == "HistoryError"
        assert results == ["error"]

    def test_without_section_nothing_is_asked(self) -> None:
        """A policy without a history section gets None (first_contact cannot be used)."""
        history = History()
        assert history.gather(POLICY, [addr("a@partner.example")]) is None
        assert not history.record(POLICY, [addr("a@partner.example")], client_data=True)
        history.close()
