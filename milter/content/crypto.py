"""crypto -- is this part protected (encrypted), signed, or neither?

- S/MIME: application/pkcs7-mime and application/x-pkcs7-mime (or a .p7m file) are classified
  by the content-type OID inside the DER -- envelopedData (1.2.840.113549.1.7.3) and
  authEnvelopedData (1.2.840.113549.1.9.16.1.23) are protected; signedData (...7.2) is plain
  text wrapped in a signature: its content is unwrapped and scanned.  The DER decides, not the
  smime-type parameter: a part that says enveloped-data but is not CMS is 'damaged S/MIME data'.
- PGP/MIME: multipart/encrypted is protected as a whole (the walk does not descend).
- Inline PGP: each '-----BEGIN PGP MESSAGE-----' ... '-----END PGP MESSAGE-----' block whose
  body really is armor (base64 lines after the armor headers) is cut out of the text and counted
  as protected; the text around it is still scanned.  A 'block' with readable lines inside is
  not armor, and stays in the text -- pasting a marker line must not hide a dossier.

Refuses: nothing; results are values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import milter.content.der as der

PROTECTED = "protected"
SIGNED = "signed"
OTHER = "other"

_ARMOR = re.compile(
    rb"-----BEGIN PGP MESSAGE-----[ \t]*\r?\n(.*?)-----END PGP MESSAGE-----", re.DOTALL
)
_ARMOR_BODY_LINE = re.compile(rb"[A-Za-z0-9+/=]*")
_ARMOR_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]*: .*")


@dataclass(frozen=True, slots=True)
class CmsKind:
    """What a CMS blob is: PROTECTED, SIGNED (with its content, if attached) or OTHER."""

    kind: str
    content: bytes | None = None


def classify_cms(data: bytes) -> CmsKind:
    """Classify DER `data`; raises der.DerError when it is not CMS at all."""
    oid = der.content_type(data)
    if oid in (der.OID_ENVELOPED_DATA, der.OID_AUTH_ENVELOPED_DATA):
        return CmsKind(PROTECTED)
    if oid == der.OID_SIGNED_DATA:
        return CmsKind(SIGNED, der.signed_content(data))
    return CmsKind(OTHER)


def _is_armor(body: bytes) -> bool:
    lines = body.splitlines()
    index = 0
    while index < len(lines) and _ARMOR_HEADER.fullmatch(lines[index].strip()):
        index += 1
    payload = [line.strip() for line in lines[index:] if line.strip()]
    if not payload:
        return False
    return all(_ARMOR_BODY_LINE.fullmatch(line) for line in payload)


def split_inline_pgp(text: bytes) -> tuple[bytes, int]:
    """(text without real PGP message blocks, number of blocks removed)."""
    if b"-----BEGIN PGP MESSAGE-----" not in text:
        return text, 0
    kept: list[bytes] = []
    removed = 0
    pos = 0
    for match in _ARMOR.finditer(text):
        if _is_armor(match.group(1)):
            kept.append(text[pos : match.start()])
            kept.append(b"\n")
            pos = match.end()
            removed += 1
    kept.append(text[pos:])
    return b"".join(kept), removed
