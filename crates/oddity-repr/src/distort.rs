//! The DDD distortions (physics-spec §7.3; seed 001 sec. 4.3, Algorithm 3) and the jet
//! energy scale variations of the robustness study (physics-spec §8.7).
//!
//! Distortion of one event with parameters (std, p); ◆ marks the project's choices:
//! 1. **Shift** (◆ independent factors per object and variable): θ_E, θ_η, θ_φ ~ N(1, std);
//!    E′ = |θ_E|·E (◆ the absolute value only matters beyond 10σ for std ≤ 0.1),
//!    η′ = θ_η·η, φ′ = wrap(θ_φ·φ); the mass is kept: m² = max(E² − (pT cosh η)², 0),
//!    p′ = sqrt(max(E′² − m², 0)), pT′ = p′/cosh η′. MET′ = |θ_MET·MET|,
//!    φ′_MET = wrap(θ_MET,φ·φ_MET), one draw each per event.
//! 2. **Removal**: each original object is removed with probability p.
//! 3. **Addition** (◆ after removal): for each original object, with probability p, one object
//!    (kind and four-vector, unshifted) drawn uniformly from the objects of a different,
//!    uniformly chosen event of the same sample is appended, unless the event already holds
//!    `max_objects` (◆). Donor events are drawn among the events that hold objects.
//!
//! Random numbers come from [`crate::event_rng`] keyed by the event's source line, in a fixed
//! order (shift factors object by object, the two MET factors, removals, additions), so the
//! result depends only on (seed, event), not on threads or batching.

use oddity_core::fourvec::wrap_phi;
use oddity_core::{EventTable, ObjectKind};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Distortion parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistortConfig {
    /// Standard deviation of the multiplicative shifts.
    pub std: f64,
    /// Probability of removing, and of adding, an object per original object.
    pub p: f64,
    /// The token budget P of the discriminator: no object is added to an event that holds
    /// this many objects.
    pub max_objects: usize,
}

/// Invalid distortion parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistortError {
    #[error("distortion std must be finite and >= 0, got {0}")]
    Std(f64),
    #[error("distortion probability p must be in [0, 1], got {0}")]
    Probability(f64),
    #[error("max_objects must be at least 1")]
    MaxObjects,
    #[error("JES factor must be finite and > 0, got {0}")]
    JesFactor(f64),
}

impl DistortConfig {
    pub fn validate(&self) -> Result<(), DistortError> {
        if !(self.std.is_finite() && self.std >= 0.0) {
            return Err(DistortError::Std(self.std));
        }
        if !(0.0..=1.0).contains(&self.p) {
            return Err(DistortError::Probability(self.p));
        }
        if self.max_objects == 0 {
            return Err(DistortError::MaxObjects);
        }
        Ok(())
    }
}

/// What a distortion did, for the run manifest.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DistortSummary {
    pub events: u64,
    pub objects_in: u64,
    pub objects_out: u64,
    pub removed: u64,
    pub added: u64,
    /// Additions skipped because the event already held `max_objects`.
    pub additions_skipped_full: u64,
    /// Additions skipped because no other event holds objects.
    pub additions_skipped_no_donor: u64,
}

impl DistortSummary {
    fn merge(mut self, o: Self) -> Self {
        self.events += o.events;
        self.objects_in += o.objects_in;
        self.objects_out += o.objects_out;
        self.removed += o.removed;
        self.added += o.added;
        self.additions_skipped_full += o.additions_skipped_full;
        self.additions_skipped_no_donor += o.additions_skipped_no_donor;
        self
    }
}

/// Events per parallel work item.
const CHUNK: usize = 1024;

/// Distorts every event of `table` (physics-spec §7.3); donors for additions are the other
/// events of `table`. Event headers (id, process, weight, source line) are kept.
pub fn distort(
    table: &EventTable,
    cfg: &DistortConfig,
    seed: u64,
) -> Result<(EventTable, DistortSummary), DistortError> {
    cfg.validate()?;
    let donors: Vec<usize> = (0..table.len()).filter(|&i| !table.object_range(i).is_empty()).collect();
    let shift = Normal::new(1.0, cfg.std).map_err(|_| DistortError::Std(cfg.std))?;
    let parts: Vec<(EventTable, DistortSummary)> = (0..table.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let range = c * CHUNK..((c + 1) * CHUNK).min(table.len());
            let mut out = empty_like(table, range.len());
            let mut summary = DistortSummary::default();
            let mut shifted = Vec::new();
            for i in range {
                let ctx = Context { table, cfg, shift: &shift, donors: &donors, seed };
                distort_event(&ctx, i, &mut shifted, &mut out, &mut summary);
            }
            (out, summary)
        })
        .collect();
    let mut out = empty_like(table, table.len());
    let mut summary = DistortSummary::default();
    for (part, s) in parts {
        out.append(&part);
        summary = summary.merge(s);
    }
    Ok((out, summary))
}

