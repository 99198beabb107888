//! finder -- the matcher's combined pattern (milter/content/matcher.py) found natively, with
//! exactly RE2's answer: the leftmost-first match at or after `pos`, same start, same end.
//!
//! RE2 runs its DFA over every byte of the text (~170-400 MB/s on this machine for the 86 KB
//! pattern of shapes and keywords).  Here the pattern is parsed once (regex-syntax, bytes,
//! Unicode off: RE2's Latin-1 mode), compiled to a Thompson NFA, and searched in two steps:
//!   1. a prefilter.  The byte strings (up to 3 bytes) every match must start with are read off
//!      the NFA (`prefixes`: the states reachable after 0, 1, 2 bytes, look-around taken as
//!      true, so a superset).  A Teddy-style scan (16 buckets of nibble masks over the bytes
//!      with 0x20 set, so case variants share a bucket) marks the positions whose first three
//!      bytes may be such a prefix, 32 at a time with AVX2 (16 with SSSE3); each mark is then
//!      checked against an exact 8 KB table of first byte pairs and a hashed 32 KB table of
//!      triples (a collision only adds a candidate).  Without SSSE3 the tables alone are asked
//!      at every position.  The scan loop calls the step-2 check inline (no call per block).
//!   2. at each candidate, in order, an anchored leftmost-first walk of regex-automata's lazy
//!      DFA; the first candidate with a match gives the answer.  Without look-around in the
//!      pattern, the bytes (up to 8) on which a walk died without a match are remembered
//!      (DeadEnds): prose repeats its words, so most candidates are answered by one compare.  The leftmost-first match of
//!      a pattern is the anchored leftmost-first match at the smallest position that has one,
//!      so this is RE2's answer; look-around sees the whole text, as RE2's does.
//!
//! Refuses (`Finder::new` errs, the caller keeps RE2): a pattern regex-syntax cannot parse
//! (RE2-only syntax such as octal escapes) or regex-automata cannot build.  When a match may be
//! empty (the empty prefix) there is no prefilter to prove, and the finder runs the PikeVM's
//! unanchored leftmost-first search instead: slower, the same answer.  If the lazy DFA ever
//! gives up on a candidate, the PikeVM answers for it.

use std::sync::Mutex;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::nfa::thompson::pikevm::{Cache as PikeCache, PikeVM};
use regex_automata::nfa::thompson::{State, NFA};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::ParserBuilder;

/// Bits of the hashed triple table (2^18 bits = 32 KB).
const TRIPLE_BITS: u32 = 18;
/// How many positions the prefilter tests per round (a u64 mask of hits).
const BLOCK: usize = 16;

/// The instruction set the prefilter's scan uses (the best this CPU has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simd {
    Scalar,
    Ssse3,
    Avx2,
}

impl Simd {
    fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
            if std::arch::is_x86_feature_detected!("ssse3") {
                return Simd::Ssse3;
            }
        }
        Simd::Scalar
    }

    /// `self` and the instruction sets below it (tests: every scan loop answers the same).
    #[cfg(test)]
    fn below(self) -> Vec<Simd> {
        [Simd::Avx2, Simd::Ssse3, Simd::Scalar]
            .into_iter()
            .filter(|&s| s as u8 <= self as u8)
            .collect()
    }
}

struct Prefilter {
    /// bit (b0 << 8 | b1): some literal starts with b0 b1 (or is just b0)
    pairs: Box<[u64; 1024]>,
    /// hashed bit of (b0, b1, b2): some literal starts with b0 b1 b2 (or is shorter)
    triples: Box<[u64]>,
    /// Teddy-style nibble masks over the folded bytes (`byte | 0x20`) at offsets 0, 1, 2:
    /// `[lo0, hi0, lo1, hi1, lo2, hi2][nibble]` = the buckets (bits) that accept it
    nibbles: [[[u8; 16]; 6]; 2],
    /// the scan's instruction set (AVX2: 32 positions a step, SSSE3: 16, else the tables alone)
    simd: Simd,
}

const FOLD: u8 = 0x20;
/// Teddy buckets: two sets of eight (one byte of bits each).
const BUCKETS: usize = 16;

/// What a bucket of literals accepts at offsets 0, 1, 2 of the folded bytes: (lo, hi) nibble
/// sets as 16-bit masks (a byte passes when both its nibbles are in; a superset of the bytes).
type Group = [(u16, u16); 3];

fn merged(a: &Group, b: &Group) -> Group {
    [0, 1, 2].map(|k| (a[k].0 | b[k].0, a[k].1 | b[k].1))
}

/// A rough share of `byte` (folded) in ordinary prose, for choosing buckets only.
fn prose_weight(byte: usize) -> f64 {
    match byte as u8 {
        b'a'..=b'z' | b' ' => 1.0,
        b'0'..=b'9' => 0.1,
        0x80..=0xff => 0.02,
        _ => 0.05,
    }
}

/// How likely the masks of `group` let a position of prose through (the false candidates
/// the bucket choice keeps low).
fn cost(group: &Group) -> f64 {
    group
        .iter()
        .map(|&(lo, hi)| {
            (0..256usize)
                .filter(|&b| lo >> (b & 15) & 1 == 1 && hi >> (b >> 4) & 1 == 1)
                .map(prose_weight)
                .sum::<f64>()
        })
        .product()
}

