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

use multiversion::multiversion;
use oddity_core::fourvec::wrap_phi;
use serde::{Deserialize, Serialize};

use crate::token::Token;
use crate::vmath::{F4, LANES, ln4};

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
    let dphi = wrap_phi(a.phi - b.phi);
    let delta = ((ya - yb).powi(2) + dphi * dphi).sqrt();
    let (pta, ptb) = (a.pt, b.pt);
    let ptmin = pta.min(ptb);
    let kt = ptmin * delta;
    let z = ptmin / (pta + ptb).max(EPS);
    let (e, px, py, pz) = (a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz);
    let m2 = (e * e - (px * px + py * py + pz * pz)).max(EPS);
    [kt.max(EPS).ln(), z.max(EPS).ln(), delta.max(EPS).ln(), m2.ln()]
}

/// Rapidity as weaver computes it: ½ ln(1 + 2p_z / max(E − p_z, 1e-20)).
fn weaver_rapidity(t: &Token) -> f64 {
    0.5 * weaver_rapidity_arg(t).ln()
}

/// The argument of the logarithm in [`weaver_rapidity`].
fn weaver_rapidity_arg(t: &Token) -> f64 {
    1.0 + 2.0 * t.pz / (t.e - t.pz).max(1e-20)
}

/// Reusable buffers of [`pair_channels`]: the rapidities used in Δ, one per token.
#[derive(Debug, Default)]
pub struct PairScratch {
    y: Vec<f64>,
}

