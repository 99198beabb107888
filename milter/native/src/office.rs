//! office -- the text of the XML parts of docx, xlsx, pptx and OpenDocument files, as
//! milter/content/formats/ooxml.py reads them with expat, character for character.
//!
//! The zip container stays with the Python code (zipfile, zlib, the member caps and the
//! decompression budget); this module reads one XML part at a time: a text part
//! (`part_text`), xl/sharedStrings.xml (`shared_strings`), xl/styles.xml (`date_styles`) and a
//! worksheet (`sheet_text`).
//!
//! The XML reader accepts a strict subset of what expat accepts: UTF-8 (with or without a
//! BOM or an XML declaration saying so), ASCII names with at most one prefix, bound prefixes,
//! the five predefined entities and character references, CDATA, comments and processing
//! instructions.  Everything else -- a DOCTYPE, another encoding, a malformed or unusual
//! document, text past the caller's character limit (where expat's chunking decides what is
//! kept), a number Python's int()/float() would read differently -- is `Err(GiveUp)`: the
//! caller returns None and the Python code reads the part, so its answer (text or the
//! Unscannable reason) is the answer.
//!
//! Refuses: nothing itself; every part either gets the Python answer or `GiveUp`.

use std::collections::{HashMap, HashSet};

/// The part is left to the Python code (expat decides).
#[derive(Debug, PartialEq, Eq)]
pub struct GiveUp;

type Res<T> = Result<T, GiveUp>;

/// Attributes of one element, and namespace bindings in scope, past which expat reads the
/// part (real documents have a few dozen of each).
const MAX_ATTRIBUTES: usize = 256;
const MAX_BINDINGS: usize = 1024;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// What the reader reports (expat's start, end and character data handlers).
trait Handler {
    /// `attr(name)` gives an unprefixed attribute's value (what pyexpat's dict has under a
    /// bare key).
    fn start(&mut self, local: &str, attrs: &Attrs<'_>) -> Res<()>;
    fn end(&mut self, local: &str) -> Res<()>;
    fn text(&mut self, text: &str);
}

pub struct Attrs<'a> {
    list: Vec<(&'a str, String)>, // (raw name, normalised value)
}

impl Attrs<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(raw, _)| *raw == name)
            .map(|(_, v)| v.as_str())
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A character XML 1.0 allows (expat refuses the others, even as references).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || ((c as u32) >= 0x20 && c != '\u{FFFE}' && c != '\u{FFFF}')
}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn starts(&self, what: &str) -> bool {
        self.b[self.pos..].starts_with(what.as_bytes())
    }

    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn expect(&mut self, byte: u8) -> Res<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// An ASCII NCName, or prefix:NCName; returns the raw name.
    fn name(&mut self) -> Res<&'a str> {
        let start = self.pos;
        let mut colons = 0;
        if !self.peek().is_some_and(is_name_start) {
            return Err(GiveUp);
        }
        self.pos += 1;
        loop {
            match self.peek() {
                Some(b) if is_name_char(b) => self.pos += 1,
                Some(b':') => {
                    colons += 1;
                    self.pos += 1;
                    if colons > 1 || !self.peek().is_some_and(is_name_start) {
                        return Err(GiveUp);
                    }
                }
                Some(b) if b >= 0x80 => return Err(GiveUp), // non-ASCII names: Python reads
                _ => break,
            }
        }
        Ok(&self.s[start..self.pos])
    }

    /// Text up to the next `<` or `&`, or the end; line ends normalised to \n.
    fn chars_until_markup(&mut self, out: &mut String) -> Res<()> {
        let start = self.pos;
        let end = memchr::memchr2(b'<', b'&', &self.b[start..]).map_or(self.b.len(), |i| start + i);
        let chunk = &self.s[start..end];
        if chunk.contains("]]>") {
            return Err(GiveUp);
        }
        push_checked(out, chunk)?;
        self.pos = end;
        Ok(())
    }

    /// `&...;` (self.pos at '&'): the character it stands for.
    fn reference(&mut self) -> Res<char> {
        let rest = &self.b[self.pos + 1..];
        let semi = memchr::memchr(b';', &rest[..rest.len().min(12)]).ok_or(GiveUp)?;
        let body = &self.s[self.pos + 1..self.pos + 1 + semi];
        self.pos += semi + 2;
        let c = match body {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let (digits, radix) = if let Some(hex) = body.strip_prefix("#x") {
                    (hex, 16)
                } else if let Some(dec) = body.strip_prefix('#') {
                    (dec, 10)
                } else {
                    return Err(GiveUp); // an undefined entity: expat refuses it
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(GiveUp);
                }
                let value = u32::from_str_radix(digits, radix).map_err(|_| GiveUp)?;
                char::from_u32(value).ok_or(GiveUp)?
            }
        };
        if is_xml_char(c) {
            Ok(c)
        } else {
            Err(GiveUp)
        }
    }
}

/// Appends `chunk` with \r\n and \r turned into \n, refusing characters XML does not allow.
fn push_checked(out: &mut String, chunk: &str) -> Res<()> {
    if chunk
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
        && chunk.chars().any(|c| !is_xml_char(c))
    {
        return Err(GiveUp);
    }
    if memchr::memchr(b'\r', chunk.as_bytes()).is_none() {
        out.push_str(chunk);
    } else {
        out.push_str(&chunk.replace("\r\n", "\n").replace('\r', "\n"));
    }
    Ok(())
}

