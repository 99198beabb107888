"""Sender links: bound to one message and sender, expiring, refused when altered."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from milter.portal.tokens import TokenError, new_key_file, read_key, sign, verify

KEY = b"k" * 32
NOW = 1_800_000_000


def test_a_signed_token_verifies_to_its_claims() -> None:
    """Gateway, queue id, sender (lower case) and expiry come back as signed."""
    token = sign(KEY, "gw1", "4jjlmr5N9zz1SRyp", "J.Jansen@Samen-Veilig.nl", NOW + 60)
    claims = verify(KEY, token, NOW)
    assert (claims.gateway, claims.queue_id, claims.sender, claims.expires) == (
        "gw1",
        "4jjlmr5N9zz1SRyp",
        "j.jansen@samen-veilig.nl",
        NOW + 60,
    )
    assert len(claims.nonce) == 16


def test_two_tokens_for_one_message_differ() -> None:
    """A fresh nonce each time: single use is tracked per token."""
    a = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)
    assert a != sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)


def test_an_expired_token_is_refused() -> None:
    """At its expiry second it no longer works."""
    token = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW)
    with pytest.raises(TokenError, match="expired"):
        verify(KEY, token, NOW)


def test_another_key_is_refused() -> None:
    """A token from another organisation (key) is not ours."""
    token = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)
    with pytest.raises(TokenError, match="altered or is not from this organisation"):
        verify(b"x" * 32, token, NOW)


def test_claims_changed_for_another_message_are_refused() -> None:
    """Re-encoding the claims with another queue id breaks the signature."""
    token = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)
    part, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    claims["q"] = "ZZZZZ99999"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="altered"):
        verify(KEY, f"{forged}.{mac}", NOW)


@given(st.text(max_size=700))
def test_any_text_is_refused_without_a_crash(text: str) -> None:
    """Whatever arrives in the link: TokenError, never another exception."""
    with pytest.raises(TokenError):
        verify(KEY, text, NOW)


def test_signature_spelled_another_way_is_refused() -> None:
    """The signature's last base64 character has two unused bits: a character that differs
    only there decodes to the same signature, and is refused all the same (one spelling per
    token; Hypothesis found it now and then in the test below)."""
    token = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twins = [c for i, c in enumerate(alphabet) if i >> 2 == last >> 2 and i != last]
    assert len(twins) == 3
    for twin in twins:
        with pytest.raises(TokenError):
            verify(KEY, token[:-1] + twin, NOW)


@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_any_changed_character_is_refused(position: int, value: int) -> None:
    """One character of a genuine token changed: refused."""
    token = sign(KEY, "gw1", "ABCDE12345", "a@b.nl", NOW + 60)
    i = position % len(token)
    replacement = chr(value)
    if replacement == token[i]:
        return
    with pytest.raises(TokenError):
        verify(KEY, token[:i] + replacement + token[i + 1 :], NOW)


def test_keys_are_files_of_32_random_bytes(tmp_path: Path) -> None:
    """new_key_file writes 0600 and never overwrites; a short key is refused."""
    path = tmp_path / "portal.key"
    new_key_file(str(path))
    assert path.stat().st_mode & 0o777 == 0o600 and len(read_key(str(path))) == 32
    with pytest.raises(FileExistsError):
        new_key_file(str(path))
    (tmp_path / "short").write_bytes(b"x" * 10)
    with pytest.raises(ValueError, match="at least 32"):
        read_key(str(tmp_path / "short"))
