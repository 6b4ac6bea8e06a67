//! Differentiable pair input of the Particle Transformer, computed with libtorch from the
//! standardised token features, so that a network's output is a function of the token
//! features alone (DROCC's adversarial search perturbs them; physics-spec §7.2).
//!
//! The same quantities as [`oddity_repr::pairs`] (physics-spec §5.3) and [`oddity_repr::sm`]
//! (§5.4), from the de-standardised features u = x′·max(σ, 1e-6) + μ of each token,
//! (ln E, ln pT, η, φ), with the four-vector p_x = pT cos φ, p_y = pT sin φ, p_z = pT sinh η,
//! E (as `FourMomentum::from_e_pt_eta_phi`), in f64:
//!
//! - Δ² = (y_a − y_b)² + wrap(φ_a − φ_b)², wrap(d) = atan2(sin d, cos d), with the weaver
//!   rapidity y = ½ ln(1 + 2p_z / max(E − p_z, 1e-20)) (η with `use_eta`);
//! - ln Δ = ½ ln max(Δ², eps²) and ln kT = ½ ln max(pT_min²·Δ², eps²), which equal
//!   ln max(Δ, eps) and ln max(pT_min·Δ, eps) without a square root (whose derivative is
//!   infinite at Δ = 0, on the diagonal);
//! - ln z = ln max(pT_min / max(pT_a + pT_b, eps), eps); ln m² = ln max((E_a + E_b)² − |p_a + p_b|², eps);
//! - the SM channel from the type codes (the argmax of the one-hot columns) and, for
//!   `running`, the scale Q = max((pT_a + pT_b)/2, 1 GeV). The `binary` channel depends on the
//!   types only, which are never perturbed: it is rebuilt from them and carries no gradient.
//!
//! Entries involving a padded token are 0; the SM diagonal is 0 (the kinematic diagonal is
//! computed, as in weaver). Pair channels are not standardised (physics-spec §5.6), so no
//! standardisation is applied to the output. Guards beyond the reference, inactive on real
//! events: the argument of the rapidity logarithm is floored at 1e-20 (a perturbed token can
//! have p_z < −E).

use std::f64::consts::PI;

use oddity_repr::pairs::{EPS, PairConfig, PairSet};
use oddity_repr::particles::{CONTINUOUS, ParticleSet};
use oddity_repr::sm::{ALPHA_EM_MZ, ALPHA_S_MZ, BETA0_QCD, G_Z, M_Z, SUM_NC_Q2, SmMode};
use oddity_repr::standardize::{SIGMA_FLOOR, Standardizer};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::DetectError;

/// What the pair input of a particle set is made of, with the standardisation of the four
/// continuous token features needed to undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairRecipe {
    pub pairs: Option<PairConfig>,
    pub sm: Option<SmMode>,
    /// μ of (ln E, ln pT, η, φ).
    pub mean: [f64; 4],
    /// max(σ, 1e-6) of (ln E, ln pT, η, φ).
    pub std: [f64; 4],
}

/// SM vertex classes: 0 none, 1 QCD, 2 light quark–γ, 3 b–γ, 4 opposite-sign same-flavour
/// leptons, 5 lepton–γ; indexed by (code_a, code_b), codes 0-8 (physics-spec §1).
fn vertex_class(a: usize, b: usize) -> i64 {
    let (lo, hi) = (a.min(b), a.max(b));
    match (lo, hi) {
        (1 | 2, 1 | 2) => 1,
        (1, 7) => 2,
        (2, 7) => 3,
        (3, 4) | (5, 6) => 4,
        (3..=6, 7) => 5,
        _ => 0,
    }
}

/// Number of type codes (0 padding, 1-7 objects, 8 MET).
const CODES: usize = 9;

