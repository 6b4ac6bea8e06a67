//! The DarkMachines line grammar (physics-spec §2.1-2.4), one line at a time.
//!
//! Hand-written rather than built on the `csv` crate: a line mixes two separators (`;`
//! between the header fields and objects, `,` inside objects) with a variable number of
//! objects, and the rules (one optional trailing `;`, legacy-format detection, per-field
//! messages) are about fields, not records. Splitting with `memchr` and parsing numbers with
//! `fast-float2` (correctly rounded) is also what makes the reader fast.

use memchr::memchr_iter;
use oddity_core::{EventHeader, EventTable, ObjectKind};

/// Energy unit of E, pT and MET in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnergyUnit {
    /// MeV, the DarkMachines convention: values are divided by 1000 at parse time.
    #[default]
    MeV,
    /// GeV: values are kept as read.
    GeV,
}

impl EnergyUnit {
    /// Converts a value in this unit to GeV (x / 1000 for MeV, correctly rounded).
    #[inline]
    pub fn to_gev(self, x: f64) -> f64 {
        match self {
            Self::MeV => x / 1000.0,
            Self::GeV => x,
        }
    }

    /// Converts a value in GeV to this unit.
    #[inline]
    pub fn from_gev(self, x: f64) -> f64 {
        match self {
            Self::MeV => x * 1000.0,
            Self::GeV => x,
        }
    }
}

/// A defect found in one line: 1-based field index (when inside a field), message and the
/// offending text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    pub field: Option<usize>,
    pub message: String,
    pub text: Vec<u8>,
}

impl LineError {
    fn field(field: usize, text: &[u8], message: impl Into<String>) -> Self {
        Self { field: Some(field), message: message.into(), text: text.to_vec() }
    }
}

/// What a successfully parsed line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Event { wrapped_phi: u32 },
    Empty,
}

const PHI_TOLERANCE: f64 = std::f64::consts::PI + 1e-6;
const LEGACY_MESSAGE: &str = "legacy DarkMachines format without energy (type,pt,eta,phi) is not supported; \
use the hackathon format eventID;processID;weight;MET;METphi;type,E,pt,eta,phi";

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// Parses a finite float (plain or C-style exponent); `nan`, `inf` and hex are rejected.
#[inline]
fn float(s: &[u8]) -> Option<f64> {
    if let Some(x) = float_fast(s) {
        return Some(x);
    }
    // fast-float2 accepts "inf"/"nan"; the finiteness check rejects them. It requires the
    // whole slice to be a number, so trailing garbage fails.
    match fast_float2::parse::<f64, _>(s) {
        Ok(x) if x.is_finite() => Some(x),
        _ => None,
    }
}

/// 10^0 ..= 10^22, the powers of ten that are exact in f64.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately",
/// PLDI 1990): a decimal `[+-]digits.digits[e[+-]digits]` whose digits form an integer
/// w ≤ 2⁵³ and whose decimal exponent e has |e| ≤ 22 is w·10^e (or w / 10^−e) in one IEEE
/// operation on two exact operands, hence correctly rounded, the same value as fast-float2.
/// DarkMachines files are written with `%g` (six significant digits), so nearly every field
/// takes this path; anything else (more digits, a large exponent, a form this does not
/// accept, malformed text) returns `None` and is left to fast-float2. Written by hand for the
/// one case we need: number parsing takes a quarter less time than through fast-float2's
/// general entry (perf samples on `bench/parse.sh`'s file, 2026-11-23), 6 % of the whole read.
#[inline]
fn float_fast(s: &[u8]) -> Option<f64> {
    scan_float(s).and_then(|(v, n)| (n == s.len()).then_some(v))
}

/// The number at the start of `s` by the fast path of [`float_fast`], and the bytes it
/// spans; `None` where the fast path does not apply. The number ends at the first byte that
/// cannot continue it.
///
/// The mantissa is read eight bytes at a time by [`scan_mantissa_swar`]; where that cannot
/// decide (a mantissa longer than it handles, the end of `s` within eight bytes, a form it
/// does not take), [`scan_float_bytewise`] reads it byte by byte, with the same result.
#[inline]
fn scan_float(s: &[u8]) -> Option<(f64, usize)> {
    // Sign without a branch: eta and phi are negative half the time, unpredictably.
    let first = *s.first()?;
    let neg = first == b'-';
    let i = usize::from(neg || first == b'+');
    match scan_mantissa_swar(s, i) {
        Some((w, frac, end)) => finish_float(s, neg, w, frac, end),
        None => scan_float_bytewise(s),
    }
}

