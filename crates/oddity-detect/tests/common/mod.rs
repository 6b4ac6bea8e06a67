//! Shared helpers of the detector tests: synthetic events with a clearly separable signal
//! (boosted objects, large MET) and a Mann-Whitney AUC.

// Not every test file uses every helper.
#![allow(dead_code)]

use oddity_core::{EventHeader, EventTable, ObjectKind};

/// The `[representation]` and `[model]` tables of a small ParT+SM (pair features and the
/// running SM channel, 8 tokens, one block, no dropout) for fast detector tests.
pub const SMALL_PART_SM: &str = r#"
[representation]
kind = "particles"
max_particles = 8
pairs = { set = "delta-mass" }
sm = "running"
[model]
kind = "part"
embed_dims = [16, 32, 16]
pair_embed_dims = [8, 8]
num_heads = 2
num_layers = 1
num_cls_layers = 1
fc_dims = [16]
aux_dims = [8]
dropout = 0.0
attn_dropout = 0.0
activation_dropout = 0.0
fc_dropout = 0.0
"#;

/// A small deterministic pseudo-random generator (xorshift), so the data need no RNG crate.
pub struct Xs(pub u64);
impl Xs {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` events; `scale` multiplies pT and MET (1 for background, ~4 for the signal).
pub fn events(n: usize, scale: f64, seed: u64) -> EventTable {
    let mut r = Xs(seed);
    let mut t = EventTable::new();
    for i in 0..n {
        let met = scale * (50.0 + 100.0 * r.next());
        let h = EventHeader {
            event_id: i as i64,
            process: "p",
            weight: 0.5 + r.next(),
            met,
            met_phi: 6.0 * r.next() - 3.0,
            source_line: i as u64 + 1,
        };
        t.push_event(h);
        let jets = 2 + (3.0 * r.next()) as usize;
        for k in 0..jets {
            let pt = scale * (80.0 + 200.0 * r.next()) / (1.0 + k as f64);
            let eta = 4.0 * r.next() - 2.0;
            let kind = if r.next() < 0.2 { ObjectKind::BJet } else { ObjectKind::Jet };
            t.push_object(kind, pt * f64::cosh(eta) * 1.01, pt, eta, 6.0 * r.next() - 3.0);
        }
    }
    t
}

/// Mann-Whitney AUC with ties counted half (unweighted).
pub fn auc(bkg: &[f64], sig: &[f64]) -> f64 {
    let mut wins = 0.0;
    for s in sig {
        for b in bkg {
            wins += if s > b {
                1.0
            } else if s == b {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (bkg.len() * sig.len()) as f64
}

/// `n` events whose MET balances the visible objects (MET vector = −Σ pT vectors, smeared by
/// 10 GeV per coordinate) plus, for a signal, an invisible particle of pT `invisible` GeV in a
/// random direction. Distortions break the balance; so does the invisible particle.
pub fn balanced_events(n: usize, invisible: f64, seed: u64) -> EventTable {
    let mut r = Xs(seed);
    let mut t = EventTable::new();
    for i in 0..n {
        let jets = 2 + (3.0 * r.next()) as usize;
        let mut objects = Vec::new();
        let (mut sx, mut sy) = (0.0, 0.0);
        for k in 0..jets {
            let pt = (80.0 + 200.0 * r.next()) / (1.0 + k as f64);
            let eta = 4.0 * r.next() - 2.0;
            let phi = 6.2 * r.next() - 3.1;
            let kind = if r.next() < 0.2 { ObjectKind::BJet } else { ObjectKind::Jet };
            sx += pt * phi.cos();
            sy += pt * phi.sin();
            objects.push((kind, pt * f64::cosh(eta) * 1.01, pt, eta, phi));
        }
        let a = 6.2 * r.next() - 3.1;
        let (mx, my) =
            (-sx + 10.0 * (r.next() - 0.5) + invisible * a.cos(), -sy + 10.0 * (r.next() - 0.5) + invisible * a.sin());
        let h = EventHeader {
            event_id: i as i64,
            process: "p",
            weight: 0.5 + r.next(),
            met: mx.hypot(my),
            met_phi: my.atan2(mx),
            source_line: i as u64 + 1,
        };
        t.push_event(h);
        for (kind, e, pt, eta, phi) in objects {
            t.push_object(kind, e, pt, eta, phi);
        }
    }
    t
}
