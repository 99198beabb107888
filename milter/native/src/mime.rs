//! The MIME walk's byte work: where a header block ends, the fields of an ordinary header
//! block, and the parts of a multipart body -- milter/content/mime.py's `split_headers`,
//! `_split_header_block` (with compat32's `header_source_parse`) and `split_multipart`,
//! answer for answer; the Python stays the reference and the fallback.
//!
//! Refuses (`header_fields` returns `None`, and the Python/stdlib path parses the block): what
//! `_split_header_block` refuses -- a line break other than LF or CRLF (a lone CR, VT, FF,
//! FS, GS, RS), a continuation line first, a line that is not 'Name:' ('From ', ': value',
//! 'Name : value', a body line).  A span outside the buffer is a ValueError (the walk never
//! asks for one).
//!
//! These run with the GIL held: each is a few microseconds, less than what giving the GIL
//! away and taking it back can cost on a busy server.

use std::panic::{catch_unwind, AssertUnwindSafe};

use memchr::{memchr, memmem};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::NativeError;

/// content/mime.py's MAX_HEADER_BYTES.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// `[!-9;-~]`: a byte of a header name (printable ASCII but ':').
#[inline]
fn is_name_byte(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b':'
}

/// The length of the header name at the start of `line` when the line is `Name:` (the
/// FeedParser's field, without white space before the colon), else None.
#[inline]
fn field_name(line: &[u8]) -> Option<usize> {
    let n = line.iter().take_while(|&&b| is_name_byte(b)).count();
    (n > 0 && line.get(n) == Some(&b':')).then_some(n)
}

/// mime.py's `_HEADER_LINE.match(line)`: `[!-9;-~]+[ \t]*:`.
#[inline]
fn header_line(line: &[u8]) -> bool {
    let n = line.iter().take_while(|&&b| is_name_byte(b)).count();
    if n == 0 {
        return false;
    }
    let rest = &line[n..];
    let blanks = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    rest.get(blanks) == Some(&b':')
}

/// mime.py's `split_headers`: (end of the header block, start of the body) of buf[start..end].
pub fn split_headers(buf: &[u8], start: usize, end: usize) -> (usize, usize) {
    let mut pos = start;
    let mut first = true;
    while pos < end {
        let newline = memchr(b'\n', &buf[pos..end]).map(|i| pos + i);
        let line_end = newline.unwrap_or(end);
        let mut line = &buf[pos..line_end];
        while let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            return (pos, end.min(line_end + 1));
        }
        let mbox = first && line.starts_with(b"From ");
        let continuation = !first && (line[0] == b' ' || line[0] == b'\t');
        if !mbox && !header_line(line) && !continuation {
            return (pos, pos); // no blank line: the body starts with this line
        }
        if pos - start > MAX_HEADER_BYTES {
            return (pos, pos);
        }
        first = false;
        match newline {
            None => return (end, end),
            Some(at) => pos = at + 1,
        }
    }
    (pos, pos)
}

/// One field of a header block: the byte spans of its name and of its value.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: (usize, usize),
    pub value: (usize, usize),
}

/// The field whose first line starts at `start`, name `name_len` bytes, value from `value`
/// (after the colon and the blanks compat32 strips) to `end` (the end of its last line):
/// compat32's `header_source_parse` keeps the folding and strips the trailing line break.
fn field(block: &[u8], start: usize, name_len: usize, value: usize, end: usize) -> Field {
    let mut stop = end;
    while stop > value && matches!(block[stop - 1], b'\r' | b'\n') {
        stop -= 1;
    }
    Field {
        name: (start, start + name_len),
        value: (value, stop),
    }
}

/// mime.py's `_split_header_block` (and `header_source_parse`): the fields of an ordinary
/// header block, in order, or None where that function leaves the block to the stdlib.
pub fn fields_of(block: &[u8]) -> Option<Vec<Field>> {
    // _ODD_BREAKS: a line break str.splitlines knows and a split at LF does not.
    for (i, &b) in block.iter().enumerate() {
        match b {
            0x0b | 0x0c | 0x1c..=0x1e => return None,
            b'\r' if block.get(i + 1) != Some(&b'\n') => return None,
            _ => {}
        }
    }
    let mut fields = Vec::new();
    // (start of the field, length of its name, start of its value)
    let mut current: Option<(usize, usize, usize)> = None;
    let mut pos = 0;
    while pos < block.len() {
        let line_end = memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i + 1);
        let line = &block[pos..line_end];
        if line[0] == b' ' || line[0] == b'\t' {
            current?; // a continuation first: a defect the stdlib deals with
        } else {
            let name_len = field_name(line)?;
            if let Some((start, len, value)) = current {
                fields.push(field(block, start, len, value, pos));
            }
            // compat32 strips blanks after the colon; the first line ends in LF (or the
            // block), so this never passes it
            let mut value = pos + name_len + 1;
            while value < line_end && matches!(block[value], b' ' | b'\t') {
                value += 1;
            }
            current = Some((pos, name_len, value));
        }
        pos = line_end;
    }
    if let Some((start, len, value)) = current {
        fields.push(field(block, start, len, value, block.len()));
    }
    Some(fields)
}

