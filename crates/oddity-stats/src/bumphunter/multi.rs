//! Multi-channel BumpHunter 1D (physics-spec §9.4 step 9; pyBumpHunter 0.5.1 `bump_scan`
//! with lists of histograms), without the upstream bugs of its overlap step (the left edge
//! of the intersection is set to bin 1 instead of being decremented, and the scan start is
//! aliased and overwritten).
//!
//! Each channel is scanned on its own (same settings and bin edges, its own scan range from
//! its background). The best windows of all channels must overlap in the observable: if
//! they do, t = −ln ∏_ch p_ch = Σ_ch −ln p_ch (summed, so that the product cannot
//! underflow) and the combined window is their intersection; if they do not, every p is 1
//! and t = 0. Two windows overlap when they share at least one bin (touching edges do not
//! count, as upstream). Pseudo-experiments are drawn per channel with the single-channel
//! scheme, channel c on family c (so channel 0 repeats [`BumpHunter1D::hunt`]), and combined
//! the same way.

use serde::Serialize;
use std::fmt;

use super::engine::{Best, EXACT_BAND};
use super::pvalue::{GlobalP, z_from_p};
use super::scan1d::{BumpHunter1D, Plan, Scan1D};
use super::{BumpHunterError, check_counts, fmt_g};

/// One channel of a multi-channel hunt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelResult {
    /// The channel's own scan (its best window and every window's local p).
    pub scan: Scan1D,
    /// n − b of the channel over the combined window (0 without overlap).
    pub signal: f64,
}

/// Result of a multi-channel hunt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiHunt1D {
    pub channels: Vec<ChannelResult>,
    /// The intersection [lo, hi) of the channels' best windows in bins; `None` when they do
    /// not overlap.
    pub combined_bins: Option<[usize; 2]>,
    /// The intersection in the units of the bin edges.
    pub combined_edges: Option<[f64; 2]>,
    /// Combined local p-value ∏_ch p_ch (1 without overlap).
    pub p: f64,
    /// t = −ln ∏_ch p_ch.
    pub t: f64,
    /// Local significance Φ⁻¹(1 − ∏ p).
    pub z_local: f64,
    pub global: GlobalP,
    /// Combined t of every pseudo-experiment.
    pub t_pseudo: Vec<f64>,
    pub seed: u64,
}

/// The intersection [lo, hi) of windows given as (loc, width), if it holds a bin.
fn intersection(windows: impl Iterator<Item = (usize, usize)>) -> Option<[usize; 2]> {
    let (lo, hi) = windows.fold((0, usize::MAX), |(lo, hi), (loc, width)| (lo.max(loc), hi.min(loc + width)));
    (lo < hi).then_some([lo, hi])
}

/// Combined t of per-channel best windows (loc, width, p): Σ −ln p if they overlap, else 0.
fn combined_t(windows: &[(usize, usize, f64)]) -> f64 {
    match intersection(windows.iter().map(|&(loc, width, _)| (loc, width))) {
        Some(_) => windows.iter().map(|&(_, _, p)| -p.ln()).sum::<f64>() + 0.0,
        None => 0.0,
    }
}