/// An attribute value (self.pos at the quote): references replaced, literal whitespace made
/// a space (expat's normalisation of CDATA attributes; \r\n is one space).
fn attr_value(r: &mut Reader<'_>) -> Res<String> {
    let quote = r.peek().ok_or(GiveUp)?;
    if quote != b'"' && quote != b'\'' {
        return Err(GiveUp);
    }
    r.pos += 1;
    let mut value = String::new();
    loop {
        let rest = &r.b[r.pos..];
        let stop = rest
            .iter()
            .position(|&b| b == quote || b == b'&' || b == b'<')
            .ok_or(GiveUp)?;
        let mut raw = String::new();
        push_checked(&mut raw, &r.s[r.pos..r.pos + stop])?;
        value.extend(
            raw.chars()
                .map(|c| if matches!(c, '\t' | '\n') { ' ' } else { c }),
        );
        r.pos += stop;
        match r.b[r.pos] {
            b'&' => value.push(r.reference()?),
            b'<' => return Err(GiveUp),
            _ => {
                r.pos += 1;
                return Ok(value);
            }
        }
    }
}

/// `<?target ...?>` (self.pos at '<'), skipped; an XML declaration is handled by the caller.
fn processing_instruction(r: &mut Reader<'_>) -> Res<()> {
    r.pos += 2;
    let target = r.name()?;
    if target.contains(':') || target.len() >= 3 && target[..3].eq_ignore_ascii_case("xml") {
        return Err(GiveUp);
    }
    let end = memchr::memmem::find(&r.b[r.pos..], b"?>").ok_or(GiveUp)?;
    let body = &r.s[r.pos..r.pos + end];
    if !body.is_empty() && !body.as_bytes()[0].is_ascii_whitespace() {
        return Err(GiveUp);
    }
    if !body.chars().all(is_xml_char) {
        return Err(GiveUp);
    }
    r.pos += end + 2;
    Ok(())
}

/// `<!-- ... -->` (self.pos at '<'), skipped; `--` inside is an error for expat.
fn comment(r: &mut Reader<'_>) -> Res<()> {
    r.pos += 4;
    let end = memchr::memmem::find(&r.b[r.pos..], b"--").ok_or(GiveUp)?;
    if r.b.get(r.pos + end + 2) != Some(&b'>') {
        return Err(GiveUp);
    }
    if !r.s[r.pos..r.pos + end].chars().all(is_xml_char) {
        return Err(GiveUp);
    }
    r.pos += end + 3;
    Ok(())
}

/// The XML declaration, if any: version 1.0, encoding UTF-8 (any case), standalone yes/no.
fn declaration(r: &mut Reader<'_>) -> Res<()> {
    if !(r.starts("<?xml") && r.b.get(r.pos + 5).is_some_and(|&b| is_space(b))) {
        return Ok(());
    }
    r.pos += 5;
    let mut seen = Vec::new();
    loop {
        let spaced = r.skip_space();
        if r.starts("?>") {
            r.pos += 2;
            break;
        }
        if !spaced {
            return Err(GiveUp);
        }
        let name = r.name()?;
        r.skip_space();
        r.expect(b'=')?;
        r.skip_space();
        let value = attr_value(r)?;
        let ok = match (seen.len(), name) {
            (0, "version") => value == "1.0",
            (_, "encoding") if seen.last() == Some(&"version") => {
                value.eq_ignore_ascii_case("utf-8")
            }
            (_, "standalone") if seen.last().is_some_and(|&p| p != "standalone") => {
                value == "yes" || value == "no"
            }
            _ => false,
        };
        if !ok {
            return Err(GiveUp);
        }
        seen.push(name);
    }
    if seen.first() == Some(&"version") {
        Ok(())
    } else {
        Err(GiveUp)
    }
}

/// Misc (comments, PIs, whitespace) in the prolog or after the root; false at a start tag.
fn misc(r: &mut Reader<'_>) -> Res<()> {
    loop {
        r.skip_space();
        if r.starts("<!--") {
            comment(r)?;
        } else if r.starts("<?") {
            processing_instruction(r)?;
        } else {
            return Ok(());
        }
    }
}

