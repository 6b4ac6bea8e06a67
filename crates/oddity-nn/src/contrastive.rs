//! Contrastive losses of the BEAD contrastive VAE (physics-spec §7.7), per anchor so the
//! detectors can weight them by event weight. Both take L2-normalised embeddings (the
//! dot product is the cosine similarity) and a temperature τ > 0; values are in nats.
//!
//! - [`supcon_per_anchor`] (Khosla et al., arXiv 2004.11362, eq. 2, "L_out"):
//!   ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} ln[exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ)], P(i) the other
//!   events of the batch with the label of i; ℓ_i = 0 when P(i) is empty.
//! - [`nt_xent_per_view`] (Chen et al., SimCLR, arXiv 2002.05709, eq. 1): for 2N views (view
//!   k and k + N are the two views of event k), ℓ_i = −ln[exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ)],
//!   j the other view of i.

use tch::{Kind, Tensor};

/// Row-wise ln Σ_{a≠i} exp(sim_ia) (the diagonal left out).
///
/// # Shapes
/// - `sim`: `[M, M]` → `[M]`
fn logsumexp_off_diagonal(sim: &Tensor) -> Tensor {
    let m = sim.size()[0];
    let eye = Tensor::eye(m, (Kind::Bool, sim.device()));
    sim.masked_fill(&eye, f64::NEG_INFINITY).logsumexp([1], false)
}

/// The SupCon term of every anchor.
///
/// # Shapes
/// - `z`: `[B, D]` (L2-normalised), `labels`: `[B]` (int64) → `[B]`
pub fn supcon_per_anchor(z: &Tensor, labels: &Tensor, temperature: f64) -> Tensor {
    let b = z.size()[0];
    let sim = z.matmul(&z.tr()) / temperature; // [B, B]
    let log_prob = &sim - logsumexp_off_diagonal(&sim).unsqueeze(1);
    let eye = Tensor::eye(b, (Kind::Bool, z.device()));
    let positive = labels.unsqueeze(1).eq_tensor(&labels.unsqueeze(0)).logical_and(&eye.logical_not());
    let positive = positive.to_kind(z.kind());
    let count = positive.sum_dim_intlist(1, false, z.kind());
    -(positive * log_prob).sum_dim_intlist(1, false, z.kind()) / count.clamp_min(1.0)
}

/// The NT-Xent term of every view.
///
/// # Shapes
/// - `z1`, `z2`: `[N, D]` (L2-normalised; row k of each is a view of event k) → `[2N]`
///   (views of `z1` first)
pub fn nt_xent_per_view(z1: &Tensor, z2: &Tensor, temperature: f64) -> Tensor {
    let n = z1.size()[0];
    let z = Tensor::cat(&[z1, z2], 0); // [2N, D]
    let sim = z.matmul(&z.tr()) / temperature;
    let partner = Tensor::cat(
        &[Tensor::arange_start(n, 2 * n, (Kind::Int64, z.device())), Tensor::arange(n, (Kind::Int64, z.device()))],
        0,
    );
    let positive = sim.gather(1, &partner.unsqueeze(1), false).squeeze_dim(1);
    logsumexp_off_diagonal(&sim) - positive
}

/// Rows scaled to unit L2 norm (norm floored at 1e-12, as `torch.nn.functional.normalize`).
///
/// # Shapes
/// - `z`: `[B, D]` → `[B, D]`
pub fn l2_normalize(z: &Tensor) -> Tensor {
    z / z.norm_scalaropt_dim(2.0, [1], true).clamp_min(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    /// The SupCon term by the defining double sum.
    fn supcon_loops(z: &[Vec<f64>], labels: &[i64], tau: f64) -> Vec<f64> {
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / tau;
        (0..z.len())
            .map(|i| {
                let denom: f64 = (0..z.len()).filter(|&a| a != i).map(|a| dot(&z[i], &z[a]).exp()).sum();
                let pos: Vec<usize> = (0..z.len()).filter(|&p| p != i && labels[p] == labels[i]).collect();
                if pos.is_empty() {
                    return 0.0;
                }
                -pos.iter().map(|&p| (dot(&z[i], &z[p]).exp() / denom).ln()).sum::<f64>() / pos.len() as f64
            })
            .collect()
    }

    fn rows(t: &Tensor) -> Vec<Vec<f64>> {
        let n = t.size()[0];
        (0..n).map(|i| Vec::<f64>::try_from(t.get(i)).unwrap_or_default()).collect()
    }

    #[test]
    fn supcon_matches_the_definition_including_anchors_without_positives() {
        tch::manual_seed(1);
        let z = l2_normalize(&Tensor::randn([6, 3], F64));
        let labels = Tensor::from_slice(&[0i64, 1, 0, 2, 1, 0]); // label 2 has no positive
        let got: Vec<f64> = supcon_per_anchor(&z, &labels, 0.5).try_into().unwrap_or_default();
        let want = supcon_loops(&rows(&z), &[0, 1, 0, 2, 1, 0], 0.5);
        assert_eq!(got[3], 0.0);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn nt_xent_is_supcon_with_the_other_view_as_the_only_positive() {
        tch::manual_seed(2);
        let z1 = l2_normalize(&Tensor::randn([4, 5], F64));
        let z2 = l2_normalize(&Tensor::randn([4, 5], F64));
        let got = nt_xent_per_view(&z1, &z2, 0.07);
        let labels = Tensor::arange(4, (Kind::Int64, Device::Cpu)).repeat([2]);
        let want = supcon_per_anchor(&Tensor::cat(&[&z1, &z2], 0), &labels, 0.07);
        assert!((got - want).abs().max().double_value(&[]) < 1e-10);
    }

    #[test]
    fn identical_views_far_from_the_rest_give_a_small_loss() {
        let z = l2_normalize(&Tensor::eye(3, F64));
        let l = nt_xent_per_view(&z, &z, 0.1);
        // exp(10)/(exp(10) + 4 exp(0)) per view.
        let want = -(10f64.exp() / (10f64.exp() + 4.0)).ln();
        assert!((l - want).abs().max().double_value(&[]) < 1e-12);
    }
}