/// The pair channels of a particle set, kinematic ([`pair_features`]) then the SM channel
/// ([`crate::sm::sm_channel`]), in one pass over the pairs i ≤ j of `tokens`, one output row
/// per pair (the particle set's ragged `pairs` array; [`dense_pairs`] gives weaver's layout).
///
/// Same values as those two functions (to the last bit or two of f64 before the f32 store)
/// with about a third of the transcendental calls: φ, p_T and the rapidity once per token;
/// per pair ln Δ, ln(p_T,a + p_T,b) and ln m², from which ln kT = ln p_T,min + ln Δ,
/// ln z = ln p_T,min − ln(p_T,a + p_T,b) and the SM scale ln Q follow (floors applied in the
/// log domain, where they are the same since ln is monotonic). The rapidities are taken per
/// token, then the rows four at a time ([`crate::vmath`]: the pair sums, Δ, m², their
/// logarithms and the couplings over four lanes, with AVX2 where the CPU has it, selected at
/// run time with the same results), each group of four written to its four consecutive rows.
///
/// # Shapes
/// - `out`: `[k(k+1)/2, C]` row-major for k = `tokens.len()`, rows in the order of
///   [`pair_indices`], C = kinematic channels + 1 with `sm`; zeroed by the caller (the SM
///   channel stays 0 on the diagonal and for pairs without an SM vertex).
#[multiversion(targets("x86_64+avx2"))]
pub fn pair_channels(
    tokens: &[Token],
    pairs: Option<&PairConfig>,
    sm: Option<crate::sm::SmMode>,
    scratch: &mut PairScratch,
    out: &mut [f32],
) {
    let n = tokens.len();
    let use_eta = pairs.is_some_and(|c| c.use_eta);
    let set = pairs.map(|c| c.set);
    let kinematic = set.is_some();
    let width = set.map_or(0, PairSet::channels) + usize::from(sm.is_some());
    debug_assert_eq!(out.len(), n * (n + 1) / 2 * width);
    // Per token: the rapidity in Δ, weaver's (η with `use_eta`); not needed for the SM
    // channel alone.
    let y = &mut scratch.y;
    y.clear();
    if kinematic && !use_eta {
        y.extend(tokens.iter().map(weaver_rapidity_arg));
        crate::vmath::ln_in_place(y);
        y.iter_mut().for_each(|v| *v *= 0.5);
    } else {
        y.extend(tokens.iter().map(|t| t.eta));
    }
    let t = tokens;

    // The rows four at a time: (a, b) of each lane, in row order; the lanes past the last
    // row repeat pair (0, 0) and are not written.
    let ln_eps = EPS.ln();
    let (mut i, mut j) = (0, 0);
    let mut row = 0;
    let rows = n * (n + 1) / 2;
    while row < rows {
        let lanes = (rows - row).min(LANES);
        let mut ab = [(0usize, 0usize); LANES];
        for pair in ab.iter_mut().take(lanes) {
            *pair = (i, j);
            j += 1;
            if j == n {
                i += 1;
                j = i;
            }
        }
        // p_T,a + p_T,b, Δ and m² (on the diagonal (2E)² − |2p|², the same bits as 4 m²),
        // floored at eps.
        let pt_sum = per_lane(&ab, |a, b| t[a].pt + t[b].pt).max(EPS);
        let dist = per_lane(&ab, |a, b| delta(y[a] - y[b], t[a].phi - t[b].phi));
        let m2 = per_lane(&ab, |a, b| {
            let (a, b) = (&t[a], &t[b]);
            let (e, px, py, pz) = (a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz);
            e * e - (px * px + py * py + pz * pz)
        })
        .max(EPS);
        let delta_floored = dist.max(EPS);
        let fast = pt_sum.in_ln_fast_path() & delta_floored.in_ln_fast_path() & m2.in_ln_fast_path();
        let [ln_pt_sum, ln_delta, ln_m2] = if fast.all() {
            [ln4::<false>(pt_sum.0), ln4::<false>(delta_floored.0), ln4::<false>(m2.0)]
        } else {
            [ln4::<true>(pt_sum.0), ln4::<true>(delta_floored.0), ln4::<true>(m2.0)]
        };
        let ln_ptmin = per_lane(&ab, |a, b| t[a].ln_pt.min(t[b].ln_pt));
        let ln_z = (ln_ptmin - F4(ln_pt_sum)).max(ln_eps);
        let ln_kt = (ln_ptmin + F4(ln_delta)).max(ln_eps);
        // The couplings at the pair's scale, for the running SM channel.
        let scale = F4(ln_pt_sum).map(crate::sm::scale_log);
        let (g_s, g_e) = (scale.map(crate::sm::g_s_at_log), scale.map(crate::sm::g_e_at_log));

        for (k, &(ia, ib)) in ab.iter().enumerate().take(lanes) {
            let (a, b) = (&t[ia], &t[ib]);
            let out_row = &mut out[(row + k) * width..(row + k + 1) * width];
            let logs = if ia == ib {
                // Δ = 0, so kT = 0; z = p_T/max(2p_T, eps), exactly 1/2 unless 2p_T < eps.
                let ln_z = if 2.0 * a.pt >= EPS { -std::f64::consts::LN_2 } else { (a.pt / EPS).max(EPS).ln() };
                [ln_eps, ln_z, ln_eps, ln_m2[k]]
            } else {
                // kT < eps whenever Δ < eps... or p_T,min·Δ < eps: the direct product decides
                // in that corner, where ln Δ was floored.
                let ln_kt = if ln_delta[k] > ln_eps { ln_kt.0[k] } else { (a.pt.min(b.pt) * dist.0[k]).max(EPS).ln() };
                [ln_kt, ln_z.0[k], ln_delta[k], ln_m2[k]]
            };
            match set {
                Some(PairSet::Part4) => {
                    for (slot, v) in out_row.iter_mut().zip(logs) {
                        *slot = v as f32;
                    }
                }
                Some(PairSet::DeltaMass) => {
                    out_row[0] = logs[2] as f32;
                    out_row[1] = logs[3] as f32;
                }
                None => {}
            }
            if let Some(mode) = sm
                && ia != ib
                && let Some(v) = crate::sm::vertex(a.code, b.code)
            {
                out_row[width - 1] = match mode {
                    crate::sm::SmMode::Binary => 1.0,
                    crate::sm::SmMode::Running => crate::sm::vertex_value(v, g_s.0[k], g_e.0[k]) as f32,
                };
            }
        }
        row += lanes;
    }
}

