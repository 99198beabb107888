"""mime -- walk every part of a message and hand its text to the sink.

Headers are parsed with the stdlib `email` package (policy compat32, the most forgiving: it never
raises on malformed headers); RFC 2047 subjects and RFC 2047/2231 file names are decoded with it.
An ordinary header block (CRLF or LF lines, 'Name: value' fields and folding) is split into the
same fields without the FeedParser's line-by-line machinery (`_split_header_block`); anything
else (mbox 'From ' lines, odd line breaks, a field without a name) goes to the stdlib parser.
Each header's parameters are parsed once (`Headers.params`), however often the walk asks: a
plain ASCII list by `_simple_params`, anything else by the public `Message.get_params`;
`Headers.get_filename`, `get_boundary` and `get_content_charset` answer from them as the
stdlib's getters do.  Both shortcuts are fast paths, taken as the `FastPaths` value passed in
says (the scanner passes ScanConfig.fast_paths; tests compare FAST with REFERENCE).
With the native content core (content.native) the header/body split, an ordinary block's
fields and the multipart split are done natively (milter/native/src/mime.rs), to the same
answers (tests/unit/content/test_native_mime.py); the block is then read through
`FieldHeaders`, a `Headers` whose `get` is a dict look-up.  The Python functions here stay the
reference and the code without the native core.
The *body structure* is split here with `bytes.find` on the boundary lines instead of the
stdlib FeedParser: the FeedParser handles one line at a time in Python (~50 MB/s, measured), and
building every part in memory would also defeat the spool.  Splitting follows the FeedParser's
rules (a delimiter is '--boundary' at the start of a line, optional '--', then only white
space), and a differential test checks the two agree on the corpus.

What the walk does with each part:
- multipart/*: every part in turn (preamble and epilogue are scanned as text too: non-MIME
  readers show them); a multipart whose boundary never occurs is read as plain text, so broken
  MIME cannot hide a body;
- multipart/encrypted: protected, not descended into;
- message/rfc822 and message/global: walked as a message one level deeper (forwards);
- anything else: `leaf.inspect` (transfer decoding, charsets, S/MIME, attachments).

Inline images (signature logos, icons): a part with a Content-ID, not marked as an attachment,
whose bytes are an image of at most 64 KiB, 200 px high and 80 000 pixels (why those:
leaf.DECORATION_MAX_*), and which an HTML part of the same message references as `cid:...` is
decoration, not content -- with or without a file name (Outlook and Gmail give their logos
one: 'image001.png', 'ii_...'), in multipart/related or inline in multipart/mixed (Apple
Mail).  At most DECORATIONS_MAX (12) per message: a reply thread repeats the signature logos,
but a message cannot hide a stack of screenshots behind them.  The HTML may come before or
after its images, so such images wait in `pending` until the walk is over (`finish`); the
`cid:` references are collected from the HTML bytes as they are converted (no second parse).
A larger inline image (a pasted screenshot), one nobody references, and any past the bound stay
content: unscannable ('image').

Limits: max_parts (every entity counts), max_depth (multipart, message and archive nesting).
Refuses: nothing; every problem becomes an unscannable or truncated finding.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import mmap
import re
from dataclasses import dataclass
from email.message import Message
from email.policy import Policy
from typing import NoReturn, TypeVar, cast, overload

import milter.content.leaf as leaf  # leaf walks nested messages back through the Walker
import milter.content.native as native
from milter.content.formats.text import PARAM_ERRORS, decode_header
from milter.content.names import safe_name
from milter.content.sink import Sink
from milter.core.fastpaths import FAST, FastPaths

Buffer = bytes | mmap.mmap

MAX_HEADER_BYTES = 1 * 2**20
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def split_headers(buf: Buffer, start: int, end: int) -> tuple[int, int]:
    """(end of the header block, start of the body) of the entity at buf[start:end].

    Natively when the content core is there (same answer: tests/unit/content/
    test_native_mime.py), else `split_headers_python`.  0 <= start <= end <= len(buf).
    """
    split = native.split_headers
    if split is not None:
        return split(buf, start, end)
    return split_headers_python(buf, start, end)


def split_headers_python(buf: Buffer, start: int, end: int) -> tuple[int, int]:
    """`split_headers` in Python: the reference, and the code without the native core."""
    pos = start
    first = True
    while pos < end:
        newline = buf.find(b"\n", pos, end)
        line_end = end if newline < 0 else newline
        line = buf[pos:line_end].rstrip(b"\r")
        if not line:
            return pos, min(end, line_end + 1)
        if first and line.startswith(b"From "):
            pass  # mbox separator
        elif not (_HEADER_LINE.match(line) or (not first and line[:1] in (b" ", b"\t"))):
            return pos, pos  # no blank line: the body starts with this line
        if pos - start > MAX_HEADER_BYTES:
            return pos, pos
        first = False
        if newline < 0:
            return end, end
        pos = newline + 1
    return pos, pos


_UNSEEN = object()
_T = TypeVar("_T")

# A parameter value as Message.get_params(unquote=False) gives it: the text (quotes kept), or
# (charset, language, text) for an RFC 2231 value with a charset.
ParamValue = str | tuple[str | None, str | None, str]
Params = list[tuple[str, ParamValue]]


class Headers(Message):
    """A compat32 Message whose parameters are parsed once per header (`params`).

    The walk asks one header several times (file name, boundary, charset: each a full
    RFC 2045/2231 parse in the stdlib); the answer depends only on the header's value, which
    the walk never changes.  A parse that raises is not remembered, so it raises again.
    `simple_params` is set by `parse_headers` from the FastPaths it is given.
    """

    simple_params = True

    def __init__(self, policy: Policy = email.policy.compat32) -> None:
        super().__init__(policy)
        self._params: dict[str, Params | None] = {}

    def params(self, header: str) -> Params | None:
        """What `get_params(header=header, unquote=False)` returns; None without the header.

        The list is the remembered one: callers read it and never change it.
        """
        key = header.lower()
        cached = self._params.get(key, _UNSEEN)
        if cached is not _UNSEEN:
            return cast("Params | None", cached)
        value = self.get(header)
        found: Params | None
        # Fast path (simple_params, from FastPaths.params): a plain ASCII 'type; a=b; c="d"'
        # list is split by _simple_params.  Two ordinary header blocks parsed and their file
        # name, boundary and charset asked: 47 us against 66 us with get_params for every
        # header (bench/fast_paths.py, 2026-12-07, busy machine; added in e4453e6).  Goes when
        # the native content core parses headers (issue 19).  With the native core the
        # same list (or the same refusal) comes from native.simple_params.
        found = None
        if self.simple_params and value is None:  # get_params' answer without the header
            self._params[key] = None
            return None
        if self.simple_params and isinstance(value, str):
            simple = native.simple_params
            if simple is not None:
                found = simple(value)
            elif value.isascii() and _SIMPLE_PARAMS.fullmatch(value):
                found = _simple_params(value)
        if found is None:
            found = cast("Params | None", self.get_params(None, header, unquote=False))
        self._params[key] = found
        return found

    def _param(self, name: str, header: str = "content-type") -> ParamValue | None:
        """Parameter `name` unquoted, as Message.get_param gives it; None when absent."""
        for key, value in self.params(header) or ():
            if key.lower() == name:
                if isinstance(value, tuple):
                    return value[0], value[1], email.utils.unquote(value[2])
                return email.utils.unquote(value)
        return None

    # The stdlib's getters, answered from the parameters parsed once: the same results (the
    # property tests compare them with Message's own), built on get_params, unquote and
    # collapse_rfc2231_value only.

    @overload
    def get_filename(self, failobj: None = None) -> str | None: ...
    @overload
    def get_filename(self, failobj: _T) -> str | _T: ...
    def get_filename(self, failobj: object = None) -> object:
        """Content-Disposition's filename, else Content-Type's name (RFC 2231 collapsed)."""
        filename = self._param("filename", "content-disposition")
        if filename is None:
            filename = self._param("name")
        if filename is None:
            return failobj
        return email.utils.collapse_rfc2231_value(filename).strip()

    @overload
    def get_boundary(self, failobj: None = None) -> str | None: ...
    @overload
    def get_boundary(self, failobj: _T) -> str | _T: ...
    def get_boundary(self, failobj: object = None) -> object:
        """Content-Type's boundary (RFC 2231 collapsed, trailing white space removed)."""
        boundary = self._param("boundary")
        if boundary is None:
            return failobj
        return email.utils.collapse_rfc2231_value(boundary).rstrip()

    @overload
    def get_content_charset(self) -> str | None: ...
    @overload
    def get_content_charset(self, failobj: _T) -> str | _T: ...
    def get_content_charset(self, failobj: object = None) -> object:
        """Content-Type's charset in lower case; failobj when absent or not ASCII."""
        charset = self._param("charset")
        if charset is None:
            return failobj
        if isinstance(charset, tuple):  # RFC 2231: decoded, and it must end up as ASCII
            try:
                charset = str(charset[2].encode("raw-unicode-escape"), charset[0] or "us-ascii")
            except (LookupError, UnicodeError):
                charset = charset[2]
        if not charset.isascii():
            return failobj
        return charset.lower()


