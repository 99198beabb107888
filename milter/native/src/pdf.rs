//! pdf -- the text of simple PDFs as milter/content/formats/pdf_simple.py reads them:
//! `simple_pdf_text`, answer for answer (the same text page by page, the same cut, the same
//! per-page character counts, None where the Python reader says "not simple").
//!
//! It is a line-by-line port of pdf_simple.py (read that module for what "simple" means): the
//! same object headers found without the cross-reference table, the same tokenizer, the same
//! order of reads and decodes (so the same inflate budget is spent in the same order), the same
//! page tree walk and text operators, with Python's own value rules where they are odd (a
//! boolean is an integer, an operator compares equal to a name of the same spelling, NUL in a
//! string is kept).
//!
//! Where the Python answer depends on something this port does not model, it says `NotMine`
//! and the Python reader runs: an integer past 18 digits, a comment running to the end of the
//! data (the Python regex backtracks into it), a vertical tab in a hex string or a token that
//! ends in R, nesting or reference chains deep enough to reach Python's recursion limit, a
//! Flate stream that is truncated, damaged or has an unusual header (zlib, not miniz, decides
//! those), a negative character limit.
//!
//! Decompression: miniz_oxide's non-wrapping inflater (it refuses a distance too far back, as
//! zlib does) with the Python code's cap: a stream that would inflate past what is left of
//! `max_inflated` stops there and the document is not simple.
//!
//! Refuses: nothing itself; every document gets the Python answer or `NotMine`.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use memchr::memmem;

/// How a read ends when it does not give text.
#[derive(Debug)]
pub enum Stop {
    /// pdf_simple.py returns None (NotSimple, or an exception it catches).
    Refuse,
    /// The Python reader decides (this port does not model the case).
    NotMine,
    /// The time budget ran out inside a page: the text read of it.
    OutOfTime(String),
}

type R<T> = Result<T, Stop>;

/// simple_pdf_text's answer: (text, cut, characters other than white space per page).
pub enum Outcome {
    Text(String, Option<&'static str>, Vec<usize>),
    /// None, with the per-page counts made before the refusal (as the Python list has them).
    Refuse(Vec<usize>),
    NotMine,
}

pub const TIME_CUT: &str = "pdf time budget exceeded";
pub const SIZE_CUT: &str = "max_total_bytes exceeded";
const CHECK_EVERY: u32 = 8192;
const TJ_SPACE: f64 = -200.0;
/// Past these depths Python's recursion limit could decide: NotMine.
const MAX_NESTING: u32 = 200;
const MAX_GET_DEPTH: u32 = 32;
/// Digits of an integer that i64 holds whatever they are.
const MAX_INT_DIGITS: usize = 18;

/// The clock of the time budget: the real one, or (for the tests) one that ticks once per
/// look, as a Python clock of `itertools.count()` does.
pub enum Clock {
    Real { start: Instant, budget: f64 },
    Ticks { next: u64, deadline: f64 },
}

impl Clock {
    fn out(&mut self) -> bool {
        match self {
            Clock::Real { start, budget } => start.elapsed().as_secs_f64() > *budget,
            Clock::Ticks { next, deadline } => {
                let now = *next as f64;
                *next += 1;
                now > *deadline
            }
        }
    }
}

type Dict = Vec<(Rc<[u8]>, V)>;

#[derive(Clone, Debug)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(Rc<[u8]>),
    Name(Rc<[u8]>),
    Op(Rc<[u8]>),
    Array(Rc<Vec<V>>),
    Dict(Rc<Dict>),
    Ref(i64),
    Stream(Rc<Stream>),
}

#[derive(Debug)]
struct Stream {
    dict: Rc<Dict>,
    start: usize,
    end: usize,
    decoded: std::cell::RefCell<Option<Rc<Vec<u8>>>>,
}

fn lookup<'d>(dict: &'d Dict, key: &str) -> Option<&'d V> {
    dict.iter()
        .rev()
        .find(|(k, _)| &**k == key.as_bytes())
        .map(|(_, v)| v)
}

fn has(dict: &Dict, key: &str) -> bool {
    dict.iter().any(|(k, _)| &**k == key.as_bytes())
}

fn get_or_null(dict: &Dict, key: &str) -> V {
    lookup(dict, key).cloned().unwrap_or(V::Null)
}

impl V {
    /// `value == "text"` in Python: a Name or an Op (both str) of that spelling.
    fn is(&self, text: &str) -> bool {
        match self {
            V::Name(s) | V::Op(s) => &**s == text.as_bytes(),
            _ => false,
        }
    }

    /// `isinstance(value, int)`: booleans are integers.
    fn as_int(&self) -> Option<i64> {
        match self {
            V::Int(n) => Some(*n),
            V::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// `isinstance(value, int | float)`, as a float.
    fn as_number(&self) -> Option<f64> {
        match self {
            V::Int(n) => Some(*n as f64),
            V::Bool(b) => Some(*b as i64 as f64),
            V::Real(f) => Some(*f),
            _ => None,
        }
    }

    /// Python's truth value.
    fn truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Int(n) => *n != 0,
            V::Real(f) => *f != 0.0,
            V::Str(s) | V::Name(s) | V::Op(s) => !s.is_empty(),
            V::Array(a) => !a.is_empty(),
            V::Dict(d) => !d.is_empty(),
            V::Ref(_) | V::Stream(_) => true,
        }
    }
}

/// White space of the PDF tokenizer (`[ \t\r\n\f\x00]`).
#[inline]
fn ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0c | 0)
}

/// White space or a delimiter: what ends a regular token.
#[inline]
fn delim(b: u8) -> bool {
    ws(b)
        || matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
        )
}