/// The kind of a byte at offsets 1 and 2 that keys a first group (see nibble_masks).
fn kind(byte: Option<&u8>) -> usize {
    match byte.map(|b| b | FOLD) {
        None => 0,
        Some(b'a'..=b'z') => 1,
        Some(b'0'..=b'9') => 2,
        Some(0x80..=0xff) => 3,
        Some(_) => 4,
    }
}

/// BUCKETS buckets of literals: one group per folded first byte and kind of the next two bytes
/// (letters, digits, non-ASCII: accents and combining marks are rare in prose and should not
/// widen the masks of the plain letters), then the merges that cost least, greedily.
fn nibble_masks(literals: &[&[u8]]) -> [[[u8; 16]; 6]; 2] {
    let mut by_key: Vec<Option<Group>> = vec![None; 256 * 25];
    for lit in literals {
        let key = usize::from(lit[0] | FOLD) * 25 + kind(lit.get(1)) * 5 + kind(lit.get(2));
        let group = by_key[key].get_or_insert([(0, 0); 3]);
        for (k, nibbles) in group.iter_mut().enumerate() {
            match lit.get(k) {
                Some(&b) => {
                    let b = b | FOLD;
                    nibbles.0 |= 1 << (b & 15);
                    nibbles.1 |= 1 << (b >> 4);
                }
                None => *nibbles = (0xffff, 0xffff), // a shorter literal: anything may follow
            }
        }
    }
    let mut groups: Vec<Group> = by_key.into_iter().flatten().collect();
    let mut costs: Vec<f64> = groups.iter().map(cost).collect();
    // growth[a][b] (a < b): what merging groups a and b adds to the total cost
    let growth_of =
        |g: &[Group], c: &[f64], a: usize, b: usize| cost(&merged(&g[a], &g[b])) - c[a] - c[b];
    let n = groups.len();
    let mut growth = vec![vec![f64::INFINITY; n]; n];
    for a in 0..n {
        for b in a + 1..n {
            growth[a][b] = growth_of(&groups, &costs, a, b);
        }
    }
    let mut alive: Vec<bool> = vec![true; n];
    let mut left = n;
    while left > BUCKETS {
        let mut best = (f64::INFINITY, 0, 0);
        for a in (0..n).filter(|&a| alive[a]) {
            for b in (a + 1..n).filter(|&b| alive[b]) {
                if growth[a][b] < best.0 {
                    best = (growth[a][b], a, b);
                }
            }
        }
        let (_, a, b) = best;
        groups[a] = merged(&groups[a], &groups[b]);
        costs[a] = cost(&groups[a]);
        alive[b] = false;
        left -= 1;
        for other in (0..n).filter(|&o| alive[o] && o != a) {
            let (x, y) = (a.min(other), a.max(other));
            growth[x][y] = growth_of(&groups, &costs, x, y);
        }
    }
    let mut masks = [[[0u8; 16]; 6]; 2];
    for (bucket, group) in (0..n).filter(|&g| alive[g]).map(|g| &groups[g]).enumerate() {
        let (set, bit) = (bucket / 8, 1u8 << (bucket % 8));
        for (k, &(lo, hi)) in group.iter().enumerate() {
            for nibble in 0..16 {
                if lo >> nibble & 1 == 1 {
                    masks[set][2 * k][nibble] |= bit;
                }
                if hi >> nibble & 1 == 1 {
                    masks[set][2 * k + 1][nibble] |= bit;
                }
            }
        }
    }
    masks
}

/// Bit k set: the folded bytes at `ptr + k`, `+ k + 1`, `+ k + 2` pass the nibble masks of one
/// bucket, for k in 0..16.
///
/// # Safety
/// `ptr` must be readable for 18 bytes, and the CPU must have SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
unsafe fn teddy16(masks: &[[[u8; 16]; 6]; 2], ptr: *const u8) -> u32 {
    use std::arch::x86_64::*;
    let fold = _mm_set1_epi8(FOLD as i8);
    let low = _mm_set1_epi8(0x0f);
    let mut acc = [_mm_set1_epi8(-1); 2];
    for k in 0..3 {
        let v = _mm_or_si128(_mm_loadu_si128(ptr.add(k).cast()), fold);
        let lo = _mm_and_si128(v, low);
        let hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
        for (set, acc) in acc.iter_mut().enumerate() {
            let lo_mask = _mm_loadu_si128(masks[set][2 * k].as_ptr().cast());
            let hi_mask = _mm_loadu_si128(masks[set][2 * k + 1].as_ptr().cast());
            let m = _mm_and_si128(_mm_shuffle_epi8(lo_mask, lo), _mm_shuffle_epi8(hi_mask, hi));
            *acc = _mm_and_si128(*acc, m);
        }
    }
    let any = _mm_or_si128(
        _mm_xor_si128(
            _mm_cmpeq_epi8(acc[0], _mm_setzero_si128()),
            _mm_set1_epi8(-1),
        ),
        _mm_xor_si128(
            _mm_cmpeq_epi8(acc[1], _mm_setzero_si128()),
            _mm_set1_epi8(-1),
        ),
    );
    _mm_movemask_epi8(any) as u32 & 0xffff
}

#[inline(always)]
fn triple_hash(b0: u8, b1: u8, b2: u8) -> usize {
    let key = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
    (key.wrapping_mul(0x9E37_79B1) >> (32 - TRIPLE_BITS)) as usize
}