/// Reads `xml` as expat does with namespace processing and no DTD, reporting to `handler`.
fn parse(xml: &[u8], handler: &mut impl Handler) -> Res<()> {
    let s = std::str::from_utf8(xml).map_err(|_| GiveUp)?;
    let s = s.strip_prefix('\u{FEFF}').unwrap_or(s);
    let mut r = Reader {
        s,
        b: s.as_bytes(),
        pos: 0,
    };
    declaration(&mut r)?;
    misc(&mut r)?;
    if r.peek() != Some(b'<') || r.starts("<!") {
        return Err(GiveUp); // no root, text before it, or a DOCTYPE (expat and Python decide)
    }
    // Open elements: (raw name, number of namespace bindings they pushed).
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut bindings: Vec<(&str, String)> = Vec::new(); // (prefix, uri); "" = default
    let mut bound = Bound::default();
    let mut text = String::new();
    loop {
        if r.pos >= r.b.len() {
            return Err(GiveUp); // unclosed elements
        }
        if r.b[r.pos] != b'<' {
            if r.b[r.pos] == b'&' {
                text.push(r.reference()?);
            } else {
                r.chars_until_markup(&mut text)?;
            }
            continue;
        }
        let next = r.b.get(r.pos + 1).copied();
        if next == Some(b'!') && r.starts("<![CDATA[") {
            r.pos += 9;
            let end = memchr::memmem::find(&r.b[r.pos..], b"]]>").ok_or(GiveUp)?;
            push_checked(&mut text, &r.s[r.pos..r.pos + end])?;
            r.pos += end + 3;
            continue;
        }
        if !text.is_empty() {
            handler.text(&text);
            text.clear();
        }
        if next == Some(b'!') && r.starts("<!--") {
            comment(&mut r)?;
        } else if next == Some(b'?') {
            processing_instruction(&mut r)?;
        } else if next == Some(b'/') {
            r.pos += 2;
            let name = r.name()?;
            r.skip_space();
            r.expect(b'>')?;
            let (open_name, pushed) = open.pop().ok_or(GiveUp)?;
            if open_name != name {
                return Err(GiveUp);
            }
            handler.end(local(name))?;
            unbind(&mut bindings, &mut bound, pushed);
            if open.is_empty() {
                break;
            }
        } else if next == Some(b'!') {
            return Err(GiveUp);
        } else {
            r.pos += 1;
            let name = r.name()?;
            let mut attrs = Attrs { list: Vec::new() };
            let mut pushed = 0;
            let empty = loop {
                let spaced = r.skip_space();
                match r.peek() {
                    Some(b'>') => {
                        r.pos += 1;
                        break false;
                    }
                    Some(b'/') => {
                        r.pos += 1;
                        r.expect(b'>')?;
                        break true;
                    }
                    _ if !spaced => return Err(GiveUp),
                    _ => {}
                }
                if attrs.list.len() + pushed >= MAX_ATTRIBUTES || bindings.len() >= MAX_BINDINGS {
                    return Err(GiveUp); // the checks below are quadratic: expat hashes
                }
                let attr = r.name()?;
                r.skip_space();
                r.expect(b'=')?;
                r.skip_space();
                let value = attr_value(&mut r)?;
                if attrs.list.iter().any(|(raw, _)| *raw == attr) {
                    return Err(GiveUp);
                }
                let declared = if attr == "xmlns" {
                    Some("")
                } else {
                    attr.strip_prefix("xmlns:")
                };
                if let Some(prefix) = declared {
                    // expat refuses a URI holding the namespace separator (pyexpat: a space)
                    if value == XML_NS
                        || value == XMLNS_NS
                        || value.contains(' ')
                        || prefix.starts_with("xml")
                        || (!prefix.is_empty() && value.is_empty())
                    {
                        return Err(GiveUp);
                    }
                    let this_element = &bindings[bindings.len() - pushed..];
                    if this_element.iter().any(|(p, _)| *p == prefix) {
                        return Err(GiveUp); // a prefix declared twice: a duplicate attribute
                    }
                    bindings.push((prefix, value));
                    bound.add(prefix, 1);
                    pushed += 1;
                } else {
                    attrs.list.push((attr, value));
                }
            };
            check_namespaces(name, &attrs, &bindings, &bound)?;
            handler.start(local(name), &attrs)?;
            if empty {
                handler.end(local(name))?;
                unbind(&mut bindings, &mut bound, pushed);
                if open.is_empty() {
                    break;
                }
            } else {
                open.push((name, pushed));
            }
        }
    }
    misc(&mut r)?;
    if r.pos == r.b.len() {
        Ok(())
    } else {
        Err(GiveUp) // junk after the document element
    }
}

/// Drops the last `pushed` namespace bindings (an element's, at its end).
fn unbind(bindings: &mut Vec<(&str, String)>, bound: &mut Bound, pushed: usize) {
    for (prefix, _) in bindings.drain(bindings.len() - pushed..) {
        bound.add(prefix, -1);
    }
}

/// How many bindings of each prefix are in scope (a prefix packed into a u64: integer
/// compares, no string compares per element); prefixes past 7 bytes are looked up slowly.
#[derive(Default)]
struct Bound {
    counts: Vec<(u64, isize)>,
}

fn packed(prefix: &str) -> Option<u64> {
    let b = prefix.as_bytes();
    if b.len() > 7 {
        return None;
    }
    let mut key = [0u8; 8];
    key[..b.len()].copy_from_slice(b);
    key[7] = b.len() as u8;
    Some(u64::from_le_bytes(key))
}

impl Bound {
    fn add(&mut self, prefix: &str, by: isize) {
        let Some(key) = packed(prefix) else { return };
        match self.counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += by,
            None => self.counts.push((key, by)),
        }
    }

    fn has(&self, prefix: &str, bindings: &[(&str, String)]) -> bool {
        match packed(prefix) {
            Some(key) => self.counts.iter().any(|&(k, n)| k == key && n > 0),
            None => uri_of(prefix, bindings).is_some(),
        }
    }
}

fn split_colon(name: &str) -> Option<(&str, &str)> {
    let at = name.bytes().position(|b| b == b':')?;
    Some((&name[..at], &name[at + 1..]))
}

fn local(name: &str) -> &str {
    split_colon(name).map_or(name, |(_, l)| l)
}

fn uri_of<'b>(prefix: &str, bindings: &'b [(&str, String)]) -> Option<&'b str> {
    bindings
        .iter()
        .rev()
        .find(|(p, _)| *p == prefix)
        .map(|(_, u)| u.as_str())
}

