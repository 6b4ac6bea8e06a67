//! Poisson pseudo-data for a fixed expectation per bin: inverse-CDF sampling with a guide
//! table (Chen & Asau 1974; Devroye, *Non-Uniform Random Variate Generation*, §III.2.4).
//!
//! The pseudo-experiments draw millions of Poisson variates whose means λ (the background
//! B_i) never change, so the cumulative distribution F(k) = Prob(X ≤ k) is tabulated once per
//! bin and each draw costs one uniform u and on average about two comparisons: the smallest
//! k with u < F(k). `rand_distr::Poisson` (rejection, ~100 ns a draw, several uniforms) is
//! kept for means above [`TABLE_MAX_LAMBDA`], where a table would be too large. (The alias
//! method of `rand_distr::weighted::WeightedAliasIndex` needs a truncated support as well and
//! two uniforms a draw.)
//!
//! The table covers k ∈ [λ − r, λ + r] with r = 10√λ + 12; the mass outside (below 1e-20
//! on each side) is below the 2⁻⁵³ resolution of the uniform and is folded into the end
//! entries, so the sampled law is Poisson(λ) to double precision.

use rand::Rng;
use rand::distr::Distribution;
use rand_distr::Poisson;

use super::BumpHunterError;

/// Largest mean sampled from a table (about 63 000 entries, 0.75 MB); larger means use the
/// rejection sampler.
pub(crate) const TABLE_MAX_LAMBDA: f64 = 1e7;

/// Guide-table buckets per standard deviation √λ.
const GUIDE_PER_SIGMA: f64 = 40.0;

/// Half-width of the tabulated range around λ.
fn reach(lambda: f64) -> f64 {
    10.0 * lambda.sqrt() + 12.0
}

/// A Poisson(λ) sampler for one bin.
#[derive(Debug, Clone)]
pub(crate) enum BinSampler {
    /// λ = 0: always 0.
    Zero,
    /// Inverse CDF over k ∈ [lo, lo + cdf.len()).
    Table { lo: f64, cdf: Vec<f64>, guide: Vec<u32> },
    /// λ above [`TABLE_MAX_LAMBDA`].
    Rejection(Poisson<f64>),
}

impl BinSampler {
    /// The sampler of a bin with mean `lambda` (finite, ≥ 0). `bin` names the bin in the
    /// error for a mean above `rand_distr`'s limit.
    pub fn new(lambda: f64, bin: impl FnOnce() -> String) -> Result<Self, BumpHunterError> {
        if lambda == 0.0 {
            return Ok(Self::Zero);
        }
        if lambda > TABLE_MAX_LAMBDA {
            return Poisson::new(lambda).map(Self::Rejection).map_err(|_| BumpHunterError::TooLarge {
                what: "pseudo-data expectation",
                bin: bin(),
                value: lambda,
                max: Poisson::<f64>::MAX_LAMBDA,
            });
        }
        let lo = (lambda - reach(lambda)).floor().max(0.0);
        let hi = (lambda + reach(lambda)).ceil();
        let len = (hi - lo) as usize + 1;
        // Weights w(k) ∝ π(k) = e^{−λ}λᵏ/k! from the mode m = ⌊λ⌋ outwards (w(m) = 1,
        // w(k − 1) = w(k)·k/λ, w(k + 1) = w(k)·λ/(k + 1)), normalised by their sum: no
        // cancellation in e^{−λ}λᵏ/k! for large λ, and rounding grows only with the
        // distance from the mode, where the terms are small.
        let mode = lambda.floor();
        let m = (mode - lo) as usize;
        let mut weight = vec![0.0; len];
        weight[m] = 1.0;
        for i in (0..m).rev() {
            weight[i] = weight[i + 1] * (lo + i as f64 + 1.0) / lambda;
        }
        for i in m + 1..len {
            weight[i] = weight[i - 1] * lambda / (lo + i as f64);
        }
        let total: f64 = weight.iter().sum();
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = weight
            .iter()
            .map(|w| {
                acc += w;
                acc / total
            })
            .collect();
        // The upper tail (< 1e-20) belongs to the last entry: every u < 1 finds an entry.
        cdf[len - 1] = 1.0;
        // guide[j] = the first entry with F > j/G (guide[G] = the last entry): the answer
        // for u ∈ [j/G, (j + 1)/G) lies in guide[j]..=guide[j + 1], found by bisection
        // (central buckets hold about one entry; the tail buckets hold many, but bisection
        // keeps them short). G = 2√λ + 4 keeps the guide, which every draw reads at a uniform
        // position, small (cache).
        let buckets = (GUIDE_PER_SIGMA * lambda.sqrt()) as usize + 4;
        let mut guide = Vec::with_capacity(buckets + 1);
        let mut i = 0;
        for j in 0..buckets {
            let level = j as f64 / buckets as f64;
            while cdf[i] <= level {
                i += 1;
            }
            guide.push(i as u32);
        }
        guide.push((len - 1) as u32);
        Ok(Self::Table { lo, cdf, guide })
    }