impl Prefilter {
    /// The tables of `literals`, or None when they prove nothing (an empty literal).
    fn new(literals: &[&[u8]]) -> Option<Prefilter> {
        let mut pairs = Box::new([0u64; 1024]);
        let mut triples = vec![0u64; 1 << (TRIPLE_BITS - 6)].into_boxed_slice();
        let mut set_pair = |p: usize| pairs[p >> 6] |= 1 << (p & 63);
        let set_triple = |h: usize, t: &mut [u64]| t[h >> 6] |= 1 << (h & 63);
        for lit in literals {
            match *lit {
                [] => return None,
                [b0] => {
                    // a match may start with b0 and anything after it
                    for b1 in 0..=255u8 {
                        set_pair(usize::from(*b0) << 8 | usize::from(b1));
                        for b2 in 0..=255u8 {
                            set_triple(triple_hash(*b0, b1, b2), &mut triples);
                        }
                    }
                }
                [b0, b1] => {
                    set_pair(usize::from(*b0) << 8 | usize::from(*b1));
                    for b2 in 0..=255u8 {
                        set_triple(triple_hash(*b0, *b1, b2), &mut triples);
                    }
                }
                [b0, b1, b2, ..] => {
                    set_pair(usize::from(*b0) << 8 | usize::from(*b1));
                    set_triple(triple_hash(*b0, *b1, *b2), &mut triples);
                }
            }
        }
        let nibbles = nibble_masks(literals);
        Some(Prefilter {
            pairs,
            triples,
            nibbles,
            simd: Simd::detect(),
        })
    }

    /// Whether the first pair and triple of the bytes at `i` are some literal's (exact for
    /// pairs; a hash collision of triples only adds a candidate).
    #[inline(always)]
    fn exact(&self, b0: u8, b1: u8, b2: u8) -> bool {
        let p = usize::from(b0) << 8 | usize::from(b1);
        let h = triple_hash(b0, b1, b2);
        (self.pairs[p >> 6] >> (p & 63)) & (self.triples[h >> 6] >> (h & 63)) & 1 == 1
    }

    /// Calls `hit(i)` for each position `i` in `at..end` that may start a match, in order,
    /// until `hit` says true (reads no byte at or after `end`).  One loop per instruction set,
    /// with the candidate check inlined into it: the nibble masks stay in registers and a
    /// block costs no call (a call per 16 bytes was half the scan's time).
    #[inline(always)]
    fn scan(&self, hay: &[u8], at: usize, end: usize, hit: impl FnMut(usize) -> bool) -> bool {
        let end = end.min(hay.len());
        match self.simd {
            // SAFETY: `simd` was detected on this CPU (Simd::detect) or lowered by a test
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { self.scan_avx2(hay, at, end, hit) },
            #[cfg(target_arch = "x86_64")]
            Simd::Ssse3 => unsafe { self.scan_ssse3(hay, at, end, hit) },
            _ => self.scan_tail(hay, at, end, hit),
        }
    }

    /// The table check at every position (no SIMD, and the last bytes of every scan).
    #[inline(always)]
    fn scan_tail(
        &self,
        hay: &[u8],
        at: usize,
        end: usize,
        mut hit: impl FnMut(usize) -> bool,
    ) -> bool {
        let mut i = at;
        while i + 2 < end {
            if self.exact(hay[i], hay[i + 1], hay[i + 2]) && hit(i) {
                return true;
            }
            i += 1;
        }
        while i < end {
            if self.maybe(hay, i, end) && hit(i) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// `scan` 32 positions a step: the Teddy masks of both bucket sets in both 128-bit lanes.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_avx2(
        &self,
        hay: &[u8],
        mut at: usize,
        end: usize,
        mut hit: impl FnMut(usize) -> bool,
    ) -> bool {
        use std::arch::x86_64::*;
        const STEP: usize = 32;
        let load = |set: usize, k: usize| {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(self.nibbles[set][k].as_ptr().cast()))
        };
        let m = [
            [
                load(0, 0),
                load(0, 1),
                load(0, 2),
                load(0, 3),
                load(0, 4),
                load(0, 5),
            ],
            [
                load(1, 0),
                load(1, 1),
                load(1, 2),
                load(1, 3),
                load(1, 4),
                load(1, 5),
            ],
        ];
        let fold = _mm256_set1_epi8(FOLD as i8);
        let low = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        while at + STEP + 2 <= end {
            let ptr = hay.as_ptr().add(at);
            let mut acc = [_mm256_set1_epi8(-1); 2];
            for k in 0..3 {
                // SAFETY: at + k + 32 <= at + 34 <= end <= hay.len()
                let v = _mm256_or_si256(_mm256_loadu_si256(ptr.add(k).cast()), fold);
                let lo = _mm256_and_si256(v, low);
                let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
                for set in 0..2 {
                    let x = _mm256_and_si256(
                        _mm256_shuffle_epi8(m[set][2 * k], lo),
                        _mm256_shuffle_epi8(m[set][2 * k + 1], hi),
                    );
                    acc[set] = _mm256_and_si256(acc[set], x);
                }
            }
            let none = _mm256_cmpeq_epi8(_mm256_or_si256(acc[0], acc[1]), zero);
            let mut mask = !(_mm256_movemask_epi8(none) as u32);
            while mask != 0 {
                let i = at + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                if self.exact(hay[i], hay[i + 1], hay[i + 2]) && hit(i) {
                    return true;
                }
            }
            at += STEP;
        }
        self.scan_tail(hay, at, end, hit)
    }