/// The parts of a multipart body, as spans: (parts, preamble, epilogue).
pub type Parts = (Vec<(usize, usize)>, (usize, usize), (usize, usize));

/// mime.py's `split_multipart`: the FeedParser's delimiter lines ('--boundary' at the start of
/// a line, optional '--', then only blanks); None when no delimiter occurs.
pub fn split_multipart(buf: &[u8], start: usize, end: usize, boundary: &[u8]) -> Option<Parts> {
    let mut delimiter = Vec::with_capacity(boundary.len() + 2);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&delimiter);
    let mut parts = Vec::new();
    let mut pos = start;
    let mut current: Option<usize> = None;
    let mut preamble = (start, start);
    let mut epilogue = (end, end);
    while pos < end {
        let Some(found) = finder.find(&buf[pos..end]) else {
            break;
        };
        let index = pos + found;
        let after = index + delimiter.len();
        if !(index == start || buf[index - 1] == b'\n') {
            pos = after;
            continue;
        }
        let newline = memchr(b'\n', &buf[after..end]).map(|i| after + i);
        let line_end = newline.unwrap_or(end);
        let rest = &buf[after..line_end];
        let closing = rest.starts_with(b"--");
        let tail = if closing { &rest[2..] } else { rest };
        if tail.iter().any(|&b| !matches!(b, b' ' | b'\t' | b'\r')) {
            pos = after; // '--boundaryX': a longer boundary, not ours
            continue;
        }
        let mut cut = index;
        if cut > start && buf[cut - 1] == b'\n' {
            cut -= 1;
            if cut > start && buf[cut - 1] == b'\r' {
                cut -= 1;
            }
        }
        match current {
            None => preamble = (start, cut),
            Some(part) => parts.push((part, part.max(cut))),
        }
        let next = end.min(line_end + 1);
        current = Some(next);
        pos = next;
        if closing {
            epilogue = (next, end);
            current = None;
            break;
        }
    }
    if let Some(part) = current {
        parts.push((part, end));
    }
    if parts.is_empty() && preamble == (start, start) && epilogue == (end, end) {
        return None;
    }
    Some((parts, preamble, epilogue))
}

/// `_WS` of mime.py's `_SIMPLE_PARAMS`: the white space str.strip() removes from ASCII.
#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// A parameter name byte (RFC 2045 token, as `_SIMPLE_PARAMS` has it).
#[inline]
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'+.^_`{|}~-".contains(&b)
}

/// Trims `is_ws` bytes from both ends of value[span].
fn trimmed(value: &[u8], (mut start, mut end): (usize, usize)) -> (usize, usize) {
    while start < end && is_ws(value[start]) {
        start += 1;
    }
    while end > start && is_ws(value[end - 1]) {
        end -= 1;
    }
    (start, end)
}

/// A byte span.
pub type Span = (usize, usize);

/// mime.py's `_simple_params` for a value `_SIMPLE_PARAMS` matches in full (an ASCII
/// 'type; name=token; name="quoted"' list), else None: the type's span, then each parameter's
/// name span and the span of its value without quotes.
pub fn simple_params(value: &[u8]) -> Option<(Span, Vec<(Span, Span)>)> {
    if !value.is_ascii() {
        return None;
    }
    let skip = |mut at: usize, ok: fn(u8) -> bool| {
        while at < value.len() && ok(value[at]) {
            at += 1;
        }
        at
    };
    // [^;"\\=]*  (then the end or ';')
    let first_end = skip(0, |b| !matches!(b, b';' | b'"' | b'\\' | b'='));
    let mut params = Vec::new();
    let mut at = first_end;
    while at < value.len() {
        if value[at] != b';' {
            return None;
        }
        let name_start = skip(at + 1, is_ws);
        let name_end = skip(name_start, is_token);
        if name_end == name_start {
            return None;
        }
        let eq = skip(name_end, is_ws);
        if value.get(eq) != Some(&b'=') {
            return None;
        }
        let text_start = skip(eq + 1, is_ws);
        let text = if value.get(text_start) == Some(&b'"') {
            let close = skip(text_start + 1, |b| {
                !matches!(b, b'"' | b'\\' | b';' | 0x00..=0x1f | 0x7f)
            });
            if value.get(close) != Some(&b'"') {
                return None;
            }
            at = close + 1;
            (text_start + 1, close)
        } else {
            let stop = skip(text_start, |b| {
                !matches!(b, b'"' | b';' | b'\\' | b'<' | 0x00..=0x20 | 0x7f)
            });
            at = stop;
            (text_start, stop)
        };
        at = skip(at, is_ws);
        params.push(((name_start, name_end), text));
    }
    Some((trimmed(value, (0, first_end)), params))
}

