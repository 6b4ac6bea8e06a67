use serde::Serialize;

/// Invalid histogram binning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistError {
    #[error("a histogram needs at least one bin (two edges), got {0} edge(s)")]
    TooFewEdges(usize),
    #[error("bin edges must be finite and strictly increasing; edge {index} ({value}) is not")]
    Edges { index: usize, value: f64 },
    #[error("{values} values but {weights} weights")]
    WeightLength { values: usize, weights: usize },
}

/// The invariant-mass binning of the ATLAS anomaly-region search (physics-spec §9.2; arXiv
/// 2307.01612, `chekanov/ADFilter:transform/global_module.py` `mjjBinsL`): 172 edges in GeV
/// from 35 to 13 156, 171 bins whose width grows roughly like the dijet mass resolution. (The
/// spec's text says "171 edges, 170 bins", but its list and the upstream list hold 172 edges.)
pub const ATLAS_MASS_EDGES_GEV: [f64; 172] = [
    35.0, 44.0, 54.0, 64.0, 75.0, 87.0, 99.0, 112.0, 125.0, 138.0, 151.0, 164.0, 177.0, 190.0, 203.0, 216.0, 229.0,
    243.0, 257.0, 272.0, 287.0, 303.0, 319.0, 335.0, 352.0, 369.0, 387.0, 405.0, 424.0, 443.0, 462.0, 482.0, 502.0,
    523.0, 544.0, 566.0, 588.0, 611.0, 634.0, 657.0, 681.0, 705.0, 730.0, 755.0, 781.0, 807.0, 834.0, 861.0, 889.0,
    917.0, 946.0, 976.0, 1006.0, 1037.0, 1068.0, 1100.0, 1133.0, 1166.0, 1200.0, 1234.0, 1269.0, 1305.0, 1341.0,
    1378.0, 1416.0, 1454.0, 1493.0, 1533.0, 1573.0, 1614.0, 1656.0, 1698.0, 1741.0, 1785.0, 1830.0, 1875.0, 1921.0,
    1968.0, 2016.0, 2065.0, 2114.0, 2164.0, 2215.0, 2267.0, 2320.0, 2374.0, 2429.0, 2485.0, 2542.0, 2600.0, 2659.0,
    2719.0, 2780.0, 2842.0, 2905.0, 2969.0, 3034.0, 3100.0, 3167.0, 3235.0, 3305.0, 3376.0, 3448.0, 3521.0, 3596.0,
    3672.0, 3749.0, 3827.0, 3907.0, 3988.0, 4070.0, 4154.0, 4239.0, 4326.0, 4414.0, 4504.0, 4595.0, 4688.0, 4782.0,
    4878.0, 4975.0, 5074.0, 5175.0, 5277.0, 5381.0, 5487.0, 5595.0, 5705.0, 5817.0, 5931.0, 6047.0, 6165.0, 6285.0,
    6407.0, 6531.0, 6658.0, 6787.0, 6918.0, 7052.0, 7188.0, 7326.0, 7467.0, 7610.0, 7756.0, 7904.0, 8055.0, 8208.0,
    8364.0, 8523.0, 8685.0, 8850.0, 9019.0, 9191.0, 9366.0, 9544.0, 9726.0, 9911.0, 10100.0, 10292.0, 10488.0, 10688.0,
    10892.0, 11100.0, 11312.0, 11528.0, 11748.0, 11972.0, 12200.0, 12432.0, 12669.0, 12910.0, 13156.0,
];

/// A weighted 1D histogram.
///
/// Bin i covers [edges[i], edges[i+1]) except the last, which also includes its upper edge.
/// Values below the first edge go to the underflow, above the last to the overflow; NaN values
/// are counted in `nan` and nowhere else.
///
/// numpy compatibility: the in-range bins follow `np.histogram` exactly, so [`Hist1D::sumw`]
/// is `np.histogram(x, bins=edges, weights=w)[0]` (numpy drops what Oddity keeps in the flow
/// bins), and [`Hist1D::uniform`] builds numpy's `linspace` edges bit for bit. That is the input
/// BumpHunter expects (physics-spec §9.4); the flow bins stay available for everything else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hist1D {
    edges: Vec<f64>,
    sumw: Vec<f64>,
    sumw2: Vec<f64>,
    underflow: (f64, f64),
    overflow: (f64, f64),
    nan: u64,
    entries: u64,
}

