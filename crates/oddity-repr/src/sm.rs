//! The Standard-Model interaction channel (physics-spec §5.4; arXiv 2211.05143, seed 001
//! sec. 3.2): one extra pair channel saying whether, and how strongly, two objects couple at
//! tree level in the SM.
//!
//! - `binary`: 1 for j–j, j–b, b–b (QCD), j–γ, b–γ (quark–photon), e−–e+ and μ−–μ+
//!   (opposite-sign same-flavour) and any lepton–γ; 0 otherwise.
//! - `running`: the coupling at the scale Q = max((pT_i + pT_j)/2, 1 GeV): g_s(Q) for QCD
//!   pairs, g_e(Q)/2 for j–γ (generic light-quark charge), g_e(Q)/3 for b–γ, g_Z for
//!   opposite-sign same-flavour leptons, g_e(Q) for lepton–γ.
//!
//! One-loop running from μ0 = M_Z (project decision, physics-spec §5.4):
//! α_s(Q) = α_s(M_Z)/(1 + β0 α_s(M_Z)/(2π) ln(Q/M_Z)), β0 = 11 − 2·5/3 = 23/3;
//! α(Q) = α(M_Z)/(1 − (2α(M_Z)/(3π))·(20/3)·ln(Q/M_Z)); g = sqrt(4πα).
//! The diagonal, padded tokens and the MET token are 0; the matrix is symmetric.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use crate::token::Token;

/// Z mass, GeV (PDG).
pub const M_Z: f64 = 91.1876;
/// α_s(M_Z).
pub const ALPHA_S_MZ: f64 = 0.118;
/// α(M_Z) = 1/127.951.
pub const ALPHA_EM_MZ: f64 = 1.0 / 127.951;
/// β0 of QCD with five flavours, 11 − 2n_f/3.
pub const BETA0_QCD: f64 = 23.0 / 3.0;
/// Σ_f N_c Q_f² over e, μ, τ and u, d, s, c, b.
pub const SUM_NC_Q2: f64 = 20.0 / 3.0;
/// g_Z = e/(sin θ_W cos θ_W) at M_Z with sin²θ_W = 0.23122.
pub const G_Z: f64 = 0.7433;

/// How the SM channel is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmMode {
    /// 1 where an SM vertex exists, else 0.
    Binary,
    /// The running coupling at the pair's scale (the project default for `part-sm`).
    #[default]
    Running,
}

/// α_s(Q) at one loop from α_s(M_Z); Q in GeV.
pub fn alpha_s(q: f64) -> f64 {
    alpha_s_at_log((q / M_Z).ln())
}

/// α(Q) at one loop from α(M_Z); Q in GeV.
pub fn alpha_em(q: f64) -> f64 {
    alpha_em_at_log((q / M_Z).ln())
}

/// α_s at the scale Q with `l` = ln(Q/M_Z).
fn alpha_s_at_log(l: f64) -> f64 {
    ALPHA_S_MZ / (1.0 + BETA0_QCD * ALPHA_S_MZ / (2.0 * PI) * l)
}

/// α at the scale Q with `l` = ln(Q/M_Z).
fn alpha_em_at_log(l: f64) -> f64 {
    ALPHA_EM_MZ / (1.0 - 2.0 * ALPHA_EM_MZ / (3.0 * PI) * SUM_NC_Q2 * l)
}

/// g_s(Q) = sqrt(4π α_s(Q)).
pub fn g_s(q: f64) -> f64 {
    (4.0 * PI * alpha_s(q)).sqrt()
}

/// g_e(Q) = sqrt(4π α(Q)).
pub fn g_e(q: f64) -> f64 {
    (4.0 * PI * alpha_em(q)).sqrt()
}

/// The kind of SM vertex two objects share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vertex {
    Qcd,
    LightQuarkPhoton,
    BQuarkPhoton,
    OppositeSignSameFlavour,
    LeptonPhoton,
}

/// The vertex of codes `a`, `b` (physics-spec §1: 1 j, 2 b, 3 e-, 4 e+, 5 m-, 6 m+, 7 γ).
pub(crate) fn vertex(a: u8, b: u8) -> Option<Vertex> {
    let (lo, hi) = (a.min(b), a.max(b));
    match (lo, hi) {
        (1 | 2, 1 | 2) => Some(Vertex::Qcd),
        (1, 7) => Some(Vertex::LightQuarkPhoton),
        (2, 7) => Some(Vertex::BQuarkPhoton),
        (3, 4) | (5, 6) => Some(Vertex::OppositeSignSameFlavour),
        (3..=6, 7) => Some(Vertex::LeptonPhoton),
        _ => None,
    }
}

/// The SM channel value of an off-diagonal pair of tokens.
pub fn sm_value(a: &Token, b: &Token, mode: SmMode) -> f64 {
    let Some(v) = vertex(a.code, b.code) else { return 0.0 };
    match mode {
        SmMode::Binary => 1.0,
        SmMode::Running => {
            let q = (0.5 * (a.pt + b.pt)).max(1.0);
            vertex_value(v, g_s(q), g_e(q))
        }
    }
}