/// Prefixes must be bound (expat: 'unbound prefix'); two attributes may not share a
/// namespace and local name.
fn check_namespaces(
    name: &str,
    attrs: &Attrs<'_>,
    bindings: &[(&str, String)],
    bound: &Bound,
) -> Res<()> {
    let is_bound = |prefix: &str| bound.has(prefix, bindings);
    if let Some((prefix, _)) = split_colon(name) {
        if prefix.starts_with("xml") || !is_bound(prefix) {
            return Err(GiveUp);
        }
    }
    let prefixed = || attrs.list.iter().filter_map(|(raw, _)| split_colon(raw));
    for (prefix, _) in prefixed() {
        if prefix != "xml" && (prefix.starts_with("xml") || !is_bound(prefix)) {
            return Err(GiveUp);
        }
    }
    if prefixed().count() < 2 {
        return Ok(());
    }
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (raw, _) in &attrs.list {
        if let Some((prefix, l)) = split_colon(raw) {
            let uri = if prefix == "xml" {
                XML_NS
            } else if prefix.starts_with("xml") {
                return Err(GiveUp);
            } else {
                uri_of(prefix, bindings).ok_or(GiveUp)?
            };
            if seen.contains(&(uri, l)) {
                return Err(GiveUp);
            }
            seen.push((uri, l));
        }
    }
    Ok(())
}

/// Characters as Python counts them (code points).
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Which part a Collector reads (ooxml.py's text_tags and breaks tables).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Docx,
    Pptx,
    Odf,
    Shared,
}

/// formats/ooxml.py's _Collector.
struct Collector {
    kind: Kind,
    inside: usize,
    out: String,
    size: usize,
}

impl Collector {
    fn new(kind: Kind) -> Self {
        Collector {
            kind,
            inside: 0,
            out: String::new(),
            size: 0,
        }
    }

    /// text_tags ({"t", "delText"} for docx, {"t"} for pptx and shared strings, none for odf).
    fn is_text_tag(&self, local: &str) -> bool {
        match self.kind {
            Kind::Docx => matches!(local, "t" | "delText"),
            Kind::Pptx | Kind::Shared => local == "t",
            Kind::Odf => false,
        }
    }

    /// breaks: _DOCX_BREAKS, _PPTX_BREAKS, _ODF_BREAKS, {"si": "\x00"}.
    fn brk(&self, local: &str) -> Option<&'static str> {
        match (self.kind, local) {
            (Kind::Docx, "p" | "br" | "cr" | "tr") => Some("\n"),
            (Kind::Docx, "tab" | "tc") => Some("\t"),
            (Kind::Pptx, "p" | "br") => Some("\n"),
            (Kind::Odf, "p" | "h" | "line-break" | "table-row" | "list-item") => Some("\n"),
            (Kind::Odf, "tab" | "table-cell") => Some("\t"),
            (Kind::Odf, "s") => Some(" "),
            (Kind::Shared, "si") => Some("\x00"),
            _ => None,
        }
    }
}

/// The elements whose start tag emits a separator (their end tag none).
fn is_self_break(local: &str) -> bool {
    matches!(local, "tab" | "br" | "cr" | "s")
}

impl Handler for Collector {
    fn start(&mut self, local: &str, _: &Attrs<'_>) -> Res<()> {
        if self.is_text_tag(local) {
            self.inside += 1;
        } else if is_self_break(local) {
            self.out.push_str(self.brk(local).unwrap_or(" "));
        }
        Ok(())
    }

    fn end(&mut self, local: &str) -> Res<()> {
        if self.is_text_tag(local) {
            self.inside = self.inside.saturating_sub(1);
        }
        if let Some(sep) = self.brk(local) {
            if !is_self_break(local) {
                self.out.push_str(sep);
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if self.inside > 0 || self.kind == Kind::Odf {
            self.out.push_str(text);
            self.size += chars(text);
        }
    }
}

/// Runs `collector` over `xml`; GiveUp also when the kept text reaches `max_chars` (then
/// which pieces Python keeps depends on how expat splits the character data).
fn collect(xml: &[u8], mut collector: Collector, max_chars: usize) -> Res<String> {
    parse(xml, &mut collector)?;
    if collector.size >= max_chars {
        return Err(GiveUp);
    }
    Ok(collector.out)
}

/// _xml_text of a docx ("docx"), pptx ("pptx") or OpenDocument ("odf") part.
pub fn part_text(kind: &str, xml: &[u8], max_chars: usize) -> Res<String> {
    let collector = match kind {
        "docx" => Collector::new(Kind::Docx),
        "pptx" => Collector::new(Kind::Pptx),
        "odf" => Collector::new(Kind::Odf),
        _ => return Err(GiveUp),
    };
    collect(xml, collector, max_chars)
}

/// _shared_strings: the strings of xl/sharedStrings.xml (with Python's trailing "").
pub fn shared_strings(xml: &[u8], max_chars: usize) -> Res<Vec<String>> {
    let text = collect(xml, Collector::new(Kind::Shared), max_chars)?;
    Ok(text.split('\x00').map(str::to_owned).collect())
}

/// Python's int() of an ASCII string: whitespace around, a sign, digits with single
/// underscores between them.  Ok(None) where int() raises ValueError; GiveUp where this
/// reading may differ from Python's (non-ASCII, a number past i128).
fn py_int(text: &str) -> Res<Option<i128>> {
    if !text.is_ascii() {
        return Err(GiveUp);
    }
    let t = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let b = digits.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() || !b[b.len() - 1].is_ascii_digit() {
        return Ok(None);
    }
    let mut value: i128 = 0;
    let mut last_underscore = false;
    for &c in b {
        if c == b'_' {
            if last_underscore {
                return Ok(None);
            }
            last_underscore = true;
            continue;
        }
        if !c.is_ascii_digit() {
            return Ok(None);
        }
        last_underscore = false;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(c - b'0')))
            .ok_or(GiveUp)?;
    }
    Ok(Some(if negative { -value } else { value }))
}

