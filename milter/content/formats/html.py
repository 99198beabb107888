"""html -- the visible text of an HTML part, as the stdlib html.parser reads it.

Tags are dropped, character references decoded (html.parser does that), block-level elements
(p, div, br, li, tr, headings, ...) become a line break and table cells a tab, so values in
neighbouring cells never run together into one number.  The content of script, style, head and
template elements is dropped; the alt text of images is kept.

html.parser costs ~7 us a tag in Python (Outlook HTML: ~8 ms for 36 KB).  Well-formed markup --
tags whose attributes are names with quoted or plain values, end tags, comments, doctype and
processing instructions, script/style closed properly -- is tokenised here with one regex per
tag instead and fed to the same handlers; anything else in a document (a stray '<', '>' inside
an attribute value, marked sections, unterminated constructs) sends the whole document through
html.parser.  A differential test checks both give the same text.

When the native content core is built (milter.content.native), its html_to_text does the
fast path's work in Rust, with the same output (tests/unit/content/test_native.py); it leaves
what the fast path leaves to html.parser to the Python code here.

A part without a charset in its MIME header is decoded with the charset its <meta> declares
(`meta_charset`), as a browser would.

Refuses (Unscannable): a character reference Python cannot convert (over 4300 digits); any
other input is read -- unclosed tags just end with the text.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import milter.content.native as native
from milter.content.formats import Unscannable

MALFORMED_REFERENCE = "html with a malformed character reference"

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "title",
        "option",
    ]
)
_CELL = frozenset({"td", "th"})
_HIDDEN = frozenset({"script", "style", "head", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "body":
            self.hidden = 0  # an unclosed <head> must not hide the whole message
        elif self.hidden:
            return
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append("\t")
        elif tag == "img":
            for name, value in attrs:
                if name == "alt" and value:
                    self.parts.append(f" {value} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif self.hidden:
            return
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append("\t")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


# a name, optionally = a quoted value without < or >, or a plain value not ending in '/'
_ATTRIBUTE = (
    r"""[a-zA-Z_:@][-a-zA-Z0-9_:.@]*"""
    r"""(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`/]+(?=[\s>])))?"""
)
_MARKUP = re.compile(
    rf"<(?P<start>[a-zA-Z][-a-zA-Z0-9:_.]*)(?P<attrs>(?:\s+{_ATTRIBUTE})*)\s*(?P<empty>/)?>"
    r"|</\s*(?P<end>[a-zA-Z][-.a-zA-Z0-9:_]*)\s*>"
    r"|(?P<comment><!--)|(?P<doctype><![dD][oO][cC][tT][yY][pP][eE])|(?P<pi><\?)"
)
_ONE_ATTRIBUTE = re.compile(r"""([^\s=]+)(?:\s*=\s*("[^"]*"|'[^']*'|\S+))?""")
_COMMENT_CLOSE = re.compile(r"--\s*>")  # what html.parser (_markupbase) ends a comment with
_CDATA_CLOSE = {tag: re.compile(rf"</\s*{tag}\s*>", re.I) for tag in ("script", "style")}


def _tokenise(markup: str, parser: _TextExtractor) -> bool:
    """Feed `markup` to the parser's handlers as html.parser would; False if not simple."""
    pos = 0
    size = len(markup)
    while pos < size:
        at = markup.find("<", pos)  # (str.find: a regex search would try every position)
        stop = size if at < 0 else at
        if stop > pos:
            text = markup[pos:stop]
            parser.handle_data(unescape(text) if "&" in text else text)
        if at < 0:
            return True
        found = _MARKUP.match(markup, at)
        if found is None:
            return False  # a construct only html.parser knows how to read
        pos = found.end()
        name = found.group("start")
        if name is not None:
            tag = name.lower()
            attrs: list[tuple[str, str | None]] = []
            if tag == "img":
                for attr in _ONE_ATTRIBUTE.finditer(found.group("attrs")):
                    value = attr.group(2)
                    if value is not None and value[:1] in "'\"":
                        value = value[1:-1]
                    attrs.append((attr.group(1).lower(), unescape(value) if value else value))
            if found.group("empty"):
                parser.handle_startendtag(tag, attrs)
                continue
            parser.handle_starttag(tag, attrs)
            if tag in _CDATA_CLOSE:  # raw text up to its end tag (all of it, if there is none)
                close = _CDATA_CLOSE[tag].search(markup, pos)
                if close is None:
                    return True
                parser.handle_endtag(tag)
                pos = close.end()
        elif found.group("end") is not None:
            parser.handle_endtag(found.group("end").lower())
        else:
            if found.group("comment"):
                close = _COMMENT_CLOSE.search(markup, pos)
                end = -1 if close is None else close.end()
            else:
                end = markup.find(">", pos)
                end = -1 if end < 0 else end + 1
            if end < 0:
                return False
            pos = end
    return True


_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
META_SNIFF_BYTES = 1024  # where the HTML spec's prescan looks for the meta charset


def meta_charset(data: bytes) -> str | None:
    """The charset a <meta> declares in the first 1024 bytes (UTF-16 names ignored), or None.

    Used only when the MIME header declares none: the header wins, as in a browser.
    """
    found = _META_CHARSET.search(data, 0, META_SNIFF_BYTES)
    if found is None:
        return None
    name = found.group(1).decode("ascii").lower()
    return None if name.startswith("utf-16") else name


# Where mail clients mark a signature: Outlook (id="Signature", x_Signature in replies, the
# _MailAutoSig bookmark), Gmail (class gmail_signature), Apple Mail on iOS
# (id="AppleMailSignature"), Thunderbird (class moz-signature).
_SIGNATURE_TAG = re.compile(
    r"""<(?:div|table|span|p|td|a)\b[^<>]*?\b(?:"""
    r"""id\s*=\s*["']?(?:x_)?(?:Signature|AppleMailSignature)\b"""
    r"""|class\s*=\s*["'][^"'<>]*\b(?:gmail_signature|moz-signature)\b"""
    r"""|name\s*=\s*["']?_MailAutoSig\b)""",
    re.IGNORECASE,
)
SIGNATURE_SEPARATOR = "\n-- \n"


def mark_signatures(markup: str) -> str:
    """`markup` with the plain-text signature separator ('-- ' line) before a marked signature.

    The text then carries the mark as plain text does, for own_text.signature_spans.
    """
    if "ignature" not in markup and "IGNATURE" not in markup and "_MailAutoSig" not in markup:
        return markup
    return _SIGNATURE_TAG.sub(lambda found: SIGNATURE_SEPARATOR + found.group(0), markup)


def html_to_text(markup: str) -> str:
    """The visible text of `markup`."""
    if native.html_to_text is not None:
        text = native.html_to_text(markup)
        if text is not None:
            return text
    return _python_html_to_text(markup)


def html_to_utf8(markup: str) -> bytes:
    """`html_to_text(markup)` as UTF-8 (a lone surrogate, only html.parser passes one on, as
    '?'): what the scanner's detectors read, made without a str when the native core runs."""
    if native.html_to_utf8 is not None:
        data = native.html_to_utf8(markup)
        if data is not None:
            return data
    return _python_html_to_text(markup).encode("utf-8", "replace")


def _python_html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    # Fast path (always on; its test compares it with html.parser directly): the regex
    # tokeniser read Outlook HTML ~4x faster than html.parser (content README).  Goes when the
    # native content core does all of it (issue 19, later stages).
    try:
        if not _tokenise(markup, parser):
            parser = _TextExtractor()
            parser.feed(markup)
            parser.close()
    except ValueError as exc:
        # html.unescape turns '&#' and more than 4300 digits into int(), which Python refuses
        # (its guard against quadratic conversions): the part cannot be read, and must not
        # fail the whole scan (a tempfail on every retry until the message bounces).
        raise Unscannable(MALFORMED_REFERENCE) from exc
    return "".join(parser.parts).replace("\xa0", " ")
