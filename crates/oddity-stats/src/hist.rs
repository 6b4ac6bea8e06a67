use serde::Serialize;

/// Invalid histogram binning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistError {
    #[error("a histogram needs at least one bin (two edges), got {0} edge(s)")]
    TooFewEdges(usize),
    #[error("bin edges must be finite and strictly increasing; edge {index} ({value}) is not")]
    Edges { index: usize, value: f64 },
}

/// A weighted 1D histogram.
///
/// Bin i covers [edges[i], edges[i+1]) except the last, which also includes its upper edge.
/// Values below the first edge go to the underflow, above the last to the overflow; NaN values
/// are counted in `nan` and nowhere else.
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
    /// `bins` equal bins over [lo, hi].
    pub fn uniform(bins: usize, lo: f64, hi: f64) -> Result<Self, HistError> {
        if bins == 0 {
            return Err(HistError::TooFewEdges(1));
        }
        let edges = (0..=bins).map(|i| lo + (hi - lo) * i as f64 / bins as f64).collect();
        Self::variable(edges)
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
        let n = edges.len() - 1;
        Ok(Self {
            edges,
            sumw: vec![0.0; n],
            sumw2: vec![0.0; n],
            underflow: (0.0, 0.0),
            overflow: (0.0, 0.0),
            nan: 0,
            entries: 0,
        })
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