class FieldHeaders(Headers):
    """Headers from the native parse of an ordinary block: `get` is one dict look-up.

    Message.get lower-cases every field name on each call and passes the value through
    compat32's header_fetch_parse; here the first field of a name is found by its lower-case
    name (`first`, built with the fields), and the value is what header_fetch_parse gives: the
    str itself when it is ASCII (compat32 changes only a value with surrogates, into a Header;
    such a value still goes through it).  Every other answer is Message's own code over the
    same `_headers` list, asking this `get`.  Read-only: the walk never changes headers, and a
    change would leave `first` stale, so the mutators raise TypeError.
    """

    def __init__(self, fields: list[tuple[str, str]], first: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self._headers = fields
        self._first = first

    @overload
    def get(self, name: str, failobj: None = None) -> str | None: ...
    @overload
    def get(self, name: str, failobj: _T) -> str | _T: ...
    def get(self, name: str, failobj: object = None) -> object:
        """The first `name` field's value as Message.get gives it; failobj without one."""
        field = self._first.get(name.lower())
        if field is None:
            return failobj
        if field[1].isascii():
            return field[1]
        return self.policy.header_fetch_parse(*field)

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("FieldHeaders is read-only")

    __setitem__ = __delitem__ = set_raw = add_header = replace_header = _read_only
    set_boundary = set_param = del_param = set_type = _read_only


# 'type/subtype; name=token; name="quoted"' in plain ASCII: no RFC 2231 '*', no backslash, no
# ';' or control character inside quotes, no empty parameter, no '<' (which unquote strips).
# For these the stdlib's parse (Message.get_params: its parameter split and
# utils.decode_params) comes down to what _simple_params does; anything else is left to it.
_WS = r"[ \t\r\n\x0b\x0c\x1c-\x1f]*"
_SIMPLE_PARAMS = re.compile(
    rf'[^;"\\=]*(?:;{_WS}[A-Za-z0-9!#$%&\'+.^_`{{|}}~-]+{_WS}={_WS}'
    rf'(?:"[^"\\;\x00-\x1f\x7f]*"|[^";\\<\x00-\x20\x7f]*){_WS})*'
)


def _simple_params(value: str) -> Params:
    """What Message.get_params(unquote=False) returns for a value _SIMPLE_PARAMS matches."""
    first, *rest = value.split(";")
    params: Params = [(first.strip(), "")]
    for item in rest:
        name, _, text = item.partition("=")
        text = text.strip()
        if text[:1] == '"':
            text = text[1:-1]
        params.append((name.strip().lower(), f'"{text}"'))
    return params


# A header line as the stdlib FeedParser accepts it (its headerRE, without the 'From ' and
# empty-name cases, which go to the stdlib), and what makes its line splitting differ from a
# split at '\n' (str.splitlines breaks at \r, \v, \f, \x1c-\x1e too).
_FIELD = re.compile(r"[\041-\071\073-\176]+:")
_ODD_BREAKS = re.compile(rb"[\x0b\x0c\x1c-\x1e]|\r(?!\n)")


def _split_header_block(block: bytes) -> Headers | None:
    """The common case of `parse_headers` without the FeedParser; None for anything unusual.

    Same result as the stdlib: the lines are grouped into fields exactly as
    FeedParser._parse_headers does and each goes through compat32.header_source_parse.
    """
    if _ODD_BREAKS.search(block):
        return None
    headers = Headers()
    field: list[str] = []
    for line in block.decode("ascii", "surrogateescape").splitlines(keepends=True):
        if line[0] in " \t":
            if not field:
                return None  # a continuation first: a defect the stdlib deals with
            field.append(line)
            continue
        if not _FIELD.match(line):
            return None  # 'From ', ': value', 'Name : value', a body line
        if field:
            headers.set_raw(*email.policy.compat32.header_source_parse(field))
        field = [line]
    if field:
        headers.set_raw(*email.policy.compat32.header_source_parse(field))
    return headers


def parse_headers(block: bytes, fast: FastPaths = FAST) -> Headers:
    """The header block as an email Message (compat32: never raises on bad headers)."""
    # Fast path (fast.headers): an ordinary block is split by _split_header_block.  Two
    # ordinary header blocks parsed and their parameters asked: 61 us against 118 us through
    # the FeedParser (bench/fast_paths.py, 2026-12-07, busy machine; added in 0576c9a).
    # With the native core (issue 19) the block is split natively, to the same fields or the
    # same refusal, and read through FieldHeaders: the same work in 12 us against 32 us for
    # this Python split (and 83 us through the FeedParser), 2026-12-07; the Python split
    # stays for installs without the core.
    headers: Headers | None = None
    if fast.headers:
        fields_of = native.header_fields
        if fields_of is None:
            headers = _split_header_block(block)
        elif (found := fields_of(block)) is not None:
            headers = FieldHeaders(*found)
    if headers is None:
        parser = email.parser.BytesHeaderParser(_class=Headers, policy=email.policy.compat32)
        headers = cast(Headers, parser.parsebytes(block))
    if not fast.params:
        headers.simple_params = False
    return headers


def _line_start(buf: Buffer, index: int, start: int) -> bool:
    return index == start or buf[index - 1 : index] == b"\n"


Span = tuple[int, int]


def split_multipart(
    buf: Buffer, start: int, end: int, boundary: bytes
) -> tuple[list[Span], Span, Span] | None:
    """The parts of a multipart body: ([(start, end)...], preamble span, epilogue span).

    None when the boundary does not occur at all.  Natively when the content core is there
    (same answer), else `split_multipart_python`.  0 <= start <= end <= len(buf).
    """
    split = native.split_multipart
    if split is not None:
        return split(buf, start, end, boundary)
    return split_multipart_python(buf, start, end, boundary)


def split_multipart_python(
    buf: Buffer, start: int, end: int, boundary: bytes
) -> tuple[list[Span], Span, Span] | None:
    """`split_multipart` in Python: the reference, and the code without the native core."""
    delimiter = b"--" + boundary
    parts: list[tuple[int, int]] = []
    pos = start
    current: int | None = None
    preamble = (start, start)
    epilogue = (end, end)
    while pos < end:
        index = buf.find(delimiter, pos, end)
        if index < 0:
            break
        after = index + len(delimiter)
        if not _line_start(buf, index, start):
            pos = after
            continue
        newline = buf.find(b"\n", after, end)
        line_end = end if newline < 0 else newline
        rest = buf[after:line_end]
        closing = rest.startswith(b"--")
        if rest[2 if closing else 0 :].strip(b" \t\r"):
            pos = after  # '--boundaryX': a longer boundary, not ours
            continue
        cut = index
        if cut > start and buf[cut - 1 : cut] == b"\n":
            cut -= 1
            if cut > start and buf[cut - 1 : cut] == b"\r":
                cut -= 1
        if current is None:
            preamble = (start, cut)
        else:
            parts.append((current, max(current, cut)))
        current = min(end, line_end + 1)
        pos = current
        if closing:
            epilogue = (current, end)
            current = None
            break
    if current is not None:
        parts.append((current, end))
    if not parts and preamble == (start, start) and epilogue == (end, end):
        return None
    return parts, preamble, epilogue


BAD_PARAMETERS = "malformed MIME header parameters"


class MalformedParameters(Exception):
    """A header's parameters (RFC 2045/2231) cannot be decoded by the stdlib."""


def boundary_of(headers: Message) -> str | None:
    """The multipart boundary; None when absent.  Raises MalformedParameters."""
    try:
        return headers.get_boundary()
    except PARAM_ERRORS as exc:
        raise MalformedParameters from exc


def filename_of(headers: Message) -> str | None:
    """The attachment's file name (RFC 2231 and RFC 2047 decoded), or None.

    Raises MalformedParameters when the parameters cannot be decoded.
    """
    try:
        name = headers.get_filename()
    except PARAM_ERRORS as exc:
        raise MalformedParameters from exc
    if not name:
        return None
    name = str(name)
    if "=?" in name:
        name = decode_header(name)
    return name.strip() or None


DECORATIONS_MAX = 12  # small referenced inline images per message that count as decoration


def content_id_of(headers: Message) -> str | None:
    """The Content-ID without its angle brackets, lower case; None when absent or empty."""
    value = headers.get("content-id")
    if value is None:
        return None
    cid = str(value).strip().strip("<>").strip().lower()
    return cid or None


@dataclass(frozen=True, slots=True)
class _Inline:
    """A small inline image whose fate waits for the end of the walk (Walker.finish)."""

    cid: str
    where: str
    headers: Message
    buf: Buffer
    start: int
    end: int
    depth: int
    ctype: str
    filename: str | None


class Walker:
    """One message's walk; `leaf` decides what a non-multipart part contains."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.limits = sink.limits
        self.cid_refs: set[str] = set()  # 'cid:' references seen in HTML parts (lower case)
        self.pending: list[_Inline] = []  # small inline images, settled in finish()
        self.decorations = 0

    def finish(self) -> None:
        """Settle the small inline images: decoration when the HTML references them (read by
        OCR too, best effort: a cropped pasted screenshot is as small as a logo), else content
        like any other image (read by OCR, or unscannable)."""
        for p in self.pending:
            if p.cid in self.cid_refs and self.decorations < DECORATIONS_MAX:
                self.decorations += 1
                leaf.read_decoration(self, p.headers, p.buf, p.start, p.end, p.where)
            else:
                leaf.inspect(
                    self, p.headers, p.buf, p.start, p.end, p.where, p.depth, p.ctype, p.filename
                )
        self.pending.clear()

    def walk_message(self, buf: Buffer, start: int, end: int, prefix: str, depth: int) -> None:
        """Walk the message at buf[start:end]; `prefix` is prepended to every location."""
        header_end, body_start = split_headers(buf, start, end)
        headers = parse_headers(bytes(buf[start:header_end]), self.sink.fast_paths)
        subject = headers.get("subject")
        if subject is not None:
            text = decode_header(subject)
            raw = str(subject)
            if "=?" in raw and raw != text:
                text = f"{text}\n{raw}"  # an encoded word that did not decode is read raw too
            if text:
                self.sink.text(f"{prefix}subject", text.encode("utf-8", "replace"), header=True)
        self.walk_entity(headers, buf, body_start, end, prefix, "", depth, top=True)

    def walk_entity(
        self,
        headers: Message,
        buf: Buffer,
        start: int,
        end: int,
        prefix: str,
        path: str,
        depth: int,
        *,
        top: bool = False,
    ) -> None:
        """Walk one entity whose body is buf[start:end]."""
        ctype = headers.get_content_type()
        try:
            filename = filename_of(headers)
        except MalformedParameters:
            filename = None
            malformed = True
        else:
            malformed = False
        where = self.location(headers, ctype, filename, prefix, path, top)
        if not self.sink.take_part(where):
            return
        if malformed:
            self._malformed(headers, where)
        if filename:  # the recipient sees the name too: 'BSN 111222333 dossier.pdf'
            self.sink.text(f"{where} (file name)", filename.encode("utf-8", "replace"), header=True)
        maintype = ctype.split("/", 1)[0]
        if ctype == "multipart/encrypted":
            self.sink.protected(where)
            return
        if maintype == "multipart":
            self.walk_multipart(headers, buf, start, end, prefix, path, depth, ctype, where)
            return
        if ctype in ("message/rfc822", "message/global") and not filename:
            cte = str(headers.get("content-transfer-encoding", "")).strip().lower()
            if depth + 1 > self.limits.max_depth:
                self.sink.truncated(where, "max_depth exceeded")
            elif cte in ("base64", "quoted-printable"):
                leaf.inspect(self, headers, buf, start, end, where, depth, ctype, filename)
            else:
                self.walk_message(buf, start, end, f"{where}/", depth + 1)
            return
        cid = content_id_of(headers)
        if cid is not None and leaf.is_decoration(headers, buf, start, end):
            # decided in finish(): is it referenced?
            self.pending.append(
                _Inline(cid, where, headers, buf, start, end, depth, ctype, filename)
            )
            return
        leaf.inspect(self, headers, buf, start, end, where, depth, ctype, filename)

    def walk_multipart(
        self,
        headers: Message,
        buf: Buffer,
        start: int,
        end: int,
        prefix: str,
        path: str,
        depth: int,
        ctype: str,
        where: str,
    ) -> None:
        """Walk the parts of a multipart entity."""
        try:
            boundary = boundary_of(headers)
        except MalformedParameters:
            self._malformed(headers, where)
            boundary = None
        found = None
        if boundary:
            raw = (
                boundary.encode("ascii", "surrogateescape")
                if boundary.isascii()
                else (boundary.encode("utf-8", "surrogateescape"))
            )
            found = split_multipart(buf, start, end, raw)
        if found is None:
            # No usable boundary: read the body as text rather than skip it.
            leaf.emit_text(self, where, bytes(buf[start:end]), None)
            return
        if depth + 1 > self.limits.max_depth:
            self.sink.truncated(where, "max_depth exceeded")
            return
        parts, preamble, epilogue = found
        for span, name in ((preamble, "preamble"), (epilogue, "epilogue")):
            if span[1] - span[0] > 2:
                leaf.emit_text(self, f"{prefix}{name}", bytes(buf[span[0] : span[1]]), None)
        for number, (part_start, part_end) in enumerate(parts, start=1):
            header_end, body_start = split_headers(buf, part_start, part_end)
            part_headers = parse_headers(bytes(buf[part_start:header_end]), self.sink.fast_paths)
            if ctype == "multipart/digest":
                part_headers.set_default_type("message/rfc822")
            child_path = f"{path}.{number}" if path else str(number)
            self.walk_entity(
                part_headers,
                buf,
                body_start,
                part_end,
                prefix,
                child_path,
                depth + 1,
            )

    def _malformed(self, headers: Message, where: str) -> None:
        """Parameters the stdlib cannot decode: unscannable, and their raw text is scanned."""
        self.sink.unscannable(where, BAD_PARAMETERS)
        raw = "\n".join(
            str(headers.get(name, "")) for name in ("content-type", "content-disposition")
        )
        if raw.strip():  # a file name that did not decode may still name a client
            self.sink.text(f"{where} (header)", raw.encode("utf-8", "replace"), header=True)

    @staticmethod
    def location(
        headers: Message, ctype: str, filename: str | None, prefix: str, path: str, top: bool
    ) -> str:
        """'body', 'part 2 (text/html)', 'attachment 2 (.pdf file)', with the nesting prefix."""
        if filename:
            return f"{prefix}attachment {path or 1} {safe_name(filename)}"
        disposition = str(headers.get("content-disposition", "")).split(";", 1)[0].strip()
        if top or not path:
            return f"{prefix}body"
        if disposition.lower() == "attachment":
            return f"{prefix}attachment (part {path}, {ctype})"
        return f"{prefix}part {path} ({ctype})"