/// An empty table with the process names of `table`.
fn empty_like(table: &EventTable, events: usize) -> EventTable {
    let mut out = EventTable::with_capacity(events, events * 8);
    out.process_names = table.process_names.clone();
    out.offsets.push(0);
    out
}

/// Copies the header of event `i` of `src` into `out` as a new event with no objects.
fn push_header(out: &mut EventTable, src: &EventTable, i: usize, met: f64, met_phi: f64) {
    out.event_id.push(src.event_id[i]);
    out.process.push(src.process[i]);
    out.weight.push(src.weight[i]);
    out.met.push(met);
    out.met_phi.push(met_phi);
    out.source_line.push(src.source_line[i]);
    out.offsets.push(out.kind.len() as u64);
}

/// What every event's distortion reads.
struct Context<'a> {
    table: &'a EventTable,
    cfg: &'a DistortConfig,
    shift: &'a Normal<f64>,
    /// Indices of the events holding objects, ascending.
    donors: &'a [usize],
    seed: u64,
}

/// A shifted object: (kind, E, pT, η, φ).
type Shifted = (ObjectKind, f64, f64, f64, f64);

fn distort_event(
    ctx: &Context<'_>,
    i: usize,
    shifted: &mut Vec<Shifted>,
    out: &mut EventTable,
    summary: &mut DistortSummary,
) {
    let Context { table, cfg, shift, donors, seed } = *ctx;
    let mut rng = crate::event_rng(seed, table.source_line[i]);
    let range = table.object_range(i);
    let n = range.len();
    // 1. Shift factors, object by object, then MET.
    shifted.clear();
    for o in range.clone() {
        let (te, teta, tphi) = (shift.sample(&mut rng), shift.sample(&mut rng), shift.sample(&mut rng));
        shifted.push(shift_object(table.kind[o], table.e[o], table.pt[o], table.eta[o], table.phi[o], te, teta, tphi));
    }
    let (tmet, tmetphi) = (shift.sample(&mut rng), shift.sample(&mut rng));
    push_header(out, table, i, (tmet * table.met[i]).abs(), wrap_phi(tmetphi * table.met_phi[i]));
    // 2. Removal.
    let mut count = 0;
    for obj in shifted.iter() {
        if rng.random::<f64>() < cfg.p {
            summary.removed += 1;
        } else {
            out.push_object(obj.0, obj.1, obj.2, obj.3, obj.4);
            count += 1;
        }
    }
    // 3. Addition.
    for _ in 0..n {
        if rng.random::<f64>() >= cfg.p {
            continue;
        }
        if count >= cfg.max_objects {
            summary.additions_skipped_full += 1;
            continue;
        }
        // A uniformly chosen donor event other than this one.
        let own = donors.binary_search(&i).is_ok();
        let choices = donors.len() - usize::from(own);
        if choices == 0 {
            summary.additions_skipped_no_donor += 1;
            continue;
        }
        let mut d = rng.random_range(0..choices);
        if own && donors[d] >= i {
            d += 1;
        }
        let dr = table.object_range(donors[d]);
        let o = dr.start + rng.random_range(0..dr.len());
        out.push_object(table.kind[o], table.e[o], table.pt[o], table.eta[o], table.phi[o]);
        summary.added += 1;
        count += 1;
    }
    summary.events += 1;
    summary.objects_in += n as u64;
    summary.objects_out += count as u64;
}

/// Shifts one object by the factors (θ_E, θ_η, θ_φ), keeping its mass (physics-spec §7.3).
/// Returns (kind, E′, pT′, η′, φ′), GeV and radians.
#[allow(clippy::too_many_arguments)]
pub fn shift_object(
    kind: ObjectKind,
    e: f64,
    pt: f64,
    eta: f64,
    phi: f64,
    theta_e: f64,
    theta_eta: f64,
    theta_phi: f64,
) -> Shifted {
    let m2 = (e * e - (pt * eta.cosh()).powi(2)).max(0.0);
    let e2 = (theta_e * e).abs();
    let eta2 = theta_eta * eta;
    let p2 = (e2 * e2 - m2).max(0.0).sqrt();
    (kind, e2, p2 / eta2.cosh(), eta2, wrap_phi(theta_phi * phi))
}

