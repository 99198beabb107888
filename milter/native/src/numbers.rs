//! numbers -- the per-candidate checks of the phone and BSN detectors, natively: what
//! detectors/phone_nl.py's `on_segment` and detectors/bsn.py's `_candidates` compute for the
//! shape matches of one segment, with detectors/_numbers.py's `stands_alone` (glued, grouped,
//! amount, URL or e-mail address) and the 11-proef.
//!
//! All of it is byte logic except one question: whether the non-ASCII character right before or
//! after a number is a letter or digit (Python's `str.isalnum`).  That is answered here only for
//! the code points whose answer is fixed below (U+0080-U+024F, general punctuation, currency
//! signs: no-break space, euro sign, quotes and dashes are the usual ones); for any other, or
//! for bytes that are no valid UTF-8 there, the whole segment is refused.
//!
//! Refuses (returns None; the Python code then checks the segment, as it does without the
//! extension): a segment with such a neighbour, and spans outside the data.  The Python code is
//! the reference (tests/unit/content/test_native_numbers.py checks both give the same answers).

use pyo3::prelude::*;

const CURRENCY: [&[u8]; 6] = [b"\xe2\x82\xac", b"EUR", b"eur", b"$", b"\xc2\xa3", b"USD"];
const URL_BEFORE: usize = 256;
const URL_AFTER: usize = 64;
/// What digits_of (and phone_nl's translate) drops: ' ', '.', '-', '/', '(', ')', '+', tab,
/// and the two bytes of a UTF-8 no-break space, each on its own.
const SEPARATORS: &[u8] = b" .-/()+\t\xc2\xa0";

/// Why a segment is left to the Python code.
pub struct Unsure;

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}
fn glued_before(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'+'
}
fn glued_after(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn grouping(b: u8) -> bool {
    matches!(b, b'.' | b',' | b'-' | b'/')
}
fn space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}
fn currency_last(b: u8) -> bool {
    CURRENCY.iter().any(|c| c[c.len() - 1] == b)
}
fn left_stop(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}
fn right_stop(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t')
}
fn ends_with_currency(s: &[u8]) -> bool {
    CURRENCY.iter().any(|c| s.ends_with(c))
}
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}
fn url_hint(word: &[u8]) -> bool {
    word.contains(&b'@') || contains(word, b"://") || contains(word, b"www.")
}

/// Python's `str.isalnum()` of one non-ASCII character, where it is known here.
fn known_alnum(c: char) -> Result<bool, Unsure> {
    match u32::from(c) {
        0x80..=0x24f => Ok(matches!(
            u32::from(c),
            0xaa | 0xb2 | 0xb3 | 0xb5 | 0xb9 | 0xba | 0xbc..=0xbe | 0xc0..=0xd6 | 0xd8..=0xf6
                | 0xf8..=0x24f
        )),
        0x2000..=0x206f | 0x20a0..=0x20cf => Ok(false),
        _ => Err(Unsure),
    }
}

/// `_numbers._alnum_before(data, index)` for a non-ASCII byte before `index`.
fn alnum_before(data: &[u8], index: usize) -> Result<bool, Unsure> {
    let mut start = index - 1;
    while start > 0 && index - start < 4 && (0x80..0xc0).contains(&data[start]) {
        start -= 1;
    }
    let text = std::str::from_utf8(&data[start..index]).map_err(|_| Unsure)?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => known_alnum(c),
        _ => Err(Unsure),
    }
}

/// `_numbers._alnum_at(data, index)` for a non-ASCII byte at `index`.
fn alnum_at(data: &[u8], index: usize) -> Result<bool, Unsure> {
    let len = match data[index] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Err(Unsure),
    };
    let bytes = data.get(index..index + len).ok_or(Unsure)?;
    let text = std::str::from_utf8(bytes).map_err(|_| Unsure)?;
    known_alnum(text.chars().next().ok_or(Unsure)?)
}

/// The end of the word a number starts (in_url_or_address's usual case): at most two more
/// bytes, then a right stop or the end of the data; None when the word goes on.
fn short_word_end(data: &[u8], end: usize) -> Option<usize> {
    let size = data.len();
    let mut stop = end;
    if stop < size && !right_stop(data[stop]) {
        stop += 1;
        if stop < size && !right_stop(data[stop]) {
            stop += 1;
        }
    }
    (stop == size || right_stop(data[stop])).then_some(stop)
}

