//! HTML to text: the fast path of milter/content/formats/html.py (`_tokenise` feeding
//! `_TextExtractor`), character for character.
//!
//! Reads the markup `_tokenise` reads -- tags whose attributes are names with quoted or plain
//! values, end tags, comments, doctype and processing instructions, script/style up to their
//! closing tag -- and gives the same text: block elements a line break, table cells a tab,
//! script/style/head/template/noscript hidden, the alt text of images, character references
//! decoded as Python's `html.unescape` decodes them, U+00A0 as a space.
//!
//! Refuses (returns `None`, and Python's html.parser path reads the part): whatever `_tokenise`
//! refuses (a stray '<', '>' inside an attribute value, marked sections, unterminated comments,
//! doctype or processing instructions), and a decimal character reference longer than
//! Python's int() reads (4300 digits: Python raises there, and must be the one that does).

use std::borrow::Cow;

use memchr::{memchr, memchr3, memmem};

use crate::tables::{ENTITIES, IGNORECASE, INVALID_CHARREFS, INVALID_CODEPOINTS, PY_WHITESPACE};

/// The input is not one `_tokenise` reads: the Python path decides.
#[derive(Debug)]
pub struct Refused;

/// Python's default `sys.get_int_max_str_digits()`: a longer decimal string makes int() raise.
const PY_INT_MAX_STR_DIGITS: usize = 4300;

/// `re`'s `\s` for a str pattern (str.isspace), not Rust's char::is_whitespace.
#[inline]
fn is_py_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' '
        )
    } else {
        PY_WHITESPACE.contains(&c)
    }
}

/// The first byte offset at or after `at` that is not `\s`.
#[inline]
fn skip_space(s: &str, mut at: usize) -> usize {
    let b = s.as_bytes();
    while at < b.len() {
        let byte = b[at];
        if byte < 0x80 {
            if !is_py_space(byte as char) {
                return at;
            }
            at += 1;
        } else {
            let c = s[at..].chars().next().expect("at is a char boundary");
            if !is_py_space(c) {
                return at;
            }
            at += c.len_utf8();
        }
    }
    at
}

// -- html.unescape ----------------------------------------------------------------------------

fn entity(name: &str) -> Option<&'static str> {
    ENTITIES
        .binary_search_by(|(key, _)| (*key).cmp(name))
        .ok()
        .map(|index| ENTITIES[index].1)
}

/// `chr(num)` after html.unescape's rules for numeric references (`None`: beyond U+10FFFF).
fn numeric(num: Option<u32>, out: &mut String) {
    let Some(num) = num else {
        out.push('\u{fffd}');
        return;
    };
    if let Ok(index) = INVALID_CHARREFS.binary_search_by(|(key, _)| key.cmp(&num)) {
        out.push_str(INVALID_CHARREFS[index].1);
    } else if (0xd800..=0xdfff).contains(&num) || num > 0x10ffff {
        out.push('\u{fffd}');
    } else if INVALID_CODEPOINTS.binary_search(&num).is_ok() {
    } else {
        out.push(char::from_u32(num).expect("a scalar value: surrogates handled above"));
    }
}

/// The value of a run of digits in `radix`, or `None` when it is above U+10FFFF.
fn digits_value(digits: &[u8], radix: u32) -> Option<u32> {
    let start = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let significant = &digits[start..];
    // 0x10FFFF has 7 decimal and 6 hex digits: more than that is out of range whatever they are
    if significant.len() > if radix == 10 { 7 } else { 6 } {
        return None;
    }
    let mut value: u32 = 0;
    for &d in significant {
        value = value * radix + (d as char).to_digit(radix).expect("a digit of the radix");
    }
    Some(value)
}

/// A named reference's group (without the '&'): html.unescape's replacement, into `out`.
fn named(group: &str, out: &mut String) {
    if let Some(value) = entity(group) {
        out.push_str(value);
        return;
    }
    // the longest prefix (at least 2 characters, shorter than the group) that is a name; names
    // are ASCII, so only prefixes within the ASCII start of the group can be one
    let ascii = group.bytes().position(|b| b >= 0x80).unwrap_or(group.len());
    let longest = if ascii == group.len() {
        group.len() - 1
    } else {
        ascii
    };
    for end in (2..=longest).rev() {
        if let Some(value) = entity(&group[..end]) {
            out.push_str(value);
            out.push_str(&group[end..]);
            return;
        }
    }
    out.push('&');
    out.push_str(group);
}

