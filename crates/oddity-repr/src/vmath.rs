//! Four lanes at a time: ln, sin/cos, sinh and cosh − 1 of f64 for the per-object and
//! per-pair loops of the particle set and the RMM.
//!
//! The particle set's encoding was bound by scalar libm calls (perf, one thread: sin/cos,
//! sinh and ln were ~40 % of the time, ln ~30 % with pair features; the RMM's sin/cos, sinh
//! and cosh ~20 %). Here they are computed for four values at once with the polynomial
//! approximations of Cephes (S. L. Moshier; coefficients as in Agner Fog's vector class
//! library): ln(1 + f) = f − f²/2 + f³·P(f)/Q(f) on [√½ − 1, √2 − 1]; sin and cos by
//! quadrant of x·2/π and degree-6 polynomials in r² on [−π/4, π/4]; e^x − 1 as
//! 2^n (e^t − 1) + (2^n − 1) with t = x − n ln 2 and a degree-13 Taylor polynomial. They agree
//! with libm to an ulp (ln) or a few (sin/cos, sinh, cosh − 1) of f64 (tested below), far
//! below the f32 rounding of the stored features, so a stored value differs from the libm
//! path at most by one f32 ulp, and only in the rare case where the f64 value lies within
//! those ulps of an f32 rounding boundary. Inputs outside the polynomials' ranges (ln of 0,
//! negative, subnormal or non-finite values; |x| > 1e6 for sin/cos; |x| > 700 for e^x − 1)
//! go to libm, lane by lane, outside the hot path.
//!
//! **Why written here, not with a SIMD crate.** The lanes are plain `[f64; 4]` and every
//! operation a lane-by-lane loop (`F4`, `U4`), which LLVM turns into one vector instruction
//! per operation: two SSE2 instructions in the default x86-64 build, one AVX2 instruction in
//! the copies that [`multiversion`](macro@multiversion) compiles for AVX2 and selects at run time: here
//! [`ln_in_place`] and [`cosh_m1_in_place`], in the encoders `event_tokens`, `pair_channels`
//! and the RMM's object kinematics, into which [`momenta`], [`object_parts`] and the
//! four-lane kernels inline. `wide` (used before) fixes its instruction set when it is
//! compiled, so a default build never used AVX2 even on machines that have it. Measured here
//! per value, one group of four at a time, `wide` (SSE2) → these: ln 4.9 → 4.0 ns, sin + cos
//! 8.7 → 3.1 ns, e^x − 1 7.6 → 3.1 ns with AVX2; without AVX2 (the default copy) ln 5.0 →
//! 6.9 ns (slower), sin + cos 8.8 → 5.9 ns, e^x − 1 7.4 → 5.5 ns. No fused multiply-add is
//! used, so both copies compute the same IEEE operations in the same order: the encoded
//! features are bit for bit the same on every x86-64 machine (tested, copy against copy).

use multiversion::multiversion;

/// Lanes per vector.
pub const LANES: usize = 4;

/// Four f64 lanes; every operation lane by lane (one vector instruction after LLVM).
#[derive(Debug, Clone, Copy)]
pub(crate) struct F4(pub(crate) [f64; LANES]);

/// Four u64 lanes: bit patterns of [`F4`] lanes, or masks (all ones = true, 0 = false).
#[derive(Debug, Clone, Copy)]
pub(crate) struct U4([u64; LANES]);

/// `impl $trait for $ty` applying `$op` lane by lane.
macro_rules! lanewise {
    ($ty:ident, $trait:ident, $method:ident, $op:tt) => {
        impl std::ops::$trait for $ty {
            type Output = $ty;
            #[inline(always)]
            fn $method(self, other: $ty) -> $ty {
                let mut r = self.0;
                for (a, b) in r.iter_mut().zip(other.0) {
                    *a $op b;
                }
                $ty(r)
            }
        }
    };
}
lanewise!(F4, Add, add, +=);
lanewise!(F4, Sub, sub, -=);
lanewise!(F4, Mul, mul, *=);
lanewise!(F4, Div, div, /=);
lanewise!(U4, BitAnd, bitand, &=);
lanewise!(U4, BitOr, bitor, |=);
lanewise!(U4, BitXor, bitxor, ^=);