/// `_numbers.stands_alone(data, start, end, grouped_by)` (`sep`: grouped_by's byte, if any).
pub fn stands_alone(
    data: &[u8],
    start: usize,
    end: usize,
    sep: Option<u8>,
) -> Result<bool, Unsure> {
    let is_sep = |b: u8| sep == Some(b);
    if start > 0 {
        let before = data[start - 1];
        if before < 0x80 {
            if glued_before(before) {
                return Ok(false);
            }
            if (grouping(before) || is_sep(before)) && start >= 2 && is_digit(data[start - 2]) {
                return Ok(false);
            }
        } else if alnum_before(data, start)? {
            return Ok(false);
        }
    }
    let size = data.len();
    if end < size {
        let after = data[end];
        if after < 0x80 {
            if glued_after(after) {
                return Ok(false);
            }
            if (grouping(after) || is_sep(after)) && end + 1 < size && is_digit(data[end + 1]) {
                return Ok(false);
            }
        } else if alnum_at(data, end)? {
            return Ok(false);
        }
    }
    if start >= 2 && left_stop(data[start - 1]) {
        let prev = data[start - 2];
        if !space(prev)
            && (!currency_last(prev)
                || !ends_with_currency(&data[start.saturating_sub(4)..start - 1]))
        {
            if let Some(stop) = short_word_end(data, end) {
                return Ok(!url_hint(&data[start..stop]));
            }
        }
    }
    Ok(!(after_currency(data, start) || in_url_or_address(data, start, end)))
}

/// `_numbers.after_currency`.
fn after_currency(data: &[u8], start: usize) -> bool {
    let mut index = start;
    while index > 0 && start - index < 3 && space(data[index - 1]) {
        index -= 1;
    }
    if index == 0 || !currency_last(data[index - 1]) {
        return false;
    }
    ends_with_currency(&data[index.saturating_sub(3)..index])
}

/// `_numbers.in_url_or_address`.
fn in_url_or_address(data: &[u8], start: usize, end: usize) -> bool {
    if start > 0 && left_stop(data[start - 1]) {
        if let Some(stop) = short_word_end(data, end) {
            return url_hint(&data[start..stop]);
        }
    }
    let lo = start.saturating_sub(URL_BEFORE);
    let hi = (end + URL_AFTER).min(data.len());
    let window = &data[lo..hi];
    if !url_hint(window) {
        return false;
    }
    let left = &data[lo..start];
    let cut = left
        .iter()
        .rposition(|&b| left_stop(b))
        .map_or(lo, |i| lo + i + 1);
    let right = &data[end.min(hi)..hi];
    let stop = right
        .iter()
        .position(|&b| right_stop(b))
        .unwrap_or(right.len());
    url_hint(&data[cut..end.min(hi) + stop])
}

/// phone_nl's national form of a phone-shaped token (its fast form and `national`).
fn phone_national(token: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = token
        .iter()
        .copied()
        .filter(|b| !SEPARATORS.contains(b))
        .collect();
    if compact.len() == 10 && token[0] == b'0' && compact[1] != b'0' && !token.contains(&b'(') {
        return Some(compact);
    }
    if token.first() == Some(&b'0') && !token.contains(&b'(') {
        let compact = match compact.strip_prefix(b"0031") {
            Some(rest) => [b"0".as_slice(), rest].concat(),
            None => compact,
        };
        return (compact.len() == 10 && compact[1] != b'0').then_some(compact);
    }
    // digits_of(token.replace(b"(0)", b""))
    let mut replaced = Vec::with_capacity(token.len());
    let mut i = 0;
    while i < token.len() {
        if token[i..].starts_with(b"(0)") {
            i += 3;
        } else {
            replaced.push(token[i]);
            i += 1;
        }
    }
    let mut digits: Vec<u8> = replaced
        .into_iter()
        .filter(|b| !SEPARATORS.contains(b))
        .collect();
    if token.first() == Some(&b'+') {
        digits = [b"0".as_slice(), digits.get(2..).unwrap_or_default()].concat();
    } else if let Some(rest) = digits.strip_prefix(b"0031") {
        digits = [b"0".as_slice(), rest].concat();
    }
    (digits.len() == 10 && digits[0] == b'0' && digits[1] != b'0').then_some(digits)
}

