//! The milter framing in native code (issue 19, point 5): `Wire` reads one Postfix connection,
//! splits it into packets, keeps the macros, answers what needs no Python (option negotiation,
//! events negotiated away, the `continue` owed for a header or body chunk when Postfix did not
//! agree to go without it) and buffers headers and body; it returns to Python only at MAIL,
//! RCPT, end of message, ABORT, QUIT and when the buffer reaches its batch size.
//! milter/server/session.py keeps every decision and every other reply.
//!
//! Python's framing (protocol/codec.py, `MilterSession.feed/_dispatch`) is the reference; this
//! file answers packet for packet as it does:
//!   - a declared length beyond `max_packet` is a protocol error as soon as its 4 bytes are in
//!     (nothing of it is buffered); so is an empty packet, a command Postfix never sends, a
//!     header that is not NAME NUL VALUE [NUL], an option negotiation not 12 bytes long;
//!   - the latest macro packet is kept (one, whatever its stage) and parsed for MAIL, RCPT and
//!     end of message only when its stage is theirs (codec.parse_macros: braces dropped);
//!   - idle between packets for at most `idle_s`; a packet begun must complete within `idle_s`
//!     of the read that began it (no dribbling);
//!   - headers and body chunks are handed over in arrival order: a header after body bytes
//!     first hands over what is buffered.
//!
//! Refuses: nothing silently; every refusal above is a `ValueError` ("protocol: ...") that the
//! session turns into a tempfail and a close. A panic is a NativeError (lib.rs's `guarded`).
//! It does not own the fd: the Python socket does (and closes it); reads and writes run without
//! the GIL, with poll() for the timeouts (the socket may be non-blocking: Python's timeouts).

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

const MACRO: u8 = b'D';
const BODY: u8 = b'B';
const HEADER: u8 = b'L';
const OPTNEG: u8 = b'O';
const CONTINUE_PACKET: [u8; 5] = [0, 0, 0, 1, b'c'];

type Pair = (Vec<u8>, Vec<u8>);

/// What Python is handed: the event (its command byte; BODY for a batch), the event's argument
/// (MAIL and RCPT: the payload without its last byte), its stage's macros, and the headers and
/// body bytes buffered before it.
struct Event {
    kind: u8,
    arg: Vec<u8>,
    macros: Option<Vec<Pair>>,
    headers: Vec<Pair>,
    body: Option<Vec<u8>>,
}

