//! Pairwise kinematic features of the Particle Transformer (physics-spec §5.3; arXiv
//! 2202.03772, `hqucms/weaver-core` `pairwise_lv_fts`).
//!
//! For tokens a, b with four-vectors (GeV) and eps = 1e-8:
//! - Δ = sqrt((y_a − y_b)² + wrap(φ_a − φ_b)²), with the weaver rapidity
//!   y = ½ ln(1 + 2p_z / max(E − p_z, 1e-20)) (or the pseudorapidity η with `use_eta`),
//!   φ = atan2(p_y, p_x);
//! - kT = min(pT_a, pT_b)·Δ; z = min(pT_a, pT_b)/max(pT_a + pT_b, eps);
//! - m² = max((E_a + E_b)² − |p_a + p_b|², eps).
//!
//! Channels: `{ln Δ, ln m²}` by default (seed 001), all four in the reference order
//! (ln kT, ln z, ln Δ, ln m²) with `part4`. Every pair i ≤ j is computed (the diagonal
//! included, as in weaver) and mirrored; entries involving a padded token are 0.

use oddity_core::fourvec::wrap_phi;
use serde::{Deserialize, Serialize};

use crate::token::Token;

/// The floor of the logarithms and denominators (weaver's `eps`).
pub const EPS: f64 = 1e-8;

/// Which kinematic pair features are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairSet {
    /// ln Δ, ln m² (seed 001 and its code; the project default).
    #[default]
    DeltaMass,
    /// ln kT, ln z, ln Δ, ln m² (the ParT paper).
    Part4,
}

impl PairSet {
    /// Number of channels.
    pub fn channels(self) -> usize {
        self.names().len()
    }

    /// Channel names in output order.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            PairSet::DeltaMass => &["ln_delta", "ln_m2"],
            PairSet::Part4 => &["ln_kt", "ln_z", "ln_delta", "ln_m2"],
        }
    }
}

/// Options of the kinematic pair features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairConfig {
    pub set: PairSet,
    /// Use the pseudorapidity η instead of the rapidity in Δ (the seed's prose).
    pub use_eta: bool,
}

/// The four pair quantities of tokens `a` and `b`, as logarithms:
/// (ln kT, ln z, ln Δ, ln m²).
pub fn pair_logs(a: &Token, b: &Token, use_eta: bool) -> [f64; 4] {
    let (ya, yb) = if use_eta { (a.eta, b.eta) } else { (weaver_rapidity(a), weaver_rapidity(b)) };
    let dphi = wrap_phi(a.py.atan2(a.px) - b.py.atan2(b.px));
    let delta = ((ya - yb).powi(2) + dphi * dphi).sqrt();
    let (pta, ptb) = (a.pt(), b.pt());
    let ptmin = pta.min(ptb);
    let kt = ptmin * delta;
    let z = ptmin / (pta + ptb).max(EPS);
    let (e, px, py, pz) = (a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz);
    let m2 = (e * e - (px * px + py * py + pz * pz)).max(EPS);
    [kt.max(EPS).ln(), z.max(EPS).ln(), delta.max(EPS).ln(), m2.ln()]
}

/// Rapidity as weaver computes it: ½ ln(1 + 2p_z / max(E − p_z, 1e-20)).
fn weaver_rapidity(t: &Token) -> f64 {
    0.5 * (1.0 + 2.0 * t.pz / (t.e - t.pz).max(1e-20)).ln()
}

/// Writes the pair features of `tokens` (at most `p`) into `out`.
///
/// # Shapes
/// - `out`: `[C, p, p]` row-major, C = `cfg.set.channels()`, zeroed by the caller; rows and
///   columns beyond `tokens.len()` stay 0.
pub fn pair_features(tokens: &[Token], p: usize, cfg: &PairConfig, out: &mut [f32]) {
    let n = tokens.len().min(p);
    let channels: &[usize] = match cfg.set {
        PairSet::DeltaMass => &[2, 3],
        PairSet::Part4 => &[0, 1, 2, 3],
    };
    debug_assert_eq!(out.len(), channels.len() * p * p);
    for i in 0..n {
        for j in i..n {
            let logs = pair_logs(&tokens[i], &tokens[j], cfg.use_eta);
            for (c, &k) in channels.iter().enumerate() {
                let v = logs[k] as f32;
                out[c * p * p + i * p + j] = v;
                out[c * p * p + j * p + i] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(e: f64, pt: f64, eta: f64, phi: f64) -> Token {
        Token { code: 1, e, px: pt * phi.cos(), py: pt * phi.sin(), pz: pt * eta.sinh(), eta }
    }

    #[test]
    fn back_to_back_massless_pair() {
        // Two massless 100 GeV objects at η = 0, Δφ = π: m² = (200)² GeV², Δ = π.
        let a = tok(100.0, 100.0, 0.0, 0.0);
        let b = tok(100.0, 100.0, 0.0, std::f64::consts::PI);
        let [lkt, lz, ld, lm2] = pair_logs(&a, &b, false);
        assert!((ld.exp() - std::f64::consts::PI).abs() < 1e-9);
        assert!((lkt.exp() - 100.0 * std::f64::consts::PI).abs() < 1e-7);
        assert!((lz.exp() - 0.5).abs() < 1e-12);
        assert!((lm2.exp() - 40000.0).abs() < 1e-6);
    }

    #[test]
    fn padding_is_zero_and_matrix_symmetric() {
        let toks = [tok(120.0, 80.0, 0.9, 0.3), tok(60.0, 50.0, -0.5, 2.0), tok(30.0, 20.0, 1.2, -2.5)];
        let p = 5;
        let cfg = PairConfig { set: PairSet::Part4, use_eta: false };
        let mut out = vec![0.0f32; 4 * p * p];
        pair_features(&toks, p, &cfg, &mut out);
        for c in 0..4 {
            for i in 0..p {
                for j in 0..p {
                    let v = out[c * p * p + i * p + j];
                    assert_eq!(v, out[c * p * p + j * p + i]);
                    if i >= 3 || j >= 3 {
                        assert_eq!(v, 0.0);
                    }
                }
            }
        }
        // Diagonal Δ is 0, floored at eps.
        assert!((out[2 * p * p] as f64 - EPS.ln()).abs() < 1e-4);
    }
}