impl Hist1D {
    /// `bins` equal bins over [lo, hi], with the edges of `np.linspace(lo, hi, bins + 1)`:
    /// edge i = lo + i·((hi − lo)/bins), the last edge exactly hi. (The other rounding,
    /// lo + (hi − lo)·i/bins, differs from numpy in the last bit of 19 of the 61 edges of
    /// 60 bins on [0, 20], which moves values lying on an edge to the neighbouring bin.)
    pub fn uniform(bins: usize, lo: f64, hi: f64) -> Result<Self, HistError> {
        if bins == 0 {
            return Err(HistError::TooFewEdges(1));
        }
        let step = (hi - lo) / bins as f64;
        let edges = (0..=bins).map(|i| if i == bins { hi } else { lo + i as f64 * step }).collect();
        Self::variable(edges)
    }

    /// The ATLAS invariant-mass binning, [`ATLAS_MASS_EDGES_GEV`] (171 bins, GeV).
    pub fn atlas_mass() -> Self {
        Self::empty(ATLAS_MASS_EDGES_GEV.to_vec())
    }

    /// Bins given by their edges (strictly increasing, finite).
    pub fn variable(edges: Vec<f64>) -> Result<Self, HistError> {
        if edges.len() < 2 {
            return Err(HistError::TooFewEdges(edges.len()));
        }
        for (i, e) in edges.iter().enumerate() {
            if !e.is_finite() || (i > 0 && *e <= edges[i - 1]) {
                return Err(HistError::Edges { index: i, value: *e });
            }
        }
        Ok(Self::empty(edges))
    }

    /// An empty histogram over edges already validated.
    fn empty(edges: Vec<f64>) -> Self {
        let n = edges.len() - 1;
        Self {
            edges,
            sumw: vec![0.0; n],
            sumw2: vec![0.0; n],
            underflow: (0.0, 0.0),
            overflow: (0.0, 0.0),
            nan: 0,
            entries: 0,
        }
    }

    /// Adds `x` with weight `w`.
    pub fn fill(&mut self, x: f64, w: f64) {
        self.entries += 1;
        if x.is_nan() {
            self.nan += 1;
            return;
        }
        let last = *self.edges.last().unwrap_or(&f64::NAN);
        let slot = if x < self.edges[0] {
            &mut self.underflow
        } else if x > last {
            &mut self.overflow
        } else {
            // partition_point gives the first edge > x; the bin is the one before it.
            let i = self.edges.partition_point(|e| *e <= x).saturating_sub(1).min(self.sumw.len() - 1);
            self.sumw[i] += w;
            self.sumw2[i] += w * w;
            return;
        };
        slot.0 += w;
        slot.1 += w * w;
    }

    /// Adds every value of `xs`, with the matching weight of `weights` or weight 1.
    ///
    /// Errors when `weights` is given with a different length (nothing is filled then).
    pub fn fill_slice(&mut self, xs: &[f64], weights: Option<&[f64]>) -> Result<(), HistError> {
        match weights {
            None => xs.iter().for_each(|&x| self.fill(x, 1.0)),
            Some(ws) if ws.len() == xs.len() => xs.iter().zip(ws).for_each(|(&x, &w)| self.fill(x, w)),
            Some(ws) => return Err(HistError::WeightLength { values: xs.len(), weights: ws.len() }),
        }
        Ok(())
    }

    /// Bin edges.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Σw per bin.
    pub fn sumw(&self) -> &[f64] {
        &self.sumw
    }

    /// Σw² per bin.
    pub fn sumw2(&self) -> &[f64] {
        &self.sumw2
    }

    /// (Σw, Σw²) below the first edge.
    pub fn underflow(&self) -> (f64, f64) {
        self.underflow
    }

    /// (Σw, Σw²) above the last edge.
    pub fn overflow(&self) -> (f64, f64) {
        self.overflow
    }

    /// NaN values seen.
    pub fn nan_count(&self) -> u64 {
        self.nan
    }