enum Outcome {
    Event(Event),
    Eof,
    Timeout,
    Protocol(&'static str),
    Io(std::io::Error),
}

/// The connection's buffers (used by the session's thread only; the Mutex makes `Wire` Sync).
struct State {
    buf: Vec<u8>,
    start: usize,
    partial_since: Option<Instant>,
    last_macros: Option<Vec<u8>>,
    headers: Vec<Pair>,
    body: Option<Vec<u8>>,
    buffered: usize,
}

/// Which events need which reply: fixed at construction from session.py's constants.
struct Rules {
    wanted_actions: u32,
    wanted_protocol: u32,
    nr_header: u32,
    nr_body: u32,
    ignored: Vec<(u8, u32)>,
    max_packet: usize,
    batch: usize,
    quickack: bool,
    read_chunk: usize,
}

#[pyclass(frozen, module = "milter._native")]
pub struct Wire {
    fd: i32,
    rules: Rules,
    protocol: AtomicU32,
    held: AtomicUsize,
    state: Mutex<State>,
}

/// codec.parse_macros: the NUL-separated name/value pairs after `D` and the stage letter.
fn parse_macros(packet: &[u8]) -> Vec<Pair> {
    let fields: Vec<&[u8]> = packet.get(2..).unwrap_or(&[]).split(|&b| b == 0).collect();
    let mut pairs = Vec::new();
    let mut n = 0;
    while n + 1 < fields.len() {
        if !fields[n].is_empty() {
            let name = fields[n];
            let a = name.iter().position(|&b| b != b'{' && b != b'}');
            let name = match a {
                Some(a) => {
                    let z = name
                        .iter()
                        .rposition(|&b| b != b'{' && b != b'}')
                        .unwrap_or(a);
                    &name[a..=z]
                }
                None => &name[..0],
            };
            pairs.push((name.to_vec(), fields[n + 1].to_vec()));
        }
        n += 2;
    }
    pairs
}

/// codec.parse_header: name and value of `name NUL value [NUL]`, or None.
fn parse_header(payload: &[u8]) -> Option<Pair> {
    let parts: Vec<&[u8]> = payload.split(|&b| b == 0).collect();
    match parts.len() {
        2 => Some((parts[0].to_vec(), parts[1].to_vec())),
        3 if parts[2].is_empty() => Some((parts[0].to_vec(), parts[1].to_vec())),
        _ => None,
    }
}

fn poll(fd: i32, events: i16, timeout: Duration) -> std::io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    loop {
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n >= 0 {
            return Ok(n > 0);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

impl Wire {
    /// Writes all of `data` (the socket may be non-blocking); at most `idle` waiting.
    fn write_all(&self, mut data: &[u8], idle: Duration) -> Result<(), Outcome> {
        while !data.is_empty() {
            // SAFETY: `data` is valid for its length; MSG_NOSIGNAL: an EPIPE, never a SIGPIPE.
            let n = unsafe {
                libc::send(
                    self.fd,
                    data.as_ptr().cast(),
                    data.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if n >= 0 {
                data = &data[n as usize..];
                continue;
            }
            let err = std::io::Error::last_os_error();
            match err.kind() {
                std::io::ErrorKind::Interrupted => {}
                std::io::ErrorKind::WouldBlock => {
                    if !poll(self.fd, libc::POLLOUT, idle).map_err(Outcome::Io)? {
                        return Err(Outcome::Timeout);
                    }
                }
                _ => return Err(Outcome::Io(err)),
            }
        }
        Ok(())
    }

    fn owe_continue(&self, flag: u32, idle: Duration) -> Result<(), Outcome> {
        if self.protocol.load(Ordering::Relaxed) & flag == 0 {
            self.write_all(&CONTINUE_PACKET, idle)?;
        }
        Ok(())
    }

    fn flush(st: &mut State, kind: u8, arg: Vec<u8>, macros: Option<Vec<Pair>>) -> Outcome {
        st.buffered = 0;
        Outcome::Event(Event {
            kind,
            arg,
            macros,
            headers: std::mem::take(&mut st.headers),
            body: st.body.take(),
        })
    }

    /// Handles the complete packet at buf[at..at+len]; Some(outcome) ends `next_event`.
    /// Returns (consumed, outcome): a header after body bytes is not consumed yet.
    fn handle(
        &self,
        st: &mut State,
        at: usize,
        len: usize,
        idle: Duration,
    ) -> Result<(bool, Option<Outcome>), Outcome> {
        if len == 0 {
            return Err(Outcome::Protocol("unknown milter command"));
        }
        let kind = st.buf[at];
        let payload = at + 1..at + len;
        match kind {
            MACRO => {
                st.last_macros = Some(st.buf[at..at + len].to_vec());
                Ok((true, None))
            }
            BODY => {
                let chunk = &st.buf[payload];
                st.buffered += chunk.len();
                match st.body.as_mut() {
                    Some(body) => {
                        // Exactly what is held (no doubling): memory per connection stays
                        // within a batch and a chunk (100 connections mid-message).
                        body.reserve_exact(chunk.len());
                        body.extend_from_slice(chunk);
                    }
                    None => st.body = Some(chunk.to_vec()),
                }
                self.owe_continue(self.rules.nr_body, idle)?;
                let full = st.buffered >= self.rules.batch;
                Ok((true, full.then(|| Self::flush(st, BODY, Vec::new(), None))))
            }
            HEADER => {
                if st.body.is_some() {
                    // Body bytes came first: they go to Python before this header does.
                    return Ok((false, Some(Self::flush(st, BODY, Vec::new(), None))));
                }
                let Some(pair) = parse_header(&st.buf[payload]) else {
                    return Err(Outcome::Protocol("malformed header packet"));
                };
                st.buffered += len;
                st.headers.push(pair);
                self.owe_continue(self.rules.nr_header, idle)?;
                let full = st.buffered >= self.rules.batch;
                Ok((true, full.then(|| Self::flush(st, BODY, Vec::new(), None))))
            }
            OPTNEG => {
                let p = &st.buf[payload];
                if p.len() != 12 {
                    return Err(Outcome::Protocol("malformed option negotiation"));
                }
                let word = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
                let (version, actions, offered) = (word(0), word(4), word(8));
                let protocol = self.rules.wanted_protocol & offered;
                self.protocol.store(protocol, Ordering::Relaxed);
                let mut reply = Vec::with_capacity(17);
                reply.extend_from_slice(&13u32.to_be_bytes());
                reply.push(OPTNEG);
                reply.extend_from_slice(&version.to_be_bytes());
                reply.extend_from_slice(&(self.rules.wanted_actions & actions).to_be_bytes());
                reply.extend_from_slice(&protocol.to_be_bytes());
                self.write_all(&reply, idle)?;
                Ok((true, None))
            }
            b'M' | b'R' | b'E' | b'A' | b'Q' | b'K' => {
                let (arg, macros) = match kind {
                    b'M' | b'R' | b'E' => {
                        let arg = if kind == b'E' || len < 2 {
                            Vec::new()
                        } else {
                            st.buf[at + 1..at + len - 1].to_vec()
                        };
                        let macros = match &st.last_macros {
                            Some(m) if m.get(1) == Some(&kind) => parse_macros(m),
                            _ => Vec::new(),
                        };
                        (arg, Some(macros))
                    }
                    _ => (Vec::new(), None),
                };
                Ok((true, Some(Self::flush(st, kind, arg, macros))))
            }
            _ => match self.rules.ignored.iter().find(|(k, _)| *k == kind) {
                Some(&(_, mask)) => {
                    self.owe_continue(mask, idle)?;
                    Ok((true, None))
                }
                None => Err(Outcome::Protocol("unknown milter command")),
            },
        }
    }

    fn run(&self, st: &mut State, idle: Duration) -> Outcome {
        loop {
            // Every complete packet at the front of the buffer, in order.
            loop {
                let have = st.buf.len() - st.start;
                if have < 4 {
                    break;
                }
                let s = st.start;
                let b = &st.buf[s..s + 4];
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                if len > self.rules.max_packet {
                    return Outcome::Protocol("milter packet longer than any Postfix sends");
                }
                if have - 4 < len {
                    break;
                }
                match self.handle(st, s + 4, len, idle) {
                    Err(outcome) => return outcome,
                    Ok((consumed, outcome)) => {
                        if consumed {
                            st.start = s + 4 + len;
                        }
                        if let Some(outcome) = outcome {
                            self.note_held(st);
                            return outcome;
                        }
                    }
                }
            }
            // Keep only the incomplete packet, at the front.
            if st.start > 0 {
                st.buf.drain(..st.start);
                st.start = 0;
            }
            if st.buf.is_empty() && st.buf.capacity() > 0 {
                st.buf = Vec::new(); // between packets a connection holds no buffer
            }
            let mut left = idle;
            if st.buf.is_empty() {
                st.partial_since = None;
            } else {
                let since = *st.partial_since.get_or_insert_with(Instant::now);
                match idle.checked_sub(since.elapsed()) {
                    Some(d) if !d.is_zero() => left = d,
                    _ => return Outcome::Timeout,
                }
            }
            self.note_held(st);
            if self.rules.quickack {
                // Postfix does not set TCP_NODELAY; ack at once so Nagle doesn't stall it.
                let one: libc::c_int = 1;
                // SAFETY: a valid int option of the size given; a failure changes nothing.
                unsafe {
                    libc::setsockopt(
                        self.fd,
                        libc::IPPROTO_TCP,
                        libc::TCP_QUICKACK,
                        (&one as *const libc::c_int).cast(),
                        std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                    )
                };
            }
            match poll(self.fd, libc::POLLIN, left) {
                Err(e) => return Outcome::Io(e),
                Ok(false) => return Outcome::Timeout,
                Ok(true) => {}
            }
            // Into the buffer's spare room (freed again once framed: idle and held connections
            // keep no read buffer, a thread's stack no 64 KiB page run).
            let old = st.buf.len();
            let chunk = self.rules.read_chunk;
            st.buf.reserve(chunk);
            // SAFETY: reads at most `chunk` bytes into the reserved, unused capacity.
            let n = unsafe { libc::read(self.fd, st.buf.as_mut_ptr().add(old).cast(), chunk) };
            if n == 0 {
                return Outcome::Eof;
            }
            if n < 0 {
                let err = std::io::Error::last_os_error();
                match err.kind() {
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock => continue,
                    _ => return Outcome::Io(err),
                }
            }
            // SAFETY: read() initialised n bytes past `old`.
            unsafe { st.buf.set_len(old + n as usize) };
            self.note_held(st);
        }
    }

    fn note_held(&self, st: &State) {
        let held = st.buf.len() - st.start + st.buffered + st.body.as_ref().map_or(0, |_| 1);
        self.held.store(held, Ordering::Relaxed);
    }
}

fn pairs<'py>(py: Python<'py>, items: &[Pair]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, value) in items {
        list.append((PyBytes::new(py, name), PyBytes::new(py, value)))?;
    }
    Ok(list)
}

#[pymethods]
impl Wire {
    /// Wire(fd, wanted_actions, wanted_protocol, nr_header, nr_body, ignored, max_packet,
    /// batch, quickack, read_chunk): `ignored` is [(command byte, flags that skip it or its
    /// reply)]; `quickack`: set TCP_QUICKACK before every read (TCP connections); `read_chunk`:
    /// the most one read() takes (the tests' 1 splits every packet at every byte).
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        fd: i32,
        wanted_actions: u32,
        wanted_protocol: u32,
        nr_header: u32,
        nr_body: u32,
        ignored: Vec<(u8, u32)>,
        max_packet: usize,
        batch: usize,
        quickack: bool,
        read_chunk: usize,
    ) -> Self {
        Wire {
            fd,
            rules: Rules {
                wanted_actions,
                wanted_protocol,
                nr_header,
                nr_body,
                ignored,
                max_packet,
                batch: batch.max(1),
                quickack,
                read_chunk: read_chunk.max(1),
            },
            protocol: AtomicU32::new(wanted_protocol),
            held: AtomicUsize::new(0),
            state: Mutex::new(State {
                buf: Vec::new(),
                start: 0,
                partial_since: None,
                last_macros: None,
                headers: Vec::new(),
                body: None,
                buffered: 0,
            }),
        }
    }

    /// The next event for Python: (command byte, argument, macros or None, headers, body or
    /// None), or None when Postfix closed the connection. TimeoutError when idle for `idle_s`
    /// (or a packet begun did not complete in time), OSError from the socket, ValueError for
    /// traffic that is not the milter protocol.
    fn next_event<'py>(
        &self,
        py: Python<'py>,
        idle_s: f64,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let idle = Duration::from_secs_f64(idle_s.max(0.001));
        let outcome = crate::guarded(py, || {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            self.run(&mut st, idle)
        })?;
        match outcome {
            Outcome::Eof => Ok(None),
            Outcome::Timeout => Err(PyTimeoutError::new_err("milter connection idle")),
            Outcome::Io(err) => Err(err.into()),
            Outcome::Protocol(what) => Err(PyValueError::new_err(what)),
            Outcome::Event(ev) => {
                let macros = match ev.macros {
                    None => py.None().into_bound(py),
                    Some(m) => {
                        let dict = PyDict::new(py);
                        for (name, value) in &m {
                            dict.set_item(PyBytes::new(py, name), PyBytes::new(py, value))?;
                        }
                        dict.into_any()
                    }
                };
                let body = match ev.body {
                    None => py.None().into_bound(py),
                    Some(b) => PyBytes::new(py, &b).into_any(),
                };
                let items = [
                    PyBytes::new(py, &[ev.kind]).into_any(),
                    PyBytes::new(py, &ev.arg).into_any(),
                    macros,
                    pairs(py, &ev.headers)?.into_any(),
                    body,
                ];
                Ok(Some(PyTuple::new(py, items)?))
            }
        }
    }

    /// The protocol flags in force (WANTED_PROTOCOL until negotiation narrows them).
    #[getter]
    fn protocol(&self) -> u32 {
        self.protocol.load(Ordering::Relaxed)
    }

    /// Bytes received or buffered that Python has not been handed (0: closing loses nothing);
    /// readable from another thread while `next_event` waits.
    #[getter]
    fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_as_codec_parses_them() {
        let got = parse_macros(b"DMi\x004Q\0{mail_addr}\0a@b\0{}\0x\0odd");
        let want: Vec<Pair> = vec![
            (b"i".to_vec(), b"4Q".to_vec()),
            (b"mail_addr".to_vec(), b"a@b".to_vec()),
            (b"".to_vec(), b"x".to_vec()),
        ];
        assert_eq!(got, want);
        assert!(parse_macros(b"D").is_empty());
    }

    #[test]
    fn headers_as_codec_parses_them() {
        assert_eq!(
            parse_header(b"a\0b\0"),
            Some((b"a".to_vec(), b"b".to_vec()))
        );
        assert_eq!(parse_header(b"a\0b"), Some((b"a".to_vec(), b"b".to_vec())));
        assert_eq!(parse_header(b"ab"), None);
        assert_eq!(parse_header(b"a\0b\0c\0"), None);
        assert_eq!(parse_header(b"a\0b\0c"), None);
    }
}