/// Python's `html.unescape(text)` appended to `out`.
pub fn unescape_into(text: &str, out: &mut String) -> Result<(), Refused> {
    let b = text.as_bytes();
    let mut copied = 0; // text[..copied] is in out
    let mut search = 0;
    while let Some(offset) = memchr(b'&', &b[search..]) {
        let amp = search + offset;
        let start = amp + 1;
        search = start;
        // &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
        let mut end;
        if b.get(start) == Some(&b'#') {
            let (radix, first) = match b.get(start + 1) {
                Some(d) if d.is_ascii_digit() => (10, start + 1),
                Some(b'x' | b'X') if b.get(start + 2).is_some_and(u8::is_ascii_hexdigit) => {
                    (16, start + 2)
                }
                _ => continue, // '#' starts no name either
            };
            end = first;
            while end < b.len()
                && (if radix == 10 {
                    b[end].is_ascii_digit()
                } else {
                    b[end].is_ascii_hexdigit()
                })
            {
                end += 1;
            }
            if radix == 10 && end - first > PY_INT_MAX_STR_DIGITS {
                return Err(Refused); // int() raises ValueError in Python
            }
            let num = digits_value(&b[first..end], radix);
            if b.get(end) == Some(&b';') {
                end += 1;
            }
            out.push_str(&text[copied..amp]);
            numeric(num, out);
        } else {
            end = start;
            let mut count = 0;
            for c in text[start..].chars() {
                if count == 32 || matches!(c, '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';') {
                    break;
                }
                end += c.len_utf8();
                count += 1;
            }
            if count == 0 {
                continue;
            }
            if b.get(end) == Some(&b';') {
                end += 1;
            }
            out.push_str(&text[copied..amp]);
            named(&text[start..end], out);
        }
        copied = end;
        search = end;
    }
    out.push_str(&text[copied..]);
    Ok(())
}

/// `html.unescape(text)`, borrowed when there is nothing to decode.
pub fn unescape(text: &str) -> Result<Cow<'_, str>, Refused> {
    if memchr(b'&', text.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    unescape_into(text, &mut out)?;
    Ok(Cow::Owned(out))
}

// -- the handlers (_TextExtractor) --------------------------------------------------------------

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "ul"
            | "title"
            | "option"
    )
}

fn is_cell(tag: &str) -> bool {
    matches!(tag, "td" | "th")
}

fn is_hidden(tag: &str) -> bool {
    matches!(tag, "script" | "style" | "head" | "template" | "noscript")
}

struct Extractor {
    text: String,
    hidden: usize,
    scratch: String,
}

impl Extractor {
    fn data(&mut self, data: &str) -> Result<(), Refused> {
        if memchr(b'&', data.as_bytes()).is_none() {
            if self.hidden == 0 {
                self.text.push_str(data);
            }
        } else if self.hidden == 0 {
            unescape_into(data, &mut self.text)?;
        } else {
            // decoded (and dropped) all the same: Python decodes before it looks at `hidden`
            self.scratch.clear();
            unescape_into(data, &mut self.scratch)?;
        }
        Ok(())
    }

    fn start_tag(&mut self, tag: &str, alts: &[Cow<'_, str>]) {
        if is_hidden(tag) {
            self.hidden += 1;
        } else if tag == "body" {
            self.hidden = 0; // an unclosed <head> must not hide the whole message
        } else if self.hidden > 0 {
        } else if is_block(tag) {
            self.text.push('\n');
        } else if is_cell(tag) {
            self.text.push('\t');
        } else if tag == "img" {
            for alt in alts {
                if !alt.is_empty() {
                    self.text.push(' ');
                    self.text.push_str(alt);
                    self.text.push(' ');
                }
            }
        }
    }

    fn end_tag(&mut self, tag: &str) {
        if is_hidden(tag) {
            self.hidden = self.hidden.saturating_sub(1);
        } else if self.hidden > 0 {
        } else if is_block(tag) {
            self.text.push('\n');
        } else if is_cell(tag) {
            self.text.push('\t');
        }
    }
}

// -- the tokeniser (_MARKUP and friends) ----------------------------------------------------------

fn is_tag_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_' | b'.')
}