impl PairRecipe {
    /// The recipe of `set` with its fitted `standardizer` (the group of `x` columns 0-3).
    pub fn new(set: &ParticleSet, standardizer: &Standardizer) -> Result<Self, DetectError> {
        let group = standardizer
            .groups
            .iter()
            .find(|g| g.group.array == "x" && g.group.columns == (0..CONTINUOUS).collect::<Vec<_>>())
            .ok_or_else(|| {
                DetectError::Config(
                    "the standardisation has no group for the token features (ln E, ln pT, η, φ)".into(),
                )
            })?;
        let (mut mean, mut std) = ([0.0; 4], [1.0; 4]);
        for c in 0..CONTINUOUS {
            mean[c] = group.mean[c];
            std[c] = group.std[c].max(SIGMA_FLOOR);
        }
        Ok(Self { pairs: set.pairs, sm: set.sm, mean, std })
    }

    /// Number of output channels (kinematic + SM).
    pub fn channels(&self) -> usize {
        self.pairs.map_or(0, |p| p.set.channels()) + usize::from(self.sm.is_some())
    }

    /// The pair channels of a batch, `None` without pair input. Differentiable with respect
    /// to the continuous features of `tokens`.
    ///
    /// # Shapes
    /// - `tokens`: `[B, P, 4 + W]` standardised (ln E, ln pT, η, φ) then the one-hot types
    /// - `mask`: `[B, P]`, 1 for real tokens
    /// - output: `[B, C, P, P]` f32, C = [`channels`](Self::channels), channel order as in
    ///   [`oddity_repr::particles::ParticleSet::pair_channel_names`]
    pub fn compute(&self, tokens: &Tensor, mask: &Tensor) -> Option<Tensor> {
        if self.channels() == 0 {
            return None;
        }
        let dev = tokens.device();
        let f64s = |v: &[f64; 4]| Tensor::from_slice(v).to_kind(Kind::Double).to_device(dev);
        let u = tokens.narrow(2, 0, CONTINUOUS as i64).to_kind(Kind::Double) * f64s(&self.std) + f64s(&self.mean);
        let (ln_e, ln_pt, eta, phi) = (u.select(2, 0), u.select(2, 1), u.select(2, 2), u.select(2, 3));
        let e = ln_e.exp();
        let pt = ln_pt.exp();
        let (px, py, pz) = (&pt * phi.cos(), &pt * phi.sin(), &pt * eta.sinh());
        let m = mask.to_kind(Kind::Double);
        // [B, P, P]: 1 where both tokens are real.
        let pair_mask = m.unsqueeze(2) * m.unsqueeze(1);
        let col = |t: &Tensor| t.unsqueeze(2);
        let row = |t: &Tensor| t.unsqueeze(1);
        let mut channels: Vec<Tensor> = Vec::new();
        if let Some(cfg) = self.pairs {
            let y = if cfg.use_eta {
                eta.shallow_clone()
            } else {
                ((&pz * 2.0 / (&e - &pz).clamp_min(1e-20) + 1.0).clamp_min(1e-20).log()) * 0.5
            };
            let dphi = col(&phi) - row(&phi);
            let dphi = dphi.sin().atan2(&dphi.cos());
            let delta2 = (col(&y) - row(&y)).square() + dphi.square();
            let ln_delta = delta2.clamp_min(EPS * EPS).log() * 0.5;
            let m2 = (col(&e) + row(&e)).square()
                - (col(&px) + row(&px)).square()
                - (col(&py) + row(&py)).square()
                - (col(&pz) + row(&pz)).square();
            let ln_m2 = m2.clamp_min(EPS).log();
            match cfg.set {
                PairSet::DeltaMass => channels.extend([ln_delta, ln_m2]),
                PairSet::Part4 => {
                    let (pa, pb) = (col(&pt), row(&pt));
                    let ptmin = pa.minimum(&pb);
                    let ln_kt = (ptmin.square() * &delta2).clamp_min(EPS * EPS).log() * 0.5;
                    let ln_z = (&ptmin / (&pa + &pb).clamp_min(EPS)).clamp_min(EPS).log();
                    channels.extend([ln_kt, ln_z, ln_delta, ln_m2]);
                }
            }
        }
        if let Some(mode) = self.sm {
            channels.push(self.sm_channel(tokens, &pt, mode));
        }
        let out = Tensor::stack(&channels, 1) * pair_mask.unsqueeze(1);
        Some(out.to_kind(Kind::Float))
    }

