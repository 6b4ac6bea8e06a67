//! Four-vector helpers for objects given as (E, pT, η, φ).
//!
//! Units: GeV and radians. Formulas from physics-spec §1: p_x = pT cos φ, p_y = pT sin φ,
//! p_z = pT sinh η, |p| = pT cosh η; E is used as read, never recomputed from a mass
//! hypothesis.

use std::f64::consts::{PI, TAU};

/// A Cartesian four-momentum (E, p_x, p_y, p_z) in GeV.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FourMomentum {
    pub e: f64,
    pub px: f64,
    pub py: f64,
    pub pz: f64,
}

impl FourMomentum {
    /// From (E, pT, η, φ): p_x = pT cos φ, p_y = pT sin φ, p_z = pT sinh η.
    #[inline]
    pub fn from_e_pt_eta_phi(e: f64, pt: f64, eta: f64, phi: f64) -> Self {
        let (sin, cos) = phi.sin_cos();
        Self { e, px: pt * cos, py: pt * sin, pz: pt * eta.sinh() }
    }

    /// Transverse momentum sqrt(p_x² + p_y²).
    #[inline]
    pub fn pt(&self) -> f64 {
        self.px.hypot(self.py)
    }

    /// |p|² = p_x² + p_y² + p_z².
    #[inline]
    pub fn p2(&self) -> f64 {
        self.px * self.px + self.py * self.py + self.pz * self.pz
    }

    /// m² = E² − |p|², not clamped (may be slightly negative through rounding).
    pub fn mass2(&self) -> f64 {
        self.e * self.e - self.p2()
    }

    /// m = sqrt(max(m², 0)).
    pub fn mass(&self) -> f64 {
        self.mass2().max(0.0).sqrt()
    }
}

impl std::ops::Add for FourMomentum {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self { e: self.e + o.e, px: self.px + o.px, py: self.py + o.py, pz: self.pz + o.pz }
    }
}

impl std::ops::AddAssign for FourMomentum {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

/// Wraps an angle into [−π, π): wrap(x) = x − 2π·⌊(x + π)/(2π)⌋ (physics-spec §1).
///
/// Computed from the exact floating-point remainder x mod 2π (`rem_euclid`), so the result is
/// in [−π, π) and idempotent for every finite x; the subtraction form loses all precision for
/// |x| ≳ 1e12 (found by fuzzing: `fuzz/regressions/csv_roundtrip-huge-phi-wrap`).
#[inline]
pub fn wrap_phi(x: f64) -> f64 {
    if (-PI..PI).contains(&x) {
        return x;
    }
    let r = x.rem_euclid(TAU); // [0, 2π], 2π only by rounding of tiny negative x
    if r >= PI { r - TAU } else { r }
}

/// Δφ = wrap(φ_a − φ_b) ∈ [−π, π).
pub fn delta_phi(phi_a: f64, phi_b: f64) -> f64 {
    wrap_phi(phi_a - phi_b)
}

/// Rapidity y = ½ ln((E + p_z)/(E − p_z)).
///
/// Guard (physics-spec §1): massless objects rounded to 6 digits can give E ≤ |p_z|; then
/// the pseudorapidity `eta` is returned instead.
pub fn rapidity(e: f64, pz: f64, eta: f64) -> f64 {
    rapidity_arg(e, pz).map_or(eta, |a| 0.5 * a.ln())
}

/// The argument (E + p_z)/(E − p_z) of the logarithm in [`rapidity`], or `None` where the
/// guard applies (E ≤ |p_z|, rapidity = η): for callers that take the logarithms of many
/// objects at once.
#[inline]
pub fn rapidity_arg(e: f64, pz: f64) -> Option<f64> {
    (e > pz.abs()).then(|| (e + pz) / (e - pz))
}

/// Invariant mass squared of two objects, m²_ij = (E_i + E_j)² − |p_i + p_j|², unclamped.
pub fn pair_mass2(a: FourMomentum, b: FourMomentum) -> f64 {
    (a + b).mass2()
}

/// Invariant mass of two objects, sqrt(max(m²_ij, 0)) in GeV.
pub fn pair_mass(a: FourMomentum, b: FourMomentum) -> f64 {
    (a + b).mass()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn back_to_back_massless_pair_mass_is_twice_the_energy() {
        let a = FourMomentum::from_e_pt_eta_phi(100.0, 100.0, 0.0, 0.3);
        let b = FourMomentum::from_e_pt_eta_phi(100.0, 100.0, 0.0, 0.3 + PI);
        assert!((pair_mass(a, b) - 200.0).abs() < 1e-9);
    }

    #[test]
    fn components_match_hand_values() {
        // pT = 50 GeV, η = 1, φ = π/2: p_x = 0, p_y = 50, p_z = 50 sinh 1 = 58.76005968219007 (Python math.sinh)
        let p = FourMomentum::from_e_pt_eta_phi(80.0, 50.0, 1.0, PI / 2.0);
        assert!(p.px.abs() < 1e-12);
        assert!((p.py - 50.0).abs() < 1e-12);
        assert!((p.pz - 58.760_059_682_190_07).abs() < 1e-9);
        assert!((p.pt() - 50.0).abs() < 1e-12);
        // Massless: y = η; massive: |y| < |η|.
        let massless = FourMomentum::from_e_pt_eta_phi(50.0 * 1f64.cosh(), 50.0, 1.0, 0.0);
        assert!((rapidity(massless.e, massless.pz, 1.0) - 1.0).abs() < 1e-9);
        assert!(rapidity(p.e, p.pz, 1.0) < 1.0);
    }

    #[test]
    fn rapidity_falls_back_to_eta_when_energy_is_below_pz() {
        assert_eq!(rapidity(10.0, 10.5, 3.0), 3.0);
    }

    #[test]
    fn wrap_huge_angles_regression_fuzz_huge_phi_wrap() {
        // Found by fuzzing the CSV round trip: METφ 1e16 wrapped to −4, which re-read as 2.28.
        for x in [1e12, -1e12, 1e16, -1e16, 3.1e22, f64::MAX, -f64::MAX, -1e-300] {
            let w = wrap_phi(x);
            assert!((-PI..PI).contains(&w), "wrap({x}) = {w}");
            assert_eq!(wrap_phi(w), w, "wrap is idempotent at {x}");
        }
    }

    #[test]
    fn wrap_edges() {
        assert_eq!(wrap_phi(PI), -PI);
        assert_eq!(wrap_phi(-PI), -PI);
        assert!((wrap_phi(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((delta_phi(3.0, -3.0) - (6.0 - 2.0 * PI)).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn wrap_is_in_half_open_interval(x in -1e4f64..1e4) {
            let w = wrap_phi(x);
            prop_assert!((-PI..PI).contains(&w));
            let k = ((x - w) / (2.0 * PI)).round();
            prop_assert!((x - w - k * 2.0 * PI).abs() < 1e-9);
        }
    }
}