/// phone_nl's `on_segment` loop: the national numbers of the spans that stand alone, in order.
pub fn phone_numbers(data: &[u8], spans: &[(usize, usize)]) -> Result<Vec<String>, Unsure> {
    let mut found = Vec::new();
    for &(start, end) in spans {
        let token = data
            .get(start..end)
            .filter(|t| !t.is_empty())
            .ok_or(Unsure)?;
        if !token.is_ascii() {
            return Err(Unsure); // a shape match is ASCII; digits_of's 'replace' is Python's
        }
        let Some(number) = phone_national(token) else {
            continue;
        };
        let number = String::from_utf8(number).map_err(|_| Unsure)?; // ASCII (checked above)
        let sep = token.contains(&b' ').then_some(b' ');
        if stands_alone(data, start, end, sep)? {
            found.push(number);
        }
    }
    Ok(found)
}

const WEIGHTS: [i32; 9] = [9, 8, 7, 6, 5, 4, 3, 2, -1];

/// bsn.elfproef on nine ASCII digits.
fn elfproef(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) || digits == b"000000000" {
        return false;
    }
    let total: i32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| i32::from(d - b'0') * w)
        .sum();
    total.rem_euclid(11) == 0
}

/// bsn's `_candidates`: (start, end, nine digits) of the spans that pass the 11-proef and stand
/// alone, in order.
pub fn bsn_candidates(
    data: &[u8],
    spans: &[(usize, usize)],
) -> Result<Vec<(usize, usize, String)>, Unsure> {
    let mut found = Vec::new();
    for &(start, end) in spans {
        let token = data.get(start..end).ok_or(Unsure)?;
        let mut digits: Vec<u8> = if token.len() == 9 && token.iter().all(u8::is_ascii_digit) {
            token.to_vec()
        } else {
            // normalise: digits_of, then a leading 0 for eight digits
            if !token.is_ascii() {
                return Err(Unsure); // digits_of decodes with 'replace': the Python code's case
            }
            token
                .iter()
                .copied()
                .filter(|b| !SEPARATORS.contains(b))
                .collect()
        };
        if digits.len() == 8 {
            digits.insert(0, b'0');
        }
        if !elfproef(&digits) {
            continue;
        }
        let sep = token.contains(&b' ').then_some(b' ');
        if stands_alone(data, start, end, sep)? {
            // nine ASCII digits (elfproef checked)
            found.push((start, end, String::from_utf8(digits).map_err(|_| Unsure)?));
        }
    }
    Ok(found)
}

/// `phone_numbers(data, spans) -> [number] | None` (None: the Python code decides).
#[pyfunction(name = "phone_numbers")]
fn py_phone_numbers(
    py: Python<'_>,
    data: &[u8],
    spans: Vec<(usize, usize)>,
) -> PyResult<Option<Vec<String>>> {
    crate::guarded(py, || phone_numbers(data, &spans).ok())
}

/// `bsn_candidates(data, spans) -> [(start, end, digits)] | None` (None: the Python code decides).
#[pyfunction(name = "bsn_candidates")]
fn py_bsn_candidates(
    py: Python<'_>,
    data: &[u8],
    spans: Vec<(usize, usize)>,
) -> PyResult<Option<Vec<(usize, usize, String)>>> {
    crate::guarded(py, || bsn_candidates(data, &spans).ok())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_phone_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(py_bsn_candidates, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_forms_and_context() {
        let data = "bel 06-12345678 of +31 (0)20 123 4567, niet x0612345678 of 06-12345678@x.nl \
                    en 0031 20 1234567."
            .as_bytes();
        let spans: Vec<(usize, usize)> = [
            "06-12345678",
            "+31 (0)20 123 4567",
            "0612345678",
            "0031 20 1234567",
        ]
        .iter()
        .flat_map(|n| {
            let n = n.as_bytes();
            (0..data.len())
                .filter(move |&i| data[i..].starts_with(n))
                .map(move |i| (i, i + n.len()))
        })
        .collect();
        let found = phone_numbers(data, &spans).ok().unwrap();
        assert_eq!(found, ["0612345678", "0201234567", "0201234567"]);
    }

    #[test]
    fn bsn_proef_and_amounts() {
        let data = b"BSN 123456782, \xe2\x82\xac 111.222.333 en 12345678 en 111 222 333";
        let spans = [(4, 13), (19, 30), (34, 42), (46, 57)];
        let found = bsn_candidates(data, &spans).ok().unwrap();
        let digits: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
        assert_eq!(digits, ["123456782", "111222333"]);
    }

    #[test]
    fn an_unknown_neighbour_is_unsure() {
        let data = "\u{4e2d}123456782".as_bytes();
        assert!(bsn_candidates(data, &[(3, 12)]).is_err());
        let data = "\u{e9}123456782".as_bytes(); // a letter: glued
        assert!(bsn_candidates(data, &[(2, 11)]).ok().unwrap().is_empty());
    }
}