    /// `scan` 16 positions a step (SSSE3).
    ///
    /// # Safety
    /// The CPU must have SSSE3.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "ssse3")]
    unsafe fn scan_ssse3(
        &self,
        hay: &[u8],
        mut at: usize,
        end: usize,
        mut hit: impl FnMut(usize) -> bool,
    ) -> bool {
        while at + BLOCK + 2 <= end {
            // SAFETY: the 18 bytes at `at` are in hay[..end]; the caller checked SSSE3
            let mut mask = teddy16(&self.nibbles, hay.as_ptr().add(at));
            while mask != 0 {
                let i = at + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                if self.exact(hay[i], hay[i + 1], hay[i + 2]) && hit(i) {
                    return true;
                }
            }
            at += BLOCK;
        }
        self.scan_tail(hay, at, end, hit)
    }

    /// Whether position `i` (< end) may start a match, for the last positions of the text.
    fn maybe(&self, hay: &[u8], i: usize, end: usize) -> bool {
        let b0 = hay[i];
        let Some(&b1) = hay[..end].get(i + 1) else {
            // one byte left: a literal of length 1 (all its pairs are set) or none
            return (0..=255u8).all(|b1| {
                let p = usize::from(b0) << 8 | usize::from(b1);
                self.pairs[p >> 6] >> (p & 63) & 1 == 1
            });
        };
        let p = usize::from(b0) << 8 | usize::from(b1);
        if self.pairs[p >> 6] >> (p & 63) & 1 == 0 {
            return false;
        }
        let Some(&b2) = hay[..end].get(i + 2) else {
            // two bytes left: only a literal of at most two bytes fits; a longer one needs more
            return (0..=255u8).all(|b2| {
                let h = triple_hash(b0, b1, b2);
                self.triples[h >> 6] >> (h & 63) & 1 == 1
            });
        };
        let h = triple_hash(b0, b1, b2);
        self.triples[h >> 6] >> (h & 63) & 1 == 1
    }
}

/// Every match of the NFA starts with one of these byte strings (up to 3 bytes each), read off
/// the NFA itself: the states reachable after 0, 1, 2 bytes, with look-around assumed to hold
/// (so a superset).  A string shorter than 3 bytes: a match may end there.  The empty string
/// (a match may be empty): the caller has no prefilter.  (regex-syntax's literal Extractor
/// gives the same set but takes ~0.2 s on the 86 KB pattern, crossing the accent and
/// combining-mark classes of every letter; this walk takes a few milliseconds.)
fn prefixes(nfa: &NFA) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut closure = Closure::new(nfa.states().len());
    let start = closure.of(nfa, &[nfa.start_anchored()]);
    walk(nfa, &mut closure, &start, &mut Vec::new(), &mut out);
    out
}

fn walk(nfa: &NFA, closure: &mut Closure, set: &Set, prefix: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
    if set.matches || prefix.len() == 3 {
        out.push(prefix.clone());
        return;
    }
    // by byte: the states its transitions lead to
    let mut next: Vec<Vec<StateID>> = vec![Vec::new(); 256];
    for &id in &set.states {
        match nfa.state(id) {
            State::ByteRange { trans } => {
                for b in trans.start..=trans.end {
                    next[usize::from(b)].push(trans.next);
                }
            }
            State::Sparse(sparse) => {
                for trans in sparse.transitions.iter() {
                    for b in trans.start..=trans.end {
                        next[usize::from(b)].push(trans.next);
                    }
                }
            }
            State::Dense(dense) => {
                for (b, &to) in dense.transitions.iter().enumerate() {
                    if to != StateID::ZERO {
                        next[b].push(to);
                    }
                }
            }
            _ => {}
        }
    }
    for (b, targets) in next.iter().enumerate() {
        if targets.is_empty() {
            continue;
        }
        let after = closure.of(nfa, targets);
        prefix.push(b as u8);
        walk(nfa, closure, &after, prefix, out);
        prefix.pop();
    }
}

/// A set of NFA states with transitions on bytes, and whether a match state is in it.
struct Set {
    states: Vec<StateID>,
    matches: bool,
}

/// Epsilon closures (look-around taken as true), with a reusable seen-mark per state.
struct Closure {
    seen: Vec<u32>,
    round: u32,
}

impl Closure {
    fn new(states: usize) -> Closure {
        Closure {
            seen: vec![0; states],
            round: 0,
        }
    }

    fn of(&mut self, nfa: &NFA, from: &[StateID]) -> Set {
        self.round += 1;
        let mut set = Set {
            states: Vec::new(),
            matches: false,
        };
        let mut stack: Vec<StateID> = from.to_vec();
        while let Some(id) = stack.pop() {
            let mark = &mut self.seen[id.as_usize()];
            if *mark == self.round {
                continue;
            }
            *mark = self.round;
            match nfa.state(id) {
                State::ByteRange { .. } | State::Sparse(_) | State::Dense(_) => set.states.push(id),
                State::Look { next, .. } | State::Capture { next, .. } => stack.push(*next),
                State::Union { alternates } => stack.extend(alternates.iter().rev()),
                State::BinaryUnion { alt1, alt2 } => stack.extend([*alt2, *alt1]),
                State::Fail => {}
                State::Match { .. } => set.matches = true,
            }
        }
        set
    }
}