impl BumpHunter1D {
    /// Multi-channel hunt: `channels` are (data, background) pairs on `edges`, scanned with
    /// these settings, combined as in the module documentation, with `npe` pseudo-experiments
    /// per channel for the global p-value of the combined t.
    pub fn hunt_channels(&self, channels: &[(&[f64], &[f64])]) -> Result<MultiHunt1D, BumpHunterError> {
        if channels.is_empty() {
            return Err(BumpHunterError::Config {
                field: "channels",
                value: "0 channels".into(),
                expected: "at least one (data, background) pair".into(),
            });
        }
        let in_channel = |channel| move |e| BumpHunterError::Channel { channel, source: Box::new(e) };
        let plans = channels
            .iter()
            .enumerate()
            .map(|(c, (data, bkg))| {
                let plan = self.plan(bkg).map_err(in_channel(c))?;
                check_counts("data", data, bkg.len(), |i| i.to_string()).map_err(in_channel(c))?;
                Ok(plan)
            })
            .collect::<Result<Vec<Plan>, _>>()?;
        let scans: Vec<Scan1D> =
            plans.iter().zip(channels).map(|(plan, (data, bkg))| self.scan_planned(plan, data, bkg)).collect();
        let observed: Vec<_> = scans.iter().map(|s| (s.best.loc, s.best.width, s.best.p)).collect();
        let t = combined_t(&observed);
        let combined_bins = intersection(observed.iter().map(|&(loc, width, _)| (loc, width)));

        let pseudo = plans
            .iter()
            .zip(channels)
            .enumerate()
            .map(|(c, (plan, (_, bkg)))| {
                plan.engine.pseudo_best(bkg, bkg, self.npe, self.seed, c as u64).map_err(in_channel(c))
            })
            .collect::<Result<Vec<Vec<Option<Best>>>, _>>()?;
        let t_pseudo = (0..self.npe)
            .map(|k| {
                // A channel whose windows all have p = 1 keeps its first window (scan order).
                let windows = |exact: bool| -> Vec<(usize, usize, f64)> {
                    plans
                        .iter()
                        .zip(&pseudo)
                        .map(|(plan, best)| {
                            let (window, p) = best[k]
                                .map_or((0, 1.0), |b| (b.window, if exact { plan.engine.exact_p(&b) } else { b.p }));
                            let w = &plan.engine.windows[window];
                            (w.loc[0], w.width[0], p)
                        })
                        .collect()
                };
                let tk = combined_t(&windows(false));
                // Tabulated p: near the observation, evaluate exactly (see `Engine::pseudo_t`).
                if (tk - t).abs() <= EXACT_BAND { combined_t(&windows(true)) } else { tk }
            })
            .collect::<Vec<f64>>();

        let p = combined_bins.map_or(1.0, |_| observed.iter().map(|&(_, _, p)| p).product());
        let channels = scans
            .into_iter()
            .zip(channels)
            .map(|(scan, (data, bkg))| {
                let signal = combined_bins
                    .map_or(0.0, |[lo, hi]| data[lo..hi].iter().sum::<f64>() - bkg[lo..hi].iter().sum::<f64>());
                ChannelResult { scan, signal }
            })
            .collect();
        Ok(MultiHunt1D {
            channels,
            combined_bins,
            combined_edges: combined_bins.map(|[lo, hi]| [self.edges[lo], self.edges[hi]]),
            p,
            t,
            z_local: z_from_p(p),
            global: GlobalP::new(t, &t_pseudo),
            t_pseudo,
            seed: self.seed,
        })
    }
}

impl fmt::Display for MultiHunt1D {
    /// pyBumpHunter's multi-channel `bump_info`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Bump edges (per channel):")?;
        for (c, ch) in self.channels.iter().enumerate() {
            let [lo, hi] = ch.scan.bump_edges;
            let b = &ch.scan.best;
            writeln!(
                f,
                "    chan {} -> [{}, {}]  (loc={}, width={})",
                c + 1,
                fmt_g(lo, 3),
                fmt_g(hi, 3),
                b.loc,
                b.width
            )?;
        }
        match self.combined_edges {
            Some([lo, hi]) => {
                writeln!(f, "Combined bump edges : [{}, {}]", fmt_g(lo, 3), fmt_g(hi, 3))?;
                writeln!(f, "Combined bump mean | width : {} | {}", fmt_g(0.5 * (lo + hi), 3), fmt_g(hi - lo, 3))?;
            }
            None => writeln!(f, "Combined bump edges : none (the channels' best windows do not overlap)")?,
        }
        let signals: Vec<String> = self.channels.iter().map(|c| fmt_g(c.signal, 3)).collect();
        let total: f64 = self.channels.iter().map(|c| c.signal).sum();
        writeln!(
            f,
            "Evaluated number of signal events (per channel) : {} (total {})",
            signals.join(" "),
            fmt_g(total, 3)
        )?;
        writeln!(f, "Local p-value | test statistic (combined) : {} | {}", fmt_g(self.p, 5), fmt_g(self.t, 5))?;
        writeln!(f, "Local significance (combined) : {}", fmt_g(self.z_local, 5))?;
        write!(f, "{}\n(pseudo-experiments seeded with {})", self.global, self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_overlap_when_they_share_a_bin() {
        assert_eq!(intersection([(3, 4), (5, 4)].into_iter()), Some([5, 7]));
        assert_eq!(intersection([(3, 4), (7, 2)].into_iter()), None);
        assert_eq!(intersection([(3, 4), (1, 10), (4, 1)].into_iter()), Some([4, 5]));
        let t = combined_t(&[(3, 4, 0.01), (5, 4, 0.1)]);
        assert!((t - (-(0.001f64).ln())).abs() < 1e-12);
        assert_eq!(combined_t(&[(3, 4, 0.01), (7, 2, 0.1)]), 0.0);
    }
}
