"""Unit tests for milter.content.formats.html: the regex tokeniser agrees with html.parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from milter.content.formats.html import _TextExtractor, _tokenise, html_to_text


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
        *('<img src=x alt="BSN 111222333">', "<IMG ALT=foto>", "<img alt='a &amp; b'/>"),
        *('<img alt="x > y">', "<a href=x/>", '<a href="x"title="y">', "<a href=>", "<b =x>"),
        *("<head>", "</head>", "<body>", "<template>", "</template>", "<noscript>"),
        *("<script>", "</script>", "</script x>", "</SCRIPT >", "<style>", "</style>"),
        *("<!-- c -->", "<!-- open", "<!-->", "--!>", "<!DOCTYPE html>", "<!doctype", "<?xml ?>"),
        *("<![if !supportLists]>", "<![endif]>", "<!x>", "</>", "< p>", '<p class="open'),
        *("&amp;", "&#65;", "&#x41;", "&nbsp;", "&bogus;", "& ", "&", "&#", "<", ">", "a < b"),
        *("BSN ", "111222333", " 12-03-2011", "\n", "  ", "tekst", "Cliënt", "\xa0"),
    ]
)

WELL_FORMED = st.sampled_from(
    [
        *("<p>", "</p>", "<P CLASS=MsoNormal>", "<div class='a b'>", "</div >", "<br/>", "<p/>"),
        *("<td nowrap>", "</td>", '<span style="color:#1F497D">', "</span>", "<o:p>", "</o:p>"),
        *('<img src=x alt="BSN 111222333">', "<IMG ALT=foto>", "<img alt='a &amp; b'/>"),
        *("<head>", "</head>", "<body>", "<template>", "</template>", "<script>", "</script>"),
        *("<style>", "</style>", "<!-- c -->", "<!DOCTYPE html>", "<?xml ?>", "&amp;", "&#65;"),
        *("&nbsp;", "&bogus;", "& ", "BSN ", "111222333", "\n", "tekst", "Cliënt", "\xa0"),
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
            '<p class=MsoNormal><span style="color:#1F497D">BSN 111222333<o:p></o:p></span></p>'
            "</div></body></html>"
        )
        assert _tokenise(markup, _TextExtractor())
        assert "BSN 111222333" in html_to_text(markup)

    def test_stray_angle_bracket_falls_back(self) -> None:
        """A '<' that starts no tag is left to html.parser."""
        assert not _tokenise("a < b 111222333", _TextExtractor())
        assert html_to_text("a < b 111222333") == "a < b 111222333"
