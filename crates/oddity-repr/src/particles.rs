//! The padded particle set of the Particle Transformer (physics-spec §5.2-5.4).
//!
//! Up to P objects (default 20), pT-descending; truncation keeps the P highest-pT objects.
//! Per token: `[ln E, ln pT, η, φ]` (GeV, ln floored at 1e-3 GeV; standardised) followed by a
//! one-hot over the type codes 0-7 (width 8, index 0 = padding; width 9 with the MET token,
//! code 8). The width is fixed, whatever kinds the sample holds (physics-spec §5.2, "do not
//! reproduce").
//!
//! **Padding** (*project decision*): a padded token has mask 0, its four continuous features
//! and its four-vector are 0, and its one-hot sets the padding class (index 0), as the
//! upstream one-hot of label 0 does; the mask is what the transformer uses.
//!
//! **MET**: `aux` (default) writes (ln MET, φ_MET) to the `aux` array for the auxiliary MLP;
//! `token` makes MET the last real token with features (ln MET, ln MET, 0, φ_MET), code 8 and
//! four-vector (MET cos φ, MET sin φ, 0, MET), keeping at most P − 1 objects so that P counts
//! MET as in the weaver data card; `none` ignores MET.
//!
//! **Pairs**: optional kinematic pair features ([`crate::pairs`]) and the Standard-Model
//! interaction channel ([`crate::sm`]) for every pair of real tokens, stacked as channels of
//! the ragged array `pairs`: one row per pair (i, j), i ≤ j, of an event's k real tokens, in
//! the order (0,0), (0,1), …, (0,k−1), (1,1), …, (k−1,k−1) (k(k+1)/2 rows). Entries of
//! padded tokens, zero in the dense `[C, P, P]` layout of weaver, are not stored;
//! [`crate::pairs::dense_pairs`] recovers that layout.

use oddity_core::EventTable;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::pairs::{PairConfig, pair_channels};
use crate::sm::SmMode;
use crate::standardize::{StdGroup, Validity};
use crate::token::{MET_CODE, Token, event_tokens};
use crate::{ArraySpec, LN_FLOOR, Representation, Scratch, ln_gev};

/// How MET enters the particle set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetMode {
    /// (ln MET, φ_MET) as auxiliary input (`aux` array).
    #[default]
    Aux,
    /// MET as an extra token of code 8.
    Token,
    /// MET not used.
    None,
}

/// The particle-set representation and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParticleSet {
    /// P, the number of token slots (MET included with `met = "token"`).
    pub max_particles: usize,
    pub met: MetMode,
    /// Kinematic pair features; `None` for no pair input.
    pub pairs: Option<PairConfig>,
    /// The SM interaction channel, appended after the kinematic pair channels.
    pub sm: Option<SmMode>,
    /// Shuffle the kept tokens in a random order seeded by (seed, source line).
    pub shuffle_seed: Option<u64>,
}

impl Default for ParticleSet {
    fn default() -> Self {
        Self { max_particles: 20, met: MetMode::Aux, pairs: None, sm: None, shuffle_seed: None }
    }
}

/// Continuous features per token.
pub const CONTINUOUS: usize = 4;

impl ParticleSet {
    /// One-hot width: 8 (codes 0-7), 9 with the MET token.
    pub fn onehot_width(&self) -> usize {
        if self.met == MetMode::Token { 9 } else { 8 }
    }

    /// Features per token (the ParT input_dim): 4 + one-hot width.
    pub fn token_width(&self) -> usize {
        CONTINUOUS + self.onehot_width()
    }

    /// Number of pair channels (kinematic + SM), 0 without pair input.
    pub fn pair_channels(&self) -> usize {
        self.pairs.map_or(0, |p| p.set.channels()) + usize::from(self.sm.is_some())
    }

    /// Names of the token features: `ln_e`, `ln_pt`, `eta`, `phi`, `is_pad`, `is_j`, ...
    pub fn token_feature_names(&self) -> Vec<String> {
        let mut v: Vec<String> =
            ["ln_e", "ln_pt", "eta", "phi", "is_pad", "is_j", "is_b", "is_e-", "is_e+", "is_m-", "is_m+", "is_g"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
        if self.met == MetMode::Token {
            v.push("is_met".into());
        }
        v
    }

    /// Names of the pair channels in order.
    pub fn pair_channel_names(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.pairs.map(|p| p.set.names().iter().map(|s| (*s).to_owned()).collect()).unwrap_or_default();
        if let Some(sm) = self.sm {
            v.push(match sm {
                SmMode::Binary => "sm_binary".into(),
                SmMode::Running => "sm_running".into(),
            });
        }
        v
    }

    /// Real (unpadded) tokens of an event with `objects` objects: at most P, MET included
    /// with `met = "token"`.
    pub fn real_tokens(&self, objects: usize) -> usize {
        match self.met {
            MetMode::Token => objects.min(self.max_particles - 1) + 1,
            MetMode::Aux | MetMode::None => objects.min(self.max_particles),
        }
    }

    /// Validates the options.
    pub fn validate(&self) -> Result<(), String> {
        let min = if self.met == MetMode::Token { 2 } else { 1 };
        if self.max_particles < min {
            return Err(format!("max_particles must be at least {min}, got {}", self.max_particles));
        }
        Ok(())
    }
}

impl Representation for ParticleSet {
    fn name(&self) -> &str {
        "particles"
    }