/// str.isdigit() then int(): Some(n) for ASCII digits, None otherwise; GiveUp for non-ASCII
/// (Python's isdigit takes other digits, and int() some of them).
fn digits_value(text: &str) -> Res<Option<i128>> {
    if !text.is_ascii() {
        return Err(GiveUp);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    py_int(text)
}

/// Built-in number formats that show a date (ooxml.py's _DATE_FORMAT_IDS).
fn is_date_format_id(n: i128) -> bool {
    matches!(n, 14..=17 | 22 | 27..=36 | 50..=58)
}

/// ooxml.is_date_format: quoted text, [..] sections and \x escapes removed, then d or y.
pub fn is_date_format(code: &str) -> bool {
    let c: Vec<char> = code.chars().collect();
    // Once a quote or bracket finds no closing one, none after it will: remembering that keeps
    // this linear (the regex rescans to the end at each one).
    let (mut no_quote, mut no_bracket) = (false, false);
    let mut i = 0;
    while i < c.len() {
        let closing = |open: usize, close: char| c[open + 1..].iter().position(|&x| x == close);
        match c[i] {
            '"' if !no_quote => match closing(i, '"') {
                Some(j) => {
                    i += j + 2;
                    continue;
                }
                None => no_quote = true,
            },
            '[' if !no_bracket => match closing(i, ']') {
                Some(j) => {
                    i += j + 2;
                    continue;
                }
                None => no_bracket = true,
            },
            '\\' if i + 1 < c.len() && c[i + 1] != '\n' => {
                i += 2;
                continue;
            }
            _ => {}
        }
        if matches!(c[i], 'y' | 'Y' | 'd' | 'D') {
            return true;
        }
        i += 1;
    }
    false
}

/// ooxml.py's _StylesCollector.
#[derive(Default)]
struct Styles {
    custom: HashMap<i128, String>,
    in_cell_xfs: bool,
    formats: Vec<i128>,
}

impl Handler for Styles {
    fn start(&mut self, local: &str, attrs: &Attrs<'_>) -> Res<()> {
        if local == "numFmt" {
            if let Some(n) = digits_value(attrs.get("numFmtId").unwrap_or(""))? {
                self.custom
                    .insert(n, attrs.get("formatCode").unwrap_or("").to_owned());
            }
        } else if local == "cellXfs" {
            self.in_cell_xfs = true;
        } else if local == "xf" && self.in_cell_xfs {
            self.formats
                .push(py_int(attrs.get("numFmtId").unwrap_or("0"))?.unwrap_or(0));
        }
        Ok(())
    }

    fn end(&mut self, local: &str) -> Res<()> {
        if local == "cellXfs" {
            self.in_cell_xfs = false;
        }
        Ok(())
    }

    fn text(&mut self, _: &str) {}
}

/// _date_styles: the cellXfs indexes whose number format shows a date, ascending.
pub fn date_styles(xml: &[u8]) -> Res<Vec<usize>> {
    let mut styles = Styles::default();
    parse(xml, &mut styles)?;
    // Each custom code is judged once, however many cell styles use it.
    let dated: HashSet<i128> = styles
        .custom
        .iter()
        .filter(|(_, code)| is_date_format(code))
        .map(|(&n, _)| n)
        .collect();
    Ok(styles
        .formats
        .iter()
        .enumerate()
        .filter(|(_, &n)| is_date_format_id(n) || dated.contains(&n))
        .map(|(i, _)| i)
        .collect())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

const MAX_SERIAL: f64 = 2_958_465.0;

/// ooxml.serial_date: 'dd-mm-yyyy' for a plausible Excel serial; Ok(None) where Python gives
/// None; GiveUp where float() might read the text differently (underscores, non-ASCII).
pub fn serial_date(text: &str, epoch1904: bool) -> Res<Option<String>> {
    if !text.is_ascii() || text.contains('_') {
        return Err(GiveUp);
    }
    let t = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    // Only plain decimals here; inf, nan and anything float() refuses are no date either way.
    let plain = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return Ok(None);
    }
    let Ok(serial) = t.parse::<f64>() else {
        return Ok(None);
    };
    if !(1.0..=MAX_SERIAL).contains(&serial) {
        return Ok(None);
    }
    let epoch = if epoch1904 {
        days_from_civil(1904, 1, 1)
    } else {
        days_from_civil(1899, 12, 30)
    };
    let (y, m, d) = civil_from_days(epoch + serial.trunc() as i64);
    if y > 9999 {
        return Ok(None); // Python: OverflowError
    }
    Ok(Some(format!("{d:02}-{m:02}-{y:04}")))
}

/// ooxml.py's _SheetCollector.
struct Sheet<'s> {
    shared: &'s [String],
    date_styles: &'s HashSet<usize>,
    epoch1904: bool,
    out: String,
    size: usize,
    kind: String,
    dated: bool,
    value: Option<String>,
}