    /// The SM channel (physics-spec §5.4), zero diagonal, before the padding mask.
    ///
    /// # Shapes
    /// - `tokens`: `[B, P, 4 + W]`, `pt`: `[B, P]` (GeV, f64) → `[B, P, P]` f64
    fn sm_channel(&self, tokens: &Tensor, pt: &Tensor, mode: SmMode) -> Tensor {
        let dev = tokens.device();
        let (b, p, f) = tokens.size3().unwrap_or((0, 0, 0));
        let width = f - CONTINUOUS as i64;
        let codes = tokens.narrow(2, CONTINUOUS as i64, width).argmax(2, false); // [B, P]
        let table: Vec<i64> = (0..CODES * CODES).map(|k| vertex_class(k / CODES, k % CODES)).collect();
        let table = Tensor::from_slice(&table).to_device(dev);
        let pair_code = (codes.unsqueeze(2) * CODES as i64 + codes.unsqueeze(1)).reshape([-1]);
        let class = table.index_select(0, &pair_code).reshape([b, p, p]);
        let off_diagonal = Tensor::eye(p, (Kind::Double, dev)).neg() + 1.0;
        let is = |k: i64| class.eq(k).to_kind(Kind::Double);
        let value = match mode {
            SmMode::Binary => class.ne(0).to_kind(Kind::Double),
            SmMode::Running => {
                let q = ((pt.unsqueeze(2) + pt.unsqueeze(1)) * 0.5).clamp_min(1.0);
                let l = (q / M_Z).log();
                let alpha_s = (&l * (BETA0_QCD * ALPHA_S_MZ / (2.0 * PI)) + 1.0).reciprocal() * ALPHA_S_MZ;
                let alpha_em = (&l * (-2.0 * ALPHA_EM_MZ / (3.0 * PI) * SUM_NC_Q2) + 1.0).reciprocal() * ALPHA_EM_MZ;
                let g_s = (alpha_s * (4.0 * PI)).sqrt();
                let g_e = (alpha_em * (4.0 * PI)).sqrt();
                is(1) * g_s + is(2) * (&g_e / 2.0) + is(3) * (&g_e / 3.0) + is(4) * G_Z + is(5) * g_e
            }
        };
        value * off_diagonal
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use oddity_io::{CsvReader, ReadOptions};
    use oddity_repr::Representation;
    use oddity_repr::particles::MetMode;
    use oddity_repr::standardize::StandardizerFit;

    use tch::Device;

    use super::*;

    fn real_events() -> oddity_core::EventTable {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv");
        let (table, _, _) = CsvReader::open(&path, ReadOptions::default()).unwrap().collect_all().unwrap();
        table
    }

    /// |tch − oddity-repr| of every entry, per channel, leaving out ln m² entries where
    /// m² < `cond`·(E_a + E_b)² (the cancellation in m² amplifies input rounding by
    /// (E_a + E_b)²/m²; for (nearly) massless pairs both values are rounding noise).
    ///
    /// # Shapes
    /// - `ours`, `reference`: `[N, C, P, P]`; `energy`: `[N, P]` GeV
    fn differences(ours: &Tensor, reference: &Tensor, names: &[String], energy: &Tensor, cond: f64) -> Vec<Vec<f64>> {
        assert_eq!(ours.size(), reference.size());
        let e = energy.to_kind(Kind::Double);
        let esum2 = (e.unsqueeze(2) + e.unsqueeze(1)).square();
        names
            .iter()
            .enumerate()
            .map(|(ch, name)| {
                let r = reference.select(1, ch as i64).to_kind(Kind::Double);
                let d = (ours.select(1, ch as i64).to_kind(Kind::Double) - &r).abs();
                let d = if name == "ln_m2" {
                    let ill = r.exp().lt_tensor(&(&esum2 * cond));
                    d.masked_fill(&ill, 0.0)
                } else {
                    d
                };
                Vec::<f64>::try_from(d.reshape([-1])).unwrap()
            })
            .collect()
    }

    fn sets() -> Vec<ParticleSet> {
        [
            (Some(PairConfig { set: PairSet::Part4, use_eta: false }), Some(SmMode::Running), MetMode::Aux),
            (Some(PairConfig { set: PairSet::DeltaMass, use_eta: true }), Some(SmMode::Binary), MetMode::None),
            (Some(PairConfig { set: PairSet::Part4, use_eta: true }), None, MetMode::Token),
        ]
        .into_iter()
        .map(|(pairs, sm, met)| ParticleSet { max_particles: 12, met, pairs, sm, shuffle_seed: None })
        .collect()
    }

    /// The formulas: from the tokens' features in f64 (no standardisation, μ = 0, σ = 1), every
    /// channel equals oddity-repr's (stored as f32) to 1e-4 on the real file.
    #[test]
    fn matches_oddity_repr_on_real_events() {
        let table = real_events();
        assert!(table.len() > 100);
        for set in sets() {
            let batch = set.encode(&table);
            let p = set.max_particles;
            let w = set.token_width();
            let mut x = vec![0.0f64; table.len() * p * w];
            let mut mask = vec![0.0f64; table.len() * p];
            let (mut order, mut tokens) = (Vec::new(), Vec::new());
            for i in 0..table.len() {
                let event = table.event(i);
                let token_met = set.met == MetMode::Token;
                oddity_repr::token::event_tokens(&event, if token_met { p - 1 } else { p }, &mut order, &mut tokens);
                if token_met {
                    let (sin, cos) = event.met_phi.sin_cos();
                    let met = event.met;
                    tokens.push(oddity_repr::token::Token::new(8, met, met * cos, met * sin, 0.0, 0.0));
                }
                for (t, tok) in tokens.iter().enumerate() {
                    let row = &mut x[(i * p + t) * w..(i * p + t + 1) * w];
                    let eta = if tok.code == 8 { 0.0 } else { tok.eta };
                    row[..4].copy_from_slice(&[
                        oddity_repr::ln_gev(tok.e),
                        oddity_repr::ln_gev(tok.pt),
                        eta,
                        tok.py.atan2(tok.px),
                    ]);
                    row[4 + usize::from(tok.code)] = 1.0;
                    mask[i * p + t] = 1.0;
                }
            }
            let n = table.len() as i64;
            let x = Tensor::from_slice(&x).reshape([n, p as i64, w as i64]);
            let mask = Tensor::from_slice(&mask).reshape([n, p as i64]);
            let recipe = PairRecipe { pairs: set.pairs, sm: set.sm, mean: [0.0; 4], std: [1.0; 4] };
            let ours = recipe.compute(&x, &mask).unwrap();
            let inputs = crate::features::Inputs::from_batch(&batch, &table.weight, Device::Cpu);
            let names = set.pair_channel_names();
            let energy = x.select(2, 0).exp() * &mask;
            for (name, d) in
                names.iter().zip(differences(&ours, &inputs.pairs.as_ref().unwrap().dense_all(), &names, &energy, 1e-9))
            {
                let worst = d.iter().copied().fold(0.0, f64::max);
                assert!(worst < 1e-4, "{name}: max |difference| {worst} ({set:?})");
            }
        }
    }

    /// Through the standardised f32 features DROCC perturbs (de-standardised with the fitted
    /// μ, σ): f32 rounding of ln E and ln pT (~3e-7 relative) is amplified by the cancellation
    /// in m² = (E_a + E_b)² − |p_a + p_b|² (by (E_a + E_b)²/m², a few hundred for light jets on
    /// the diagonal) and in Δ for nearly collinear pairs, so a few entries differ by up to
    /// ~1e-3 (ln m² of pairs with m² < 1e-3·(E_a + E_b)² is left out: there it is rounding
    /// noise, e.g. for massless leptons and photons on the diagonal); the bulk agrees to 1e-4.
    #[test]
    fn standardised_inputs_agree_up_to_f32_rounding() {
        let table = real_events();
        for set in sets() {
            let mut batch = set.encode(&table);
            let mut fit = StandardizerFit::new(set.standardize_groups());
            fit.add(&batch, &table.weight).unwrap();
            let standardizer = fit.finish(set.name()).unwrap();
            let p4 = batch.get("p4").unwrap();
            let energy =
                Tensor::from_slice(&p4.data).reshape([table.len() as i64, set.max_particles as i64, 4]).select(2, 3);
            standardizer.apply(&mut batch).unwrap();
            let inputs = crate::features::Inputs::from_batch(&batch, &table.weight, Device::Cpu);
            let recipe = PairRecipe::new(&set, &standardizer).unwrap();
            let ours = recipe.compute(&inputs.x, inputs.mask.as_ref().unwrap()).unwrap();
            let names = set.pair_channel_names();
            for (name, d) in
                names.iter().zip(differences(&ours, &inputs.pairs.as_ref().unwrap().dense_all(), &names, &energy, 1e-3))
            {
                let worst = d.iter().copied().fold(0.0, f64::max);
                let within = d.iter().filter(|&&v| v < 1e-4).count() as f64 / d.len() as f64;
                if std::env::var("DBG").is_ok() {
                    eprintln!("{name}: worst {worst:.3e}, within 1e-4: {within:.5}");
                }
                assert!(worst < 5e-3, "{name}: max |difference| {worst} ({set:?})");
                assert!(within > 0.99, "{name}: only {within} of the entries within 1e-4 ({set:?})");
            }
        }
    }

    #[test]
    fn gradients_are_finite_on_the_diagonal_and_padding() {
        let set = ParticleSet {
            max_particles: 4,
            met: MetMode::Aux,
            pairs: Some(PairConfig { set: PairSet::Part4, use_eta: false }),
            sm: Some(SmMode::Running),
            shuffle_seed: None,
        };
        let recipe = PairRecipe { pairs: set.pairs, sm: set.sm, mean: [4.0, 4.0, 0.0, 0.0], std: [1.0; 4] };
        let x = Tensor::zeros([1, 4, 12], (Kind::Float, Device::Cpu));
        // Two real jets, two padded tokens.
        x.narrow(1, 0, 2)
            .narrow(2, 0, 4)
            .copy_(&Tensor::from_slice(&[0.5f32, 0.2, 0.3, 1.0, 0.1, -0.2, -0.7, -2.0]).reshape([2, 4]));
        let _ = x.narrow(1, 0, 2).narrow(2, 5, 1).fill_(1.0);
        let _ = x.narrow(1, 2, 2).narrow(2, 4, 1).fill_(1.0);
        let mask = Tensor::from_slice(&[1.0f32, 1.0, 0.0, 0.0]).reshape([1, 4]);
        let x = x.set_requires_grad(true);
        let out = recipe.compute(&x, &mask).unwrap();
        assert_eq!(out.size(), vec![1, 5, 4, 4]);
        let g = Tensor::run_backward(&[out.sum(Kind::Float)], &[&x], false, false);
        assert_eq!(g[0].isfinite().all().int64_value(&[]), 1);
        // Padding rows and columns are 0; the SM diagonal is 0; the j-j SM entry is g_s(Q).
        let v: Vec<f32> = out.reshape([-1]).try_into().unwrap();
        let at = |c: usize, i: usize, j: usize| v[(c * 4 + i) * 4 + j];
        for c in 0..5 {
            for k in 0..4 {
                assert_eq!(at(c, 2, k), 0.0);
                assert_eq!(at(c, k, 3), 0.0);
            }
        }
        assert_eq!(at(4, 0, 0), 0.0);
        let pt = [(4.2f64).exp(), (3.8f64).exp()];
        let q = 0.5 * (pt[0] + pt[1]);
        assert!((f64::from(at(4, 0, 1)) - oddity_repr::sm::g_s(q)).abs() < 1e-5);
    }
}