/// Python's bytes.isspace / bytes.strip white space.
#[inline]
fn py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// What a token is read as (pdf_simple._Reader.value): an operator without allocating.
enum Parsed<'t> {
    Op(&'t [u8]),
    V(V),
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Reader { data, pos }
    }

    /// The next token (`_TOKEN`), None at the end.
    fn token(&mut self) -> R<Option<&'a [u8]>> {
        let data = self.data;
        let size = data.len();
        let mut pos = self.pos;
        let mut comment = false;
        while pos < size {
            let b = data[pos];
            if ws(b) {
                pos += 1;
            } else if b == b'%' {
                comment = true;
                pos += 1;
                while pos < size && data[pos] != b'\r' && data[pos] != b'\n' {
                    pos += 1;
                }
            } else {
                break;
            }
        }
        if pos >= size {
            // The regex backtracks into a comment that runs to the end and finds a token in
            // it: not modelled.
            return if comment {
                Err(Stop::NotMine)
            } else {
                Ok(None)
            };
        }
        let start = pos;
        let b = data[pos];
        let end = match b {
            b'0'..=b'9' => match ref_end(data, pos) {
                Some(end) => end,
                None => regular_end(data, pos),
            },
            b'<' | b'>' => {
                if data.get(pos + 1) == Some(&b) {
                    pos + 2
                } else {
                    pos + 1
                }
            }
            b'[' | b']' | b'(' | b')' | b'{' | b'}' => pos + 1,
            b'/' => regular_end(data, pos + 1),
            _ => regular_end(data, pos),
        };
        self.pos = end;
        Ok(Some(&data[start..end]))
    }

    fn value(&mut self, depth: u32) -> R<V> {
        let token = self.token()?.ok_or(Stop::Refuse)?;
        self.value_of(token, depth)
    }

    fn value_of(&mut self, token: &'a [u8], depth: u32) -> R<V> {
        Ok(match self.parse(token, depth)? {
            Parsed::Op(op) => V::Op(Rc::from(op)),
            Parsed::V(v) => v,
        })
    }

    fn parse(&mut self, token: &'a [u8], depth: u32) -> R<Parsed<'a>> {
        if depth > MAX_NESTING {
            return Err(Stop::NotMine);
        }
        let first = token[0];
        if first == b'/' {
            return Ok(Parsed::V(V::Name(name(token))));
        }
        if token.iter().all(u8::is_ascii_digit) {
            return Ok(Parsed::V(V::Int(int(token)?)));
        }
        match token {
            b"<<" => {
                let mut dict: Dict = Vec::new();
                loop {
                    let key = self.token()?.ok_or(Stop::Refuse)?;
                    if key == b">>" {
                        return Ok(Parsed::V(V::Dict(Rc::new(dict))));
                    }
                    if key[0] != b'/' {
                        return Err(Stop::Refuse);
                    }
                    let item = self.token()?.ok_or(Stop::Refuse)?;
                    let value = self.value_of(item, depth + 1)?;
                    dict.push((name(key), value));
                }
            }
            b"[" => {
                let mut items = Vec::new();
                loop {
                    let item = self.token()?.ok_or(Stop::Refuse)?;
                    if item == b"]" {
                        return Ok(Parsed::V(V::Array(Rc::new(items))));
                    }
                    items.push(self.value_of(item, depth + 1)?);
                }
            }
            b"(" => {
                let (text, pos) = literal(self.data, self.pos)?;
                self.pos = pos;
                return Ok(Parsed::V(V::Str(Rc::from(text))));
            }
            b"<" => {
                let close = memchr::memchr(b'>', &self.data[self.pos..]).ok_or(Stop::Refuse)?;
                let raw = &self.data[self.pos..self.pos + close];
                self.pos += close + 1;
                return Ok(Parsed::V(V::Str(Rc::from(hex(raw)?))));
            }
            _ => {}
        }
        if is_number(token) {
            let text = std::str::from_utf8(token).map_err(|_| Stop::NotMine)?;
            return Ok(Parsed::V(V::Real(text.parse().map_err(|_| Stop::NotMine)?)));
        }
        if token[token.len() - 1] == b'R' && first.is_ascii_digit() {
            // Ref(int(token.split()[0])): the first digits, when bytes.split() ends them there.
            if token.contains(&0x0b) {
                return Err(Stop::NotMine);
            }
            let digits = token.iter().take_while(|b| b.is_ascii_digit()).count();
            return match token.get(digits) {
                Some(&b) if py_space(b) => Ok(Parsed::V(V::Ref(int(&token[..digits])?))),
                _ => Err(Stop::Refuse), // int() of '12R', '12\x00...': ValueError
            };
        }
        Ok(match token {
            b"true" => Parsed::V(V::Bool(true)),
            b"false" => Parsed::V(V::Bool(false)),
            b"null" => Parsed::V(V::Null),
            b"]" | b">>" | b")" | b">" | b"{" | b"}" => return Err(Stop::Refuse),
            _ => Parsed::Op(token),
        })
    }
}

/// The end of `\d+ ws+ \d+ ws+ R` at `pos` when a delimiter (or the end) follows it.
fn ref_end(data: &[u8], pos: usize) -> Option<usize> {
    let digits = |mut at: usize| {
        let from = at;
        while at < data.len() && data[at].is_ascii_digit() {
            at += 1;
        }
        (at > from).then_some(at)
    };
    let spaces = |mut at: usize| {
        let from = at;
        while at < data.len() && ws(data[at]) {
            at += 1;
        }
        (at > from).then_some(at)
    };
    let at = spaces(digits(pos)?)?;
    let at = spaces(digits(at)?)?;
    if data.get(at) != Some(&b'R') {
        return None;
    }
    match data.get(at + 1) {
        Some(&b) if !delim(b) => None,
        _ => Some(at + 1),
    }
}

