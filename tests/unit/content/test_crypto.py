"""Unit tests for milter.content.der and milter.content.crypto."""

from __future__ import annotations

import pytest

from milter.content import crypto, der
from tests.corpus.make_corpus import armor, enveloped, oid, seq, signed_data


class TestDer:
    """The tiny BER/DER reader."""

    @pytest.mark.parametrize(
        ("blob", "expected"),
        [
            (enveloped(), der.OID_ENVELOPED_DATA),
            (enveloped(auth=True), der.OID_AUTH_ENVELOPED_DATA),
            (signed_data(b"x"), der.OID_SIGNED_DATA),
            (seq(oid("1.2.840.113549.1.9.16.1.9")), der.OID_COMPRESSED_DATA),
        ],
    )
    def test_content_type(self, blob: bytes, expected: str) -> None:
        """The ContentInfo OID is read."""
        assert der.content_type(blob) == expected

    @pytest.mark.parametrize("indefinite", [False, True])
    def test_signed_content(self, indefinite: bool) -> None:
        """The encapsulated content comes out, DER or BER with chunked OCTET STRINGs."""
        assert der.signed_content(
            signed_data(b"Content-Type: text/plain\r\n\r\nhoi", indefinite)
        ) == (b"Content-Type: text/plain\r\n\r\nhoi")

    @pytest.mark.parametrize(
        "blob",
        [
            b"",
            b"\x30",
            b"\x30\x05\x06\x01",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x04\x80",
            b"junk" * 5,
            b"\x30\x80" * 40,
        ],
    )
    def test_garbage(self, blob: bytes) -> None:
        """Truncated, overlong, too deep or primitive-indefinite encodings raise DerError."""
        with pytest.raises(der.DerError):
            der.content_type(blob)


class TestCrypto:
    """Protected or not."""

    def test_classify(self) -> None:
        """Enveloped is protected; signed carries its content."""
        assert crypto.classify_cms(enveloped()).kind == crypto.PROTECTED
        signed = crypto.classify_cms(signed_data(b"abc"))
        assert (signed.kind, signed.content) == (crypto.SIGNED, b"abc")

    def test_inline_pgp_removed(self) -> None:
        """A real armor block is cut out; text around it stays."""
        text, blocks = crypto.split_inline_pgp(f"voor\n{armor(1)}na".encode())
        assert blocks == 1 and text == b"voor\n\n\nna"

    def test_fake_armor_kept(self) -> None:
        """Readable lines between armor markers are not armor."""
        fake = b"-----BEGIN PGP MESSAGE-----\n\nBSN: 101722333\n-----END PGP MESSAGE-----\n"
        assert crypto.split_inline_pgp(fake) == (fake, 0)

    def test_unterminated_armor_kept(self) -> None:
        """A BEGIN line without END protects nothing."""
        text = b"-----BEGIN PGP MESSAGE-----\n\nabc\n"
        assert crypto.split_inline_pgp(text) == (text, 0)