impl Handler for Sheet<'_> {
    fn start(&mut self, local: &str, attrs: &Attrs<'_>) -> Res<()> {
        if local == "c" {
            self.kind = attrs.get("t").unwrap_or("").to_owned();
            let style = attrs.get("s").unwrap_or("");
            self.dated = !self.date_styles.is_empty()
                && digits_value(style)?.is_some_and(|n| {
                    usize::try_from(n).is_ok_and(|n| self.date_styles.contains(&n))
                });
        } else if local == "v" || local == "t" {
            self.value = Some(String::new());
        }
        Ok(())
    }

    fn end(&mut self, local: &str) -> Res<()> {
        if local == "v" || local == "t" {
            if let Some(mut text) = self.value.take() {
                if self.kind == "s" && local == "v" {
                    text = match py_int(&text)? {
                        Some(i) => {
                            let len = self.shared.len() as i128;
                            let at = if i < 0 { i + len } else { i };
                            if (0..len).contains(&at) {
                                self.shared[at as usize].clone()
                            } else {
                                String::new()
                            }
                        }
                        None => String::new(),
                    };
                } else if self.dated && local == "v" && (self.kind.is_empty() || self.kind == "n") {
                    if let Some(day) = serial_date(&text, self.epoch1904)? {
                        text = format!("{text} {day}");
                    }
                }
                self.size += chars(&text);
                self.out.push_str(&text);
            }
        } else if local == "c" {
            self.out.push('\t');
        } else if local == "row" {
            self.out.push('\n');
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(value) = self.value.as_mut() {
            value.push_str(text);
        }
    }
}

/// _sheet_text of one worksheet.
pub fn sheet_text(
    xml: &[u8],
    shared: &[String],
    max_chars: usize,
    date_styles: &HashSet<usize>,
    epoch1904: bool,
) -> Res<String> {
    let mut sheet = Sheet {
        shared,
        date_styles,
        epoch1904,
        out: String::new(),
        size: 0,
        kind: String::new(),
        dated: false,
        value: None,
    };
    parse(xml, &mut sheet)?;
    if sheet.size >= max_chars {
        return Err(GiveUp);
    }
    Ok(sheet.out)
}

/// One central directory entry, as zipfile's ZipInfo has it.
struct Member<'a> {
    name: &'a str,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    offset: usize,
}