/// [`scan_float`] byte by byte: the reference the eight-byte mantissa reader is tested
/// against, and its fallback.
fn scan_float_bytewise(s: &[u8]) -> Option<(f64, usize)> {
    let (neg, mut i) = match s.first()? {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let mut w: u64 = 0;
    let mut digits = digit_run(&s[i..], &mut w);
    i += digits;
    let mut frac = 0usize;
    if s.get(i) == Some(&b'.') {
        i += 1;
        frac = digit_run(&s[i..], &mut w);
        i += frac;
        if frac == 0 {
            return None;
        }
    }
    digits += frac;
    // At most 19 digits cannot overflow u64 (the wrapping arithmetic is then exact).
    if digits == frac || digits > 19 || w > 1 << 53 {
        return None;
    }
    finish_float(s, neg, w, frac, i)
}

/// Every byte of a u64 set to 1, for byte-parallel (SWAR) arithmetic.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a u64.
const HIGH: u64 = 0x80 * ONES;

/// Reads the mantissa `digits[.digits]` that starts at `s[i]` from one eight-byte load,
/// without a branch per digit: returns its digits as an integer w, the count of digits after
/// the point and the index of the byte after it, exactly as [`scan_float_bytewise`] reads
/// them. `None` where it cannot decide (fewer than eight bytes left, no digit before the
/// point, none after it, a mantissa that may continue beyond the nine bytes it looks at).
///
/// Why: `%g` numbers have digit runs of one to six bytes, two per number, and the
/// byte-by-byte loops that scan them mispredict their exits. Here the lengths come from bit
/// masks instead: the first non-digit (the point or the end), the point squeezed out, and
/// the at most eight digits converted with three multiplications. A single-threaded read of
/// a 120 MB file took 11 % less time than with the byte loops (2026-12-07).
#[inline]
fn scan_mantissa_swar(s: &[u8], i: usize) -> Option<(u64, usize, usize)> {
    let v = u64::from_le_bytes(s.get(i..i + 8)?.try_into().ok()?);
    let non_digit = non_digit_bytes(v);
    let point = point_bytes(v);
    let first = non_digit & non_digit.wrapping_neg(); // lowest set bit: the first non-digit
    let point_bit = first & point; // the point, if the first non-digit is one
    let int_digits = (first.trailing_zeros() / 8) as usize; // 8 when all are digits
    let end = ((non_digit ^ point_bit).trailing_zeros() / 8) as usize;
    let has_point = point_bit != 0;
    let frac = if has_point { end - int_digits - 1 } else { 0 };
    if int_digits == 0 || (has_point && frac == 0) {
        return None;
    }
    if end == 8 {
        // The mantissa fills the window: it ends there only if the next byte cannot continue
        // it (a digit, or a first point).
        if s.get(i + 8).is_some_and(|&c| c.is_ascii_digit() || (c == b'.' && !has_point)) {
            return None;
        }
    }
    let w = mantissa_digits(v, point_bit, end - usize::from(has_point));
    Some((w, frac, i + end))
}

/// The high bit of every byte of `v` that is not an ASCII digit. A byte's low seven bits
/// plus 0x76 reach 0x80 exactly when they are 10 or more (no carry leaves the byte); bytes
/// with the high bit set are not digits either.
#[inline(always)]
fn non_digit_bytes(v: u64) -> u64 {
    let x = v ^ (u64::from(b'0') * ONES);
    (((x & !HIGH) + 0x76 * ONES) | x) & HIGH
}

/// The high bit of every byte of `v` that is a `.`.
#[inline(always)]
fn point_bytes(v: u64) -> u64 {
    zero_bytes(v ^ (u64::from(b'.') * ONES))
}

/// The high bit of every zero byte of `x`, exactly (no false positives from borrows).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & !HIGH) + !HIGH) | x) & HIGH
}

/// The `n` digits (1 to 8) at the start of `v`, with the point at `point` (its byte's high
/// bit, or 0 without one) among them, as an integer. The point is squeezed out (the bytes
/// below it stay, those above move down one byte), the digits are left-aligned (the first
/// byte is the most significant digit; the bytes shifted in are zero, i.e. leading zeros)
/// and converted eight at once with three multiplications.
#[inline(always)]
fn mantissa_digits(v: u64, point: u64, n: usize) -> u64 {
    let below = (point >> 7).wrapping_sub(1); // all ones without a point
    let squeezed = (v & below) | ((v >> 8) & !below);
    let digits = squeezed << (8 * (8 - n));
    let pairs = (digits & (0x0F * ONES)).wrapping_mul(10 << 8 | 1) >> 8;
    let quads = (pairs & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 << 16 | 1) >> 16;
    (quads & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 << 32 | 1) >> 32
}

/// x·10^e in one IEEE operation on two exact operands (correctly rounded for x ≤ 2⁵³);
/// `None` where 10^|e| is not exact in f64 (|e| > 22).
#[inline(always)]
fn scale_pow10(x: f64, e: i64) -> Option<f64> {
    match usize::try_from(e) {
        Ok(k) => Some(x * *EXACT_POW10.get(k)?),
        Err(_) => Some(x / *EXACT_POW10.get(usize::try_from(e.unsigned_abs()).ok()?)?),
    }
}

/// The rest of a fast-path number whose mantissa (digits w, `frac` of them after the point)
/// ends at `s[i]`: an optional exponent of at most four digits, then w·10^(exp − frac) in one
/// exact operation.
#[inline]
fn finish_float(s: &[u8], neg: bool, w: u64, frac: usize, mut i: usize) -> Option<(f64, usize)> {
    let mut exp: i64 = 0;
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        let exp_neg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
            if i - exp_start == 4 {
                return None;
            }
            exp = exp * 10 + i64::from(c - b'0');
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        if exp_neg {
            exp = -exp;
        }
    }
    let v = scale_pow10(w as f64, exp - frac as i64)?;
    Some((if neg { -v } else { v }, i))
}

/// Appends the ASCII digits at the start of `s` to `w` (w ← w·10^k + their value, wrapping)
/// and returns their count k, byte by byte (for [`scan_float_bytewise`]; the common case
/// reads the whole mantissa in [`scan_mantissa_swar`]).
#[inline]
fn digit_run(s: &[u8], w: &mut u64) -> usize {
    let mut k = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *w = w.wrapping_mul(10).wrapping_add(u64::from(d));
        k += 1;
    }
    k
}