/// The sign bit of an f64.
const SIGN: u64 = 1 << 63;

impl F4 {
    #[inline(always)]
    pub(crate) fn splat(v: f64) -> Self {
        Self([v; LANES])
    }

    /// `f` of every lane (vectorised by LLVM where `f` is plain arithmetic). A loop rather
    /// than `<[T; N]>::map`, which was left out of line, in default-build code (perf).
    #[inline(always)]
    pub(crate) fn map(self, f: impl Fn(f64) -> f64) -> Self {
        let mut r = self.0;
        for x in &mut r {
            *x = f(*x);
        }
        Self(r)
    }

    /// `f64::max(x, v)` of every lane.
    #[inline(always)]
    pub(crate) fn max(self, v: f64) -> Self {
        self.map(|x| x.max(v))
    }

    #[inline(always)]
    fn bits(self) -> U4 {
        U4(self.0.map(f64::to_bits))
    }

    #[inline(always)]
    fn abs(self) -> Self {
        (self.bits() & U4::splat(!SIGN)).to_f64()
    }

    /// Mask of the lanes with `lo ≤ x ≤ hi` (false for NaN).
    #[inline(always)]
    pub(crate) fn within(self, lo: f64, hi: f64) -> U4 {
        U4(self.0.map(|v| if lo <= v && v <= hi { !0 } else { 0 }))
    }

    /// Mask of the lanes within [`ln4`]'s fast path, [`LN_MIN`, `LN_MAX`].
    #[inline(always)]
    pub(crate) fn in_ln_fast_path(self) -> U4 {
        self.within(LN_MIN, LN_MAX)
    }

    /// Mask of the lanes with `x ≤ v`.
    #[inline(always)]
    fn le(self, v: f64) -> U4 {
        U4(self.0.map(|x| if x <= v { !0 } else { 0 }))
    }

    /// Rounded to the nearest integer (ties to even) by adding and subtracting 1.5·2^52,
    /// with the integer in the low bits of the second result (two's complement). Valid for
    /// |x| < 2^51.
    #[inline(always)]
    fn round_int(self) -> (Self, U4) {
        const SHIFT: f64 = 6_755_399_441_055_744.0;
        let s = self + Self::splat(SHIFT);
        (s - Self::splat(SHIFT), s.bits())
    }

    /// The polynomial with coefficients `c` (highest degree first) at every lane, by Horner.
    #[inline(always)]
    fn horner(self, c: &[f64]) -> Self {
        let mut p = Self::splat(c[0]);
        for &k in &c[1..] {
            p = p * self + Self::splat(k);
        }
        p
    }
}

impl U4 {
    #[inline(always)]
    fn splat(v: u64) -> Self {
        Self([v; LANES])
    }

    #[inline(always)]
    fn to_f64(self) -> F4 {
        F4(self.0.map(f64::from_bits))
    }

    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Self(self.0.map(|v| v << n))
    }

    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Self(self.0.map(|v| v >> n))
    }

    #[inline(always)]
    fn wrapping_add(self, v: u64) -> Self {
        Self(self.0.map(|x| x.wrapping_add(v)))
    }

    /// Mask of the lanes that are not 0.
    #[inline(always)]
    fn nonzero(self) -> Self {
        Self(self.0.map(|v| if v != 0 { !0 } else { 0 }))
    }

    /// Every lane true.
    #[inline(always)]
    pub(crate) fn all(self) -> bool {
        self.0.iter().fold(!0, |a, &b| a & b) == !0
    }

    /// `a` where the mask is true, `b` elsewhere.
    #[inline(always)]
    fn select(self, a: F4, b: F4) -> F4 {
        ((self & a.bits()) | (Self(self.0.map(|m| !m)) & b.bits())).to_f64()
    }
}

/// Lanes outside the fast path: `r[k] = f(x[k])` where `ok` is false. Out of line and cold,
/// so that the rare fallback costs the vector code nothing.
#[cold]
#[inline(never)]
fn scalar_fallback(x: &[f64; LANES], r: &mut [f64; LANES], ok: U4, f: fn(f64) -> f64) {
    for k in 0..LANES {
        if ok.0[k] == 0 {
            r[k] = f(x[k]);
        }
    }
}

