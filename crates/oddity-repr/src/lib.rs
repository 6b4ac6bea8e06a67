//! Event representations for Oddity's detectors (physics-spec §5), without libtorch.
//!
//! Every representation implements [`Representation`]: a pure function of each event that
//! writes named f32 arrays ([`FeatureBatch`]) in parallel (rayon) into preallocated buffers.
//!
//! - [`fixed`]: the fixed-length vector of the DDD study's MLP (per-type or any-type slots).
//! - [`efficient`]: the normalising flow's "Efficient" vector (MET, counts, 7 jets, 4 leptons).
//! - [`leading`]: (p_T, η, φ, E) of the leading objects and MET, the SimpleAE input.
//! - [`particles`]: the padded particle set of the Particle Transformer with its mask,
//!   MET as auxiliary input or token, and optional pair features ([`pairs`]) and the
//!   Standard-Model interaction channel ([`sm`]).
//! - [`rmm`]: the rapidity-mass matrix of the ATLAS search and ADFilter.
//! - [`standardize`]: per-feature standardisation fitted on weighted training background,
//!   saved as JSON.
//! - [`split`]: deterministic train/validation/test splits by seed.
//! - [`distort`]: the DDD distortions (shift, removal, addition) and JES variations.
//! - [`vmath`]: ln, sin/cos, sinh and cosh − 1 of f64 four lanes at a time, for the
//!   particle set's and the RMM's per-object and per-pair loops.
//!
//! Units: GeV and radians in, f32 features out; logarithms natural with the spec's floors.

pub mod batch;
pub mod distort;
pub mod efficient;
pub mod fixed;
pub mod leading;
pub mod pairs;
pub mod particles;
pub mod rmm;
pub mod sm;
pub mod split;
pub mod standardize;
pub mod token;
pub mod vmath;

pub use batch::{Array, ArraySpec, FeatureBatch, Representation, Scratch};
pub use token::Token;

/// ln(max(x, 1e-3)) for a dimensional quantity in GeV (physics-spec §1: logarithms of
/// dimensional quantities use a floor; empty slots carry 0, never ln(0)).
pub fn ln_gev(x: f64) -> f64 {
    x.max(1e-3).ln()
}

/// ln 1e-3, the floor of [`ln_gev`]: ln_gev(x) = max(ln x, LN_FLOOR), ln being monotonic.
pub const LN_FLOOR: f64 = -6.907_755_278_982_137;

/// A reproducible random generator for one event: ChaCha8 seeded with `seed`, on the stream
/// `key` (usually the event's source line), so results depend on neither batching nor thread
/// count and are stable when the same file is re-read.
pub fn event_rng(seed: u64, key: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(key);
    rng
}

#[cfg(test)]
mod tests {
    #[test]
    fn ln_floor_is_the_floor_of_ln_gev() {
        assert_eq!(super::LN_FLOOR, super::ln_gev(0.0));
        assert_eq!(super::LN_FLOOR, 1e-3f64.ln());
    }
}