fn regular_end(data: &[u8], mut pos: usize) -> usize {
    while pos < data.len() && !delim(data[pos]) {
        pos += 1;
    }
    pos
}

fn int(digits: &[u8]) -> R<i64> {
    if digits.len() > MAX_INT_DIGITS {
        return Err(Stop::NotMine);
    }
    Ok(digits
        .iter()
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// `[+-]?(?:\d+\.?\d*|\.\d+)` and nothing more.
fn is_number(token: &[u8]) -> bool {
    let body = match token[0] {
        b'+' | b'-' => &token[1..],
        _ => token,
    };
    let int_digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = &body[int_digits..];
    if int_digits > 0 {
        match rest.split_first() {
            None => true,
            Some((b'.', frac)) => frac.iter().all(u8::is_ascii_digit),
            _ => false,
        }
    } else {
        match rest.split_first() {
            Some((b'.', frac)) => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
            _ => false,
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The name a `/...` token spells, `#xx` escapes undone.
fn name(token: &[u8]) -> Rc<[u8]> {
    let body = &token[1..];
    if !body.contains(&b'#') {
        return Rc::from(body);
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'#' {
            if let (Some(hi), Some(lo)) = (
                body.get(i + 1).and_then(|&b| hex_value(b)),
                body.get(i + 2).and_then(|&b| hex_value(b)),
            ) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    Rc::from(out)
}

/// A hex string's bytes (`<...>`), as bytes.fromhex reads the digits without white space.
fn hex(raw: &[u8]) -> R<Vec<u8>> {
    let digits: Vec<u8> = raw.iter().copied().filter(|&b| !ws(b)).collect();
    if digits.contains(&0x0b) {
        return Err(Stop::NotMine); // fromhex skips it between pairs only
    }
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    for pair in digits.chunks(2) {
        let hi = hex_value(pair[0]).ok_or(Stop::Refuse)?;
        let lo = match pair.get(1) {
            Some(&b) => hex_value(b).ok_or(Stop::Refuse)?,
            None => 0,
        };
        out.push(hi * 16 + lo);
    }
    Ok(out)
}

/// The literal string after '(' at `pos`, and the position after its ')'.
fn literal(data: &[u8], mut pos: usize) -> R<(Vec<u8>, usize)> {
    let close = pos + memchr::memchr(b')', &data[pos..]).ok_or(Stop::Refuse)?;
    let chunk = &data[pos..close];
    if !chunk.contains(&b'\\') && !chunk.contains(&b'(') {
        return Ok((chunk.to_vec(), close + 1));
    }
    let mut out = Vec::with_capacity(chunk.len());
    let mut depth = 1;
    let size = data.len();
    loop {
        let at = pos + memchr::memchr3(b'(', b')', b'\\', &data[pos..]).ok_or(Stop::Refuse)?;
        out.extend_from_slice(&data[pos..at]);
        let byte = data[at];
        pos = at + 1;
        if byte == b'(' {
            depth += 1;
            out.push(b'(');
        } else if byte == b')' {
            depth -= 1;
            if depth == 0 {
                return Ok((out, pos));
            }
            out.push(b')');
        } else if pos < size {
            let next = data[pos];
            if (b'0'..=b'7').contains(&next) {
                let mut end = pos;
                let mut code: u32 = 0;
                while end < size && end - pos < 3 && (b'0'..=b'7').contains(&data[end]) {
                    code = code * 8 + u32::from(data[end] - b'0');
                    end += 1;
                }
                out.push((code & 0xff) as u8);
                pos = end;
            } else if next == b'\r' {
                pos += if data.get(pos + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
            } else if next == b'\n' {
                pos += 1;
            } else {
                out.push(match next {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    other => other,
                });
                pos += 1;
            }
        }
    }
}

/// base64.a85decode of the stream data (up to '~>', PDF white space dropped).
fn ascii85(raw: &[u8]) -> R<Vec<u8>> {
    let body = match memmem::find(raw, b"~>") {
        Some(end) => &raw[..end],
        None => raw,
    };
    let mut out = Vec::with_capacity(body.len() / 5 * 4 + 4);
    let mut group: Vec<u8> = Vec::with_capacity(5);
    for &x in body.iter().filter(|&&b| !ws(b)).chain(b"uuuu".iter()) {
        if (b'!'..=b'u').contains(&x) {
            group.push(x);
            if group.len() == 5 {
                let acc = group
                    .iter()
                    .fold(0u64, |acc, &c| 85 * acc + u64::from(c - 33));
                if acc > u64::from(u32::MAX) {
                    return Err(Stop::Refuse);
                }
                out.extend_from_slice(&(acc as u32).to_be_bytes());
                group.clear();
            }
        } else if x == b'z' {
            if !group.is_empty() {
                return Err(Stop::Refuse);
            }
            out.extend_from_slice(&[0; 4]);
        } else if matches!(x, b' ' | b'\t' | b'\n' | b'\r' | 0x0b) {
            continue;
        } else {
            return Err(Stop::Refuse);
        }
    }
    let padding = 4 - group.len();
    if padding > 0 {
        out.truncate(out.len().saturating_sub(padding));
    }
    Ok(out)
}

/// `'N G'` before an `obj` keyword at `at` (`_OBJ_NUMBERS` searched in the 24 bytes before it).
fn header_number(data: &[u8], at: usize) -> Option<i64> {
    let low = at.saturating_sub(24);
    let back = |mut i: usize, test: fn(u8) -> bool| {
        while i > low && test(data[i - 1]) {
            i -= 1;
        }
        i
    };
    let digit = |b: u8| b.is_ascii_digit();
    let gen_end = back(at, ws);
    if gen_end == at {
        return None;
    }
    let gen_start = back(gen_end, digit);
    if gen_start == gen_end || gen_end - gen_start > 5 {
        return None;
    }
    let number_end = back(gen_start, ws);
    if number_end == gen_start {
        return None;
    }
    let number_start = back(number_end, digit);
    let len = number_end - number_start;
    if len == 0 || len > 10 || (number_start > 0 && data[number_start - 1].is_ascii_digit()) {
        return None;
    }
    int(&data[number_start..number_end]).ok()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Document<'a> {
    data: &'a [u8],
    inflate_left: i64,
    order: Vec<(i64, usize)>,
    spans: HashMap<i64, usize>,
    objects: HashMap<i64, V>,
    in_streams: HashMap<i64, (i64, i64)>,
    reading: HashSet<i64>,
    depth: u32,
}

impl<'a> Document<'a> {
    fn new(data: &'a [u8], max_inflated: i64) -> R<Self> {
        let mut order = Vec::new();
        let mut spans = HashMap::new();
        for at in memmem::find_iter(data, b"obj") {
            let pos = at + 3;
            if pos < data.len() && is_word(data[pos]) {
                continue;
            }
            if let Some(number) = header_number(data, at) {
                if spans.insert(number, pos).is_some() {
                    return Err(Stop::Refuse); // an object defined twice
                }
                order.push((number, pos));
            }
        }
        Ok(Document {
            data,
            inflate_left: max_inflated,
            order,
            spans,
            objects: HashMap::new(),
            in_streams: HashMap::new(),
            reading: HashSet::new(),
            depth: 0,
        })
    }

    fn get(&mut self, value: &V) -> R<V> {
        let V::Ref(number) = *value else {
            return Ok(value.clone());
        };
        if let Some(found) = self.objects.get(&number) {
            return Ok(found.clone());
        }
        if !self.reading.insert(number) {
            return Err(Stop::Refuse); // Python recurses until RecursionError
        }
        self.depth += 1;
        let found = if self.depth > MAX_GET_DEPTH {
            Err(Stop::NotMine)
        } else if let Some(&pos) = self.spans.get(&number) {
            self.read(pos)
        } else if self.in_streams.contains_key(&number) {
            self.in_object_stream(number)
        } else {
            Err(Stop::Refuse)
        };
        self.depth -= 1;
        self.reading.remove(&number);
        let found = found?;
        self.objects.insert(number, found.clone());
        Ok(found)
    }

    fn read(&mut self, pos: usize) -> R<V> {
        let data = self.data;
        let mut reader = Reader::new(data, pos);
        let found = reader.value(0)?;
        let V::Dict(dict) = &found else {
            return Ok(found);
        };
        if reader.token()? != Some(b"stream".as_slice()) {
            return Ok(found);
        }
        let mut start = reader.pos;
        if data[start..].starts_with(b"\r\n") {
            start += 2;
        } else if matches!(data.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        let length = self.get(&get_or_null(dict, "Length"))?;
        let mut end = None;
        if let Some(length) = length.as_int().filter(|&n| n >= 0) {
            let at = start.saturating_add(length as usize).min(data.len());
            let tail = &data[at..(at + 32).min(data.len())];
            let skip = tail.iter().take_while(|&&b| py_space(b)).count();
            if tail[skip..].starts_with(b"endstream") {
                end = Some(at);
            }
        }
        let end = match end {
            Some(end) => end,
            None => start + memmem::find(&data[start..], b"endstream").ok_or(Stop::Refuse)?,
        };
        Ok(V::Stream(Rc::new(Stream {
            dict: dict.clone(),
            start,
            end,
            decoded: Default::default(),
        })))
    }

    fn scan_object_streams(&mut self) -> R<()> {
        let data = self.data;
        for (number, span) in self.order.clone() {
            let head = &data[span..(span + 256).min(data.len())];
            if memmem::find(head, b"/ObjStm").is_none() {
                continue;
            }
            let V::Stream(stream) = self.get(&V::Ref(number))? else {
                continue;
            };
            if !get_or_null(&stream.dict, "Type").is("ObjStm") {
                continue;
            }
            let count = get_or_null(&stream.dict, "N").as_int();
            let Some(count) = count.filter(|&n| n >= 0) else {
                return Err(Stop::Refuse);
            };
            let decoded = self.decode(&stream)?;
            let mut reader = Reader::new(&decoded, 0);
            for index in 0..count {
                let inner = reader.value(0)?;
                reader.value(0)?;
                let inner = inner.as_int().ok_or(Stop::Refuse)?;
                if self.spans.contains_key(&inner) || self.in_streams.contains_key(&inner) {
                    return Err(Stop::Refuse);
                }
                self.in_streams.insert(inner, (number, index));
            }
        }
        Ok(())
    }

    fn in_object_stream(&mut self, number: i64) -> R<V> {
        let (container, index) = self.in_streams[&number];
        let V::Stream(stream) = self.get(&V::Ref(container))? else {
            return Err(Stop::Refuse);
        };
        let first = get_or_null(&stream.dict, "First")
            .as_int()
            .ok_or(Stop::Refuse)?;
        let decoded = self.decode(&stream)?;
        let mut reader = Reader::new(&decoded, 0);
        let mut offset = -1;
        for _ in 0..=index {
            reader.value(0)?;
            offset = reader.value(0)?.as_int().unwrap_or(-1);
        }
        if offset < 0 {
            return Err(Stop::Refuse);
        }
        let at = usize::try_from(first + offset).map_err(|_| Stop::Refuse)?;
        Reader::new(&decoded, at.min(decoded.len())).value(0)
    }

    /// The stream's data with its filters undone (`_Document.decode`).
    fn decode(&mut self, stream: &Stream) -> R<Rc<Vec<u8>>> {
        if let Some(done) = stream.decoded.borrow().as_ref() {
            return Ok(done.clone());
        }
        let raw_slice = &self.data[stream.start..stream.end];
        let mut owned: Option<Vec<u8>> = None;
        let mut filters = get_or_null(&stream.dict, "Filter");
        if let V::Array(list) = &filters {
            if list.first().is_some_and(|f| f.is("ASCII85Decode")) {
                owned = Some(ascii85(raw_slice)?);
                filters = if list.len() > 1 {
                    V::Array(Rc::new(list[1..].to_vec()))
                } else {
                    V::Null
                };
            }
        } else if filters.is("ASCII85Decode") {
            owned = Some(ascii85(raw_slice)?);
            filters = V::Null;
        }
        if let V::Array(list) = &filters {
            if list.len() == 1 {
                filters = list[0].clone();
            }
        }
        let raw: &[u8] = owned.as_deref().unwrap_or(raw_slice);
        let decoded = if matches!(filters, V::Null) {
            raw.to_vec()
        } else if filters.is("FlateDecode") && {
            let parms = self.get(&get_or_null(&stream.dict, "DecodeParms"))?;
            matches!(&parms, V::Null) || matches!(&parms, V::Dict(d) if d.is_empty())
        } {
            self.inflate(raw)?
        } else {
            return Err(Stop::Refuse);
        };
        self.inflate_left -= decoded.len() as i64;
        let decoded = Rc::new(decoded);
        *stream.decoded.borrow_mut() = Some(decoded.clone());
        Ok(decoded)
    }

    /// zlib.decompressobj().decompress(raw, inflate_left + 1), and the cap checked after it.
    fn inflate(&self, raw: &[u8]) -> R<Vec<u8>> {
        use miniz_oxide::inflate::{decompress_to_vec_zlib_with_limit, TINFLStatus};
        if self.inflate_left < 0 {
            return Err(Stop::Refuse); // max_length <= 0 (unbounded or a ValueError): refused
        }
        if self.inflate_left == 0 || raw.len() < 2 {
            return Err(Stop::NotMine);
        }
        let (cmf, flg) = (raw[0], raw[1]);
        if cmf & 0x0f != 8 || cmf >> 4 > 7 || (u32::from(cmf) * 256 + u32::from(flg)) % 31 != 0 {
            return Err(Stop::NotMine);
        }
        if flg & 0x20 != 0 {
            return Err(Stop::NotMine); // a preset dictionary
        }
        let cap = usize::try_from(self.inflate_left).unwrap_or(usize::MAX);
        match decompress_to_vec_zlib_with_limit(raw, cap) {
            Ok(out) => Ok(out),
            // More than the cap: Python's read stops at cap + 1 bytes and refuses.
            Err(e) if e.status == TINFLStatus::HasMoreOutput => Err(Stop::Refuse),
            // Damaged or truncated: zlib's own verdict (an error, or a partial text) decides.
            Err(_) => Err(Stop::NotMine),
        }
    }
}

// The three encodings as pypdf reads them (pdf_simple._tables; the tests compare every byte).
#[rustfmt::skip]
const STANDARD_DIFFERENCES: [(u8, char); 47] = [
    (0x27, '\u{2019}'), (0x60, '\u{2018}'), (0xA4, '\u{2044}'), (0xA6, '\u{0192}'),
    (0xA8, '\u{00a4}'), (0xA9, '\''), (0xAA, '\u{201c}'), (0xAC, '\u{2039}'),
    (0xAD, '\u{203a}'), (0xAE, '\u{fb01}'), (0xAF, '\u{fb02}'), (0xB1, '\u{2013}'),
    (0xB2, '\u{2020}'), (0xB3, '\u{2021}'), (0xB4, '\u{00b7}'), (0xB7, '\u{2022}'),
    (0xB8, '\u{201a}'), (0xB9, '\u{201e}'), (0xBA, '\u{201d}'), (0xBC, '\u{2026}'),
    (0xBD, '\u{2030}'), (0xC1, '`'), (0xC2, '\u{00b4}'), (0xC3, '\u{02c6}'),
    (0xC4, '\u{02dc}'), (0xC5, '\u{00af}'), (0xC6, '\u{02d8}'), (0xC7, '\u{02d9}'),
    (0xC8, '\u{00a8}'), (0xCA, '\u{02da}'), (0xCB, '\u{00b8}'), (0xCD, '\u{02dd}'),
    (0xCE, '\u{02db}'), (0xCF, '\u{02c7}'), (0xD0, '\u{2014}'), (0xE1, '\u{00c6}'),
    (0xE3, '\u{00aa}'), (0xE8, '\u{0141}'), (0xE9, '\u{00d8}'), (0xEA, '\u{0152}'),
    (0xEB, '\u{00ba}'), (0xF1, '\u{00e6}'), (0xF5, '\u{0131}'), (0xF8, '\u{0142}'),
    (0xF9, '\u{00f8}'), (0xFA, '\u{0153}'), (0xFB, '\u{00df}'),
];

/// windows-1252's 0x80-0x9F (its five undefined bytes as their code points).
#[rustfmt::skip]
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// mac_roman's 0x80-0xFF.
#[rustfmt::skip]
const MAC_ROMAN_HIGH: [u16; 128] = [
    0xC4, 0xC5, 0xC7, 0xC9, 0xD1, 0xD6, 0xDC, 0xE1, 0xE0, 0xE2, 0xE4, 0xE3, 0xE5, 0xE7, 0xE9,
    0xE8, 0xEA, 0xEB, 0xED, 0xEC, 0xEE, 0xEF, 0xF1, 0xF3, 0xF2, 0xF4, 0xF6, 0xF5, 0xFA, 0xF9,
    0xFB, 0xFC, 0x2020, 0xB0, 0xA2, 0xA3, 0xA7, 0x2022, 0xB6, 0xDF, 0xAE, 0xA9, 0x2122, 0xB4,
    0xA8, 0x2260, 0xC6, 0xD8, 0x221E, 0xB1, 0x2264, 0x2265, 0xA5, 0xB5, 0x2202, 0x2211,
    0x220F, 0x3C0, 0x222B, 0xAA, 0xBA, 0x3A9, 0xE6, 0xF8, 0xBF, 0xA1, 0xAC, 0x221A, 0x192,
    0x2248, 0x2206, 0xAB, 0xBB, 0x2026, 0xA0, 0xC0, 0xC3, 0xD5, 0x152, 0x153, 0x2013, 0x2014,
    0x201C, 0x201D, 0x2018, 0x2019, 0xF7, 0x25CA, 0xFF, 0x178, 0x2044, 0x20AC, 0x2039,
    0x203A, 0xFB01, 0xFB02, 0x2021, 0xB7, 0x201A, 0x201E, 0x2030, 0xC2, 0xCA, 0xC1, 0xCB,
    0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0xD3, 0xD4, 0xF8FF, 0xD2, 0xDA, 0xDB, 0xD9, 0x131, 0x2C6,
    0x2DC, 0xAF, 0x2D8, 0x2D9, 0x2DA, 0xB8, 0x2DD, 0x2DB, 0x2C7,
];

type Table = [char; 256];

fn tables() -> [Table; 3] {
    let mut standard: Table = std::array::from_fn(|i| char::from(i as u8));
    for (code, c) in STANDARD_DIFFERENCES {
        standard[code as usize] = c;
    }
    let high = |codes: &[u16], from: usize| -> Table {
        std::array::from_fn(|i| {
            if i >= from && i - from < codes.len() {
                char::from_u32(u32::from(codes[i - from])).unwrap_or('\0')
            } else {
                char::from(i as u8)
            }
        })
    };
    [
        standard,
        high(&CP1252_HIGH, 0x80),
        high(&MAC_ROMAN_HIGH, 0x80),
    ]
}

#[rustfmt::skip]
const STANDARD_14: [&str; 12] = [
    "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic",
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
];
const ENCODINGS: [&str; 3] = ["StandardEncoding", "WinAnsiEncoding", "MacRomanEncoding"];

/// Which of the three tables a simple font uses (`_font_table`), else Refuse.
fn font_table(doc: &mut Document<'_>, font: &V) -> R<usize> {
    let font = doc.get(font)?;
    let V::Dict(font) = &font else {
        return Err(Stop::Refuse);
    };
    let subtype = get_or_null(font, "Subtype");
    if !(subtype.is("Type1") || subtype.is("TrueType")) || has(font, "ToUnicode") {
        return Err(Stop::Refuse);
    }
    let mut encoding = doc.get(&get_or_null(font, "Encoding"))?;
    if matches!(encoding, V::Null) {
        let base = get_or_null(font, "BaseFont");
        let descriptor = doc.get(&get_or_null(font, "FontDescriptor"))?;
        let embedded = matches!(&descriptor, V::Dict(d)
            if ["FontFile", "FontFile2", "FontFile3"].iter().any(|k| has(d, k)));
        if !STANDARD_14.iter().any(|n| base.is(n)) || embedded {
            return Err(Stop::Refuse);
        }
        encoding = V::Name(Rc::from(b"StandardEncoding".as_slice()));
    }
    ENCODINGS
        .iter()
        .position(|n| encoding.is(n))
        .ok_or(Stop::Refuse)
}

/// The page tree walk (`_pages`): (page, resources) in page order, read as they are asked for.
struct Pages {
    stack: Vec<(V, Rc<Dict>, u32)>,
    seen: HashSet<i64>,
}

impl Pages {
    fn start(doc: &mut Document<'_>) -> R<Self> {
        let root = root(doc)?;
        let catalog = doc.get(&root)?;
        let V::Dict(catalog) = &catalog else {
            return Err(Stop::Refuse);
        };
        if !get_or_null(catalog, "Type").is("Catalog") || has(catalog, "AcroForm") {
            return Err(Stop::Refuse);
        }
        Ok(Pages {
            stack: vec![(get_or_null(catalog, "Pages"), Rc::new(Vec::new()), 0)],
            seen: HashSet::new(),
        })
    }

    fn next(&mut self, doc: &mut Document<'_>) -> R<Option<(Rc<Dict>, Rc<Dict>)>> {
        while let Some((node_ref, inherited, depth)) = self.stack.pop() {
            if let V::Ref(number) = node_ref {
                if depth > 64 || !self.seen.insert(number) {
                    return Err(Stop::Refuse);
                }
            }
            let V::Dict(node) = doc.get(&node_ref)? else {
                return Err(Stop::Refuse);
            };
            let resources = match lookup(&node, "Resources") {
                Some(value) => doc.get(value)?,
                None => V::Dict(inherited),
            };
            let V::Dict(resources) = resources else {
                return Err(Stop::Refuse);
            };
            if get_or_null(&node, "Type").is("Pages") || has(&node, "Kids") {
                let V::Array(kids) = doc.get(&get_or_null(&node, "Kids"))? else {
                    return Err(Stop::Refuse);
                };
                for kid in kids.iter().rev() {
                    self.stack.push((kid.clone(), resources.clone(), depth + 1));
                }
            } else {
                return Ok(Some((node, resources)));
            }
        }
        Ok(None)
    }
}

/// The catalog reference, from the last trailer or cross-reference stream (`_root`).
fn root(doc: &mut Document<'_>) -> R<V> {
    let data = doc.data;
    if let Some(at) = memmem::rfind(data, b"trailer") {
        let trailer = Reader::new(data, at + 7).value(0)?;
        if let V::Dict(trailer) = &trailer {
            if let Some(found @ V::Ref(_)) = lookup(trailer, "Root") {
                return Ok(found.clone());
            }
        }
    }
    let mut best: Option<V> = None;
    for (number, pos) in doc.order.clone() {
        if memmem::find(&data[pos..(pos + 512).min(data.len())], b"/XRef").is_none() {
            continue;
        }
        if let V::Stream(found) = doc.get(&V::Ref(number))? {
            if get_or_null(&found.dict, "Type").is("XRef") {
                best = Some(get_or_null(&found.dict, "Root"));
            }
        }
    }
    match best {
        Some(found @ V::Ref(_)) => Ok(found),
        _ => Err(Stop::Refuse),
    }
}

struct PageReader<'t> {
    out: String,
    y: f64,
    leading: f64,
    line_y: Option<f64>,
    table: Option<&'t Table>,
}

impl PageReader<'_> {
    fn show(&mut self, text: &V) -> R<()> {
        let (Some(table), V::Str(bytes)) = (self.table, text) else {
            return Err(Stop::Refuse);
        };
        self.out.extend(bytes.iter().map(|&b| table[b as usize]));
        Ok(())
    }

    fn to(&mut self, to_y: f64, along: bool) {
        match self.line_y {
            Some(line) if to_y != line => self.out.push('\n'),
            Some(_) if along => self.out.push(' '),
            _ => {}
        }
        self.y = to_y;
        self.line_y = Some(to_y);
    }

    fn next_line(&mut self) {
        self.out.push('\n');
        self.y -= self.leading;
        self.line_y = Some(self.y);
    }
}

fn page_text(
    doc: &mut Document<'_>,
    page: &Dict,
    resources: &Dict,
    tables: &[Table; 3],
    clock: &mut Clock,
) -> R<String> {
    let contents = doc.get(&get_or_null(page, "Contents"))?;
    let items: Vec<V> = match &contents {
        V::Array(list) => list.to_vec(),
        other if other.truthy() => vec![other.clone()],
        _ => Vec::new(),
    };
    let mut parts: Vec<Rc<Vec<u8>>> = Vec::with_capacity(items.len());
    for item in &items {
        let V::Stream(stream) = doc.get(item)? else {
            return Err(Stop::Refuse);
        };
        parts.push(doc.decode(&stream)?);
    }
    let joined;
    let data: &[u8] = if parts.len() == 1 {
        &parts[0]
    } else {
        joined = parts
            .iter()
            .map(|p| p.as_slice())
            .collect::<Vec<_>>()
            .join(&b'\n');
        &joined
    };
    let shows = memmem::find(data, b"Tj").is_some()
        || memmem::find(data, b"TJ").is_some()
        || memchr::memchr2(b'\'', b'"', data).is_some();
    if !shows && memmem::find(data, b"Do").is_none() {
        return Ok(String::new()); // no text-showing operator at all (a scan, a drawing)
    }
    let fonts = match lookup(resources, "Font") {
        Some(value) => doc.get(value)?,
        None => V::Dict(Rc::new(Vec::new())),
    };
    let xobjects = match lookup(resources, "XObject") {
        Some(value) => doc.get(value)?,
        None => V::Dict(Rc::new(Vec::new())),
    };
    let (V::Dict(fonts), V::Dict(xobjects)) = (fonts, xobjects) else {
        return Err(Stop::Refuse);
    };
    let mut page = PageReader {
        out: String::new(),
        y: 0.0,
        leading: 0.0,
        line_y: None,
        table: None,
    };
    let mut operands: Vec<V> = Vec::new();
    let mut reader = Reader::new(data, 0);
    let mut countdown = CHECK_EVERY;
    while let Some(token) = reader.token()? {
        let op = match reader.parse(token, 0)? {
            Parsed::V(value) => {
                operands.push(value);
                if operands.len() > 64 {
                    return Err(Stop::Refuse);
                }
                continue;
            }
            Parsed::Op(op) => op,
        };
        countdown -= 1;
        if countdown == 0 {
            countdown = CHECK_EVERY;
            if clock.out() {
                return Err(Stop::OutOfTime(page.out));
            }
        }
        if op == b"Tj" && !operands.is_empty() {
            page.show(&operands[operands.len() - 1])?;
            operands.clear();
            continue;
        }
        let numbers = || -> Vec<f64> { operands.iter().filter_map(V::as_number).collect() };
        match op {
            b"TJ" if matches!(operands.last(), Some(V::Array(_))) => {
                let Some(V::Array(elements)) = operands.last() else {
                    unreachable!()
                };
                for element in elements.iter() {
                    match element.as_number() {
                        Some(n) => {
                            if n <= TJ_SPACE {
                                page.out.push(' ');
                            }
                        }
                        None => page.show(element)?,
                    }
                }
            }
            b"'" | b"\"" if !operands.is_empty() => {
                page.next_line();
                page.show(&operands[operands.len() - 1])?;
            }
            b"Td" | b"TD" if numbers().len() >= 2 => {
                let numbers = numbers();
                let (dx, dy) = (numbers[numbers.len() - 2], numbers[numbers.len() - 1]);
                if op == b"TD" {
                    page.leading = -dy;
                }
                page.to(page.y + dy, dx != 0.0);
            }
            b"T*" => page.next_line(),
            b"TL" if !numbers().is_empty() => {
                page.leading = *numbers().last().unwrap_or(&0.0);
            }
            b"Tm" if numbers().len() >= 6 => {
                page.to(*numbers().last().unwrap_or(&0.0), true);
            }
            b"BT" => page.y = 0.0,
            b"Tf" if operands.len() >= 2 && matches!(operands[operands.len() - 2], V::Name(_)) => {
                let V::Name(key) = &operands[operands.len() - 2] else {
                    unreachable!()
                };
                let font = fonts
                    .iter()
                    .rev()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .ok_or(Stop::Refuse)?;
                page.table = Some(&tables[font_table(doc, &font)?]);
            }
            b"Do" if matches!(operands.last(), Some(V::Name(_))) => {
                let Some(V::Name(key)) = operands.last() else {
                    unreachable!()
                };
                let xobject = xobjects
                    .iter()
                    .rev()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(V::Null);
                match doc.get(&xobject)? {
                    V::Stream(s) if get_or_null(&s.dict, "Subtype").is("Image") => {}
                    _ => return Err(Stop::Refuse), // a form XObject can hold text
                }
            }
            b"BI" | b"ID" => return Err(Stop::Refuse), // inline image data is binary
            _ => {}
        }
        operands.clear();
    }
    Ok(page.out)
}

/// Python's str.isspace for the characters the tables can give.
fn py_char_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ') || (c as u32 > 127 && c.is_whitespace())
}

/// The first `max_chars` characters of `text`.
fn cut_chars(mut text: String, max_chars: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max_chars) {
        text.truncate(at);
    }
    text
}

/// pdf_simple.simple_pdf_text of `data`.
pub fn simple_pdf_text(
    data: &[u8],
    max_chars: i64,
    clock: &mut Clock,
    max_inflated: i64,
) -> Outcome {
    let mut page_chars = Vec::new();
    match read(data, max_chars, clock, max_inflated, &mut page_chars) {
        Ok((text, cut)) => Outcome::Text(text, cut, page_chars),
        Err(Stop::Refuse) => Outcome::Refuse(page_chars),
        Err(_) => Outcome::NotMine,
    }
}

fn read(
    data: &[u8],
    max_chars: i64,
    clock: &mut Clock,
    max_inflated: i64,
    page_chars: &mut Vec<usize>,
) -> R<(String, Option<&'static str>)> {
    let Ok(max_chars) = usize::try_from(max_chars) else {
        return Err(Stop::NotMine); // Python's slice of a negative limit
    };
    for word in [b"/Encrypt".as_slice(), b"/ToUnicode", b"/AcroForm"] {
        if memmem::find(data, word).is_some() {
            return Err(Stop::Refuse);
        }
    }
    let mut doc = Document::new(data, max_inflated)?;
    doc.scan_object_streams()?;
    let tables = tables();
    let mut pages = Pages::start(&mut doc)?;
    let mut texts: Vec<String> = Vec::new();
    let mut size = 0usize;
    while let Some((page, resources)) = pages.next(&mut doc)? {
        if clock.out() {
            return Ok((texts.join("\n"), Some(TIME_CUT)));
        }
        let text = match page_text(&mut doc, &page, &resources, &tables, clock) {
            Ok(text) => text,
            Err(Stop::OutOfTime(partial)) => {
                texts.push(partial);
                return Ok((cut_chars(texts.join("\n"), max_chars), Some(TIME_CUT)));
            }
            Err(other) => return Err(other),
        };
        let chars = text.chars().count();
        page_chars.push(text.chars().filter(|&c| !py_char_space(c)).count());
        texts.push(text);
        size += chars;
        if size >= max_chars {
            return Ok((cut_chars(texts.join("\n"), max_chars), Some(SIZE_CUT)));
        }
    }
    if texts.is_empty() {
        return Err(Stop::Refuse);
    }
    Ok((texts.join("\n"), None))
}

pub mod py {
    use std::time::Instant;

    use pyo3::prelude::*;
    use pyo3::types::PyBytes;

    use super::{Clock, Outcome};
    use crate::guarded;

    type Answer = (Option<String>, Option<&'static str>, Vec<usize>);

    /// pdf_simple.simple_pdf_text of `data` with `seconds` left of the time budget (or, with
    /// `ticks`, a clock that counts its looks from 0 against `seconds` as the deadline):
    /// (text, cut, page_chars), text None where the Python reader returns None (page_chars
    /// then holds the pages counted before it gave up); None where the Python reader decides.
    #[pyfunction]
    #[pyo3(signature = (data, max_chars, seconds, max_inflated, ticks=false))]
    fn pdf_simple_text(
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        max_chars: i64,
        seconds: f64,
        max_inflated: i64,
        ticks: bool,
    ) -> PyResult<Option<Answer>> {
        let data = data.as_bytes();
        let outcome = guarded(py, || {
            let mut clock = if ticks {
                Clock::Ticks {
                    next: 0,
                    deadline: seconds,
                }
            } else {
                Clock::Real {
                    start: Instant::now(),
                    budget: seconds,
                }
            };
            super::simple_pdf_text(data, max_chars, &mut clock, max_inflated)
        })?;
        Ok(match outcome {
            Outcome::Text(text, cut, chars) => Some((Some(text), cut, chars)),
            Outcome::Refuse(chars) => Some((None, None, chars)),
            Outcome::NotMine => None,
        })
    }

    pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(pdf_simple_text, m)?)
    }
}