// The four-lane kernels. `CHECKED`: lanes outside the kernel's fast path are recomputed by
// libm; callers pass `false` only after checking that the whole input is within it.

/// ln x of four lanes (Cephes `log`): x = 2^e·m with m in (√½, √2], f = m − 1,
/// ln x = e ln 2 + f − f²/2 + f³ P(f)/Q(f), ln 2 split in two parts (fdlibm's) so that e ln 2
/// is exact to f64. Fast path: [f64::MIN_POSITIVE, f64::MAX]; checked, other lanes (0,
/// negative, subnormal, ∞, NaN) take `f64::ln`.
// The coefficients as Cephes publishes them (more digits than f64 keeps).
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub(crate) fn ln4<const CHECKED: bool>(x: [f64; LANES]) -> [f64; LANES] {
    const P: [f64; 6] = [
        1.018_756_638_045_809_317_96E-4,
        4.974_949_949_767_470_014_25E-1,
        4.705_791_198_788_817_258_54E0,
        1.449_892_253_416_109_308_46E1,
        1.793_686_785_078_198_163_13E1,
        7.708_387_337_558_853_916_66E0,
    ];
    // Q with its leading coefficient 1 (f⁵ + …).
    const Q: [f64; 6] = [
        1.0,
        1.128_735_871_891_674_505_90E1,
        4.522_791_458_375_322_211_05E1,
        8.298_752_669_127_766_032_11E1,
        7.115_447_506_185_638_944_66E1,
        2.312_516_201_267_653_405_83E1,
    ];
    let ln2_hi = F4::splat(f64::from_bits(0x3FE6_2E42_FEE0_0000));
    let ln2_lo = F4::splat(f64::from_bits(0x3DEA_39EF_3579_3C76));
    let xv = F4(x);
    let bits = xv.bits();
    // m in [1/2, 1) from the mantissa bits; e from the exponent bits, converted to f64 by
    // placing them in the mantissa of 2^52 (exact, and vectorisable without AVX-512).
    let m = ((bits & U4::splat(0x000F_FFFF_FFFF_FFFF)) | U4::splat(0x3FE0_0000_0000_0000)).to_f64();
    let e = (U4::splat(0x4330_0000_0000_0000) | bits.shr(52)).to_f64() - F4::splat(4_503_599_627_370_496.0 + 1022.0);
    let low = m.le(std::f64::consts::FRAC_1_SQRT_2);
    let m = low.select(m + m, m);
    let e = low.select(e - F4::splat(1.0), e);
    let f = m - F4::splat(1.0);
    let f2 = f * f;
    let mut r = f2 * f * f.horner(&P) / f.horner(&Q);
    r = e * ln2_lo + r;
    r = r + (f - F4::splat(0.5) * f2);
    let mut r = (e * ln2_hi + r).0;
    let ok = xv.in_ln_fast_path();
    if CHECKED && !ok.all() {
        scalar_fallback(&x, &mut r, ok, f64::ln);
    }
    r
}

