//! Four lanes at a time: ln, sin/cos, sinh and cosh − 1 of f64 for the per-object and
//! per-pair loops of the particle set and the RMM.
//!
//! The particle set's encoding was bound by scalar libm calls (perf, one thread: sin/cos,
//! sinh and ln were ~40 % of the time, ln ~30 % with pair features; the RMM's sin/cos, sinh
//! and cosh ~20 %). `wide`'s `f64x4` computes them with SIMD polynomials (Cephes/VCL
//! coefficients) on every x86-64 (SSE2 pairs, AVX when the build enables it), 1.6-2.5x faster
//! per value than glibc here with SSE2 and 3-6x with AVX2 (sinh ~3x from exp_m1). They agree
//! with libm to an ulp (ln) or a few (sin/cos, sinh, cosh − 1) of f64 (tested below), far
//! below the f32 rounding of the stored features, so a stored value differs from the libm
//! path at most by one f32 ulp, and only in the rare case where the f64 value lies within
//! those ulps of an f32 rounding boundary.
//!
//! `wide` has no sinh or cosh; [`sinh`] and [`cosh_m1_in_place`] build them from `exp_m1`
//! (as glibc does for sinh), to a few ulps.

use wide::f64x4;

/// Lanes per vector.
pub const LANES: usize = 4;

/// `f(x)` for every element of `v`, in place, [`LANES`] at a time; the lanes past the end of
/// a short last chunk are filled with `pad` (a value `f` takes without trouble).
fn map_in_place(v: &mut [f64], pad: f64, f: impl Fn(f64x4) -> f64x4) {
    let mut chunks = v.chunks_exact_mut(LANES);
    for c in &mut chunks {
        c.copy_from_slice(&f(f64x4::new([c[0], c[1], c[2], c[3]])).to_array());
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut lanes = [pad; LANES];
        lanes[..rest.len()].copy_from_slice(rest);
        rest.copy_from_slice(&f(f64x4::new(lanes)).to_array()[..rest.len()]);
    }
}

/// ln x of every element, in place (ln 0 = −∞, ln of a negative number NaN, as `f64::ln`).
pub fn ln_in_place(v: &mut [f64]) {
    map_in_place(v, 1.0, f64x4::ln);
}

/// sinh x of four lanes: t = e^|x| − 1, sinh |x| = (t + t/(t + 1))/2, with the sign of x
/// (glibc's `__ieee754_sinh` for |x| < 22 in one expression; both terms are positive, so
/// there is no cancellation near 0). Lanes with |x| > 700, where e^|x| nears overflow while
/// sinh does not yet, take `f64::sinh`.
pub fn sinh(x: f64x4) -> f64x4 {
    let a = x.abs();
    let t = a.exp_m1();
    let s = f64x4::splat(0.5) * (t + t / (t + f64x4::ONE));
    let s = x.is_sign_negative().select(-s, s);
    if a.simd_gt(f64x4::splat(700.0)).none() {
        return s;
    }
    let (xs, mut out) = (x.to_array(), s.to_array());
    for (o, &v) in out.iter_mut().zip(&xs) {
        if v.abs() > 700.0 {
            *o = v.sinh();
        }
    }
    f64x4::new(out)
}

/// cosh x − 1 of every element, in place, as t²/(2(t + 1)) with t = e^|x| − 1: no
/// cancellation for small x (cosh x − 1 ≈ x²/2), where computing cosh x first loses the
/// low bits (inf for |x| > ln f64::MAX ≈ 709.8, where e^|x| overflows).
pub fn cosh_m1_in_place(v: &mut [f64]) {
    map_in_place(v, 0.0, |x| {
        let t = x.abs().exp_m1();
        // As (t/2)·(t/(t + 1)), so that t² does not overflow first; that is NaN once t
        // overflows, where cosh x − 1 is inf.
        let r = f64x4::splat(0.5) * t * (t / (t + f64x4::ONE));
        t.is_inf().select(t, r)
    });
}

/// For four objects given as (p_T, η, φ) (GeV, rad): their `[p_x, p_y, p_z]`, each over the
/// four lanes, with p_x = p_T cos φ, p_y = p_T sin φ, p_z = p_T sinh η
/// (`oddity_core::fourvec::FourMomentum::from_e_pt_eta_phi`).
pub fn momenta(pt: [f64; LANES], eta: [f64; LANES], phi: [f64; LANES]) -> [[f64; LANES]; 3] {
    let pt = f64x4::new(pt);
    let (sin, cos) = f64x4::new(phi).sin_cos();
    [pt * cos, pt * sin, pt * sinh(f64x4::new(eta))].map(|v| v.to_array())
}

/// For four objects given as (E, p_T, η, φ) (GeV, rad): their
/// `[p_x, p_y, p_z, ln p_T, ln E]` ([`momenta`] and the logarithms), each over the four lanes.
pub fn object_parts(e: [f64; LANES], pt: [f64; LANES], eta: [f64; LANES], phi: [f64; LANES]) -> [[f64; LANES]; 5] {
    let [px, py, pz] = momenta(pt, eta, phi);
    let [ln_pt, ln_e] = [pt, e].map(|v| f64x4::new(v).ln().to_array());
    [px, py, pz, ln_pt, ln_e]
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

    #[test]
    fn sinh_agrees_with_libm() {
        use rand::Rng;
        let mut rng = crate::event_rng(4, 0);
        let mut x: Vec<f64> = (0..20_000).map(|_| rng.random_range(-12.0..12.0)).collect();
        x.extend([0.0, -0.0, 1e-300, -1e-12, 0.3465, 1.0, 22.0, 699.0, 705.0, -710.0, 711.0]);
        for c in x.chunks(4) {
            let mut lanes = [0.0; 4];
            lanes[..c.len()].copy_from_slice(c);
            let s = sinh(f64x4::new(lanes)).to_array();
            for (&a, &b) in c.iter().zip(&s) {
                let want = a.sinh();
                if want.is_infinite() {
                    assert_eq!(b, want, "sinh {a}");
                } else {
                    // e^|x| − 1 from e^|x| (wide's exp_m1 for |x| > ln 2 / 2) costs up to
                    // ~3.5 ulps near |x| = 0.35; the rest is rounding.
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