/// An MPEG audio frame header: 11 sync bits, valid version, layer, bitrate and rate.
fn mp3_frame(head: &[u8]) -> bool {
    let [first, second, third, _, ..] = *head else {
        return false;
    };
    if first != 0xFF || second & 0xE0 != 0xE0 {
        return false;
    }
    let version = (second >> 3) & 0x3;
    let layer = (second >> 1) & 0x3;
    let bitrate = third >> 4;
    let rate = (third >> 2) & 0x3;
    version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3
}

/// head[from..to] as Python slices it (clamped to the length).
fn part(head: &[u8], from: usize, to: usize) -> &[u8] {
    &head[from.min(head.len())..to.min(head.len())]
}

const ASF: &[u8] = b"\x30\x26\xB2\x75\x8E\x66\xCF\x11\xA6\xD9\x00\xAA\x00\x62\xCE\x6C";

/// formats/sniff.py's `sniff`: (family, name) of the content starting with `head`, or None;
/// the same tests in the same order.
pub fn sniff(head: &[u8]) -> Option<(&'static str, &'static str)> {
    let starts = |prefix: &[u8]| head.starts_with(prefix);
    if starts(b"ID3") || mp3_frame(head) {
        return Some(("audio", "mp3"));
    }
    if part(head, 0, 4) == b"RIFF" && part(head, 8, 12) == b"WAVE" {
        return Some(("audio", "wav"));
    }
    if part(head, 0, 4) == b"RIFF" && part(head, 8, 12) == b"WEBP" {
        return Some(("image", "webp"));
    }
    if part(head, 4, 8) == b"ftyp" {
        let brand = part(head, 8, 12);
        if matches!(brand, b"M4A " | b"M4B " | b"M4P ") || brand.starts_with(b"3g") {
            return Some((
                "audio",
                if brand.starts_with(b"M4") {
                    "m4a"
                } else {
                    "3gp"
                },
            ));
        }
        if matches!(brand, b"heic" | b"heix" | b"mif1" | b"avif") {
            return Some(("image", "heic"));
        }
        return Some(("video", "mp4"));
    }
    let found = if starts(b"#!AMR") {
        ("audio", "amr")
    } else if starts(b"OggS") {
        ("audio", "ogg")
    } else if starts(b"fLaC") {
        ("audio", "flac")
    } else if starts(ASF) {
        ("audio", "wma")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        ("image", "png")
    } else if starts(b"\xff\xd8\xff") {
        ("image", "jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        ("image", "gif")
    } else if starts(b"II*\x00") || starts(b"MM\x00*") {
        ("image", "tiff")
    } else if starts(b"BM") && head.len() >= 14 && head[6..10] == [0, 0, 0, 0] {
        ("image", "bmp")
    } else if starts(b"%PDF-") {
        ("document", "pdf")
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        ("archive", "zip")
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        ("document", "ole2")
    } else if starts(b"Rar!\x1a\x07") {
        ("archive", "rar")
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        ("archive", "7z")
    } else if starts(b"\x1f\x8b") {
        ("archive", "gzip")
    } else if starts(b"{\\rtf") {
        ("document", "rtf")
    } else {
        return None;
    };
    Some(found)
}

// -- the Python side ------------------------------------------------------------------------

/// Runs `work` with the GIL held; a panic becomes NativeError (its message is not passed on).
fn guarded<T>(work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err(NativeError::new_err("native content core failed (panic)")))
}