/// Scales the energy and pT of every j and b object by `factor` (1 ± s for the JES study,
/// physics-spec §8.7); η, φ, leptons, photons and the (truth) MET are unchanged.
pub fn jes(table: &EventTable, factor: f64) -> Result<EventTable, DistortError> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(DistortError::JesFactor(factor));
    }
    let mut out = table.clone();
    for (o, kind) in out.kind.iter().enumerate() {
        if kind.is_jet() {
            out.e[o] *= factor;
            out.pt[o] *= factor;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use oddity_core::EventHeader;

    use super::*;

    fn sample(events: usize) -> EventTable {
        let mut t = EventTable::new();
        for i in 0..events {
            t.push_event(EventHeader {
                event_id: i as i64,
                process: if i % 2 == 0 { "ttbar" } else { "njets" },
                weight: 0.5 + i as f64,
                met: 150.0 + i as f64,
                met_phi: 0.3,
                source_line: i as u64 + 1,
            });
            for k in 0..(i % 5) {
                let kind = ObjectKind::ALL[k % 7];
                t.push_object(
                    kind,
                    120.0 + 10.0 * k as f64,
                    100.0 - k as f64,
                    0.2 * k as f64 - 0.3,
                    0.5 * k as f64 - 1.0,
                );
            }
        }
        t
    }

    #[test]
    fn zero_distortion_is_identity() {
        let t = sample(50);
        let (d, s) = distort(&t, &DistortConfig { std: 0.0, p: 0.0, max_objects: 20 }, 7).unwrap();
        assert_eq!(s.removed + s.added, 0);
        assert_eq!(d.event_id, t.event_id);
        assert_eq!(d.kind, t.kind);
        assert_eq!(d.process_names, t.process_names);
        assert_eq!(d.process, t.process);
        for o in 0..t.object_count() {
            assert!((d.e[o] - t.e[o]).abs() < 1e-9 && (d.pt[o] - t.pt[o]).abs() < 1e-9);
            assert_eq!(d.eta[o], t.eta[o]);
        }
        assert_eq!(d.met, t.met);
    }

    #[test]
    fn reproducible_and_counts_consistent() {
        let t = sample(3000);
        let cfg = DistortConfig { std: 0.06, p: 0.2, max_objects: 4 };
        let (a, s) = distort(&t, &cfg, 11).unwrap();
        let (b, _) = distort(&t, &cfg, 11).unwrap();
        let (c, _) = distort(&t, &cfg, 12).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.e, c.e);
        assert_eq!(s.events, 3000);
        assert_eq!(s.objects_in, t.object_count() as u64);
        assert_eq!(s.objects_out, a.object_count() as u64);
        assert_eq!(s.objects_in - s.removed + s.added, s.objects_out);
        assert!(s.removed > 0 && s.added > 0 && s.additions_skipped_full > 0);
        assert!((0..a.len()).all(|i| a.object_range(i).len() <= 4.max(t.object_range(i).len())));
        // Removal rate close to p.
        let rate = s.removed as f64 / s.objects_in as f64;
        assert!((rate - 0.2).abs() < 0.03, "removal rate {rate}");
    }

    #[test]
    fn shift_keeps_the_mass() {
        let (e, pt, eta) = (150.0, 100.0, 0.7);
        let m2 = e * e - (pt * f64::cosh(eta)).powi(2);
        let (_, e2, pt2, eta2, phi2) = shift_object(ObjectKind::Jet, e, pt, eta, 3.0, 1.1, 0.9, 1.2);
        assert!((e2 * e2 - (pt2 * eta2.cosh()).powi(2) - m2).abs() < 1e-6);
        assert!((-std::f64::consts::PI..std::f64::consts::PI).contains(&phi2));
    }

    #[test]
    fn jes_scales_jets_only() {
        let t = sample(20);
        let j = jes(&t, 1.05).unwrap();
        for o in 0..t.object_count() {
            let f = if t.kind[o].is_jet() { 1.05 } else { 1.0 };
            assert!((j.pt[o] - f * t.pt[o]).abs() < 1e-12 && (j.e[o] - f * t.e[o]).abs() < 1e-12);
        }
        assert_eq!(j.met, t.met);
        assert!(jes(&t, 0.0).is_err());
    }
}
