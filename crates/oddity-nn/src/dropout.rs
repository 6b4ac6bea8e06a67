//! Dropout whose CPU mask comes from a counter-based generator instead of libtorch's.
//!
//! libtorch draws CPU dropout masks with `bernoulli_`, a serial kernel that makes one
//! 64-bit draw of its Mersenne twister per element (MKL's vectorised generator is used only
//! on Intel CPUs). On the small ParT that was about a sixth of a training step. Here the mask
//! is `splitmix64(seed + i·γ)` for element i (two 32-bit decisions per draw), one
//! multiply-xorshift chain per pair of elements and no generator state; `seed` is drawn from
//! libtorch's default generator, so `tch::manual_seed` still makes training reproducible and
//! a resumed run draws the same masks. Written by hand because it is a dozen lines and
//! faster than a general-purpose RNG crate for filling a mask.
//!
//! Semantics are `torch.nn.functional.dropout`: in training each element is kept with
//! probability 1 − p and scaled by 1/(1 − p); the identity otherwise. On CUDA libtorch's own
//! (fused) dropout is used.

use tch::{Device, Kind, Tensor};

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (Steele, Lea, Flood 2014): a bijective mix of `z`.
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The dropout multipliers of `n` elements: `1/(1 − p)` where kept, 0 where dropped, element
/// i decided by 32 bits of `splitmix64(seed + ⌊i/2⌋·γ)`.
pub fn keep_mask(n: usize, p: f64, seed: u64) -> Vec<f32> {
    assert!((0.0..1.0).contains(&p), "dropout probability {p} not in [0, 1)");
    // Kept when the 32-bit draw is below (1 − p)·2³².
    let threshold = ((1.0 - p) * 4_294_967_296.0).min(u32::MAX as f64) as u64;
    let scale = (1.0 / (1.0 - p)) as f32;
    let mut mask = vec![0.0f32; n];
    let mut state = seed;
    for pair in mask.chunks_mut(2) {
        state = state.wrapping_add(GAMMA);
        let r = splitmix64(state);
        for (k, m) in pair.iter_mut().enumerate() {
            let draw = (r >> (32 * k)) & 0xFFFF_FFFF;
            if draw < threshold {
                *m = scale;
            }
        }
    }
    mask
}

/// `torch.nn.functional.dropout(x, p, train)`, with the counter-based mask on CPU.
///
/// # Shapes
/// - `x`: any → the same
pub fn dropout(x: &Tensor, p: f64, train: bool) -> Tensor {
    if !train || p == 0.0 {
        return x.shallow_clone();
    }
    if x.device() != Device::Cpu {
        return x.dropout(p, train);
    }
    // One draw from libtorch's generator seeds the whole mask.
    let seed = Tensor::randint(i64::MAX, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]) as u64;
    let n = x.numel();
    let mask = Tensor::from_slice(&keep_mask(n, p, seed)).view(x.size().as_slice()).to_kind(x.kind());
    x * mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_rate_and_scale() {
        let p = 0.1;
        let m = keep_mask(1_000_001, p, 42);
        let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / m.len() as f64;
        // Binomial standard deviation sqrt(p(1-p)/n) = 3e-4: 5σ.
        assert!((kept - 0.9).abs() < 1.5e-3, "kept fraction {kept}");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.9).abs() < 1e-6));
        // The mean multiplier is 1 (dropout preserves the expectation).
        let mean = m.iter().map(|&v| f64::from(v)).sum::<f64>() / m.len() as f64;
        assert!((mean - 1.0).abs() < 2e-3, "mean multiplier {mean}");
    }

    #[test]
    fn neighbours_are_uncorrelated() {
        // Both halves of a draw and consecutive draws decide independently.
        let m = keep_mask(400_000, 0.5, 7);
        let both = m.chunks(2).filter(|c| c[0] != 0.0 && c[1] != 0.0).count() as f64 / 200_000.0;
        assert!((both - 0.25).abs() < 5e-3, "P(both kept) {both}");
        let next = m.windows(2).skip(1).step_by(2).filter(|c| c[0] != 0.0 && c[1] != 0.0).count() as f64 / 199_999.0;
        assert!((next - 0.25).abs() < 5e-3, "P(both kept) across draws {next}");
    }

    #[test]
    fn seeded_by_libtorch_and_identity_in_eval() {
        let x = Tensor::ones([64, 33], (Kind::Float, Device::Cpu));
        tch::manual_seed(3);
        let a = dropout(&x, 0.25, true);
        tch::manual_seed(3);
        let b = dropout(&x, 0.25, true);
        assert!(a.equal(&b));
        let c = dropout(&x, 0.25, true);
        assert!(!a.equal(&c), "a new draw gives a new mask");
        assert!(dropout(&x, 0.25, false).equal(&x));
        assert_eq!(a.size(), x.size());
    }

    #[test]
    fn gradient_is_the_mask() {
        let x = Tensor::ones([10, 10], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        tch::manual_seed(5);
        let y = dropout(&x, 0.5, true);
        y.sum(Kind::Float).backward();
        assert!(x.grad().equal(&y.detach()));
    }
}
