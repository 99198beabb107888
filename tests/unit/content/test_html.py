"""Unit tests for milter.content.formats.html: the regex tokeniser agrees with html.parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.formats.html import _TextExtractor, _tokenise, html_to_text, meta_charset
from tests.unit.content.helpers import DEFAULT, message


def by_html_parser(markup: str) -> str:
    """The text as html.parser alone reads it (the reference)."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts).replace("\xa0", " ")


PIECES = st.sampled_from(
    [
        *("<p>", "</p>", "<P CLASS=MsoNormal>", "<div class='a b'>", "</div >", "</ div>"),
        *("<br>", "<br/>", "<br />", "<p/>", "<td nowrap>", "<td>", "</td>", "<tr>", "</TR>"),
        *('<span style="font-size:11pt;color:#1F497D">', "</span>", "<o:p>", "</o:p>"),
        *('<img src=x alt="BSN 101722333">', "<IMG ALT=foto>", "<img alt='a &amp; b'/>"),
        *('<img alt="x > y">', "<a href=x/>", '<a href="x"title="y">', "<a href=>", "<b =x>"),
        *("<head>", "</head>", "<body>", "<template>", "</template>", "<noscript>"),
        *("<script>", "</script>", "</script x>", "</SCRIPT >", "<style>", "</style>"),
        *("<!-- c -->", "<!-- open", "<!-->", "--!>", "<!DOCTYPE html>", "<!doctype", "<?xml ?>"),
        *("<![if !supportLists]>", "<![endif]>", "<!x>", "</>", "< p>", '<p class="open'),
        *("&amp;", "&#65;", "&#x41;", "&nbsp;", "&bogus;", "& ", "&", "&#", "<", ">", "a < b"),
        *("BSN ", "101722333", " 12-03-2011", "\n", "  ", "tekst", "Cliënt", "\xa0"),
    ]
)

WELL_FORMED = st.sampled_from(
    [
        *("<p>", "</p>", "<P CLASS=MsoNormal>", "<div class='a b'>", "</div >", "<br/>", "<p/>"),
        *("<td nowrap>", "</td>", '<span style="color:#1F497D">', "</span>", "<o:p>", "</o:p>"),
        *('<img src=x alt="BSN 101722333">', "<IMG ALT=foto>", "<img alt='a &amp; b'/>"),
        *("<head>", "</head>", "<body>", "<template>", "</template>", "<script>", "</script>"),
        *("<style>", "</style>", "<!-- c -->", "<!DOCTYPE html>", "<?xml ?>", "&amp;", "&#65;"),
        *("&nbsp;", "&bogus;", "& ", "BSN ", "101722333", "\n", "tekst", "Cliënt", "\xa0"),
    ]
)


class TestTokeniser:
    """The fast path and html.parser give the same text."""

    @settings(max_examples=600, deadline=None)
    @given(st.lists(PIECES, max_size=25).map("".join))
    def test_same_text_as_html_parser(self, markup: str) -> None:
        """Whatever the markup, html_to_text equals html.parser's reading of it."""
        assert html_to_text(markup) == by_html_parser(markup)

    @settings(max_examples=600, deadline=None)
    @given(st.lists(WELL_FORMED, max_size=25).map("".join))
    def test_same_text_on_the_fast_path(self, markup: str) -> None:
        """Well-formed markup is tokenised here, with html.parser's text."""
        parser = _TextExtractor()
        assert _tokenise(markup, parser)
        assert "".join(parser.parts).replace("\xa0", " ") == by_html_parser(markup)

    def test_outlook_markup_takes_the_fast_path(self) -> None:
        """Typical Outlook HTML (comments, style, o:p, attributes) needs no html.parser."""
        markup = (
            "<!DOCTYPE html><html><head><!-- [if gte mso 9]> x <![endif] --><style>"
            "p.MsoNormal{margin:0}</style></head><body lang=NL><div class=WordSection1>"
            '<p class=MsoNormal><span style="color:#1F497D">BSN 101722333<o:p></o:p></span></p>'
            "</div></body></html>"
        )
        assert _tokenise(markup, _TextExtractor())
        assert "BSN 101722333" in html_to_text(markup)

    def test_stray_angle_bracket_falls_back(self) -> None:
        """A '<' that starts no tag is left to html.parser."""
        assert not _tokenise("a < b 101722333", _TextExtractor())
        assert html_to_text("a < b 101722333") == "a < b 101722333"


class TestMetaCharset:
    """The charset an HTML part declares in a <meta> when its MIME header declares none."""

    def test_found_in_both_forms(self) -> None:
        """<meta charset> and the http-equiv Content-Type form are both read."""
        assert meta_charset(b'<html><head><meta charset="windows-1250">') == "windows-1250"
        http_equiv = b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-2">'
        assert meta_charset(http_equiv) == "iso-8859-2"

    def test_absent_late_or_utf16(self) -> None:
        """No meta, a meta after the first 1024 bytes, or a UTF-16 name: None."""
        assert meta_charset(b"<html><body>x</body></html>") is None
        assert meta_charset(b" " * 1100 + b'<meta charset="koi8-r">') is None
        assert meta_charset(b'<meta charset="utf-16le">') is None

    def test_used_when_the_header_has_no_charset(self) -> None:
        """A cp850 page without a MIME charset is decoded as cp850 (its 'ë' is not cp1252's)."""
        page = "<p>Gesprek met de cliënt</p>"
        with_meta = ('<meta charset="cp850">' + page).encode("cp850")
        found = DEFAULT.scan_message(message(with_meta, ctype="text/html", subject="x"))
        assert found.by_detector("case_keywords") is not None
        without = DEFAULT.scan_message(message(page.encode("cp850"), ctype="text/html"))
        assert without.by_detector("case_keywords") is None  # read as cp1252: 'cli‰nt'
        header_wins = message(with_meta, ctype="text/html; charset=cp1252", subject="x")
        assert DEFAULT.scan_message(header_wins).by_detector("case_keywords") is None