    /// One draw (an integer count as `f64`).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Self::Zero => 0.0,
            Self::Table { lo, cdf, guide } => {
                let u: f64 = rng.random();
                // u < 1, so j < G; F(guide[j + 1]) > u (or it is the last entry, F = 1).
                let j = (u * (guide.len() - 1) as f64) as usize;
                let (first, last) = (guide[j] as usize, guide[j + 1] as usize);
                // Most buckets hold at most one boundary: one step without a branch, then
                // bisection over the rest of the (tail) buckets that hold more.
                let i = first + usize::from(cdf[first] <= u);
                let i = if last - first <= 1 { i } else { i + cdf[i..last].partition_point(|&f| f <= u) };
                lo + i as f64
            }
            Self::Rejection(p) => p.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use statrs::function::gamma::{gamma_lr, gamma_ur};

    fn sampler(lambda: f64) -> BinSampler {
        BinSampler::new(lambda, || "0".into()).expect("valid mean")
    }

    fn table(lambda: f64) -> (f64, Vec<f64>) {
        match sampler(lambda) {
            BinSampler::Table { lo, cdf, .. } => (lo, cdf),
            other => panic!("λ {lambda}: table expected, got {other:?}"),
        }
    }

    #[test]
    fn table_is_the_poisson_cdf() {
        for lambda in [1e-3, 0.5, 3.0, 47.0, 1474.0, 15_394.0, 2.5e6] {
            let (lo, cdf) = table(lambda);
            // Mass outside the table: Prob(X < lo) and Prob(X > hi), below the resolution of u.
            let hi = lo + (cdf.len() - 1) as f64;
            let below = if lo > 0.0 { gamma_ur(lo, lambda) } else { 0.0 };
            assert!(below < 1e-20 && gamma_lr(hi + 1.0, lambda) < 1e-20, "λ {lambda}");
            if lambda > 1e5 {
                continue; // statrs' Q loses digits at large λ, see below and the moments test
            }
            for (i, &f) in cdf.iter().enumerate().step_by(7).take(cdf.len() - 1) {
                let k = lo + i as f64;
                let exact = gamma_ur(k + 1.0, lambda);
                // statrs' Q is the looser side at large λ: λ 1474, k 1477: table
                // 0.5380279851616752, scipy 0.538027985161675, statrs 0.5380279851627263;
                // λ 15394, k 15317: table 0.269032406058385, scipy 0.26903240605838474,
                // statrs 0.26903240604482553.
                assert!((f - exact).abs() < 1e-10, "λ {lambda} k {k}: {f} vs {exact}");
            }
        }
    }

    #[test]
    fn large_mean_table_has_the_poisson_moments() {
        let lambda = 2.5e6;
        let (lo, cdf) = table(lambda);
        let pmf = cdf.iter().scan(0.0, |prev, &f| Some(f - std::mem::replace(prev, f)));
        let (mut mean, mut second) = (0.0, 0.0);
        for (i, p) in pmf.enumerate() {
            let d = lo + i as f64 - lambda;
            mean += p * d;
            second += p * d * d;
        }
        assert!(mean.abs() < 1e-6 && (second / lambda - 1.0).abs() < 1e-9, "mean offset {mean}, var {second}");
    }

    #[test]
    fn draws_have_the_poisson_mean_and_variance() {
        for lambda in [0.7, 12.0, 4024.0] {
            let s = sampler(lambda);
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let n = 40_000;
            let draws: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            // 5 standard errors of the mean (√(λ/n)) and of the variance (≈ λ√(2/n)).
            assert!((mean - lambda).abs() < 5.0 * (lambda / n as f64).sqrt(), "λ {lambda}: mean {mean}");
            assert!((var - lambda).abs() < 5.0 * lambda * (2.0 / n as f64).sqrt(), "λ {lambda}: var {var}");
            assert!(draws.iter().all(|d| d.fract() == 0.0 && *d >= 0.0));
        }
    }

    #[test]
    fn small_mean_frequencies_match_the_pmf() {
        let s = sampler(1.3);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 100_000;
        let mut counts = [0usize; 4];
        for _ in 0..n {
            let k = s.sample(&mut rng) as usize;
            if k < 4 {
                counts[k] += 1;
            }
        }
        for (k, &c) in counts.iter().enumerate() {
            let pmf = (-1.3f64).exp() * 1.3f64.powi(k as i32) / (1..=k).product::<usize>() as f64;
            let expected = pmf * n as f64;
            assert!((c as f64 - expected).abs() < 5.0 * expected.sqrt(), "k {k}: {c} vs {expected}");
        }
    }

    #[test]
    fn zero_and_huge_means() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(sampler(0.0).sample(&mut rng), 0.0);
        let big = sampler(1e9);
        assert!(matches!(big, BinSampler::Rejection(_)));
        assert!((big.sample(&mut rng) - 1e9).abs() < 10.0 * 1e9f64.sqrt());
        assert!(matches!(
            BinSampler::new(1e300, || "3".into()),
            Err(BumpHunterError::TooLarge { bin, .. }) if bin == "3"
        ));
    }
}