/// The combined pattern, built once per policy load.
pub struct Finder {
    prefilter: Option<Prefilter>,
    dfa: DFA,
    /// the unanchored search when there is no prefilter, and the answer if the DFA fails
    pikevm: PikeVM,
    caches: Mutex<(Cache, PikeCache, DeadEnds)>,
    literals: usize,
    /// the pattern has no look-around: a walk's course depends on the bytes alone (DeadEnds)
    no_look: bool,
}

/// Slots of DeadEnds (by the first three bytes of a candidate).
const DEAD_SLOTS: usize = 4096;

/// Byte strings of up to 8 bytes at which the anchored walk died without a match, one per slot
/// (the latest): prose repeats its words ('voor', 'kind ', '2026.' pass the prefilter as the
/// start of 'voogdij', 'kinderbescherming', a long number), so most candidates are known dead
/// ends and cost one compare instead of a walk.  Only without look-around: then the walk from a
/// position is a function of the bytes that follow, and the same bytes die the same way.
struct DeadEnds(Vec<(u64, u8)>);

impl DeadEnds {
    fn new() -> DeadEnds {
        DeadEnds(vec![(0, 0); DEAD_SLOTS])
    }

    #[inline(always)]
    fn slot(word: u64) -> usize {
        let key = (word & 0xff_ffff) as u32;
        (key.wrapping_mul(0x9E37_79B1) >> 20) as usize & (DEAD_SLOTS - 1)
    }

    #[inline(always)]
    fn mask(len: u8) -> u64 {
        if len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * u32::from(len))) - 1
        }
    }

    /// Whether the 8 bytes `word` start with a known dead end.
    #[inline(always)]
    fn known(&self, word: u64) -> bool {
        let (value, len) = self.0[Self::slot(word)];
        len != 0 && word & Self::mask(len) == value
    }

    fn remember(&mut self, word: u64, len: u8) {
        self.0[Self::slot(word)] = (word & Self::mask(len), len);
    }
}

/// Anything that stops a finder from being built (the caller keeps RE2).
#[derive(Debug)]
pub struct Refused(pub String);

impl Finder {
    /// Parse `pattern` (RE2 syntax, Latin-1 mode: one byte is one character) and build it.
    pub fn new(pattern: &str) -> Result<Finder, Refused> {
        Finder::build(pattern, None)
    }

    /// `new`, with the lazy DFA's cache cut to `tiny_cache` bytes (tests: a cache cleared
    /// over and over, even in the middle of a candidate, must not change an answer).
    fn build(pattern: &str, tiny_cache: Option<usize>) -> Result<Finder, Refused> {
        let hir = ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .nest_limit(1000)
            .build()
            .parse(pattern)
            .map_err(|e| Refused(format!("parse: {e}")))?;
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(256 << 20)),
            )
            .build_from_hir(&hir)
            .map_err(|e| Refused(format!("nfa: {e}")))?;
        let literals = prefixes(&nfa);
        let bytes: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
        let prefilter = Prefilter::new(&bytes);
        let literals = literals.len();
        let no_look = nfa.look_set_any().is_empty();
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    // bounded per finder (matcher.py keeps a few): a full cache is cleared and
                    // refilled, same answers; ~250 KB are used on the benchmark prose
                    .cache_capacity(tiny_cache.unwrap_or(4 << 20))
                    .skip_cache_capacity_check(tiny_cache.is_some()),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| Refused(format!("dfa: {e}")))?;
        // the same NFA (shared): building it costs nothing more, unlike a meta regex
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::LeftmostFirst))
            .build_from_nfa(nfa)
            .map_err(|e| Refused(format!("pikevm: {e}")))?;
        let caches = Mutex::new((dfa.create_cache(), pikevm.create_cache(), DeadEnds::new()));
        Ok(Finder {
            prefilter,
            dfa,
            pikevm,
            caches,
            literals,
            no_look,
        })
    }

    /// Whether the prefilter is used (false: the plain unanchored search runs).
    pub fn prefiltered(&self) -> bool {
        self.prefilter.is_some()
    }

    /// How many prefix literals the prefilter was built from.
    pub fn literal_count(&self) -> usize {
        self.literals
    }

    /// RE2's leftmost-first match in `hay[pos..end]` (context: all of `hay`), or None.
    pub fn first(&self, hay: &[u8], pos: usize, end: usize) -> Option<(usize, usize)> {
        let end = end.min(hay.len());
        if pos > end {
            return None;
        }
        let mut caches = self
            .caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (cache, pike, dead) = &mut *caches;
        let Some(pre) = &self.prefilter else {
            let input = Input::new(hay).range(pos..end);
            return self.pikevm.find(pike, input).map(|m| (m.start(), m.end()));
        };
        let mut found = None;
        pre.scan(hay, pos, end, |i| {
            found = self.anchored(cache, pike, dead, hay, i, end);
            found.is_some()
        });
        found // (no empty literal, so no empty match at `end` either)
    }

    /// How many positions of `hay` the prefilter lets through (for benchmarks).
    pub fn candidates(&self, hay: &[u8]) -> usize {
        let Some(pre) = &self.prefilter else {
            return hay.len();
        };
        (0..hay.len())
            .filter(|&i| pre.maybe(hay, i, hay.len()))
            .count()
    }

    /// The anchored leftmost-first match at `i`, walking the lazy DFA by hand (a search call
    /// costs more than the few bytes a candidate usually takes to reject).
    #[inline]
    fn anchored(
        &self,
        cache: &mut Cache,
        pike: &mut PikeCache,
        dead: &mut DeadEnds,
        hay: &[u8],
        i: usize,
        end: usize,
    ) -> Option<(usize, usize)> {
        let word = match hay[..end].get(i..i + 8) {
            Some(bytes) if self.no_look => {
                let word = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
                if dead.known(word) {
                    return None;
                }
                Some(word)
            }
            _ => None,
        };
        match self.walk(cache, hay, i, end) {
            Ok((None, died)) => {
                if let (Some(word), 1..=8) = (word, died) {
                    dead.remember(word, died as u8);
                }
                None
            }
            Ok((found, _)) => found.map(|e| (i, e)),
            // the lazy DFA gave up or quit (it does neither with this configuration)
            Err(()) => {
                let input = Input::new(hay).range(i..end).anchored(Anchored::Yes);
                self.pikevm.find(pike, input).map(|m| (m.start(), m.end()))
            }
        }
    }

    fn walk(
        &self,
        cache: &mut Cache,
        hay: &[u8],
        i: usize,
        end: usize,
    ) -> Result<(Option<usize>, usize), ()> {
        // (the match's end, and how many bytes the walk took to die when it did without one)
        let config = start::Config::new()
            .anchored(Anchored::Yes)
            .look_behind(if i > 0 { Some(hay[i - 1]) } else { None });
        let mut sid = self.dfa.start_state(cache, &config).map_err(|_| ())?;
        let mut last = None;
        for (at, &byte) in hay[i..end].iter().enumerate() {
            sid = self.dfa.next_state(cache, sid, byte).map_err(|_| ())?;
            if sid.is_tagged() {
                if sid.is_match() {
                    // match states come one byte late: the match ended before this byte
                    last = Some(i + at);
                } else if sid.is_dead() {
                    return Ok((last, if last.is_none() { at + 1 } else { 0 }));
                } else if sid.is_quit() {
                    return Err(());
                }
            }
        }
        sid = self.dfa.next_eoi_state(cache, sid).map_err(|_| ())?;
        if sid.is_match() {
            last = Some(end);
        } else if sid.is_quit() {
            return Err(());
        }
        Ok((last, 0))
    }
}