fn integer(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

fn wrap(phi: f64, wrapped: &mut u32) -> f64 {
    if phi.abs() <= PHI_TOLERANCE {
        phi
    } else {
        *wrapped += 1;
        oddity_core::fourvec::wrap_phi(phi)
    }
}

/// What [`parse_line`] keeps from one line to the next: the last process ID that the
/// one-pass path read, and the storage of its separator index. Lines of a file come in long
/// runs of one process, so a line that repeats it is recognised by one comparison, without
/// the UTF-8 validation (6 % of a read's samples with the search for its end, 2026-12-07).
/// The index storage is kept so that it is not zeroed for every line (2.5 % of the samples).
#[derive(Debug)]
pub(crate) struct LineState {
    /// Empty, or a process ID that passed the checks of [`parse_event_fast`].
    process: String,
    separators: Box<Separators>,
}

impl Default for LineState {
    fn default() -> Self {
        Self { process: String::new(), separators: Box::new([0; MAX_SEPARATORS + 8]) }
    }
}

/// Parses one line, `text[..len]` without its `\n` (a trailing `\r` is stripped), into
/// `table`. The bytes of `text` after the line (the rest of the chunk) may be read eight at a
/// time by the one-pass path but are never parsed: the result is that of the line alone.
/// `state` carries over from the previous line of the same table (or is new); it changes
/// what is parsed in no way, only how fast.
///
/// On error nothing is left in `table` from this line.
pub(crate) fn parse_line(
    text: &[u8],
    len: usize,
    line_no: u64,
    unit: EnergyUnit,
    table: &mut EventTable,
    state: &mut LineState,
) -> Result<LineKind, LineError> {
    let line = &text[..len];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if trim(line).is_empty() {
        return Ok(LineKind::Empty);
    }
    let n_events = table.len();
    if let Some(kind) = parse_event_fast(text, line.len(), line_no, unit, table, state) {
        return Ok(kind);
    }
    // Anything unusual (spaces, other number forms, defects): the field-by-field parser,
    // which also words the error.
    table.truncate(n_events);
    let result = parse_event(line, line_no, unit, table);
    if result.is_err() {
        table.truncate(n_events);
    }
    result
}

/// Most separators the one-pass path indexes in a line: the header's four and 64 objects
/// (five each, with a trailing `;`). Longer lines take the field-by-field parser.
const MAX_SEPARATORS: usize = 4 + 5 * 64 + 1;

/// Positions of a line's separators, with room for the up to seven positions that
/// [`index_separators`] writes past the last one.
type Separators = [u32; MAX_SEPARATORS + 8];

/// The common case in one pass: a well-formed line without spaces whose numbers all take
/// the fast path of [`float_fast`]. Gives exactly what [`parse_event`] gives on such a line;
/// `None` (possibly after pushing part of the event, which the caller truncates) on anything
/// else, which then goes through [`parse_event`]. The line is `text[..len]`.
///
/// Every `;` and `,` of the line is indexed first ([`index_separators`]), so each field's
/// extent is known before it is read: numbers are then read independently of each other
/// (the next one's start does not wait for the previous one's end) and, up to eight bytes,
/// without a branch on their form ([`short_float`]).
fn parse_event_fast(
    text: &[u8],
    len: usize,
    line_no: u64,
    unit: EnergyUnit,
    table: &mut EventTable,
    state: &mut LineState,
) -> Option<LineKind> {
    let sep = &mut *state.separators;
    let n = index_separators(text, len, sep)?;
    let sep = &*sep;
    // Header: eventID;processID;weight;MET;METphi, the first four separators `;`.
    if n < 4 || sep[..4].iter().any(|&s| text[s as usize] != b';') {
        return None;
    }
    let [s0, s1, s2, s3] = [sep[0], sep[1], sep[2], sep[3]].map(|s| s as usize);
    let end = |k: usize| if k < n { sep[k] as usize } else { len };
    let event_id = decimal(&text[..s0])?;
    let field = &text[s0 + 1..s1];
    let process = if !state.process.is_empty() && field == state.process.as_bytes() {
        state.process.as_str()
    } else {
        if field.is_empty() || field[0] == b' ' || field[field.len() - 1] == b' ' {
            return None;
        }
        let process = std::str::from_utf8(field).ok()?;
        state.process.clear();
        state.process.push_str(process);
        process
    };
    let weight = field_float(text, s1 + 1, s2)?;
    let met = field_float(text, s2 + 1, s3).filter(|m| *m >= 0.0)?;
    let mut wrapped_phi = 0u32;
    let met_phi = wrap(field_float(text, s3 + 1, end(4))?, &mut wrapped_phi);
    table.push_event(EventHeader { event_id, process, weight, met: unit.to_gev(met), met_phi, source_line: line_no });
    // Objects: `;type,E,pt,eta,phi`, up to one trailing `;`.
    let mut k = 4;
    while k < n {
        let at = sep[k] as usize;
        if text[at] != b';' {
            return None;
        }
        if at + 1 == len {
            break; // the one allowed trailing `;`
        }
        if k + 4 >= n {
            return None;
        }
        let [a1, a2, a3, a4] = [sep[k + 1], sep[k + 2], sep[k + 3], sep[k + 4]].map(|s| s as usize);
        if [a1, a2, a3, a4].iter().any(|&s| text[s] != b',') {
            return None;
        }
        let kind = match &text[at + 1..a1] {
            b"j" => ObjectKind::Jet,
            b"b" => ObjectKind::BJet,
            b"g" => ObjectKind::Photon,
            b"e-" => ObjectKind::ElectronMinus,
            b"e+" => ObjectKind::ElectronPlus,
            b"m-" => ObjectKind::MuonMinus,
            b"m+" => ObjectKind::MuonPlus,
            _ => return None,
        };
        let e = field_float(text, a1 + 1, a2);
        let pt = field_float(text, a2 + 1, a3);
        let eta = field_float(text, a3 + 1, a4);
        let phi = field_float(text, a4 + 1, end(k + 5));
        let (e, pt, eta, phi) = (e?, pt?, eta?, phi?);
        if e < 0.0 || pt < 0.0 || e < pt * (1.0 - 1e-3) {
            return None;
        }
        let phi = wrap(phi, &mut wrapped_phi);
        table.push_object(kind, unit.to_gev(e), unit.to_gev(pt), eta, phi);
        k += 5;
    }
    Some(LineKind::Event { wrapped_phi })
}

/// Writes the positions of every `;` and `,` in `text[..len]`, in order, to `sep` and
/// returns their count; `None` when there are more than [`MAX_SEPARATORS`]. `text` may
/// extend beyond the line (bytes there are read, never indexed).
///
/// Sixty-four bytes at a time: a bit mask of the separators is built from eight-byte words
/// (a byte-parallel equality test, the high bits gathered by one multiplication), then its
/// positions are written eight at a time whatever their count, so that the loop's exits do
/// not depend on where separators fall (the positions past the count are overwritten or
/// ignored). A `memchr`-style search per separator mispredicts its exit about once per
/// field.
fn index_separators(text: &[u8], len: usize, sep: &mut Separators) -> Option<usize> {
    let mut n = 0usize;
    let mut base = 0usize;
    while base < len {
        let block = (len - base).min(64);
        let mut mask = 0u64;
        for w in 0..block.div_ceil(8) {
            let at = base + 8 * w;
            let word = match text.get(at..at + 8) {
                Some(b) => u64::from_le_bytes(b.try_into().ok()?),
                None => {
                    let mut b = [0u8; 8];
                    b[..text.len() - at].copy_from_slice(&text[at..]);
                    u64::from_le_bytes(b)
                }
            };
            let hits = zero_bytes(word ^ (u64::from(b';') * ONES)) | zero_bytes(word ^ (u64::from(b',') * ONES));
            // The high bit of byte j moves to bit j of the top byte: the 64 partial products
            // of the multiplication fall on distinct bits, so nothing carries.
            mask |= ((hits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * w);
        }
        if block < 64 {
            mask &= (1u64 << block) - 1;
        }
        let count = mask.count_ones() as usize;
        if n + count > MAX_SEPARATORS {
            return None;
        }
        let mut k = 0;
        while k < count {
            for slot in &mut sep[n + k..n + k + 8] {
                *slot = (base + mask.trailing_zeros() as usize) as u32;
                mask &= mask.wrapping_sub(1);
            }
            k += 8;
        }
        n += count;
        base += 64;
    }
    Some(n)
}

/// The number `text[a..b]` (a field whose extent is known), as [`float_fast`] reads it:
/// [`short_float`] where that applies, [`float_fast`] on the field otherwise.
#[inline(always)]
fn field_float(text: &[u8], a: usize, b: usize) -> Option<f64> {
    match short_float(text, a, b) {
        Some(v) => Some(v),
        None => float_fast(text.get(a..b)?),
    }
}

/// The number `text[a..b]` of the forms `%g` writes, `[+-]m` or `[+-]me±dd` with a mantissa
/// m = `digits[.digits]` of at most eight bytes, read from one eight-byte load and, without
/// an exponent, without a branch on its form: the value [`float_fast`] gives, or `None` for
/// anything else (left to [`float_fast`]). Without an exponent the value is w/10^f for the
/// mantissa's digits w and f of them after the point (one correctly rounded division; w/1
/// is w); with one it is w·10^(e−f), one exact operation ([`scale_pow10`]).
#[inline(always)]
fn short_float(text: &[u8], a: usize, b: usize) -> Option<f64> {
    let first = *text.get(a)?;
    let neg = first == b'-';
    let start = a + usize::from(neg || first == b'+');
    let n = b.checked_sub(start)?;
    let v = if n <= 8 {
        let (w, frac) = short_mantissa(text, start, n)?;
        w as f64 / EXACT_POW10[frac]
    } else {
        // The exponent `%g` writes: the last four bytes, e, a sign and two digits.
        let [e, sign, d1, d0] = *text.get(b - 4..b)?.first_chunk::<4>()?;
        if !matches!(e, b'e' | b'E') || !matches!(sign, b'+' | b'-') || !d1.is_ascii_digit() || !d0.is_ascii_digit() {
            return None;
        }
        let exp = i64::from((d1 - b'0') * 10 + (d0 - b'0'));
        let (w, frac) = short_mantissa(text, start, n - 4)?;
        scale_pow10(w as f64, if sign == b'-' { -exp } else { exp } - frac as i64)?
    };
    Some(if neg { -v } else { v })
}

/// The mantissa `digits[.digits]` of `n` bytes (1 to 8) at `text[start..]`: its digits as an
/// integer w and the count of digits after the point; `None` for any other byte, more than
/// one point, a point first or last, or fewer than eight bytes of `text` from `start` on.
#[inline(always)]
fn short_mantissa(text: &[u8], start: usize, n: usize) -> Option<(u64, usize)> {
    if n == 0 || n > 8 {
        return None;
    }
    let v = u64::from_le_bytes(*text.get(start..start + 8)?.first_chunk::<8>()?);
    let keep = u64::MAX >> (64 - 8 * n); // the mantissa's n bytes
    let non_digit = non_digit_bytes(v) & keep;
    let point = point_bytes(v) & keep;
    let ends = 0x80 | (0x80 << (8 * (n - 1))); // the first and the last byte
    if non_digit != point || point & point.wrapping_sub(1) != 0 || point & ends != 0 {
        return None;
    }
    let frac = if point != 0 { n - 1 - (point.trailing_zeros() / 8) as usize } else { 0 };
    Some((mantissa_digits(v, point, n - usize::from(point != 0)), frac))
}

/// An unsigned decimal of 1-18 digits (19 may not fit an i64; the general parser decides).
fn decimal(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
}

fn parse_event(line: &[u8], line_no: u64, unit: EnergyUnit, table: &mut EventTable) -> Result<LineKind, LineError> {
    // Field boundaries: fields[i] is the i-th `;`-separated slice.
    let mut fields: [&[u8]; 5] = [&[]; 5];
    let mut start = 0usize;
    let mut semis = memchr_iter(b';', line);
    for (i, slot) in fields.iter_mut().enumerate() {
        match semis.next() {
            Some(end) => {
                *slot = trim(&line[start..end]);
                start = end + 1;
            }
            None if i == 4 => {
                *slot = trim(&line[start..]);
                start = line.len() + 1;
            }
            None => {
                let rest = &line[start..];
                if memchr::memchr(b',', rest).is_some() {
                    if i == 0 {
                        return Err(LineError {
                            field: None,
                            message: "fixed-length DarkMachines rows are not supported; use the variable-length format"
                                .into(),
                            text: line.to_vec(),
                        });
                    }
                    return Err(LineError::field(i + 1, trim(rest), LEGACY_MESSAGE));
                }
                return Err(LineError {
                    field: None,
                    message: format!(
                        "found {} field(s), expected at least 5 (eventID;processID;weight;MET;METphi)",
                        i + 1
                    ),
                    text: line.to_vec(),
                });
            }
        }
    }
    for (i, f) in fields.iter().enumerate() {
        if memchr::memchr(b',', f).is_some() {
            return Err(LineError::field(i + 1, f, LEGACY_MESSAGE));
        }
    }
    let event_id =
        integer(fields[0]).ok_or_else(|| LineError::field(1, fields[0], "event ID must be a decimal integer"))?;
    if fields[1].is_empty() {
        return Err(LineError::field(2, fields[1], "process ID must not be empty"));
    }
    let process =
        std::str::from_utf8(fields[1]).map_err(|_| LineError::field(2, fields[1], "process ID is not valid UTF-8"))?;
    let weight = float(fields[2]).ok_or_else(|| LineError::field(3, fields[2], "weight must be a finite number"))?;
    let met = float(fields[3])
        .filter(|m| *m >= 0.0)
        .ok_or_else(|| LineError::field(4, fields[3], "MET must be a finite number >= 0"))?;
    let met_phi = float(fields[4]).ok_or_else(|| LineError::field(5, fields[4], "MET phi must be a finite number"))?;
    let mut wrapped_phi = 0u32;
    let met_phi = wrap(met_phi, &mut wrapped_phi);
    table.push_event(EventHeader { event_id, process, weight, met: unit.to_gev(met), met_phi, source_line: line_no });

    // Objects: fields 6.. up to an optional single empty trailing field.
    let mut field_no = 5usize;
    while start <= line.len() {
        let end = memchr::memchr(b';', &line[start..]).map_or(line.len(), |e| start + e);
        let raw = trim(&line[start..end]);
        let is_last = end == line.len();
        field_no += 1;
        start = end + 1;
        if raw.is_empty() {
            if is_last {
                break; // the one allowed trailing `;`
            }
            return Err(LineError::field(field_no, raw, "empty field; only one trailing ';' is allowed"));
        }
        parse_object(raw, field_no, unit, table, &mut wrapped_phi)?;
    }
    Ok(LineKind::Event { wrapped_phi })
}

fn parse_object(
    raw: &[u8],
    field_no: usize,
    unit: EnergyUnit,
    table: &mut EventTable,
    wrapped_phi: &mut u32,
) -> Result<(), LineError> {
    let mut values: [&[u8]; 5] = [&[]; 5];
    let mut n = 0usize;
    for part in raw.split(|c| *c == b',') {
        if n < 5 {
            values[n] = trim(part);
        }
        n += 1;
    }
    let err = |m: String| LineError::field(field_no, raw, m);
    if n != 5 {
        let hint = if n == 4 && ObjectKind::from_token(values[0]).is_ok() {
            " (a 4-value object is the legacy format without energy, which is not supported)"
        } else {
            ""
        };
        return Err(err(format!("object has {n} values, expected 5 (type,E,pt,eta,phi){hint}")));
    }
    let kind = ObjectKind::from_token(values[0]).map_err(|e| {
        let hint =
            if values[0] == b"a" { "; 'a' is the photon of the legacy format, which is not supported" } else { "" };
        err(format!("{e}{hint}"))
    })?;
    let e = float(values[1])
        .filter(|v| *v >= 0.0)
        .ok_or_else(|| err(format!("E must be a finite number >= 0, got '{}'", String::from_utf8_lossy(values[1]))))?;
    let pt = float(values[2])
        .filter(|v| *v >= 0.0)
        .ok_or_else(|| err(format!("pt must be a finite number >= 0, got '{}'", String::from_utf8_lossy(values[2]))))?;
    let eta = float(values[3])
        .ok_or_else(|| err(format!("eta must be a finite number, got '{}'", String::from_utf8_lossy(values[3]))))?;
    let phi = float(values[4])
        .ok_or_else(|| err(format!("phi must be a finite number, got '{}'", String::from_utf8_lossy(values[4]))))?;
    // E slightly below pT happens through 6-digit rounding of massless objects (spec §2.2).
    if e < pt * (1.0 - 1e-3) {
        return Err(err(format!("E ({e}) is below pt ({pt}) beyond rounding (E >= pt*(1-1e-3) required)")));
    }
    let phi = wrap(phi, wrapped_phi);
    table.push_object(kind, unit.to_gev(e), unit.to_gev(pt), eta, phi);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn general(s: &str) -> Option<f64> {
        fast_float2::parse::<f64, _>(s.as_bytes()).ok().filter(|x: &f64| x.is_finite())
    }

    /// Whatever the fast path accepts, it parses bit for bit as fast-float2 does; what it
    /// declines still parses through `float`.
    fn check_float(s: &str) {
        let want = general(s);
        if let Some(x) = float_fast(s.as_bytes()) {
            assert_eq!(Some(x.to_bits()), want.map(f64::to_bits), "fast path on {s:?}");
        }
        assert_eq!(float(s.as_bytes()).map(f64::to_bits), want.map(f64::to_bits), "float on {s:?}");
    }

    /// Seeded random byte strings over `alphabet`, of lengths 0 to `max_len − 1` (xorshift64;
    /// the length draw advances the stream too, so a length of 0 cannot freeze it).
    fn random_strings(seed: u64, alphabet: &'static [u8], max_len: u64) -> impl FnMut() -> Vec<u8> {
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        move || {
            let len = (next() % max_len) as usize;
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        }
    }

    #[test]
    fn digit_runs_equal_the_bytewise_count() {
        let mut next = random_strings(
            0x2545_F491_4F6C_DD1D,
            b"0123456789012345678901234567890123456789.e+-;,/:\x00\x7f\x80\xb9\xff ",
            24,
        );
        for _ in 0..20_000 {
            let s = next();
            let k = s.iter().take_while(|c| c.is_ascii_digit()).count();
            let want = s[..k].iter().fold(0u64, |w, &c| w.wrapping_mul(10).wrapping_add(u64::from(c - b'0')));
            let mut w = 0;
            assert_eq!(digit_run(&s, &mut w), k, "{s:?}");
            assert_eq!(w, want, "{s:?}");
        }
    }

    /// The eight-byte mantissa reader (through `scan_float`) agrees with the byte-by-byte
    /// reader on every string: value bits and length, or both decline.
    fn check_scan(s: &[u8]) {
        let got = scan_float(s).map(|(v, n)| (v.to_bits(), n));
        let want = scan_float_bytewise(s).map(|(v, n)| (v.to_bits(), n));
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(s));
    }

    #[test]
    fn eight_byte_mantissas_equal_the_bytewise_reader() {
        for s in [
            &b"0"[..],
            b"1",
            b"12345678",
            b"123456789",
            b"1234567.",
            b"1234567.8",
            b"1.2345678",
            b"12345678.9",
            b"1234.5678,",
            b"0.523103,",
            b"-0.523103;",
            b"+0.523103;",
            b"1.64421;",
            b"947383,",
            b"88405.6,",
            b"1.06946e+06,",
            b"2.44336e-05;",
            b"1.2.3.4.5",
            b"1..2345678",
            b".5000000",
            b"-.5000000",
            b"--1.23456",
            b"1e5,,,,,,",
            b"12345678e5,",
            b"1234567.e5",
            b"0.000123456,",
            b"99999999,",
            b"9999999.9;",
            b"1234567\n89",
            b"12\xb34567,",
            b"1.23456\xff9",
            b"12\xb3456789",
            b"1.2345\xb9789",
        ] {
            check_scan(s);
        }
        // Random strings over the bytes that matter, every prefix and suffix.
        let mut next = random_strings(
            0x9E37_79B9_7F4A_7C15,
            b"0123456789012345678901234567890123456789..eE+-;,\n\x00\x7f\x80\xb0\xb9\xaa\xff ",
            20,
        );
        for _ in 0..100_000 {
            let s = next();
            for k in 0..s.len() {
                check_scan(&s[k..]);
                check_scan(&s[..k]);
            }
        }
    }

    /// The eight-byte field reader agrees with `float_fast` on the field wherever it
    /// answers, whatever follows the field.
    fn check_short(text: &[u8], a: usize, b: usize) {
        if let Some(v) = short_float(text, a, b) {
            let want = float_fast(&text[a..b]).map(f64::to_bits);
            assert_eq!(Some(v.to_bits()), want, "{:?} in {:?}", String::from_utf8_lossy(&text[a..b]), text);
        }
        assert_eq!(
            field_float(text, a, b).map(f64::to_bits),
            float_fast(&text[a..b]).map(f64::to_bits),
            "{:?}",
            String::from_utf8_lossy(&text[a..b])
        );
    }

    #[test]
    fn short_fields_equal_the_fast_path() {
        for s in [
            &b"0"[..],
            b"-0",
            b"+7",
            b"12345678",
            b"-12345678",
            b"123456789",
            b"0.523103",
            b"-0.523103",
            b"1.64421",
            b"88405.6",
            b"1234567.",
            b".1234567",
            b"1..2",
            b"1.2.3",
            b"-",
            b"+",
            b"",
            b"1e5",
            b"1.06946e+06",
            b"12\xb3",
            b"--1",
            b"1.06946e+06",
            b"2.44336e-05",
            b"-1.5E-03",
            b"1e+06",
            b"12345678e+05",
            b"1234.5678e-22",
            b"123456789e+05",
            b"1.23456e+99",
            b"1.23456e-99",
            b"1.23456e+6",
            b"1.23456e+006",
            b"1.2345e6",
            b"1.e+06",
            b"1.5x+06",
            b"1.5e*06",
            b"1.5e+0a",
        ] {
            let text = [s, &b";9.5,0.25;"[..]].concat();
            check_short(&text, 0, s.len());
            check_short(s, 0, s.len());
        }
        let mut next = random_strings(
            0xD1B5_4A32_D192_ED03,
            b"0123456789012345678901234567890123456789..eE+-;,\n\x00\x7f\x80\xb0\xb9\xaa\xff ",
            20,
        );
        for _ in 0..100_000 {
            let s = next();
            for a in 0..s.len() {
                for b in a..=s.len().min(a + 14) {
                    check_short(&s, a, b);
                }
            }
        }
        // Mantissas with `%g` exponents, followed by more text.
        let mut mantissa = random_strings(0x6C07_8965_7C1D_2B3F, b"0123456789012345678901234567890123456789.", 11);
        let mut exponent = random_strings(0x3C6E_F372_FE94_F82B, b"0123456789", 3);
        for i in 0..100_000 {
            let sign = ["", "-", "+"][i % 3];
            let exp = exponent();
            let text = format!(
                "{sign}{}e{}{};j",
                String::from_utf8_lossy(&mantissa()),
                ["+", "-"][i % 2],
                String::from_utf8_lossy(&exp)
            );
            check_short(text.as_bytes(), 0, text.len() - 2);
        }
    }

    #[test]
    fn separator_index_finds_every_separator() {
        let mut next = random_strings(0x8CB9_2BA7_2F3D_8DD7, b"0123456789;,;,.-e\n", 700);
        let mut sep: Separators = [0; MAX_SEPARATORS + 8];
        for _ in 0..20_000 {
            let s = next();
            for len in [s.len(), s.len() / 2, s.len().saturating_sub(1)] {
                let want: Vec<u32> = s[..len]
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| matches!(c, b';' | b','))
                    .map(|(i, _)| i as u32)
                    .collect();
                match index_separators(&s, len, &mut sep) {
                    Some(n) => assert_eq!(&sep[..n], &want[..], "{:?}", String::from_utf8_lossy(&s[..len])),
                    None => assert!(want.len() > MAX_SEPARATORS),
                }
            }
        }
        // A line with more separators than indexed still parses (field by field).
        let mut line = "1;p;1;2;0".to_string();
        for _ in 0..70 {
            line.push_str(";j,2,1,0.5,-0.25");
        }
        let (t, _) = one(&line).unwrap();
        assert_eq!(t.kind.len(), 70);
    }

    #[test]
    fn fast_float_path_corners() {
        for s in [
            "0",
            "-0",
            "+0",
            "0.0",
            "1",
            "-1",
            "1.5",
            "123456",
            "1.23456e+06",
            "1.23456E-06",
            "9.99999e+22",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "9007199254740992",
            "9007199254740993",
            "18446744073709551615",
            "1234567890123456789",
            "12345678901234567890",
            "0.1",
            "0.3",
            "3.14159",
            "-3.14159",
            "1.",
            ".5",
            "-.5",
            "1e",
            "1e+",
            "e5",
            "",
            "-",
            "+",
            ".",
            "1.2.3",
            "1e5x",
            "1,5",
            "nan",
            "inf",
            "-inf",
            "0x10",
            "1e0005",
            "1e-0005",
            "00000000000000000001",
            "4.94066e-324",
            "1.79769e+308",
            "2.5e-3",
        ] {
            check_float(s);
        }
        assert_eq!(float_fast(b"1.23456e+06"), Some(1_234_560.0));
        assert!(float_fast(b"1.").is_none(), "a bare trailing point is left to fast-float2");
    }

    type Parsed = (Vec<Result<LineKind, LineError>>, EventTable);

    /// The lines, one after the other into one table, through the one-pass path (with its
    /// fallback and the state carried from line to line) and through the field-by-field
    /// parser alone.
    ///
    /// The one-pass path reads the line once as it is and once followed by more text (as in
    /// a chunk), which must not change anything.
    fn both_paths(lines: &[&[u8]]) -> (Parsed, Parsed) {
        let (mut a, mut b, mut c) = (EventTable::new(), EventTable::new(), EventTable::new());
        let (mut state, mut state_c) = (LineState::default(), LineState::default());
        let (mut ra, mut rb) = (Vec::new(), Vec::new());
        for line in lines {
            ra.push(parse_line(line, line.len(), 7, EnergyUnit::MeV, &mut a, &mut state));
            let text = [line, &b"\n1;p;1,2;3.5e+06,-7;j,1.5,1;"[..]].concat();
            let rc = parse_line(&text, line.len(), 7, EnergyUnit::MeV, &mut c, &mut state_c);
            assert_eq!(ra.last(), Some(&rc), "with text after the line");
            assert_eq!(a, c, "with text after the line");
            let n = b.len();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let r =
                if trim(line).is_empty() { Ok(LineKind::Empty) } else { parse_event(line, 7, EnergyUnit::MeV, &mut b) };
            if r.is_err() {
                b.truncate(n);
            }
            rb.push(r);
        }
        ((ra, a), (rb, b))
    }

    fn object() -> impl Strategy<Value = String> {
        let kind = prop::sample::select(vec!["j", "b", "g", "e-", "e+", "m-", "m+", "mu-", "x", "a"]);
        let num = prop_oneof![
            (0.0f64..5e6).prop_map(|x| format!("{x:.5e}")),
            (-5.0f64..5.0).prop_map(|x| format!("{x}")),
            (0u32..100000).prop_map(|x| x.to_string()),
            Just("nan".to_string()),
            Just(" 12".to_string()),
            Just("1.2345678901234567890123".to_string()),
        ];
        (kind, num.clone(), num.clone(), num.clone(), num)
            .prop_map(|(k, e, pt, eta, phi)| format!("{k},{e},{pt},{eta},{phi}"))
    }

    proptest! {
        #[test]
        fn one_pass_path_equals_the_field_parser(
            id in prop_oneof![Just("17".to_string()), Just("-3".to_string()), Just("12345678901234567890".to_string()), Just(" 5".to_string())],
            process in prop::sample::select(vec!["ttbar", "z jets", "", "p,q"]),
            before in prop::sample::select(vec!["ttbar", "ttbar2", "ttba", "z", "z jets"]),
            weight in prop_oneof![(0.0f64..10.0).prop_map(|x| format!("{x:e}")), Just("1".to_string()), Just("inf".to_string())],
            met in prop_oneof![(0.0f64..1e6).prop_map(|x| format!("{x:.5e}")), Just("-1".to_string())],
            objects in prop::collection::vec(object(), 0..5),
            trailing in prop::sample::select(vec!["", ";", ";;", "\r", " "]),
            cut in 0usize..400,
        ) {
            let mut line = format!("{id};{process};{weight};{met};0.5");
            for o in &objects {
                line.push(';');
                line.push_str(o);
            }
            line.push_str(trailing);
            // Alone, after itself (the process ID carried over) and after a line of another
            // process, possibly a prefix or an extension of this one.
            let other = format!("1;{before};1;2;0.5;j,2,1,0,0;");
            let line = line.as_bytes();
            for lines in [&[line][..], &[line, line], &[other.as_bytes(), line, line]] {
                let (a, b) = both_paths(lines);
                prop_assert_eq!(&a, &b, "lines {:?}", lines.iter().map(|l| String::from_utf8_lossy(l)).collect::<Vec<_>>());
            }
            // Truncated lines too.
            let short = &line[..cut.min(line.len())];
            let (a, b) = both_paths(&[line, short]);
            prop_assert_eq!(&a, &b, "line {:?}", String::from_utf8_lossy(short));
        }

        #[test]
        fn fast_float_path_equals_the_general_parser(x in prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL,
                                                      digits in 1usize..18, style in 0u8..3) {
            let s = match style {
                0 => format!("{x:.*e}", digits),
                1 => format!("{x}"),
                _ => format!("{:.*}", digits, x),
            };
            check_float(&s);
        }

        #[test]
        fn fast_float_path_on_g_formatted_values(m in 1u32..1_000_000, e in -30i32..30, neg: bool) {
            // What `%g` writes: six significant digits, plain or with an exponent.
            let x = f64::from(m) * 10f64.powi(e);
            let s = format!("{}{:.5e}", if neg { "-" } else { "" }, x);
            check_float(&s);
            check_float(&format!("{}", f64::from(m) / 1000.0));
            check_scan(format!("{s};").as_bytes());
            check_scan(format!("{},1", f64::from(m) / 1000.0).as_bytes());
        }
    }

    fn one(line: &str) -> Result<(EventTable, LineKind), LineError> {
        let mut t = EventTable::new();
        parse_line(line.as_bytes(), line.len(), 1, EnergyUnit::MeV, &mut t, &mut LineState::default()).map(|k| (t, k))
    }

    fn message(line: &str) -> (Option<usize>, String) {
        let e = one(line).unwrap_err();
        (e.field, e.message)
    }

    #[test]
    fn paper_example_without_trailing_semicolon() {
        let (t, _) = one("94;ttbar;1;112288;1.74766;b,331927,147558,-1.44969,-1.76399;j,100406,85589,-0.568259,-1.17144;b,55808.8,54391.4,-0.198215,1.726").unwrap();
        let ev = t.event(0);
        assert_eq!((ev.event_id, ev.process, ev.weight), (94, "ttbar", 1.0));
        assert_eq!(ev.met, 112.288);
        assert_eq!(ev.objects.len(), 3);
        assert_eq!(ev.objects.get(0).kind, ObjectKind::BJet);
        assert_eq!(ev.objects.get(0).e, 331.927);
        assert_eq!(ev.objects.get(2).pt, 54391.4 / 1000.0);
        assert_eq!(ev.objects.get(2).phi, 1.726);
    }

    #[test]
    fn quirks_are_accepted() {
        // trailing ';', %g exponents, spaces, CRLF, muon aliases, zero objects.
        let (t, _) =
            one("354; p ;2.44336e-05;1.05628e+06;-3.06744;j,1.06946e+06, 751597 ,0.858186,-1.84217;mu+,5e4,5e4,0,0;\r")
                .unwrap();
        let ev = t.event(0);
        assert_eq!(ev.process, "p");
        assert_eq!(ev.weight, 2.44336e-05);
        assert_eq!(ev.met, 1056.28);
        assert_eq!(ev.objects.get(0).e, 1069.46);
        assert_eq!(ev.objects.get(1).kind, ObjectKind::MuonPlus);
        assert_eq!(one("1;proc;1;51234;0.3;").unwrap().0.event(0).objects.len(), 0);
        assert_eq!(one("1;proc;1;51234;0.3").unwrap().0.event(0).objects.len(), 0);
        assert_eq!(one("").unwrap().1, LineKind::Empty);
        assert_eq!(one("   \r").unwrap().1, LineKind::Empty);
        // E a little below pT through rounding is fine; φ slightly beyond π is kept as read.
        let (t, k) = one("1;p;1;0;3.1415936;g,99950,100000,0,3.14159;").unwrap();
        assert_eq!(k, LineKind::Event { wrapped_phi: 0 });
        assert_eq!(t.event(0).met_phi, 3.1415936);
        let (t, k) = one("1;p;1;0;4;").unwrap();
        assert_eq!(k, LineKind::Event { wrapped_phi: 1 });
        assert!((t.event(0).met_phi - (4.0 - 2.0 * std::f64::consts::PI)).abs() < 1e-12);
    }

    #[test]
    fn errors_name_field_and_expectation() {
        let cases: &[(&str, Option<usize>, &str)] = &[
            ("1;p;1;2", None, "found 4 field(s), expected at least 5"),
            ("x;p;1;2;0", Some(1), "event ID must be a decimal integer"),
            ("1.5;p;1;2;0", Some(1), "event ID must be a decimal integer"),
            ("1;;1;2;0", Some(2), "process ID must not be empty"),
            ("1;p;nan;2;0", Some(3), "weight must be a finite number"),
            ("1;p;1;-2;0", Some(4), "MET must be a finite number >= 0"),
            ("1;p;1;2;inf", Some(5), "MET phi must be a finite number"),
            ("1;p;1;2;0;j,1,1,0", Some(6), "object has 4 values, expected 5"),
            ("1;p;1;2;0;j,1,1,0,0,0", Some(6), "object has 6 values"),
            ("1;p;1;2;0;t,1,1,0,0", Some(6), "unknown object type 't'"),
            ("1;p;1;2;0;a,1,1,0,0", Some(6), "'a' is the photon of the legacy format"),
            ("1;p;1;2;0;j,-1,1,0,0", Some(6), "E must be a finite number >= 0"),
            ("1;p;1;2;0;j,1,-1,0,0", Some(6), "pt must be a finite number >= 0"),
            ("1;p;1;2;0;j,1,1,0x1p3,0", Some(6), "eta must be a finite number"),
            ("1;p;1;2;0;j,1,1,0,nan", Some(6), "phi must be a finite number"),
            ("1;p;1;2;0;j,50,100,0,0", Some(6), "E (50) is below pt (100)"),
            ("1;p;1;2;0;;j,1,1,0,0", Some(6), "empty field"),
            ("1;p;1;2;0;j,1,1,0,0;;", Some(7), "empty field"),
            ("1;p;1;2;0;j,1,1,0,0;j,1,1,0,0,", Some(7), "object has 6 values"),
            ("1;112288;1.74766;b,147558,-1.44969,-1.76399", Some(4), "legacy DarkMachines format without energy"),
            ("1,2,3,4,5,6", None, "fixed-length DarkMachines rows are not supported"),
            ("1;p;1;2;0;j,1,1,,0", Some(6), "eta must be a finite number, got ''"),
            (
                "0.5;112288;1.74766;b,147558,-1.44969,-1.76399;j,1,2,3",
                Some(4),
                "legacy DarkMachines format without energy",
            ),
        ];
        for (line, field, expected) in cases {
            let (f, m) = message(line);
            assert_eq!(f, *field, "{line}: {m}");
            assert!(m.contains(expected), "{line}: got '{m}', expected '{expected}'");
        }
        // An event ID that is a float in exponent notation is rejected too.
        assert_eq!(message("1e3;p;1;2;0").0, Some(1));
    }

    #[test]
    fn failed_line_leaves_table_unchanged() {
        let mut t = EventTable::new();
        parse_line(b"1;p;1;2;0;j,1,1,0,0", 19, 1, EnergyUnit::MeV, &mut t, &mut LineState::default()).unwrap();
        let before = t.clone();
        assert!(
            parse_line(b"2;q;1;2;0;j,1,1,0,0;j,1", 23, 2, EnergyUnit::MeV, &mut t, &mut LineState::default()).is_err()
        );
        assert_eq!(t.len(), before.len());
        assert_eq!(t.offsets, before.offsets);
        assert_eq!(t.kind, before.kind);
    }

    #[test]
    fn gev_unit_keeps_values() {
        let mut t = EventTable::new();
        parse_line(b"1;p;1;150;0;j,700,650,0,0", 25, 1, EnergyUnit::GeV, &mut t, &mut LineState::default()).unwrap();
        assert_eq!(t.met[0], 150.0);
        assert_eq!(t.pt[0], 650.0);
    }
}