    /// # Shapes
    /// - `x`: `[P, 4 + W]`, W = 8 (9 with the MET token)
    /// - `mask`: `[P]`
    /// - `p4`: `[P, 4]` as (p_x, p_y, p_z, E) in GeV
    /// - `aux`: `[2]` (ln MET, φ_MET), only with `met = "aux"`
    /// - `pairs`: ragged, `[k(k+1)/2, C]` for an event of k real tokens (one row per pair
    ///   i ≤ j), only with pair features or the SM channel
    fn layout(&self) -> Vec<ArraySpec> {
        let p = self.max_particles;
        let mut v = vec![
            ArraySpec::new("x", &[p, self.token_width()]),
            ArraySpec::new("mask", &[p]),
            ArraySpec::new("p4", &[p, 4]),
        ];
        if self.met == MetMode::Aux {
            v.push(ArraySpec::new("aux", &[2]));
        }
        if self.pair_channels() > 0 {
            v.push(ArraySpec::ragged("pairs", &[self.pair_channels()]));
        }
        v
    }

    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]) {
        let p = self.max_particles;
        let event = table.event(i);
        let token_met = self.met == MetMode::Token;
        let mut tokens = std::mem::take(&mut scratch.tokens);
        event_tokens(&event, if token_met { p - 1 } else { p }, &mut scratch.order, &mut tokens);
        if let Some(seed) = self.shuffle_seed {
            tokens.shuffle(&mut crate::event_rng(seed, event.source_line));
        }
        if token_met {
            let (sin, cos) = event.met_phi.sin_cos();
            tokens.push(Token::new(MET_CODE, event.met, event.met * cos, event.met * sin, 0.0, 0.0));
        }
        debug_assert_eq!(tokens.len(), self.real_tokens(event.objects.len()));
        let width = self.token_width();
        let (x, rest) = out.split_at_mut(1);
        let x = &mut *x[0];
        for (t, tok) in tokens.iter().enumerate() {
            let row = &mut x[t * width..(t + 1) * width];
            if tok.code == MET_CODE {
                let ln_met = ln_gev(event.met) as f32;
                row[..4].copy_from_slice(&[ln_met, ln_met, 0.0, event.met_phi as f32]);
            } else {
                // ln max(x, 1e-3) = max(ln x, ln 1e-3): ln is monotonic (a NaN ln of a
                // negative E gives the floor either way).
                row[..4].copy_from_slice(&[
                    tok.ln_e.max(LN_FLOOR) as f32,
                    tok.ln_pt.max(LN_FLOOR) as f32,
                    tok.eta as f32,
                    tok.phi as f32,
                ]);
            }
            row[CONTINUOUS + usize::from(tok.code)] = 1.0;
        }
        for t in tokens.len()..p {
            x[t * width + CONTINUOUS] = 1.0;
        }
        let mask = &mut *rest[0];
        mask[..tokens.len()].fill(1.0);
        let p4 = &mut *rest[1];
        for (t, tok) in tokens.iter().enumerate() {
            p4[4 * t..4 * t + 4].copy_from_slice(&[tok.px as f32, tok.py as f32, tok.pz as f32, tok.e as f32]);
        }
        let mut next = 2;
        if self.met == MetMode::Aux {
            let aux = &mut *rest[next];
            aux[0] = ln_gev(event.met) as f32;
            aux[1] = event.met_phi as f32;
            next += 1;
        }
        if self.pair_channels() > 0 {
            pair_channels(&tokens, self.pairs.as_ref(), self.sm, &mut scratch.pairs, &mut *rest[next]);
        }
        scratch.tokens = tokens;
    }

    /// One row of `pairs` per pair i ≤ j of the event's real tokens.
    fn ragged_rows(&self, table: &EventTable, i: usize) -> usize {
        let k = self.real_tokens(table.object_range(i).len());
        k * (k + 1) / 2
    }

    /// The four continuous token features over real tokens; the auxiliary MET inputs.
    fn standardize_groups(&self) -> Vec<StdGroup> {
        let mut v = vec![StdGroup {
            array: "x".into(),
            row_len: self.token_width(),
            columns: (0..CONTINUOUS).collect(),
            validity: Validity::Mask("mask".into()),
        }];
        if self.met == MetMode::Aux {
            v.push(StdGroup { array: "aux".into(), row_len: 2, columns: vec![0, 1], validity: Validity::All });
        }
        v
    }
}