fn is_attr_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'_' | b':' | b'@')
}

fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.' | b'@')
}

/// A start tag at `at` ('<' and a letter): (name, img attribute values named alt, empty, end).
struct StartTag<'a> {
    name: &'a str,
    /// (lower-cased name, value without its quotes) of every attribute with a value
    attrs: Vec<(&'a str, &'a str)>,
    empty: bool,
    end: usize,
}

/// `<name (\s+ATTRIBUTE)* \s* /? >` as the regex reads it (the regex has no real choice to
/// make: every backtrack it could try ends in a character that fits nowhere).
fn start_tag(s: &str, at: usize, want_attrs: impl Fn(&str) -> bool) -> Option<StartTag<'_>> {
    let b = s.as_bytes();
    let mut i = at + 1;
    while i < b.len() && is_tag_char(b[i]) {
        i += 1;
    }
    let name = &s[at + 1..i];
    let keep = want_attrs(name);
    let mut attrs = Vec::new();
    loop {
        let after_space = skip_space(s, i);
        if after_space == i || after_space >= b.len() || !is_attr_start(b[after_space]) {
            // the end: \s* /? >
            return match b.get(after_space) {
                Some(b'>') => Some(StartTag {
                    name,
                    attrs,
                    empty: false,
                    end: after_space + 1,
                }),
                Some(b'/') if b.get(after_space + 1) == Some(&b'>') => Some(StartTag {
                    name,
                    attrs,
                    empty: true,
                    end: after_space + 2,
                }),
                _ => None,
            };
        }
        let name_start = after_space;
        let mut j = name_start + 1;
        while j < b.len() && is_attr_char(b[j]) {
            j += 1;
        }
        let attr_name = &s[name_start..j];
        let equals = skip_space(s, j);
        if b.get(equals) != Some(&b'=') {
            i = j; // no value (a following '=' could be read by nothing else)
            continue;
        }
        let v = skip_space(s, equals + 1);
        let (value, end) = match *b.get(v)? {
            quote @ (b'"' | b'\'') => {
                let close = v + 1 + memchr3(quote, b'<', b'>', &b[v + 1..])?;
                if b[close] != quote {
                    return None;
                }
                (&s[v + 1..close], close + 1)
            }
            _ => {
                // [^\s"'<>=`/]+(?=[\s>])
                let mut k = v;
                for c in s[v..].chars() {
                    if is_py_space(c) || matches!(c, '"' | '\'' | '<' | '>' | '=' | '`' | '/') {
                        break;
                    }
                    k += c.len_utf8();
                }
                if k == v {
                    return None;
                }
                let next = s[k..].chars().next()?;
                if !(next == '>' || is_py_space(next)) {
                    return None;
                }
                (&s[v..k], k)
            }
        };
        if keep {
            attrs.push((attr_name, value));
        }
        i = end;
    }
}

/// `</\s*name\s*>`: (name, end).
fn end_tag(s: &str, at: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let start = skip_space(s, at + 2);
    if !b.get(start)?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() && is_tag_char(b[i]) {
        i += 1;
    }
    let close = skip_space(s, i);
    (b.get(close) == Some(&b'>')).then(|| (&s[start..i], close + 1))
}

/// The end of the first `</\s*{tag}\s*>` (re.IGNORECASE) at or after `from`.
fn cdata_close(s: &str, from: usize, tag: &str) -> Option<usize> {
    let b = s.as_bytes();
    let finder = memmem::Finder::new(b"</");
    let mut search = from;
    'candidates: while let Some(offset) = finder.find(&b[search..]) {
        let at = search + offset;
        search = at + 1;
        let mut i = skip_space(s, at + 2);
        for letter in tag.bytes() {
            let Some(c) = s[i..].chars().next() else {
                return None;
            };
            let matches = IGNORECASE
                .iter()
                .find(|(key, _)| *key == letter)
                .is_some_and(|(_, chars)| chars.contains(&c));
            if !matches {
                continue 'candidates;
            }
            i += c.len_utf8();
        }
        let close = skip_space(s, i);
        if b.get(close) == Some(&b'>') {
            return Some(close + 1);
        }
    }
    None
}