/// The detectors' shapes, to tell which one a match is: matcher.py's twin (the first shape
/// whose Python `re` twin fullmatches the matched bytes), natively.  One anchored lazy DFA of
/// all shapes with every pattern's matches kept (MatchKind::All): after the span's bytes, the
/// shapes that match exactly up to its end are the match state's patterns, the first (lowest
/// index) is the answer.  For shapes without look-around only (refused otherwise; the twin
/// sees the text differently): there a match of a shape is the same bytes in RE2 and `re`.
pub struct Shapes {
    dfa: DFA,
    cache: Mutex<Cache>,
    /// the bytes a shape match can start with (matcher.py's shape_starts)
    starts: [bool; 256],
}

impl Shapes {
    pub fn new(patterns: &[String], starts: &[u8]) -> Result<Shapes, Refused> {
        let dfa = DFA::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .thompson(thompson::Config::new().utf8(false))
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(1 << 20),
            )
            .build_many(patterns)
            .map_err(|e| Refused(format!("shapes: {e}")))?;
        if !dfa.get_nfa().look_set_any().is_empty() {
            // the twin's fullmatch(data, start, end) sees `$`, `\b` and the like at the span's
            // edges, the DFA sees the whole text: their answers could differ
            return Err(Refused("shapes: look-around".into()));
        }
        let mut table = [false; 256];
        for &b in starts {
            table[usize::from(b)] = true;
        }
        let cache = Mutex::new(dfa.create_cache());
        Ok(Shapes {
            dfa,
            cache,
            starts: table,
        })
    }

    /// The first shape that matches exactly hay[start..end] (None: a keyword, or unsure).
    fn which(&self, cache: &mut Cache, hay: &[u8], start: usize, end: usize) -> Option<usize> {
        if end <= start || !self.starts[usize::from(hay[start])] {
            return None;
        }
        let config = start::Config::new()
            .anchored(Anchored::Yes)
            .look_behind(if start > 0 {
                Some(hay[start - 1])
            } else {
                None
            });
        let mut sid = self.dfa.start_state(cache, &config).ok()?;
        for &byte in &hay[start..end] {
            sid = self.dfa.next_state(cache, sid, byte).ok()?;
            if sid.is_dead() || sid.is_quit() {
                return None;
            }
        }
        // match states come one byte late: the byte after the span (or the end) shows which
        // patterns matched up to `end`
        sid = match hay.get(end) {
            Some(&byte) => self.dfa.next_state(cache, sid, byte).ok()?,
            None => self.dfa.next_eoi_state(cache, sid).ok()?,
        };
        if !sid.is_match() {
            return None;
        }
        (0..self.dfa.match_len(cache, sid))
            .map(|i| self.dfa.match_pattern(cache, sid, i).as_usize())
            .min()
    }
}