/// (sin x, cos x) of four lanes (Cephes `sin`/`cos`): q = round(|x|·2/π), r = |x| − q·π/2
/// in three parts (to f64 accuracy for |x| ≤ 1e6), polynomials for sin r and cos r, swapped
/// for odd q and signed by quadrant (and by the sign of x for the sine). Fast path:
/// |x| ≤ 1e6; checked, other lanes (and NaN) take `f64::sin`, `f64::cos`.
// The coefficients as Cephes publishes them (more digits than f64 keeps).
#[allow(clippy::excessive_precision)]
#[inline(always)]
fn sin_cos4<const CHECKED: bool>(x: [f64; LANES]) -> ([f64; LANES], [f64; LANES]) {
    const S: [f64; 6] = [
        1.589_623_015_765_465_680_60E-10,
        -2.505_074_776_285_780_728_66E-8,
        2.755_731_362_138_572_452_13E-6,
        -1.984_126_982_958_953_859_96E-4,
        8.333_333_333_322_118_588_78E-3,
        -1.666_666_666_666_663_072_95E-1,
    ];
    const C: [f64; 6] = [
        -1.135_853_652_138_768_173_00E-11,
        2.087_570_084_197_473_167_78E-9,
        -2.755_731_417_929_673_881_12E-7,
        2.480_158_728_885_170_453_48E-5,
        -1.388_888_888_887_305_641_16E-3,
        4.166_666_666_666_659_292_18E-2,
    ];
    // π/2 in three parts, the first two with trailing zero bits (products with q exact).
    const DP1: f64 = 7.853_981_554_508_209_228_515_625E-1 * 2.0;
    const DP2: f64 = 7.946_627_356_147_928_367_14E-9 * 2.0;
    const DP3: f64 = 3.061_616_997_868_382_943_07E-17 * 2.0;
    let xv = F4(x);
    let xa = xv.abs();
    let (q, qbits) = (xa * F4::splat(std::f64::consts::FRAC_2_PI)).round_int();
    let r = ((xa - q * F4::splat(DP1)) - q * F4::splat(DP2)) - q * F4::splat(DP3);
    let r2 = r * r;
    let s = r + (r * r2) * r2.horner(&S);
    let c = (F4::splat(1.0) - F4::splat(0.5) * r2) + (r2 * r2) * r2.horner(&C);
    let odd = (qbits & U4::splat(1)).nonzero();
    // Quadrant q mod 4: sin = s, c, −s, −c; cos = c, −s, −c, s.
    let sin_sign = (qbits & U4::splat(2)).shl(62) ^ (xv.bits() & U4::splat(SIGN));
    let cos_sign = (qbits.wrapping_add(1) & U4::splat(2)).shl(62);
    let mut sin = (odd.select(c, s).bits() ^ sin_sign).to_f64().0;
    let mut cos = (odd.select(s, c).bits() ^ cos_sign).to_f64().0;
    let ok = xa.le(SIN_COS_MAX);
    if CHECKED && !ok.all() {
        scalar_fallback(&x, &mut sin, ok, f64::sin);
        scalar_fallback(&x, &mut cos, ok, f64::cos);
    }
    (sin, cos)
}

/// e^x − 1 of four lanes: n = round(x/ln 2), t = x − n ln 2 (ln 2 in two parts, fdlibm's),
/// e^t − 1 = t + t²(1/2! + t/3! + … + t¹¹/13!) (Taylor, |t| ≤ ln 2/2: truncation below
/// 2^−55 relative), then 2^n (e^t − 1) + (2^n − 1), where 2^n − 1 is exact. Fast path:
/// |x| ≤ 700; checked, other lanes (and NaN) take `f64::exp_m1`.
// The coefficients as Cephes publishes them (more digits than f64 keeps).
#[allow(clippy::excessive_precision)]
#[inline(always)]
fn exp_m1_4<const CHECKED: bool>(x: [f64; LANES]) -> [f64; LANES] {
    const LN2_HI: f64 = 0.693_145_751_953_125;
    const LN2_LO: f64 = 1.428_606_820_309_417_232_12E-6;
    // 1/13!, 1/12!, …, 1/2!.
    const P: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let xv = F4(x);
    let (n, nbits) = (xv * F4::splat(std::f64::consts::LOG2_E)).round_int();
    let t = (xv - n * F4::splat(LN2_HI)) - n * F4::splat(LN2_LO);
    let em1 = t + (t * t) * t.horner(&P);
    // 2^n from the low bits of n as the exponent field (|n| ≤ 1010 on the fast path).
    let two_n = (nbits.wrapping_add(1023) & U4::splat(0x7FF)).shl(52).to_f64();
    let mut r = (em1 * two_n + (two_n - F4::splat(1.0))).0;
    let ok = xv.abs().le(EXP_MAX);
    if CHECKED && !ok.all() {
        scalar_fallback(&x, &mut r, ok, f64::exp_m1);
    }
    r
}

