"""The link in a held-mail notice: a token for that message and sender, from this gateway,
valid for link_days (never beyond retention); no link without portal settings or key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from milter.officer.held import HeldMessage, render_held
from milter.policy import PolicyError, load_policy_text
from milter.policy.model import HeldNotices
from milter.portal.links import gateway_name, notice_link
from milter.portal.tokens import new_key_file, verify

NOW = 1_800_000_000
EXAMPLE = Path(__file__).resolve().parents[3] / "policies" / "example.yaml"


def settings(tmp_path: Path, days: int = 7) -> HeldNotices:
    key = tmp_path / "portal.key"
    if not key.exists():
        new_key_file(str(key))
    return HeldNotices(
        "fg@samen-veilig.nl",
        portal_url="https://portal.samen-veilig.nl/",
        portal_key=str(key),
        link_days=days,
    )


def test_the_link_carries_a_token_for_this_message(tmp_path: Path) -> None:
    """Queue id, sender, this gateway; valid link_days."""
    s = settings(tmp_path)
    link = notice_link(s, "4jjlmr5N9zz1SRyp", "J.Jansen@samen-veilig.nl", 14, NOW)
    assert link is not None and link.startswith("https://portal.samen-veilig.nl/m/")
    claims = verify((tmp_path / "portal.key").read_bytes(), link.rsplit("/", 1)[1], NOW)
    assert (claims.queue_id, claims.sender, claims.gateway) == (
        "4jjlmr5N9zz1SRyp",
        "j.jansen@samen-veilig.nl",
        gateway_name(),
    )
    assert claims.expires == NOW + 7 * 86_400


def test_never_beyond_the_retention_time(tmp_path: Path) -> None:
    """link_days 30 with retention 14: the link ends with the message."""
    link = notice_link(settings(tmp_path, 30), "ABCDE12345", "a@b.nl", 14, NOW)
    assert link is not None
    claims = verify((tmp_path / "portal.key").read_bytes(), link.rsplit("/", 1)[1], NOW)
    assert claims.expires == NOW + 14 * 86_400


def test_no_portal_no_key_no_queue_id_no_link(tmp_path: Path) -> None:
    """Each missing piece: None, and the notice falls back to the officers' address."""
    assert notice_link(HeldNotices("fg@samen-veilig.nl"), "ABCDE12345", "a@b.nl", 14, NOW) is None
    assert notice_link(settings(tmp_path), None, "a@b.nl", 14, NOW) is None
    broken = HeldNotices("fg@x.nl", portal_url="https://p/", portal_key=str(tmp_path / "none"))
    assert notice_link(broken, "ABCDE12345", "a@b.nl", 14, NOW) is None


def test_the_notice_shows_the_link_and_still_the_officers(tmp_path: Path) -> None:
    """With a link: the link first, the officers' address as the fallback."""
    held = HeldMessage(
        "ABCDE12345", "a@samen-veilig.nl", ("x.example",), None, "r", "d", "quarantine", (),
        "Org", "fg@samen-veilig.nl", dt.datetime.fromtimestamp(NOW, dt.UTC),
        link="https://portal/m/TOKEN",
    )  # fmt: skip
    text = render_held(held, "a@samen-veilig.nl", "pw@samen-veilig.nl", held.decided).get_content()
    assert "Vrijgave vragen of intrekken (met uw reden): https://portal/m/TOKEN" in text
    assert "To ask for release or to withdraw it (with your reason): https://portal/m/TOKEN" in text
    assert "fg@samen-veilig.nl" in text


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("  portal_url: https://p.example/\n", "go together"),
        ("  portal_url: http://p.example/\n  portal_key: /k\n", "must start with https://"),
        ("  portal_url: https://p.example/\n  portal_key: k\n", "absolute path"),
    ],
)
def test_portal_settings_are_checked(lines: str, message: str) -> None:
    """Both or neither; https (loopback http for tests); an absolute key path."""
    text = EXAMPLE.read_text().replace(
        "  officers: fg@samen-veilig.nl", "  officers: fg@samen-veilig.nl\n" + lines.rstrip("\n"), 1
    )
    with pytest.raises(PolicyError, match=message):
        load_policy_text(text, "p.yaml")