/// The bytes of a bytes object or of any buffer (the spool's mmap), and the span checked.
fn with_bytes<T>(
    data: &Bound<'_, PyAny>,
    span: Option<(usize, usize)>,
    work: impl FnOnce(&[u8]) -> PyResult<T>,
) -> PyResult<T> {
    let check = |len: usize| match span {
        Some((start, end)) if start > end || end > len => {
            Err(PyValueError::new_err("span outside the buffer"))
        }
        _ => Ok(()),
    };
    if let Ok(bytes) = data.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        check(bytes.len())?;
        return work(bytes);
    }
    let buffer = PyBuffer::<u8>::get(data)?;
    if !buffer.is_c_contiguous() {
        return Err(PyValueError::new_err("not a contiguous buffer"));
    }
    // SAFETY: the buffer export keeps the memory alive (and an mmap from being resized or
    // closed) until `buffer` drops, after `work`; the GIL stays held throughout.
    let bytes =
        unsafe { std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, buffer.len_bytes()) };
    check(bytes.len())?;
    work(bytes)
}

/// A str of `raw` decoded as ASCII with surrogateescape, as mime.py decodes a header block.
fn ascii_str<'py>(py: Python<'py>, raw: &[u8]) -> PyResult<Bound<'py, PyString>> {
    if raw.is_ascii() {
        // ASCII is UTF-8
        return Ok(PyString::new(
            py,
            std::str::from_utf8(raw).unwrap_or_default(),
        ));
    }
    let len = ffi::Py_ssize_t::try_from(raw.len())?;
    // SAFETY: `raw` is valid for `len` bytes and the error handler name is a C string; the
    // call returns a new reference or NULL with an exception set.
    unsafe {
        let made =
            ffi::PyUnicode_DecodeASCII(raw.as_ptr().cast(), len, c"surrogateescape".as_ptr());
        Bound::from_owned_ptr_or_err(py, made).map(|any| any.cast_into_unchecked())
    }
}

/// `split_headers(buf, start, end) -> (header_end, body_start)`.
#[pyfunction(name = "split_headers")]
fn py_split_headers(data: &Bound<'_, PyAny>, start: usize, end: usize) -> PyResult<(usize, usize)> {
    with_bytes(data, Some((start, end)), |buf| {
        guarded(|| Ok(split_headers(buf, start, end)))
    })
}

/// `header_fields(block) -> (fields, first) | None`: fields a list of (name, value) str
/// tuples in order (ASCII, surrogateescape), first a dict from each lower-case name to its
/// first field's tuple.
#[pyfunction]
fn header_fields<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyBytes>,
) -> PyResult<Option<(Bound<'py, PyList>, Bound<'py, PyDict>)>> {
    let raw = block.as_bytes();
    guarded(|| {
        let Some(found) = fields_of(raw) else {
            return Ok(None);
        };
        let mut tuples = Vec::with_capacity(found.len());
        for f in &found {
            let name = ascii_str(py, &raw[f.name.0..f.name.1])?;
            let value = ascii_str(py, &raw[f.value.0..f.value.1])?;
            tuples.push(PyTuple::new(py, [name.into_any(), value.into_any()])?);
        }
        let first = PyDict::new(py);
        // backwards, so the first field of a name is the one left in the dict
        for (f, tuple) in found.iter().zip(&tuples).rev() {
            let lower = raw[f.name.0..f.name.1].to_ascii_lowercase();
            let key = std::str::from_utf8(&lower).unwrap_or_default();
            first.set_item(key, tuple)?;
        }
        Ok(Some((PyList::new(py, tuples)?, first)))
    })
}

/// `split_multipart(buf, start, end, boundary) -> (parts, preamble, epilogue) | None`.
#[pyfunction(name = "split_multipart")]
fn py_split_multipart(
    data: &Bound<'_, PyAny>,
    start: usize,
    end: usize,
    boundary: &[u8],
) -> PyResult<Option<Parts>> {
    with_bytes(data, Some((start, end)), |buf| {
        guarded(|| Ok(split_multipart(buf, start, end, boundary)))
    })
}

/// `simple_params(value) -> [(type, ""), (name, '"value"'), ...] | None`: mime.py's
/// `_simple_params` where `_SIMPLE_PARAMS` matches the whole value, else None.
#[pyfunction(name = "simple_params")]
fn py_simple_params<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyList>>> {
    let Ok(text) = value.to_str() else {
        return Ok(None); // lone surrogates: not ASCII
    };
    let raw = text.as_bytes();
    guarded(|| {
        let Some((kind, params)) = simple_params(raw) else {
            return Ok(None);
        };
        let out = PyList::empty(py);
        out.append((&text[kind.0..kind.1], ""))?;
        let mut quoted = String::new();
        for (name, val) in params {
            quoted.clear();
            quoted.push('"');
            quoted.push_str(&text[val.0..val.1]);
            quoted.push('"');
            out.append((text[name.0..name.1].to_ascii_lowercase(), quoted.as_str()))?;
        }
        Ok(Some(out))
    })
}