/// `$f` (a four-lane kernel) applied to every element of the slice `$v`, in place,
/// [`LANES`] at a time; the lanes past the end of a short last chunk are filled with `$pad`
/// (a value `$f` takes on its fast path). A macro so that the kernel is inlined into the
/// calling copy (AVX2 or default): passed as a function value, it stayed a call into
/// default-build code (perf).
macro_rules! map_in_place {
    ($v:expr, $pad:expr, $f:path) => {{
        let v: &mut [f64] = $v;
        let mut chunks = v.chunks_exact_mut(LANES);
        for c in &mut chunks {
            c.copy_from_slice(&$f([c[0], c[1], c[2], c[3]]));
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let mut lanes = [$pad; LANES];
            lanes[..rest.len()].copy_from_slice(rest);
            rest.copy_from_slice(&$f(lanes)[..rest.len()]);
        }
    }};
}

/// The range of x that [`ln4`] computes itself (below: 0, negative, subnormal; above: ∞).
const LN_MIN: f64 = f64::MIN_POSITIVE;
const LN_MAX: f64 = f64::MAX;

/// Largest |x| that [`sin_cos4`] reduces itself (beyond, libm).
const SIN_COS_MAX: f64 = 1e6;

/// Largest |x| that [`exp_m1_4`] (and so sinh, cosh − 1) computes itself (beyond, libm).
const EXP_MAX: f64 = 700.0;

/// Every element of `v` within [lo, hi] (false for NaN), as one vectorisable pass.
#[inline(always)]
fn all_within(v: &[f64], lo: f64, hi: f64) -> bool {
    v.iter().fold(true, |ok, &x| ok & (lo <= x) & (x <= hi))
}

// The slice functions and the per-object functions below check the whole input once and
// then run the kernels without their per-lane checks (`CHECKED = false`); only an input with
// a value outside the fast path takes the checked kernels. Checking four lanes at a time
// inside the loop made ln twice as slow per value (a branch to the cold fallback in every
// iteration), measured on slices of 32.

/// ln x of every element, in place (ln 0 = −∞, ln of a negative number NaN, as `f64::ln`).
#[multiversion(targets("x86_64+avx2"))]
pub fn ln_in_place(v: &mut [f64]) {
    if all_within(v, LN_MIN, LN_MAX) {
        map_in_place!(v, 1.0, ln4::<false>);
    } else {
        map_in_place!(v, 1.0, ln4::<true>);
    }
}

/// sinh x of four lanes: t = e^|x| − 1, sinh |x| = (t + t/(t + 1))/2, with the sign of x
/// (glibc's `__ieee754_sinh` for |x| < 22 in one expression; both terms are positive, so
/// there is no cancellation near 0). Checked: lanes with |x| > 700, where e^|x| nears
/// overflow while sinh does not yet, take `f64::sinh`.
#[inline(always)]
fn sinh4<const CHECKED: bool>(x: [f64; LANES]) -> [f64; LANES] {
    let xv = F4(x);
    // Unchecked: the lanes outside e^x − 1's fast path are the ones recomputed below.
    let t = F4(exp_m1_4::<false>(xv.abs().0));
    let s = F4::splat(0.5) * (t + t / (t + F4::splat(1.0)));
    let mut s = (s.bits() | (xv.bits() & U4::splat(SIGN))).to_f64().0;
    let ok = xv.abs().le(EXP_MAX);
    if CHECKED && !ok.all() {
        scalar_fallback(&x, &mut s, ok, f64::sinh);
    }
    s
}

/// cosh x − 1 of four lanes as t²/(2(t + 1)) with t = e^|x| − 1: no cancellation for
/// small x (cosh x − 1 ≈ x²/2), where computing cosh x first loses the low bits (inf for
/// |x| > ln f64::MAX ≈ 709.8, where e^|x| overflows).
#[inline(always)]
fn cosh_m1_4<const CHECKED: bool>(x: [f64; LANES]) -> [f64; LANES] {
    let t = F4(exp_m1_4::<CHECKED>(F4(x).abs().0));
    // As (t/2)·(t/(t + 1)), so that t² does not overflow first; that is NaN once t
    // overflows, where cosh x − 1 is inf.
    let r = F4::splat(0.5) * t * (t / (t + F4::splat(1.0)));
    t.within(f64::MIN, f64::MAX).select(r, t).0
}