/// (start, end) of matches, in text order.
pub type Spans = Vec<(usize, usize)>;
/// What `batch` answers Python: the sinks' spans by slot, and the match it stopped at.
type BatchAnswer = (Vec<Spans>, Option<(usize, usize)>);

/// What `batch` did: the spans of sink shapes it took, by slot, in text order; the match it
/// stopped at (a keyword or a shape that is no sink: the caller's to handle), if any.
pub struct Batch {
    pub sinks: Vec<Spans>,
    pub stop: Option<(usize, usize)>,
}

impl Finder {
    /// matcher.py's pass from `pos` while the matches are sink shapes (`slots[shape]`: the
    /// list it goes to, None for a shape with its own on_shape): each is appended to its slot
    /// and the pass goes on at its end, as the Python loop does; the first other match stops.
    pub fn batch(
        &self,
        shapes: &Shapes,
        slots: &[Option<usize>],
        hay: &[u8],
        mut pos: usize,
        end: usize,
    ) -> Batch {
        let count = slots.iter().flatten().max().map_or(0, |m| m + 1);
        let mut out = Batch {
            sinks: vec![Vec::new(); count],
            stop: None,
        };
        let mut cache = shapes
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while pos <= end {
            let Some((s, e)) = self.first(hay, pos, end) else {
                return out;
            };
            let slot = shapes
                .which(&mut cache, hay, s, e)
                .and_then(|k| slots.get(k).copied().flatten());
            match slot {
                Some(slot) => out.sinks[slot].push((s, e)),
                None => {
                    out.stop = Some((s, e));
                    return out;
                }
            }
            pos = if e > s { e } else { e + 1 };
        }
        out
    }
}

/// The Python face: `Finder(pattern)` (ValueError when refused), `first(data, pos, endpos)`
/// -> `[(start, end)]`, `[(-1, -1)]` for none: the shape of google-re2's `Match` call that
/// matcher.py's pass uses.  A panic is a NativeError, never an unwind into Python.
#[pyo3::pyclass(name = "Finder", module = "milter._native", frozen)]
pub struct PyFinder(Finder);

#[pyo3::pymethods]
impl PyFinder {
    #[new]
    fn py_new(pattern: &str) -> pyo3::PyResult<Self> {
        let built = std::panic::catch_unwind(|| Finder::new(pattern))
            .map_err(|_| crate::NativeError::new_err("native content core failed (panic)"))?;
        built
            .map(PyFinder)
            .map_err(|Refused(why)| pyo3::exceptions::PyValueError::new_err(why))
    }

    /// `[(start, end)]` of the first match in data[pos:endpos], `[(-1, -1)]` when none.
    fn first(&self, data: &[u8], pos: usize, endpos: usize) -> pyo3::PyResult<Vec<(isize, isize)>> {
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.0.first(data, pos, endpos)
        }))
        .map_err(|_| crate::NativeError::new_err("native content core failed (panic)"))?;
        Ok(vec![match found {
            Some((start, end)) => (start as isize, end as isize),
            None => (-1, -1),
        }])
    }

    /// `batch(shapes, slots, data, pos, endpos)` -> `(sinks, stop)`: matcher.py's pass from
    /// `pos` over the sink shapes' matches (see Finder::batch); `stop` is `(start, end)` of the
    /// first other match, or None when the text ran out.
    fn batch(
        &self,
        py: pyo3::Python<'_>,
        shapes: &PyShapes,
        slots: Vec<Option<usize>>,
        data: &[u8],
        pos: usize,
        endpos: usize,
    ) -> pyo3::PyResult<BatchAnswer> {
        let batch = crate::guarded(py, || {
            self.0
                .batch(&shapes.0, &slots, data, pos, endpos.min(data.len()))
        })?;
        Ok((batch.sinks, batch.stop))
    }

    /// How many positions of `data` the prefilter lets through (for the benchmarks).
    fn _candidates(&self, data: &[u8]) -> usize {
        self.0.candidates(data)
    }

    /// How many matches `first` finds stepping through `data` as matcher.py does (benchmarks).
    fn _count(&self, data: &[u8]) -> usize {
        let (mut pos, mut n) = (0, 0);
        while let Some((start, end)) = self.0.first(data, pos, data.len()) {
            n += 1;
            pos = if end > start { end } else { end + 1 };
        }
        n
    }

    /// Whether the prefilter runs (False: the plain unanchored search; the same answers).
    #[getter]
    fn prefiltered(&self) -> bool {
        self.0.prefiltered()
    }

    /// How many prefix literals the prefilter was built from (for the tests and benchmarks).
    #[getter]
    fn literal_count(&self) -> usize {
        self.0.literal_count()
    }
}

/// `Shapes(patterns, starts)`: the shapes in matcher.py's order and the bytes a shape match
/// can start with (ValueError when refused: the matcher then keeps its Python loop).
#[pyo3::pyclass(name = "Shapes", module = "milter._native", frozen)]
pub struct PyShapes(Shapes);