    /// Number of `fill` calls.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Σw over the bins and both flow bins.
    pub fn total(&self) -> f64 {
        self.sumw.iter().sum::<f64>() + self.underflow.0 + self.overflow.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bins_edges_and_flow() {
        let mut h = Hist1D::variable(vec![0.0, 1.0, 10.0]).unwrap();
        for (x, w) in [(-1.0, 2.0), (0.0, 1.0), (0.999, 1.0), (1.0, 3.0), (10.0, 0.5), (10.5, 4.0), (f64::NAN, 9.0)] {
            h.fill(x, w);
        }
        assert_eq!(h.sumw(), &[2.0, 3.5]);
        assert_eq!(h.sumw2(), &[2.0, 9.25]);
        assert_eq!(h.underflow(), (2.0, 4.0));
        assert_eq!(h.overflow(), (4.0, 16.0));
        assert_eq!(h.nan_count(), 1);
        assert_eq!(h.entries(), 7);
        assert_eq!(h.total(), 11.5);
    }

    #[test]
    fn invalid_binning() {
        assert_eq!(Hist1D::variable(vec![1.0]), Err(HistError::TooFewEdges(1)));
        assert_eq!(Hist1D::variable(vec![0.0, 2.0, 2.0]), Err(HistError::Edges { index: 2, value: 2.0 }));
        assert!(Hist1D::uniform(0, 0.0, 1.0).is_err());
        assert!(Hist1D::uniform(3, 1.0, 1.0).is_err());
    }

    #[test]
    fn uniform_edges_are_numpy_linspace() {
        // np.linspace(0, 20, 61)[5] == 1.6666666666666665 and [7] == 2.333333333333333 (numpy
        // 2.4.6), while 20 * 5 / 60 == 1.6666666666666667: a value on that edge goes to bin 5.
        let mut h = Hist1D::uniform(60, 0.0, 20.0).unwrap();
        assert_eq!(h.edges()[5], 1.666_666_666_666_666_5);
        assert_eq!(h.edges()[7], 2.333_333_333_333_333);
        assert_eq!(h.edges()[60], 20.0);
        h.fill(1.666_666_666_666_666_7, 1.0);
        assert_eq!(h.sumw()[5], 1.0);
    }

    #[test]
    fn atlas_binning_has_171_bins_from_35_to_13156_gev() {
        let mut h = Hist1D::atlas_mass();
        assert_eq!(h.sumw().len(), 171);
        assert_eq!((h.edges()[0], h.edges()[171]), (35.0, 13_156.0));
        assert!(Hist1D::variable(ATLAS_MASS_EDGES_GEV.to_vec()).is_ok(), "edges strictly increasing");
        h.fill_slice(&[30.0, 35.0, 299.0, 303.0, 13_156.0, 20_000.0], Some(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).unwrap();
        assert_eq!(h.underflow(), (1.0, 1.0));
        assert_eq!(h.sumw()[0], 2.0);
        assert_eq!(h.sumw()[20], 3.0, "[287, 303)");
        assert_eq!(h.sumw()[21], 4.0, "[303, 319)");
        assert_eq!(h.sumw()[170], 5.0, "last bin [12910, 13156] closed");
        assert_eq!(h.overflow(), (6.0, 36.0));
    }

    #[test]
    fn fill_slice_checks_weight_length() {
        let mut h = Hist1D::uniform(2, 0.0, 2.0).unwrap();
        assert_eq!(h.fill_slice(&[0.5, 1.5], Some(&[1.0])), Err(HistError::WeightLength { values: 2, weights: 1 }));
        assert_eq!(h.entries(), 0);
        h.fill_slice(&[0.5, 1.5, 1.6], None).unwrap();
        assert_eq!(h.sumw(), &[1.0, 2.0]);
    }

    proptest! {
        #[test]
        fn total_weight_is_conserved(xs in proptest::collection::vec((-5.0f64..15.0, 0.0f64..10.0), 0..200)) {
            let mut h = Hist1D::uniform(7, 0.0, 10.0).unwrap();
            for (x, w) in &xs { h.fill(*x, *w); }
            let sum: f64 = xs.iter().map(|p| p.1).sum();
            prop_assert!((h.total() - sum).abs() < 1e-9 * sum.max(1.0));
        }
    }
}
