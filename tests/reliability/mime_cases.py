"""Generated messages for MIME fuzzing, and what the content scanner owes each of them.

``mime_case`` builds a message around planted client data (a BSN with "BSN" beside it, an IBAN,
a case sentence): wrapped in transfer encodings, charsets, nested multiparts, forwarded
messages, zip and docx attachments, HTML and PDF, then often damaged — broken or missing
boundaries, bad base64 and quoted-printable, invalid charsets, huge or endless headers, flipped
bytes, truncation — or pushed past the scanner's limits: absurd nesting, thousands of parts,
zip bombs, zips inside zips.

Each ``MimeCase`` says what the scanner must report. Always: a ``ContentFacts``, no exception,
within the time ceiling. ``over_limit``: the facts say truncated or unscannable. ``intact``
(the client data reaches a conforming reader untouched and no limit is hit): the facts find the
BSN, or say the content could not be inspected. Never silently clean.
"""

from __future__ import annotations

import base64
import io
import quopri
import time
import zipfile
from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st

from milter.content.findings import ContentFacts
from tests.reliability.sentinels import BSNS, IBANS, SENTENCES

CLIENT_TEXT = f"{SENTENCES[0]} BSN {BSNS[0]}, rekening {IBANS[0]}."
CHARSETS = ("utf-8", "iso-8859-1", "windows-1252", "utf-16", "us-ascii")
MAX_DEPTH = 8  # the scanner's default max_depth; the example policy does not change it


@dataclass(frozen=True)
class MimeCase:
    data: bytes
    what: str
    intact: bool  # client data readable by a conforming reader, no limit hit
    over_limit: bool  # a scan limit is exceeded: must be reported truncated/unscannable

    def __repr__(self) -> str:
        return f"MimeCase({self.what!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class Part:
    """A MIME entity: its header block and body, and what it promises about the client data."""

    headers: bytes
    body: bytes
    what: str
    intact: bool = True
    over_limit: bool = False
    depth: int = 1

    def render(self) -> bytes:
        return self.headers + b"\r\n" + self.body


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip; fixed timestamps, so the same draw always gives the same bytes (which
    Hypothesis needs to replay and shrink a case)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@cache
def zip_bomb() -> bytes:
    """64 MiB of zeros in ~64 KiB: past the scanner's 50 MiB decompression budget."""
    return _zip([("zeros.txt", bytes(64 << 20))])


@cache
def docx(text: str) -> bytes:
    body = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    return _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", body.encode())])


def _header(content_type: str, encoding: str | None = None) -> bytes:
    cte = f"Content-Transfer-Encoding: {encoding}\r\n" if encoding else ""
    return f"Content-Type: {content_type}\r\n{cte}".encode()