/// cosh x − 1 of every element, in place, as t²/(2(t + 1)) with t = e^|x| − 1 (no
/// cancellation near 0).
#[multiversion(targets("x86_64+avx2"))]
pub fn cosh_m1_in_place(v: &mut [f64]) {
    if all_within(v, -EXP_MAX, EXP_MAX) {
        map_in_place!(v, 0.0, cosh_m1_4::<false>);
    } else {
        map_in_place!(v, 0.0, cosh_m1_4::<true>);
    }
}

/// [p_T cos φ, p_T sin φ, p_T sinh η] of four lanes.
#[inline(always)]
fn momenta4<const CHECKED: bool>(pt: [f64; LANES], eta: [f64; LANES], phi: [f64; LANES]) -> [[f64; LANES]; 3] {
    let pt = F4(pt);
    let (sin, cos) = sin_cos4::<CHECKED>(phi);
    [pt * F4(cos), pt * F4(sin), pt * F4(sinh4::<CHECKED>(eta))].map(|v| v.0)
}

/// η and φ of four lanes within the kernels' own ranges.
#[inline(always)]
fn angles_in_range(eta: [f64; LANES], phi: [f64; LANES]) -> bool {
    (F4(eta).abs().le(EXP_MAX) & F4(phi).abs().le(SIN_COS_MAX)).all()
}

/// For four objects given as (p_T, η, φ) (GeV, rad): their `[p_x, p_y, p_z]`, each over the
/// four lanes, with p_x = p_T cos φ, p_y = p_T sin φ, p_z = p_T sinh η
/// (`oddity_core::fourvec::FourMomentum::from_e_pt_eta_phi`).
///
/// Inlined into the caller, so a caller compiled for AVX2 (`#[multiversion]`) gets it in
/// AVX2.
#[inline(always)]
pub fn momenta(pt: [f64; LANES], eta: [f64; LANES], phi: [f64; LANES]) -> [[f64; LANES]; 3] {
    if angles_in_range(eta, phi) { momenta4::<false>(pt, eta, phi) } else { momenta4::<true>(pt, eta, phi) }
}