/// `f(a, b)` for the token indices (a, b) of every lane.
#[inline(always)]
fn per_lane(ab: &[(usize, usize); LANES], f: impl Fn(usize, usize) -> f64) -> F4 {
    let mut r = [0.0; LANES];
    for (v, &(a, b)) in r.iter_mut().zip(ab) {
        *v = f(a, b);
    }
    F4(r)
}

/// Δ = sqrt(Δy² + wrap(Δφ)²) of two tokens, given Δy and Δφ before wrapping.
#[inline]
fn delta(dy: f64, dphi: f64) -> f64 {
    let dphi = wrap_phi(dphi);
    (dy * dy + dphi * dphi).sqrt()
}

/// The token pairs (i, j), i ≤ j, of an event with `k` real tokens, in the row order of the
/// ragged `pairs` array: (0,0), (0,1), …, (0,k−1), (1,1), …, (k−1,k−1).
pub fn pair_indices(k: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..k).flat_map(move |i| (i..k).map(move |j| (i, j)))
}

/// The number of real tokens k of an event with `rows` = k(k+1)/2 rows of pair channels.
///
/// # Panics
/// If `rows` is not a triangular number.
pub fn tokens_of_rows(rows: usize) -> usize {
    // k = (√(8·rows + 1) − 1)/2, corrected for the rounding of the square root.
    let mut k = ((((8 * rows + 1) as f64).sqrt() - 1.0) / 2.0) as usize;
    while k * (k + 1) / 2 < rows {
        k += 1;
    }
    while k * (k + 1) / 2 > rows {
        k -= 1;
    }
    assert_eq!(k * (k + 1) / 2, rows, "{rows} pair rows are not k(k+1)/2 for any k");
    k
}

/// The token pair of every row of a ragged `pairs` array with these row offsets, as
/// (event, i, j), in row order.
///
/// # Panics
/// If an event's row count is not k(k+1)/2 for any k.
pub fn row_pairs(offsets: &[usize]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    offsets
        .windows(2)
        .enumerate()
        .flat_map(|(e, w)| pair_indices(tokens_of_rows(w[1] - w[0])).map(move |(i, j)| (e, i, j)))
}

/// The dense layout of weaver's ParT, `[N, C, p, p]`, of a particle set's ragged `pairs`
/// array (`[rows, C]` with offsets): entry (c, i, j) = (c, j, i) = channel c of pair
/// i ≤ j; 0 where i or j is a padded token.
///
/// # Panics
/// If `pairs` is not ragged, or an event has more than `p` tokens.
pub fn dense_pairs(pairs: &crate::Array, p: usize) -> crate::Array {
    let offsets = pairs.offsets.as_ref().expect("the particle set's pairs array is ragged");
    let c = pairs.stride();
    let events = offsets.len() - 1;
    let mut data = vec![0.0f32; events * c * p * p];
    for ((e, i, j), row) in row_pairs(offsets).zip(pairs.data.chunks_exact(c)) {
        assert!(j < p, "event {e} has more tokens than the {p} slots");
        let dense = &mut data[e * c * p * p..(e + 1) * c * p * p];
        for (ch, &v) in row.iter().enumerate() {
            dense[ch * p * p + i * p + j] = v;
            dense[ch * p * p + j * p + i] = v;
        }
    }
    crate::Array { name: pairs.name.clone(), shape: vec![events, c, p, p], data, offsets: None }
}