/// The end of the first `--\s*>` at or after `from` (where html.parser ends a comment).
fn comment_close(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let finder = memmem::Finder::new(b"--");
    let mut search = from;
    while let Some(offset) = finder.find(&b[search..]) {
        let at = search + offset;
        let close = skip_space(s, at + 2);
        if b.get(close) == Some(&b'>') {
            return Some(close + 1);
        }
        search = at + 1; // "--->" closes one dash later
    }
    None
}

/// What `html_to_text` gives for markup `_tokenise` reads, or `Refused`.
pub fn html_to_text(markup: &str) -> Result<String, Refused> {
    let b = markup.as_bytes();
    let mut out = Extractor {
        text: String::with_capacity(markup.len() / 2),
        hidden: 0,
        scratch: String::new(),
    };
    let mut pos = 0;
    let mut lower = String::new();
    while pos < b.len() {
        let Some(offset) = memchr(b'<', &b[pos..]) else {
            out.data(&markup[pos..])?;
            break;
        };
        let at = pos + offset;
        if at > pos {
            out.data(&markup[pos..at])?;
        }
        match b.get(at + 1) {
            Some(c) if c.is_ascii_alphabetic() => {
                let found = start_tag(markup, at, |name| name.eq_ignore_ascii_case("img"))
                    .ok_or(Refused)?;
                lower.clear();
                lower.push_str(found.name);
                lower.make_ascii_lowercase();
                pos = found.end;
                // every value of an img is decoded (Python does, before it looks at the name)
                let mut alts = Vec::new();
                for (name, value) in &found.attrs {
                    let value = unescape(value)?;
                    if name.eq_ignore_ascii_case("alt") {
                        alts.push(value);
                    }
                }
                if found.empty {
                    if !is_hidden(&lower) {
                        out.start_tag(&lower, &alts);
                    }
                    continue;
                }
                out.start_tag(&lower, &alts);
                if lower == "script" || lower == "style" {
                    // raw text up to its end tag (all of it, if there is none)
                    let Some(close) = cdata_close(markup, pos, &lower) else {
                        break;
                    };
                    out.end_tag(&lower);
                    pos = close;
                }
            }
            Some(b'/') => {
                let (name, end) = end_tag(markup, at).ok_or(Refused)?;
                lower.clear();
                lower.push_str(name);
                lower.make_ascii_lowercase();
                out.end_tag(&lower);
                pos = end;
            }
            Some(b'!') if b[at + 2..].starts_with(b"--") => {
                pos = comment_close(markup, at + 4).ok_or(Refused)?;
            }
            Some(b'!')
                if b.len() >= at + 9 && b[at + 2..at + 9].eq_ignore_ascii_case(b"doctype") =>
            {
                pos = at + 9 + memchr(b'>', &b[at + 9..]).ok_or(Refused)? + 1;
            }
            Some(b'?') => {
                pos = at + 2 + memchr(b'>', &b[at + 2..]).ok_or(Refused)? + 1;
            }
            _ => return Err(Refused), // a construct only html.parser knows how to read
        }
    }
    let text = out.text;
    if memmem::find(text.as_bytes(), "\u{a0}".as_bytes()).is_some() {
        return Ok(text.replace('\u{a0}', " "));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_paragraph() {
        let text = html_to_text("<p class=MsoNormal>BSN&nbsp;1<o:p></o:p></p>").unwrap();
        assert_eq!(text, "\nBSN 1\n");
    }

    #[test]
    fn stray_angle_bracket_is_refused() {
        assert!(html_to_text("a < b").is_err());
    }

    #[test]
    fn unescape_like_python() {
        assert_eq!(
            unescape("&ampx &#128; &#x110000; &#1; &notit; &bogus").unwrap(),
            "&x \u{20ac} \u{fffd}  \u{ac}it; &bogus"
        );
    }
}