/// ln(Q/M_Z) of a pair given ln(p_T,a + p_T,b) (GeV): Q = max((p_T,a + p_T,b)/2, 1 GeV), so
/// ln Q = max(ln(p_T,a + p_T,b) − ln 2, 0). For the pair encoder, which has that logarithm
/// already ([`sm_value`] computes Q itself).
#[inline(always)]
pub(crate) fn scale_log(ln_pt_sum: f64) -> f64 {
    (ln_pt_sum - std::f64::consts::LN_2).max(0.0) - M_Z.ln()
}

/// g_s at the scale with ln(Q/M_Z) = `l`.
#[inline(always)]
pub(crate) fn g_s_at_log(l: f64) -> f64 {
    (4.0 * PI * alpha_s_at_log(l)).sqrt()
}

/// g_e at the scale with ln(Q/M_Z) = `l`.
#[inline(always)]
pub(crate) fn g_e_at_log(l: f64) -> f64 {
    (4.0 * PI * alpha_em_at_log(l)).sqrt()
}

/// The running SM channel value of vertex `v` given g_s and g_e at the pair's scale (the
/// same values as [`sm_value`]).
#[inline(always)]
pub(crate) fn vertex_value(v: Vertex, g_s: f64, g_e: f64) -> f64 {
    match v {
        Vertex::Qcd => g_s,
        Vertex::LightQuarkPhoton => g_e / 2.0,
        Vertex::BQuarkPhoton => g_e / 3.0,
        Vertex::OppositeSignSameFlavour => G_Z,
        Vertex::LeptonPhoton => g_e,
    }
}

/// Writes the SM channel of `tokens` (at most `p`) into `out`.
///
/// # Shapes
/// - `out`: `[p, p]` row-major, zeroed by the caller; the diagonal and padding stay 0.
pub fn sm_channel(tokens: &[Token], p: usize, mode: SmMode, out: &mut [f32]) {
    let n = tokens.len().min(p);
    debug_assert_eq!(out.len(), p * p);
    for i in 0..n {
        for j in i + 1..n {
            let v = sm_value(&tokens[i], &tokens[j], mode) as f32;
            out[i * p + j] = v;
            out[j * p + i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_test_values() {
        for (q, a_s, inv_a) in [(91.1876, 0.118000, 127.951), (1000.0, 0.087744, 124.563), (13000.0, 0.068840, 120.934)]
        {
            assert!((alpha_s(q) - a_s).abs() < 5e-7, "alpha_s({q}) = {}", alpha_s(q));
            assert!((1.0 / alpha_em(q) - inv_a).abs() < 5e-4, "1/alpha({q}) = {}", 1.0 / alpha_em(q));
        }
        assert!((g_s(1000.0) - 1.050062).abs() < 5e-7);
        assert!((g_e(1000.0) - 0.317622).abs() < 5e-7);
    }

    fn tok(code: u8, pt: f64) -> Token {
        Token::new(code, pt, pt, 0.0, 0.0, 0.0)
    }

    #[test]
    fn table_of_vertices() {
        let t = |a, b| sm_value(&tok(a, 1000.0), &tok(b, 1000.0), SmMode::Running);
        assert!((t(1, 2) - g_s(1000.0)).abs() < 1e-12);
        assert!((t(7, 1) - g_e(1000.0) / 2.0).abs() < 1e-12);
        assert!((t(2, 7) - g_e(1000.0) / 3.0).abs() < 1e-12);
        assert_eq!(t(3, 4), G_Z);
        assert_eq!(t(6, 5), G_Z);
        assert!((t(4, 7) - g_e(1000.0)).abs() < 1e-12);
        // Same-sign, different flavour, lepton-jet, photon-photon, MET token: no vertex.
        for (a, b) in [(3, 3), (3, 6), (1, 3), (7, 7), (1, 8), (8, 7)] {
            assert_eq!(t(a, b), 0.0, "{a}-{b}");
            assert_eq!(sm_value(&tok(a, 10.0), &tok(b, 10.0), SmMode::Binary), 0.0);
        }
        assert_eq!(sm_value(&tok(5, 10.0), &tok(6, 10.0), SmMode::Binary), 1.0);
        // The scale is clamped at 1 GeV.
        assert_eq!(sm_value(&tok(1, 0.1), &tok(1, 0.1), SmMode::Running), g_s(1.0));
    }

    #[test]
    fn channel_is_symmetric_with_zero_diagonal() {
        let toks = [tok(1, 300.0), tok(7, 100.0), tok(3, 50.0)];
        let p = 4;
        let mut out = vec![0.0f32; p * p];
        sm_channel(&toks, p, SmMode::Running, &mut out);
        for i in 0..p {
            assert_eq!(out[i * p + i], 0.0);
            for j in 0..p {
                assert_eq!(out[i * p + j], out[j * p + i]);
            }
        }
        assert!(out[1] > 0.0 && out[2 * p + 1] > 0.0 && out[2] == 0.0);
    }
}