/// `sniff(head) -> (family, name) | None`: formats/sniff.py's `sniff`.
#[pyfunction(name = "sniff")]
fn py_sniff<'py>(
    py: Python<'py>,
    head: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Some((family, name)) = with_bytes(head, None, |raw| guarded(|| Ok(sniff(raw))))? else {
        return Ok(None);
    };
    let family = PyString::intern(py, family);
    let name = PyString::intern(py, name);
    Ok(Some(PyTuple::new(py, [family, name])?))
}

/// Adds this module's functions to milter._native.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_split_headers, m)?)?;
    m.add_function(wrap_pyfunction!(header_fields, m)?)?;
    m.add_function(wrap_pyfunction!(py_split_multipart, m)?)?;
    m.add_function(wrap_pyfunction!(py_simple_params, m)?)?;
    m.add_function(wrap_pyfunction!(py_sniff, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(block: &'a [u8], fields: &[Field]) -> Vec<(&'a [u8], &'a [u8])> {
        fields
            .iter()
            .map(|f| (&block[f.name.0..f.name.1], &block[f.value.0..f.value.1]))
            .collect()
    }

    #[test]
    fn folded_fields_keep_their_folding() {
        let block = b"Subject:  a\r\n b\r\nX-A:\r\n\tc\r\nTo: d";
        let fields = fields_of(block).unwrap();
        assert_eq!(
            texts(block, &fields),
            vec![
                (&b"Subject"[..], &b"a\r\n b"[..]),
                (b"X-A", b"\r\n\tc"),
                (b"To", b"d")
            ]
        );
    }

    #[test]
    fn unusual_blocks_are_refused() {
        for block in [
            &b"From a@b Mon\nA: b\n"[..],
            b" x\nA: b\n",
            b"A: b\rC: d\n",
            b"A : b\n",
        ] {
            assert!(fields_of(block).is_none());
        }
    }

    #[test]
    fn simple_parameter_lists() {
        let value = b"multipart/mixed;\r\n\tBoundary=\"=_x y\"; charset=utf-8 ";
        let (kind, params) = simple_params(value).unwrap();
        assert_eq!(&value[kind.0..kind.1], b"multipart/mixed");
        let spans: Vec<_> = params
            .iter()
            .map(|(n, v)| (&value[n.0..n.1], &value[v.0..v.1]))
            .collect();
        assert_eq!(
            spans,
            vec![(&b"Boundary"[..], &b"=_x y"[..]), (b"charset", b"utf-8")]
        );
        for odd in [
            &b"a; b*=c"[..],
            b"a; b=\"c;d\"",
            b"a; =b",
            b"a; b",
            b"a\"b",
            b"a; b=<c>",
            b"a; b=c d",
        ] {
            assert!(simple_params(odd).is_none());
        }
    }

    #[test]
    fn sniffed_by_magic() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(("document", "pdf")));
        assert_eq!(sniff(b"\0\0\0\x18ftyp3g"), Some(("audio", "3gp")));
        assert_eq!(sniff(b"\xff\xfb\x90\x00"), Some(("audio", "mp3")));
        assert_eq!(sniff(b"BM\0\0\0\0\0\0\0\0"), None); // too short for a BMP header
        assert_eq!(sniff(b"Hoi Hendrik"), None);
    }

    #[test]
    fn header_block_ends_at_the_blank_line() {
        let raw = b"A: b\r\n c\r\n\r\nbody";
        assert_eq!(split_headers(raw, 0, raw.len()), (10, 12));
        assert_eq!(split_headers(b"not a header\n", 0, 13), (0, 0));
    }

    #[test]
    fn multipart_parts_preamble_epilogue() {
        let body = b"pre\r\n--b\r\n\r\none\r\n--bx\r\n--b--\r\nepi";
        let (parts, preamble, epilogue) = split_multipart(body, 0, body.len(), b"b").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(&body[parts[0].0..parts[0].1], b"\r\none\r\n--bx");
        assert_eq!(&body[preamble.0..preamble.1], b"pre");
        assert_eq!(&body[epilogue.0..epilogue.1], b"epi");
        assert!(split_multipart(b"hello --b", 0, 9, b"b").is_none());
    }
}