/// For four objects given as (E, p_T, η, φ) (GeV, rad): their
/// `[p_x, p_y, p_z, ln p_T, ln E]` ([`momenta`] and the logarithms), each over the four lanes.
/// Inlined into the caller, as [`momenta`].
#[inline(always)]
pub fn object_parts(e: [f64; LANES], pt: [f64; LANES], eta: [f64; LANES], phi: [f64; LANES]) -> [[f64; LANES]; 5] {
    let logs_ok = (F4(pt).in_ln_fast_path() & F4(e).in_ln_fast_path()).all();
    if logs_ok && angles_in_range(eta, phi) {
        let [px, py, pz] = momenta4::<false>(pt, eta, phi);
        [px, py, pz, ln4::<false>(pt), ln4::<false>(e)]
    } else {
        let [px, py, pz] = momenta4::<true>(pt, eta, phi);
        [px, py, pz, ln4::<true>(pt), ln4::<true>(e)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite f64 of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Inputs spanning what events hold: p_T and E from 1e-3 to 1e5 GeV, masses², η and φ
    /// over their ranges, plus exact corners.
    fn samples() -> Vec<f64> {
        use rand::Rng;
        let mut rng = crate::event_rng(3, 0);
        let mut v: Vec<f64> = (0..20_000).map(|_| 10f64.powf(rng.random_range(-8.0..12.0))).collect();
        v.extend([1.0, 2.0, 0.5, f64::MIN_POSITIVE, 1e-300, 1e300, f64::MAX]);
        v
    }

    #[test]
    fn ln_agrees_with_libm_to_an_ulp() {
        let x = samples();
        let mut y = x.clone();
        ln_in_place(&mut y);
        for (&a, &b) in x.iter().zip(&y) {
            assert!(ulps(a.ln(), b) <= 1, "ln {a}: libm {} vs {b}", a.ln());
        }
        let mut corners = [0.0, -1.0, f64::INFINITY];
        ln_in_place(&mut corners);
        assert_eq!(corners[0], f64::NEG_INFINITY);
        assert!(corners[1].is_nan());
        assert_eq!(corners[2], f64::INFINITY);
    }

    /// The copies compiled for AVX2 (selected at run time where the CPU has it) compute the
    /// same bits as the default build: `ln_in_place` and `cosh_m1_in_place` against the
    /// kernels called from this (default-build) test.
    #[test]
    fn runtime_selected_copies_equal_the_default_build_bit_for_bit() {
        let x = samples();
        let mut y = x.clone();
        ln_in_place(&mut y);
        for (c, got) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
            let want = ln4::<true>([c[0], c[1], c[2], c[3]]);
            assert_eq!(want.map(f64::to_bits), [got[0], got[1], got[2], got[3]].map(f64::to_bits), "ln {c:?}");
        }
        let x: Vec<f64> = x.iter().map(|v| v.log10() - 2.0).collect();
        let mut y = x.clone();
        cosh_m1_in_place(&mut y);
        for (c, got) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
            let want = cosh_m1_4::<true>([c[0], c[1], c[2], c[3]]);
            assert_eq!(want.map(f64::to_bits), [got[0], got[1], got[2], got[3]].map(f64::to_bits), "cosh {c:?} - 1");
        }
    }

    #[test]
    fn sin_cos_agree_with_libm_in_every_quadrant() {
        use rand::Rng;
        let mut rng = crate::event_rng(7, 0);
        let mut x: Vec<f64> = (0..20_000).map(|_| rng.random_range(-20.0..20.0)).collect();
        x.extend([0.0, -0.0, 1e-300, std::f64::consts::PI, -std::f64::consts::PI, std::f64::consts::FRAC_PI_2]);
        x.extend([1e5 + 0.25, 2e6, f64::INFINITY, f64::NAN, 4.0]);
        for c in x.chunks(LANES) {
            let mut lanes = [0.0; LANES];
            lanes[..c.len()].copy_from_slice(c);
            let (s, co) = sin_cos4::<true>(lanes);
            for (k, &a) in c.iter().enumerate() {
                let (ws, wc) = a.sin_cos();
                if ws.is_nan() {
                    assert!(s[k].is_nan() && co[k].is_nan(), "sin/cos {a}");
                    continue;
                }
                // On the scale of 1 (values near 0 keep an absolute error of an ulp of 1).
                assert!((s[k] - ws).abs() <= 2.0 * f64::EPSILON, "sin {a}: libm {ws} vs {}", s[k]);
                assert!((co[k] - wc).abs() <= 2.0 * f64::EPSILON, "cos {a}: libm {wc} vs {}", co[k]);
                assert_eq!(s[k].is_sign_negative(), ws.is_sign_negative(), "sign of sin {a}");
            }
        }
    }

    #[test]
    fn sinh_agrees_with_libm() {
        use rand::Rng;
        let mut rng = crate::event_rng(4, 0);
        let mut x: Vec<f64> = (0..20_000).map(|_| rng.random_range(-12.0..12.0)).collect();
        x.extend([0.0, -0.0, 1e-300, -1e-12, 0.3465, 1.0, 22.0, 699.0, 705.0, -710.0, 711.0]);
        for c in x.chunks(4) {
            let mut lanes = [0.0; 4];
            lanes[..c.len()].copy_from_slice(c);
            let s = sinh4::<true>(lanes);
            for (&a, &b) in c.iter().zip(&s) {
                let want = a.sinh();
                if want.is_infinite() {
                    assert_eq!(b, want, "sinh {a}");
                } else {
                    // e^|x| − 1 to an ulp or two, then t/(t + 1), the sum and the halving.
                    assert!(ulps(want, b) <= 6, "sinh {a}: libm {want} vs {b}");
                }
            }
        }
    }

    #[test]
    fn object_parts_agree_with_the_scalar_four_vector() {
        use rand::Rng;
        let mut rng = crate::event_rng(5, 0);
        for _ in 0..5000 {
            let lanes =
                |rng: &mut rand_chacha::ChaCha8Rng, lo: f64, hi: f64| [0; LANES].map(|_| rng.random_range(lo..hi));
            let (pt, eta, phi) = (lanes(&mut rng, 0.0, 2000.0), lanes(&mut rng, -5.0, 5.0), lanes(&mut rng, -3.2, 3.2));
            let e: [f64; LANES] = std::array::from_fn(|k| pt[k] * eta[k].cosh() + 1.0);
            let [px, py, pz, ln_pt, ln_e] = object_parts(e, pt, eta, phi);
            for k in 0..LANES {
                let p = oddity_core::fourvec::FourMomentum::from_e_pt_eta_phi(e[k], pt[k], eta[k], phi[k]);
                // sin/cos of φ within a few ulps: compare on the scale of p_T.
                let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 4.0 * f64::EPSILON * scale;
                assert!(close(px[k], p.px, pt[k]) && close(py[k], p.py, pt[k]), "{pt:?} {phi:?}");
                // sinh within a few ulps (below), times p_T.
                assert!(ulps(pz[k], p.pz) <= 8, "p_z {} vs {}", pz[k], p.pz);
                assert!(ulps(ln_pt[k], pt[k].ln()) <= 1 && ulps(ln_e[k], e[k].ln()) <= 1);
            }
        }
    }

    /// A lane outside the fast path (p_T = 0, E < 0, |φ| > 1e6, |η| > 700) takes libm and
    /// leaves the other lanes as they are.
    #[test]
    fn object_parts_outside_the_fast_path_take_libm() {
        let (e, pt, eta, phi) =
            ([10.0, -1.0, 50.0, 5.0], [0.0, 2.0, 40.0, 3.0], [0.5, 710.0, -1.0, 0.1], [0.3, 1.0, 2e7, -0.2]);
        let [px, py, pz, ln_pt, ln_e] = object_parts(e, pt, eta, phi);
        let [fpx, fpy, fpz, fln_pt, fln_e] =
            object_parts([e[3]; LANES], [pt[3]; LANES], [eta[3]; LANES], [phi[3]; LANES]);
        for k in 0..LANES {
            let (s, c) = phi[k].sin_cos();
            let close = |a: f64, b: f64| a == b || (a - b).abs() <= 8.0 * f64::EPSILON * b.abs();
            assert!(close(px[k], pt[k] * c) && close(py[k], pt[k] * s), "lane {k}");
            assert!(close(pz[k], pt[k] * eta[k].sinh()), "lane {k}: {} vs {}", pz[k], pt[k] * eta[k].sinh());
            assert!(ln_pt[k] == pt[k].ln() || ulps(ln_pt[k], pt[k].ln()) <= 1, "lane {k}");
            assert!(ln_e[k].is_nan() == e[k].ln().is_nan(), "lane {k}");
        }
        // The last lane, in range, as in a group entirely in range.
        assert_eq!([px[3], py[3], pz[3], ln_pt[3], ln_e[3]], [fpx[0], fpy[0], fpz[0], fln_pt[0], fln_e[0]]);
    }

    #[test]
    fn cosh_m1_agrees_with_libm_and_keeps_small_values() {
        use rand::Rng;
        let mut rng = crate::event_rng(6, 0);
        let mut x: Vec<f64> = (0..20_000).map(|_| rng.random_range(-12.0..12.0)).collect();
        x.extend([0.5, 1.0, 22.0, -700.0]);
        let mut y = x.clone();
        cosh_m1_in_place(&mut y);
        for (&a, &b) in x.iter().zip(&y) {
            // Away from 0, cosh x − 1 of libm is accurate: a few ulps apart.
            if a.abs() > 0.5 {
                let want = a.cosh() - 1.0;
                assert!(ulps(want, b) <= 8, "cosh {a} - 1: libm {want} vs {b}");
            }
        }
        // Near 0: the series x²/2 + x⁴/24 + x⁶/720 + x⁸/40320, where cosh x − 1 computed directly keeps few digits.
        let mut small = [0.0, 1e-9, -3e-5, 1e-3];
        cosh_m1_in_place(&mut small);
        for (&a, &b) in [0.0f64, 1e-9, -3e-5, 1e-3].iter().zip(&small) {
            let x2 = a * a;
            let want = x2 / 2.0 * (1.0 + x2 / 12.0 * (1.0 + x2 / 30.0 * (1.0 + x2 / 56.0)));
            assert!((b - want).abs() <= 4.0 * f64::EPSILON * want, "cosh {a} - 1: {want} vs {b}");
        }
        let mut huge = [711.0, -800.0];
        cosh_m1_in_place(&mut huge);
        assert_eq!(huge, [f64::INFINITY; 2]);
    }
}