#[pyo3::pymethods]
impl PyShapes {
    #[new]
    fn py_new(patterns: Vec<String>, starts: Vec<u8>) -> pyo3::PyResult<Self> {
        let built = std::panic::catch_unwind(|| Shapes::new(&patterns, &starts))
            .map_err(|_| crate::NativeError::new_err("native content core failed (panic)"))?;
        built
            .map(PyShapes)
            .map_err(|Refused(why)| pyo3::exceptions::PyValueError::new_err(why))
    }

    /// The first shape that matches exactly data[start:end], or None (tests).
    fn which(&self, data: &[u8], start: usize, end: usize) -> Option<usize> {
        if start > end || end > data.len() {
            return None;
        }
        let mut cache = self.0.cache.lock().unwrap_or_else(|p| p.into_inner());
        self.0.which(&mut cache, data, start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(f: &Finder, hay: &[u8], pos: usize) -> Option<(usize, usize)> {
        let mut cache = f.pikevm.create_cache();
        let input = Input::new(hay).range(pos..);
        f.pikevm
            .find(&mut cache, input)
            .map(|m| (m.start(), m.end()))
    }

    #[test]
    fn prefiltered_search_equals_the_plain_search() {
        let pattern =
            r"(?:[A-Z]{2}\d{2})|\d{8,}|(?:[bB][sS][nN][A-Za-z\x80-\xff]*)|x|(?:\xc3\xab)+";
        let hay = "een BSN van AB12 en 123456789 bsnummer xbsn ab x ëë BsN-nummer AB1 \
                   DE44 5001 0517 5407 3249 31 en nog wat tekst zonder iets bsn"
            .as_bytes();
        for simd in Simd::below(Simd::detect()) {
            let mut f = Finder::new(pattern).unwrap();
            // the SSSE3 and table-only paths are checked here too (on a CPU that has AVX2)
            f.prefilter.as_mut().unwrap().simd = simd;
            for pos in 0..=hay.len() {
                assert_eq!(
                    f.first(hay, pos, hay.len()),
                    brute(&f, hay, pos),
                    "pos {pos}"
                );
            }
        }
    }

    #[test]
    fn a_cache_cleared_all_the_time_gives_the_same_answers() {
        let words = [
            "dossier",
            "jeugdzorg",
            "gezinsvoogd",
            "kinderbescherming",
            "melding",
        ];
        let pattern = words
            .iter()
            .map(|w| format!("(?:{w}|{})[a-z]*", w.to_uppercase()))
            .collect::<Vec<_>>()
            .join("|");
        let roomy = Finder::new(&pattern).unwrap();
        let tiny = Finder::build(&pattern, Some(1)).unwrap();
        let hay = b"het dossier van de gezinsvoogd: JEUGDZORGPLAN, kinderbeschermingsmaatregel, \
                    meldingen en een dossiernummer; kind jeugd gezin meld doss"
            .as_slice();
        for pos in 0..=hay.len() {
            let expected = brute(&roomy, hay, pos);
            assert_eq!(roomy.first(hay, pos, hay.len()), expected, "pos {pos}");
            assert_eq!(tiny.first(hay, pos, hay.len()), expected, "pos {pos}");
        }
        let clears = tiny.caches.lock().unwrap().0.clear_count();
        assert!(clears > 100, "the tiny cache was cleared {clears} times");
    }

    #[test]
    fn known_dead_ends_give_the_same_answers() {
        // prose words that start like a keyword or a number, over and over: most candidates
        // are answered from DeadEnds after their first walk
        let pattern = r"(?:voogdij|kinderbescherming|jeugdzorg|gezinsvoogd)[a-z]*|\d{8,}|0[1-9](?:[ \-]?\d){8}";
        let f = Finder::new(pattern).unwrap();
        assert!(f.no_look);
        let hay = "voor het kind en de kinderen, jeugd 2026. gezin voogd 12345678 en voor \
                   kinderbescherming 06-12345678 jeugdzorgplan 2026, 1234567 voorvoogdij "
            .repeat(4);
        let hay = hay.as_bytes();
        for pos in 0..=hay.len() {
            assert_eq!(
                f.first(hay, pos, hay.len()),
                brute(&f, hay, pos),
                "pos {pos}"
            );
            // a shorter range: a dead end read near `end` is not taken for one further on
            let end = (pos + 9).min(hay.len());
            let mut cache = f.pikevm.create_cache();
            let plain = f
                .pikevm
                .find(&mut cache, Input::new(hay).range(pos..end))
                .map(|m| (m.start(), m.end()));
            assert_eq!(f.first(hay, pos, end), plain, "pos {pos} end {end}");
        }
        let known = f
            .caches
            .lock()
            .unwrap()
            .2
             .0
            .iter()
            .filter(|e| e.1 > 0)
            .count();
        assert!(known > 5, "{known} dead ends known");
    }

    #[test]
    fn look_around_keeps_no_dead_ends() {
        let f = Finder::new(r"\bvoogd|\d{8,}").unwrap();
        assert!(!f.no_look);
        let hay = b"voor voogd xvoogd voor 12345678";
        for pos in 0..=hay.len() {
            assert_eq!(
                f.first(hay, pos, hay.len()),
                brute(&f, hay, pos),
                "pos {pos}"
            );
        }
    }

    #[test]
    fn a_pattern_that_can_match_empty_has_no_prefilter() {
        let f = Finder::new(r"a*").unwrap();
        assert!(!f.prefiltered());
        assert_eq!(f.first(b"bab", 0, 3), Some((0, 0)));
    }
}