@st.composite
def leaf(draw: st.DrawFn) -> Part:
    """A single part carrying the client data, in one of many wrappings."""
    kind = draw(st.sampled_from(["text", "html", "zip", "docx", "pdf", "octet", "smime"]))
    if kind == "text":
        charset = draw(st.sampled_from(CHARSETS))
        raw = CLIENT_TEXT.encode(charset if charset != "us-ascii" else "ascii", "replace")
        encoding = draw(st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", None]))
        body = (
            base64.encodebytes(raw) if encoding == "base64"
            else quopri.encodestring(raw) if encoding == "quoted-printable" else raw
        )  # fmt: skip
        return Part(_header(f"text/plain; charset={charset}", encoding), body, f"text/{charset}")
    if kind == "html":
        html = f"<html><body><p>{CLIENT_TEXT.replace(' ', '&nbsp;', 2)}</p></body></html>"
        return Part(_header("text/html; charset=utf-8"), html.encode(), "html")
    if kind == "zip":
        data = _zip([("verslag.txt", CLIENT_TEXT.encode())])
        nested = draw(st.integers(0, 3))
        for level in range(nested):
            data = _zip([(f"level{level}.zip", data)])
        return Part(_header("application/zip", "base64"), base64.encodebytes(data),
                    f"zip x{nested + 1}", depth=nested + 1)  # fmt: skip
    if kind == "docx":
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return Part(_header(mime, "base64"), base64.encodebytes(docx(CLIENT_TEXT)), "docx")
    if kind == "pdf":
        pdf = (b"%PDF-1.4\n1 0 obj<</Length 48>>stream\nBT (" + CLIENT_TEXT.encode("latin-1")
               + b") Tj ET\nendstream endobj\n")  # fmt: skip
        cut = draw(st.sampled_from([len(pdf), len(pdf) // 2, 9]))
        return Part(_header("application/pdf", "base64"), base64.encodebytes(pdf[:cut]),
                    f"pdf cut at {cut}", intact=False)  # fmt: skip
    if kind == "smime":
        body = base64.encodebytes(b"\x30\x82" + bytes(range(256)) * 4)
        return Part(_header("application/pkcs7-mime; smime-type=enveloped-data", "base64"), body,
                    "s/mime", intact=False)  # fmt: skip
    return Part(_header("application/octet-stream", "base64"),
                base64.encodebytes(CLIENT_TEXT.encode()), "octet")  # fmt: skip


@st.composite
def structure(draw: st.DrawFn, depth: int = 0) -> Part:
    """Leaves inside multiparts and forwarded messages, up to a few levels deep."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaf())
    if draw(st.booleans()):
        inner = draw(structure(depth + 1))
        head = _header("message/rfc822") + b""
        body = b"Subject: doorgestuurd\r\nMIME-Version: 1.0\r\n" + inner.render()
        return Part(head, body, f"rfc822({inner.what})", inner.intact, inner.over_limit,
                    inner.depth + 1)  # fmt: skip
    parts = draw(st.lists(structure(depth + 1), min_size=1, max_size=3))
    boundary = draw(st.sampled_from(["b1", "=_Part_0_123.456", "x" * 70, "a b", "'q'"]))
    boundary = f"{boundary}{depth}"
    body = b"preamble\r\n"
    for part in parts:
        body += f"--{boundary}\r\n".encode() + part.render() + b"\r\n"
    body += f"--{boundary}--\r\nepilogue\r\n".encode()
    head = _header(f'multipart/mixed; boundary="{boundary}"')
    return Part(head, body, f"multipart[{', '.join(p.what for p in parts)}]",
                all(p.intact for p in parts), any(p.over_limit for p in parts),
                1 + max(p.depth for p in parts))  # fmt: skip


def _nest(part: Part, levels: int) -> Part:
    for level in range(levels):
        boundary = f"deep{level}"
        body = f"--{boundary}\r\n".encode() + part.render() + f"\r\n--{boundary}--\r\n".encode()
        part = Part(_header(f"multipart/mixed; boundary={boundary}"), body, part.what,
                    part.intact, part.over_limit, part.depth + 1)  # fmt: skip
    return part


@st.composite
def _over_limit(draw: st.DrawFn, part: Part) -> Part:
    kind = draw(st.sampled_from(["deep", "parts", "bomb", "zips"]))
    if kind == "deep":
        levels = draw(st.integers(MAX_DEPTH + 1, 300))
        return _limit(_nest(part, levels), f"nested {levels} deep")
    if kind == "parts":
        count = draw(st.integers(201, 3000))
        body = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(count))
        body += b"--p\r\n" + part.render() + b"\r\n--p--\r\n"
        return Part(_header("multipart/mixed; boundary=p"), body, f"{count} parts",
                    over_limit=True)  # fmt: skip
    if kind == "bomb":
        return Part(_header("application/zip", "base64"), base64.encodebytes(zip_bomb()),
                    "zip bomb", over_limit=True)  # fmt: skip
    data = CLIENT_TEXT.encode()
    for level in range(MAX_DEPTH + 2):
        data = _zip([(f"z{level}.zip" if level else "a.txt", data)])
    return Part(_header("application/zip", "base64"), base64.encodebytes(data),
                "zips nested past the depth limit", over_limit=True)  # fmt: skip


def _limit(part: Part, what: str) -> Part:
    return Part(part.headers, part.body, what, intact=False, over_limit=True, depth=part.depth)


_DAMAGE = ["flip", "truncate", "boundary", "base64", "qp", "charset", "header", "bare-lf", "nul"]


def _damage(draw: st.DrawFn, data: bytes, how: str) -> tuple[bytes, str]:
    if how == "flip" and data:
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            buf[draw(st.integers(0, len(buf) - 1))] ^= draw(st.integers(1, 255))
        return bytes(buf), "bytes flipped"
    if how in ("truncate", "flip"):
        return data[: draw(st.integers(0, len(data)))], "truncated"
    if how == "boundary":
        return data.replace(b"--", b"-", draw(st.integers(1, 3))), "boundary broken"
    if how == "base64":
        damaged = data.replace(b"base64\r\n", b"base64\r\n!!*%", 1).replace(b"=\n", b"=*=\n")
        return damaged, "bad base64"
    if how == "qp":
        return data.replace(b"quoted-printable\r\n", b"quoted-printable\r\n=ZZ=\r\n=", 1), "bad qp"
    if how == "charset":
        charset = draw(st.sampled_from([b"x-unknown", b"utf-7", b"../../etc", b"", b"utf-32"]))
        return data.replace(b"charset=utf-8", b"charset=" + charset), "odd charset"
    if how == "header":
        size = draw(st.sampled_from([1000, 100_000, 2_000_000]))
        return b"X-Long: " + b"A" * size + b"\r\n" + data, f"{size}-byte header"
    if how == "bare-lf":
        return data.replace(b"\r\n", b"\n"), "bare LF"
    return data.replace(b"\r\n\r\n", b"\r\n\x00\r\n", 1), "NUL in headers"


@st.composite
def mime_case(draw: st.DrawFn) -> MimeCase:
    """A message around planted client data: clean, damaged or past a limit."""
    part = draw(structure())
    mode = draw(st.sampled_from(["clean", "damaged", "damaged", "over-limit"]))
    if mode == "over-limit":
        part = draw(_over_limit(part))
    head = (
        b"From: casetool@samen-veilig.nl\r\nTo: a@partner.example\r\n"
        b"Subject: =?utf-8?B?" + base64.b64encode("Cliënt".encode()) + b"?=\r\n"
        b"MIME-Version: 1.0\r\n"
    )
    data = head + part.render()
    intact = part.intact and not part.over_limit and part.depth < MAX_DEPTH
    what = f"{mode}: {part.what}"
    if mode == "damaged":
        for how in draw(st.lists(st.sampled_from(_DAMAGE), min_size=1, max_size=3, unique=True)):
            data, done = _damage(draw, data, how)
            what += f" / {done}"
        intact = False
    over_limit = part.over_limit and mode == "over-limit"
    if draw(st.integers(0, 19)) == 0:
        data = draw(st.binary(max_size=2000))
        what, intact, over_limit = "random bytes", False, False
    return MimeCase(data, what, intact, over_limit)


def scan_problems(scanner: object, case: MimeCase, ceiling_s: float) -> tuple[list[str], float]:
    """Scan ``case``; return what is wrong with the outcome, and the seconds it took."""
    started = time.monotonic()
    try:
        facts = scanner.scan_message(case.data)  # type: ignore[attr-defined]
    except Exception as exc:  # the scanner must never raise
        return [f"{case.what}: {type(exc).__name__} escaped: {exc!s:.200}"], 0.0
    seconds = time.monotonic() - started
    problems = []
    if not isinstance(facts, ContentFacts):
        problems.append(f"{case.what}: returned {type(facts).__name__}")
        return problems, seconds
    flagged = facts.truncated or facts.unscannable
    if case.over_limit and not flagged:
        problems.append(f"{case.what}: past a limit but not reported truncated/unscannable")
    if case.intact and not (facts.by_detector("bsn") or flagged):
        problems.append(f"{case.what}: client data neither found nor reported unscannable")
    if seconds > ceiling_s:
        problems.append(f"{case.what}: {seconds:.1f}s (ceiling {ceiling_s}s)")
    return problems, seconds


def milter_events(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body Postfix would hand a milter for ``data`` (headers end at the first
    line that is neither a header nor a continuation; the body gets CRLF line ends)."""
    lines = data.split(b"\n")
    headers: list[tuple[str, str]] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        text = line.rstrip(b"\r")
        if text[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + text.decode("utf-8", "replace"))
            continue
        name, colon, value = text.partition(b":")
        if not text or not colon or not name or not name.strip() or b" " in name.strip():
            break
        headers.append((name.decode("ascii", "replace"), value.lstrip().decode("utf-8", "replace")))
    else:
        index = len(lines)
    start = index + 1 if index < len(lines) and not lines[index].rstrip(b"\r") else index
    body = b"\n".join(lines[start:]).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    clean = [(n.replace("\0", " "), v.replace("\0", " ")) for n, v in headers]
    return clean, body