/// Writes the pair features of `tokens` (at most `p`) into `out` (the direct, per-pair
/// formulation of [`pair_logs`]; the encoders use [`pair_channels`]).
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
        Token::new(1, e, pt * phi.cos(), pt * phi.sin(), pt * eta.sinh(), eta)
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

    /// The one-pass encoder equals the direct per-pair formulas (pair_features + sm_channel)
    /// to f32 rounding, on random tokens of every type plus the corners: coincident tokens
    /// (Δ = 0 off the diagonal), a zero-p_T token, the MET token, massless pairs.
    #[test]
    fn one_pass_channels_equal_the_direct_formulas() {
        use crate::sm::{SmMode, sm_channel};
        use rand::Rng;
        let mut rng = crate::event_rng(9, 0);
        for trial in 0..200 {
            let n = 1 + trial % 9;
            let mut toks: Vec<Token> = (0..n)
                .map(|_| {
                    let pt = 10f64.powf(rng.random_range(-1.0..3.5));
                    let (eta, phi) = (rng.random_range(-4.5..4.5), rng.random_range(-3.1..3.1));
                    let m = if rng.random_bool(0.3) { 0.0 } else { rng.random_range(0.0..50.0) };
                    let p = pt * f64::cosh(eta);
                    let mut t = tok((p * p + m * m).sqrt(), pt, eta, phi);
                    t.code = rng.random_range(1..=8);
                    t
                })
                .collect();
            if n > 2 {
                toks[2] = toks[1]; // coincident
            }
            if n > 3 {
                toks[3].px = 0.0;
                toks[3].py = 0.0; // zero p_T
            }
            let p = 10;
            for (set, sm) in [(PairSet::Part4, Some(SmMode::Running)), (PairSet::DeltaMass, Some(SmMode::Binary))] {
                for use_eta in [false, true] {
                    let cfg = PairConfig { set, use_eta };
                    let c = set.channels();
                    let mut direct = vec![0.0f32; (c + 1) * p * p];
                    pair_features(&toks, p, &cfg, &mut direct[..c * p * p]);
                    sm_channel(&toks, p, sm.unwrap(), &mut direct[c * p * p..]);
                    let fast = dense(&toks, p, Some(&cfg), sm);
                    for (k, (a, b)) in fast.iter().zip(&direct).enumerate() {
                        assert!((a - b).abs() <= 2e-6 * b.abs().max(1.0), "trial {trial} cell {k}: {a} vs {b}");
                    }
                }
            }
            // The SM channel alone (no kinematic pair features).
            let mut direct = vec![0.0f32; p * p];
            sm_channel(&toks, p, SmMode::Running, &mut direct);
            let fast = dense(&toks, p, None, Some(SmMode::Running));
            for (a, b) in fast.iter().zip(&direct) {
                assert!((a - b).abs() <= 2e-6 * b.abs().max(1.0));
            }
        }
    }

    /// `pair_channels` of `toks`, densified to `[C, p, p]`.
    fn dense(toks: &[Token], p: usize, pairs: Option<&PairConfig>, sm: Option<crate::sm::SmMode>) -> Vec<f32> {
        let c = pairs.map_or(0, |cfg| cfg.set.channels()) + usize::from(sm.is_some());
        let rows = toks.len() * (toks.len() + 1) / 2;
        let mut ragged = vec![0.0f32; rows * c];
        pair_channels(toks, pairs, sm, &mut PairScratch::default(), &mut ragged);
        let array =
            crate::Array { name: "pairs".into(), shape: vec![rows, c], data: ragged, offsets: Some(vec![0, rows]) };
        dense_pairs(&array, p).data
    }

    #[test]
    fn pair_rows_and_token_counts() {
        for k in 0..40 {
            let ij: Vec<(usize, usize)> = pair_indices(k).collect();
            assert_eq!(ij.len(), k * (k + 1) / 2);
            assert_eq!(tokens_of_rows(ij.len()), k);
            assert!(ij.windows(2).all(|w| w[0] < w[1]) && ij.iter().all(|&(i, j)| i <= j && j < k));
        }
    }

    #[test]
    fn row_pairs_follow_the_offsets() {
        // Events of 1, 0 and 2 tokens.
        let rows: Vec<_> = row_pairs(&[0, 1, 1, 4]).collect();
        assert_eq!(rows, [(0, 0, 0), (2, 0, 0), (2, 0, 1), (2, 1, 1)]);
    }

    #[test]
    #[should_panic(expected = "not k(k+1)/2")]
    fn non_triangular_row_counts_are_refused() {
        tokens_of_rows(4);
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