fn u16_at(b: &[u8], at: usize) -> Res<u16> {
    Ok(u16::from_le_bytes(
        b.get(at..at + 2)
            .ok_or(GiveUp)?
            .try_into()
            .map_err(|_| GiveUp)?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Res<u32> {
    Ok(u32::from_le_bytes(
        b.get(at..at + 4)
            .ok_or(GiveUp)?
            .try_into()
            .map_err(|_| GiveUp)?,
    ))
}

/// The central directory of `data` where zipfile reads it the plain way: the end record at
/// the very end (no comment), no zip64, nothing prepended, ASCII names without NUL, well-formed
/// extra fields; anything else is GiveUp (zipfile decides, and names the damage).
fn central_directory(data: &[u8]) -> Res<Vec<Member<'_>>> {
    let end = data.len().checked_sub(22).ok_or(GiveUp)?;
    if &data[end..end + 4] != b"PK\x05\x06" || u16_at(data, end + 20)? != 0 {
        return Err(GiveUp);
    }
    if end >= 20 && &data[end - 20..end - 16] == b"PK\x06\x07" {
        return Err(GiveUp); // zip64
    }
    let size = u32_at(data, end + 12)? as usize;
    let offset = u32_at(data, end + 16)? as usize;
    if offset.checked_add(size) != Some(end) {
        return Err(GiveUp); // data before the archive, or a directory not where it says
    }
    let directory = &data[offset..end];
    let mut members = Vec::new();
    let mut at = 0;
    while at < directory.len() {
        let entry = directory.get(at..at + 46).ok_or(GiveUp)?;
        if &entry[..4] != b"PK\x01\x02" || entry[6] > 63 {
            return Err(GiveUp);
        }
        let (name_len, extra_len, comment_len) = (
            u16_at(entry, 28)? as usize,
            u16_at(entry, 30)? as usize,
            u16_at(entry, 32)? as usize,
        );
        let name_at = at + 46;
        let name = directory.get(name_at..name_at + name_len).ok_or(GiveUp)?;
        if !name.is_ascii() || name.contains(&0) {
            return Err(GiveUp);
        }
        let mut extra = directory
            .get(name_at + name_len..name_at + name_len + extra_len)
            .ok_or(GiveUp)?;
        while extra.len() >= 4 {
            let (kind, len) = (u16_at(extra, 0)?, u16_at(extra, 2)? as usize);
            if kind == 1 || len + 4 > extra.len() {
                return Err(GiveUp); // zip64 sizes, or a corrupt extra field
            }
            extra = &extra[len + 4..];
        }
        at = name_at + name_len + extra_len + comment_len;
        if at > directory.len() {
            return Err(GiveUp);
        }
        let (compressed, size, header) =
            (u32_at(entry, 20)?, u32_at(entry, 24)?, u32_at(entry, 42)?);
        if [compressed, size, header].contains(&u32::MAX) {
            return Err(GiveUp);
        }
        members.push(Member {
            name: std::str::from_utf8(name).map_err(|_| GiveUp)?,
            flags: u16_at(entry, 8)?,
            method: u16_at(entry, 10)?,
            crc: u32_at(entry, 16)?,
            compressed: compressed as usize,
            size: size as usize,
            offset: header as usize,
        });
    }
    Ok(members)
}

/// The bytes of `member` when zipfile would read exactly these: not encrypted or patched,
/// the local header's name the same, stored or deflated, the stream ending at the compressed
/// size with the declared size and CRC, at most `cap` bytes.  GiveUp otherwise.
fn read_member(data: &[u8], member: &Member<'_>, cap: usize) -> Res<Vec<u8>> {
    if member.flags & (0x1 | 0x20 | 0x40) != 0 || member.size > cap {
        return Err(GiveUp);
    }
    let header = data.get(member.offset..member.offset + 30).ok_or(GiveUp)?;
    if &header[..4] != b"PK\x03\x04" {
        return Err(GiveUp);
    }
    let name_at = member.offset + 30;
    let name_len = u16_at(header, 26)? as usize;
    if data.get(name_at..name_at + name_len) != Some(member.name.as_bytes()) {
        return Err(GiveUp);
    }
    let start = name_at + name_len + u16_at(header, 28)? as usize;
    let stream = data.get(start..start + member.compressed).ok_or(GiveUp)?;
    let content = match member.method {
        0 if member.compressed == member.size => stream.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(member.size + 1);
            let mut inflate = flate2::Decompress::new(false);
            let status = inflate
                .decompress_vec(stream, &mut out, flate2::FlushDecompress::Finish)
                .map_err(|_| GiveUp)?;
            if status != flate2::Status::StreamEnd || inflate.total_in() != stream.len() as u64 {
                return Err(GiveUp);
            }
            out
        }
        _ => return Err(GiveUp), // bzip2, lzma, others: zipfile reads or refuses them
    };
    if content.len() != member.size || crc32fast::hash(&content) != member.crc {
        return Err(GiveUp);
    }
    Ok(content)
}

/// ooxml.py's _DATE1904 (`date1904\s*=\s*["'](?:1|true)["']`) on the workbook's bytes.
fn date1904(workbook: &[u8]) -> bool {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    memchr::memmem::find_iter(workbook, b"date1904").any(|at| {
        let mut rest = &workbook[at + 8..];
        while rest.first().is_some_and(space) {
            rest = &rest[1..];
        }
        let Some(rest) = rest.strip_prefix(b"=") else {
            return false;
        };
        let mut rest = rest;
        while rest.first().is_some_and(space) {
            rest = &rest[1..];
        }
        let Some((&quote, rest)) = rest.split_first() else {
            return false;
        };
        if quote != b'"' && quote != b'\'' {
            return false;
        }
        let rest = rest
            .strip_prefix(b"1")
            .or_else(|| rest.strip_prefix(b"true"));
        rest.and_then(|r| r.first())
            .is_some_and(|&q| q == b'"' || q == b'\'')
    })
}

/// office_text of the zip `data` as leaf._zip reads it, with each member capped at `cap`
/// bytes: the text and the bytes read per member, in order (the caller checks them against
/// the decompression budget).  GiveUp wherever the Python path might answer otherwise.
pub fn document_text(data: &[u8], cap: usize, max_chars: usize) -> Res<(String, Vec<usize>)> {
    let members = central_directory(data)?;
    let mut by_name: HashMap<&str, &Member<'_>> = HashMap::new();
    for member in &members {
        by_name.insert(member.name, member);
    }
    let mut spent = Vec::new();
    let mut read = |name: &str| -> Res<Vec<u8>> {
        let content = read_member(data, by_name.get(name).ok_or(GiveUp)?, cap)?;
        spent.push(content.len());
        Ok(content)
    };
    let sorted = |pattern: fn(&str) -> bool| {
        let mut names: Vec<&str> = by_name.keys().copied().filter(|n| pattern(n)).collect();
        names.sort_unstable();
        names
    };
    let has = |name: &str| by_name.contains_key(name);
    let mut texts: Vec<String> = Vec::new();
    if has("word/document.xml") {
        for name in sorted(is_docx_part) {
            texts.push(part_text("docx", &read(name)?, max_chars)?);
        }
    } else if has("xl/workbook.xml") {
        let shared = if has("xl/sharedStrings.xml") {
            shared_strings(&read("xl/sharedStrings.xml")?, max_chars)?
        } else {
            Vec::new()
        };
        let styles: HashSet<usize> = if has("xl/styles.xml") {
            date_styles(&read("xl/styles.xml")?)?.into_iter().collect()
        } else {
            HashSet::new()
        };
        let epoch1904 = date1904(&read("xl/workbook.xml")?);
        for name in sorted(is_sheet) {
            texts.push(sheet_text(
                &read(name)?,
                &shared,
                max_chars,
                &styles,
                epoch1904,
            )?);
        }
    } else if has("ppt/presentation.xml") {
        for name in sorted(is_slide) {
            texts.push(part_text("pptx", &read(name)?, max_chars)?);
        }
    } else if has("content.xml") && has("mimetype") {
        texts.push(part_text("odf", &read("content.xml")?, max_chars)?);
    } else {
        return Err(GiveUp); // not an office document: walk_zip reads it
    }
    Ok((texts.join("\n"), spent))
}

/// `prefix` + digits (`\d+`, ASCII names only here) + `suffix`, the whole name.
fn numbered(name: &str, prefix: &str, suffix: &str, digits_required: bool) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|d| {
            (!digits_required || !d.is_empty()) && d.bytes().all(|b| b.is_ascii_digit())
        })
}

/// ooxml._DOCX_PARTS: word/(document|header\d*|footer\d*|footnotes|endnotes|comments).xml
fn is_docx_part(name: &str) -> bool {
    matches!(
        name,
        "word/document.xml" | "word/footnotes.xml" | "word/endnotes.xml" | "word/comments.xml"
    ) || numbered(name, "word/header", ".xml", false)
        || numbered(name, "word/footer", ".xml", false)
}

/// ooxml._SHEET: xl/worksheets/sheet\d+.xml
fn is_sheet(name: &str) -> bool {
    numbered(name, "xl/worksheets/sheet", ".xml", true)
}

/// ooxml._SLIDE: ppt/(slides/slide|notesSlides/notesSlide)\d+.xml
fn is_slide(name: &str) -> bool {
    numbered(name, "ppt/slides/slide", ".xml", true)
        || numbered(name, "ppt/notesSlides/notesSlide", ".xml", true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_runs_and_breaks() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t xml:space="preserve">a &amp; </w:t></w:r><w:r><w:tab/><w:t>b</w:t></w:r></w:p></w:body></w:document>"#;
        assert_eq!(part_text("docx", xml, 1000), Ok("a & \tb\n".to_owned()));
    }

    #[test]
    fn doctype_unbound_prefix_and_entities_give_up() {
        assert_eq!(part_text("docx", b"<!DOCTYPE a><a/>", 100), Err(GiveUp));
        assert_eq!(part_text("docx", b"<w:a/>", 100), Err(GiveUp));
        assert_eq!(part_text("docx", b"<a>&nbsp;</a>", 100), Err(GiveUp));
        assert_eq!(part_text("docx", b"<a>&#0;</a>", 100), Err(GiveUp));
        assert_eq!(part_text("docx", b"<a></b>", 100), Err(GiveUp));
        assert_eq!(part_text("docx", b"<a/>x", 100), Err(GiveUp));
    }

    #[test]
    fn serial_dates() {
        assert_eq!(
            serial_date("40980", false),
            Ok(Some("12-03-2012".to_owned()))
        );
        assert_eq!(serial_date("0", false), Ok(None));
        assert_eq!(serial_date("2958465", true), Ok(None));
        assert_eq!(serial_date("1_0", false), Err(GiveUp));
    }

    #[test]
    fn date_format_codes() {
        assert!(is_date_format("dd-mm-yyyy"));
        assert!(!is_date_format("\"day\" 0.00"));
        assert!(!is_date_format("[Red]0"));
        assert!(!is_date_format("\\d0"));
    }
}

/// The Python functions (registered by lib.rs); each returns None where the Python code
/// must read the part.
pub mod py {
    use std::collections::HashSet;

    use pyo3::prelude::*;
    use pyo3::types::PyBytes;

    use crate::guarded;

    /// The text of a docx/pptx/odf XML part ("docx", "pptx", "odf"), or None.
    #[pyfunction]
    fn office_part_text(
        py: Python<'_>,
        kind: &str,
        xml: &Bound<'_, PyBytes>,
        max_chars: usize,
    ) -> PyResult<Option<String>> {
        let xml = xml.as_bytes();
        guarded(py, || super::part_text(kind, xml, max_chars).ok())
    }

    /// The shared strings of xl/sharedStrings.xml (with the trailing ""), or None.
    #[pyfunction]
    fn office_shared_strings(
        py: Python<'_>,
        xml: &Bound<'_, PyBytes>,
        max_chars: usize,
    ) -> PyResult<Option<Vec<String>>> {
        let xml = xml.as_bytes();
        guarded(py, || super::shared_strings(xml, max_chars).ok())
    }

    /// The cellXfs indexes of xl/styles.xml that show dates, or None.
    #[pyfunction]
    fn office_date_styles(
        py: Python<'_>,
        xml: &Bound<'_, PyBytes>,
    ) -> PyResult<Option<Vec<usize>>> {
        let xml = xml.as_bytes();
        guarded(py, || super::date_styles(xml).ok())
    }

    /// The text of one worksheet, or None.
    #[pyfunction]
    fn office_sheet_text(
        py: Python<'_>,
        xml: &Bound<'_, PyBytes>,
        shared: Vec<String>,
        max_chars: usize,
        date_styles: HashSet<usize>,
        epoch1904: bool,
    ) -> PyResult<Option<String>> {
        let xml = xml.as_bytes();
        guarded(py, || {
            super::sheet_text(xml, &shared, max_chars, &date_styles, epoch1904).ok()
        })
    }

    /// office_text of an office document's zip bytes, each member capped at `cap` bytes:
    /// (text, bytes read per member), or None (then the Python code reads the zip).
    #[pyfunction]
    fn office_zip_text(
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        cap: usize,
        max_chars: usize,
    ) -> PyResult<Option<(String, Vec<usize>)>> {
        let data = data.as_bytes();
        guarded(py, || super::document_text(data, cap, max_chars).ok())
    }

    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(office_zip_text, m)?)?;
        m.add_function(wrap_pyfunction!(office_part_text, m)?)?;
        m.add_function(wrap_pyfunction!(office_shared_strings, m)?)?;
        m.add_function(wrap_pyfunction!(office_date_styles, m)?)?;
        m.add_function(wrap_pyfunction!(office_sheet_text, m)?)?;
        Ok(())
    }
}
