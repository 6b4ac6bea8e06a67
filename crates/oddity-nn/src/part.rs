//! The Particle Transformer (physics-spec §6.2; arXiv 2202.03772, weaver-core's
//! `ParticleTransformer`), with the pair-interaction bias and the Standard-Model channel as an
//! extra pair input (ParT+SM, arXiv 2211.05143).
//!
//! Data flow (B events, P tokens trimmed per batch to the longest event, F token features,
//! C pair channels, E = d_model, H heads):
//! 1. **Embed**: BatchNorm over F with statistics over real tokens only (*project choice*),
//!    then [LayerNorm → Linear → GELU] per embed width; multiplied by the mask.
//! 2. **PairEmbed**: BatchNorm over C, then [Linear over channels (a 1×1 convolution) →
//!    BatchNorm → GELU] per width, the last width being H; computed for the pairs i ≤ j of
//!    real tokens only (*project choice*, consistent with the embedding; weaver includes padded
//!    pairs in the statistics) and mirrored: U `[B, H, P, P]`, 0 on pairs with padding.
//! 3. **Particle blocks** (pre-LN): a = MHA(LN(x); bias U; key mask) with a learnable scale
//!    per head (init 1) applied to each head's output before the output projection (NormFormer's
//!    HeadScale; weaver applies it after the projection through a transposing `einsum`, which
//!    permutes channels: not reproduced); LN; dropout; x = x + a; then
//!    h = LN(x) → Linear(E→4E) → GELU → dropout → LN(4E) → Linear(4E→E) → dropout;
//!    x = w ⊙ x + h with a learnable per-channel w (init 1).
//! 4. **Class blocks** (CaiT): u = LN([c; x]); a = MHA(query c, keys and values u, key mask with
//!    c real), no pair bias; then as above.
//! 5. **Head**: z = LN(c) + Aux(MET) with Aux = Linear(2→32) → GELU → Linear(32→32) → GELU →
//!    Linear(32→E); FC widths [Linear → ReLU → dropout]; Linear → out.
//!
//! Masking uses an additive float mask of −1e9 on padded keys inside
//! `scaled_dot_product_attention`, so a row whose keys are all padded stays finite; the
//! attention output of events without any real token is set to 0 (physics-spec §6.2).
//!
//! Tensor names follow the module tree (see `docs/nn-weights.md`), e.g. `embed.bn.weight`,
//! `embed.layers.0.norm.weight`, `blocks.3.attn.in_proj_weight`, `cls_token`.

use serde::{Deserialize, Serialize};
use tch::nn::{self, ModuleT};
use tch::{Device, Kind, Tensor};

use crate::dropout::dropout;

/// Additive mask value for padded keys (finite, so fully masked rows cannot give NaN).
const MASKED: f64 = -1e9;

/// ParT hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartConfig {
    /// F, features per token (12: 4 continuous + one-hot of width 8).
    pub input_dim: i64,
    /// C, pair channels (0: no pair input, the plain ParT).
    pub pair_input_dim: i64,
    /// Auxiliary inputs (2: ln MET, φ_MET; 0: none).
    pub aux_dim: i64,
    pub embed_dims: Vec<i64>,
    pub pair_embed_dims: Vec<i64>,
    pub num_heads: i64,
    pub num_layers: usize,
    pub num_cls_layers: usize,
    pub fc_dims: Vec<i64>,
    pub aux_dims: Vec<i64>,
    /// FFN hidden width = ffn_ratio × E.
    pub ffn_ratio: i64,
    /// Dropout after attention and FFN in particle blocks.
    pub dropout: f64,
    pub attn_dropout: f64,
    pub activation_dropout: f64,
    /// Dropout after each FC layer of the head.
    pub fc_dropout: f64,
    pub out_dim: i64,
    /// Biases, affine norms and a learnable class token. `false` is the DeepSVDD network
    /// (physics-spec §7.1): no bias anywhere, norms without affine parameters, the class token
    /// a frozen zero vector, and (checked) no dropout.
    pub bias: bool,
}

impl Default for PartConfig {
    fn default() -> Self {
        Self::full()
    }
}

impl PartConfig {
    /// The DDD study's ParT (seed 001 Table 3), pair features (ln Δ, ln m²) and SM channel:
    /// about 2.1 M parameters.
    pub fn full() -> Self {
        Self {
            input_dim: 12,
            pair_input_dim: 3,
            aux_dim: 2,
            embed_dims: vec![128, 512, 128],
            pair_embed_dims: vec![64, 64, 64],
            num_heads: 8,
            num_layers: 8,
            num_cls_layers: 2,
            fc_dims: vec![64, 256, 64],
            aux_dims: vec![32, 32],
            ffn_ratio: 4,
            dropout: 0.1,
            attn_dropout: 0.1,
            activation_dropout: 0.1,
            fc_dropout: 0.1,
            out_dim: 1,
            bias: true,
        }
    }

    /// A small model for tests and quick runs (same structure, a few thousand parameters).
    pub fn small() -> Self {
        Self {
            embed_dims: vec![16, 32, 16],
            pair_embed_dims: vec![8, 8],
            num_heads: 2,
            num_layers: 2,
            num_cls_layers: 1,
            fc_dims: vec![16],
            aux_dims: vec![8],
            ..Self::full()
        }
    }

    /// E, the model width (the last embed width).
    pub fn d_model(&self) -> i64 {
        *self.embed_dims.last().expect("at least one embed width")
    }

    /// Checks widths and heads.
    pub fn validate(&self) -> Result<(), String> {
        if self.embed_dims.is_empty() {
            return Err("embed_dims must not be empty".into());
        }
        if self.num_heads < 1 || self.d_model() % self.num_heads != 0 {
            return Err(format!("d_model {} must be a multiple of num_heads {}", self.d_model(), self.num_heads));
        }
        if self.input_dim < 1 || self.out_dim < 1 || self.pair_input_dim < 0 || self.aux_dim < 0 {
            return Err("input_dim and out_dim must be >= 1, pair_input_dim and aux_dim >= 0".into());
        }
        let dropouts = [self.dropout, self.attn_dropout, self.activation_dropout, self.fc_dropout];
        if !self.bias && dropouts.iter().any(|&d| d != 0.0) {
            return Err("the bias-free (DeepSVDD) network must not use dropout".into());
        }
        Ok(())
    }

    /// The DeepSVDD variant of `self`: bias-free, non-affine norms, frozen zero class token,
    /// no dropout, `rep_dim` outputs.
    pub fn deep_svdd(&self, rep_dim: i64) -> Self {
        Self {
            bias: false,
            dropout: 0.0,
            attn_dropout: 0.0,
            activation_dropout: 0.0,
            fc_dropout: 0.0,
            out_dim: rep_dim,
            ..self.clone()
        }
    }
}

/// Builds layers with or without biases and affine parameters.
#[derive(Debug, Clone, Copy)]
struct Make {
    bias: bool,
}

impl Make {
    fn linear(self, p: nn::Path<'_>, i: i64, o: i64) -> nn::Linear {
        nn::linear(p, i, o, nn::LinearConfig { bias: self.bias, ..Default::default() })
    }

    fn layer_norm(self, p: nn::Path<'_>, d: i64) -> nn::LayerNorm {
        nn::layer_norm(p, vec![d], nn::LayerNormConfig { elementwise_affine: self.bias, ..Default::default() })
    }

    fn batch_norm(self, p: nn::Path<'_>, d: i64) -> nn::BatchNorm {
        nn::batch_norm1d(p, d, nn::BatchNormConfig { affine: self.bias, ..Default::default() })
    }
}

/// LayerNorm → Linear → GELU.
#[derive(Debug)]
struct EmbedLayer {
    norm: nn::LayerNorm,
    linear: nn::Linear,
}

#[derive(Debug)]
struct Embed {
    bn: nn::BatchNorm,
    layers: Vec<EmbedLayer>,
}

impl Embed {
    fn new(p: &nn::Path<'_>, input_dim: i64, dims: &[i64], make: Make) -> Self {
        let mut d = input_dim;
        let layers = dims
            .iter()
            .enumerate()
            .map(|(k, &w)| {
                let q = p / "layers" / k;
                let l = EmbedLayer { norm: make.layer_norm(&q / "norm", d), linear: make.linear(&q / "linear", d, w) };
                d = w;
                l
            })
            .collect();
        Self { bn: make.batch_norm(p / "bn", input_dim), layers }
    }

    /// # Shapes
    /// - `x`: `[B, P, F]`, `mask`: `[B, P]` → `[B, P, E]`
    fn forward_t(&self, x: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        let (b, p, f) = x.size3().expect("x is [B, P, F]");
        let flat = x.reshape([b * p, f]);
        let idx = mask.reshape([b * p]).nonzero().squeeze_dim(1);
        let normed = batch_norm_rows(&self.bn, &flat.index_select(0, &idx), train);
        let mut h = flat.zeros_like().index_copy(0, &idx, &normed).reshape([b, p, f]);
        for l in &self.layers {
            h = h.apply(&l.norm).apply(&l.linear).gelu("none");
        }
        h * mask.unsqueeze(-1)
    }
}

/// BatchNorm over the rows of `x` `[N, C]`; with fewer than two rows in training (where batch
/// statistics are undefined) the running statistics are used.
fn batch_norm_rows(bn: &nn::BatchNorm, x: &Tensor, train: bool) -> Tensor {
    let rows = x.size()[0];
    if rows == 0 {
        return x.shallow_clone();
    }
    bn.forward_t(x, train && rows > 1)
}

/// Linear over channels → BatchNorm → GELU.
#[derive(Debug)]
struct PairLayer {
    linear: nn::Linear,
    bn: nn::BatchNorm,
}

#[derive(Debug)]
struct PairEmbed {
    bn: nn::BatchNorm,
    layers: Vec<PairLayer>,
}

impl PairEmbed {
    fn new(p: &nn::Path<'_>, input_dim: i64, dims: &[i64], heads: i64, make: Make) -> Self {
        let mut d = input_dim;
        let layers = dims
            .iter()
            .chain(std::iter::once(&heads))
            .enumerate()
            .map(|(k, &w)| {
                let q = p / "layers" / k;
                let l = PairLayer { linear: make.linear(&q / "linear", d, w), bn: make.batch_norm(&q / "bn", w) };
                d = w;
                l
            })
            .collect();
        Self { bn: make.batch_norm(p / "bn", input_dim), layers }
    }

    /// # Shapes
    /// - `pairs`: `[B, C, P, P]`, `mask`: `[B, P]` → U `[B, H, P, P]`
    fn forward_t(&self, pairs: &Tensor, mask: &Tensor, heads: i64, train: bool) -> Tensor {
        let (b, c, p, _) = pairs.size4().expect("pairs is [B, C, P, P]");
        let upper = Tensor::ones([p, p], (Kind::Float, pairs.device())).triu(0);
        let keep = mask.unsqueeze(2) * mask.unsqueeze(1) * upper; // [B, P, P]
        let idx = keep.reshape([b * p * p]).nonzero().squeeze_dim(1);
        let rows = pairs.permute([0, 2, 3, 1]).reshape([b * p * p, c]).index_select(0, &idx);
        let mut h = batch_norm_rows(&self.bn, &rows, train);
        for l in &self.layers {
            h = batch_norm_rows(&l.bn, &h.apply(&l.linear), train).gelu("none");
        }
        // Mirror (i, j) to (j, i): flat index e·P² + i·P + j ↦ e·P² + j·P + i.
        let pp = p * p;
        let (event, rem) = (idx.divide_scalar_mode(pp, "floor"), idx.remainder(pp));
        let (i, j) = (rem.divide_scalar_mode(p, "floor"), rem.remainder(p));
        let mirror = event * pp + j * p + i;
        let zeros = Tensor::zeros([b * pp, heads], (h.kind(), h.device()));
        let u = zeros.index_copy(0, &idx, &h).index_copy(0, &mirror, &h);
        u.reshape([b, p, p, heads]).permute([0, 3, 1, 2])
    }
}

/// Multi-head attention with PyTorch's parameter layout (`in_proj_weight` `[3E, E]`,
/// `in_proj_bias`, `out_proj`) and a learnable scale per head.
#[derive(Debug)]
struct Attention {
    in_proj_weight: Tensor,
    in_proj_bias: Option<Tensor>,
    head_scale: Tensor,
    out_proj: nn::Linear,
    heads: i64,
}

impl Attention {
    fn new(p: &nn::Path<'_>, e: i64, heads: i64, make: Make) -> Self {
        Self {
            in_proj_weight: p.var("in_proj_weight", &[3 * e, e], nn::init::DEFAULT_KAIMING_UNIFORM),
            in_proj_bias: make.bias.then(|| p.zeros("in_proj_bias", &[3 * e])),
            head_scale: p.ones("head_scale", &[heads]),
            out_proj: make.linear(p / "out_proj", e, e),
            heads,
        }
    }

    /// `[B, N, E]` → `[B, H, N, d]`.
    fn split(&self, x: &Tensor) -> Tensor {
        let (b, n, e) = x.size3().expect("[B, N, E]");
        x.reshape([b, n, self.heads, e / self.heads]).transpose(1, 2)
    }

    /// # Shapes
    /// - `query`: `[B, Q, E]`, `kv`: `[B, N, E]`, `bias`: broadcastable to `[B, H, Q, N]`
    ///   (pair bias plus key mask) → `[B, Q, E]`
    fn forward_t(&self, query: &Tensor, kv: &Tensor, bias: &Tensor, dropout: f64, train: bool) -> Tensor {
        let e = query.size()[2];
        let w = self.in_proj_weight.split(e, 0);
        let bq = self.in_proj_bias.as_ref().map(|b| b.split(e, 0));
        let proj_bias = |i: usize| bq.as_ref().map(|b| &b[i]);
        let q = self.split(&query.linear(&w[0], proj_bias(0)));
        let k = self.split(&kv.linear(&w[1], proj_bias(1)));
        let v = self.split(&kv.linear(&w[2], proj_bias(2)));
        let a = if train && dropout > 0.0 && q.device() == Device::Cpu {
            // What SDPA's math path computes, with Oddity's dropout mask (crate::dropout).
            let scale = 1.0 / (q.size()[3] as f64).sqrt();
            let w = (q.matmul(&k.transpose(-2, -1)) * scale + bias).softmax(-1, q.kind());
            crate::dropout::dropout(&w, dropout, train).matmul(&v)
        } else {
            let p = if train { dropout } else { 0.0 };
            Tensor::scaled_dot_product_attention(&q, &k, &v, Some(bias), p, false, None, false)
        };
        let a = a * self.head_scale.reshape([1, self.heads, 1, 1]);
        let (b, h, n, d) = a.size4().expect("[B, H, Q, d]");
        a.transpose(1, 2).reshape([b, n, h * d]).apply(&self.out_proj)
    }
}

/// A particle-attention or class-attention block.
#[derive(Debug)]
struct Block {
    pre_attn_norm: nn::LayerNorm,
    attn: Attention,
    post_attn_norm: nn::LayerNorm,
    pre_fc_norm: nn::LayerNorm,
    fc1: nn::Linear,
    act_norm: nn::LayerNorm,
    fc2: nn::Linear,
    w_resid: Tensor,
    dropout: f64,
    attn_dropout: f64,
    activation_dropout: f64,
}

impl Block {
    fn new(p: &nn::Path<'_>, e: i64, heads: i64, ffn: i64, dropouts: (f64, f64, f64), make: Make) -> Self {
        let ln = |name: &str, d: i64| make.layer_norm(p / name, d);
        Self {
            pre_attn_norm: ln("pre_attn_norm", e),
            attn: Attention::new(&(p / "attn"), e, heads, make),
            post_attn_norm: ln("post_attn_norm", e),
            pre_fc_norm: ln("pre_fc_norm", e),
            fc1: make.linear(p / "fc1", e, ffn),
            act_norm: ln("act_norm", ffn),
            fc2: make.linear(p / "fc2", ffn, e),
            w_resid: p.ones("w_resid", &[e]),
            dropout: dropouts.0,
            attn_dropout: dropouts.1,
            activation_dropout: dropouts.2,
        }
    }

    /// FFN with the learnable residual weight: x ← w ⊙ x + FFN(LN(x)).
    fn ffn(&self, x: &Tensor, train: bool) -> Tensor {
        let h = x.apply(&self.pre_fc_norm).apply(&self.fc1).gelu("none");
        let h = dropout(&h, self.activation_dropout, train);
        let h = dropout(&h.apply(&self.act_norm).apply(&self.fc2), self.dropout, train);
        x * &self.w_resid + h
    }

    /// Particle attention. `bias`: `[B, H or 1, P, P]` (pair bias + key mask); `alive`:
    /// `[B, 1, 1]`, 0 for events without real tokens.
    fn forward_particles(&self, x: &Tensor, bias: &Tensor, alive: &Tensor, train: bool) -> Tensor {
        let u = x.apply(&self.pre_attn_norm);
        let a = self.attn.forward_t(&u, &u, bias, self.attn_dropout, train) * alive;
        let a = dropout(&a.apply(&self.post_attn_norm), self.dropout, train);
        self.ffn(&(x + a), train)
    }

    /// Class attention: `cls` `[B, 1, E]`, `x` `[B, P, E]`, `key_bias` `[B, 1, 1, 1 + P]`.
    fn forward_class(&self, cls: &Tensor, x: &Tensor, key_bias: &Tensor, train: bool) -> Tensor {
        let u = Tensor::cat(&[cls, x], 1).apply(&self.pre_attn_norm);
        let a = self.attn.forward_t(cls, &u, key_bias, self.attn_dropout, train);
        let a = dropout(&a.apply(&self.post_attn_norm), self.dropout, train);
        self.ffn(&(cls + a), train)
    }
}

/// The inputs of one batch.
#[derive(Debug)]
pub struct PartInput<'a> {
    /// `[B, P, F]` token features.
    pub x: &'a Tensor,
    /// `[B, P]`, 1 for real tokens (real tokens first), 0 for padding.
    pub mask: &'a Tensor,
    /// `[B, C, P, P]` pair features, when the model has pair input.
    pub pairs: Option<&'a Tensor>,
    /// `[B, aux_dim]`, when the model has auxiliary input.
    pub aux: Option<&'a Tensor>,
}

/// The Particle Transformer.
#[derive(Debug)]
pub struct ParticleTransformer {
    config: PartConfig,
    embed: Embed,
    pair_embed: Option<PairEmbed>,
    blocks: Vec<Block>,
    cls_blocks: Vec<Block>,
    cls_token: Tensor,
    norm: nn::LayerNorm,
    aux: Vec<nn::Linear>,
    fc: Vec<nn::Linear>,
    out: nn::Linear,
}

impl ParticleTransformer {
    /// Creates the parameters under `path`.
    ///
    /// # Panics
    /// If the configuration does not validate ([`PartConfig::validate`]).
    pub fn new(path: &nn::Path<'_>, config: &PartConfig) -> Self {
        if let Err(e) = config.validate() {
            panic!("invalid ParT configuration: {e}");
        }
        let c = config;
        let e = c.d_model();
        let ffn = c.ffn_ratio * e;
        let make = Make { bias: c.bias };
        let blocks = (0..c.num_layers)
            .map(|k| {
                Block::new(
                    &(path / "blocks" / k),
                    e,
                    c.num_heads,
                    ffn,
                    (c.dropout, c.attn_dropout, c.activation_dropout),
                    make,
                )
            })
            .collect();
        let cls_blocks = (0..c.num_cls_layers)
            .map(|k| Block::new(&(path / "cls_blocks" / k), e, c.num_heads, ffn, (0.0, 0.0, 0.0), make))
            .collect();
        let chain = |p: nn::Path<'_>, input: i64, dims: &[i64]| -> Vec<nn::Linear> {
            let mut d = input;
            dims.iter()
                .enumerate()
                .map(|(k, &w)| {
                    let l = make.linear(&p / k, d, w);
                    d = w;
                    l
                })
                .collect()
        };
        let aux = if c.aux_dim > 0 {
            let dims: Vec<i64> = c.aux_dims.iter().copied().chain(std::iter::once(e)).collect();
            chain(path / "aux", c.aux_dim, &dims)
        } else {
            Vec::new()
        };
        let fc = chain(path / "fc", e, &c.fc_dims);
        let last = c.fc_dims.last().copied().unwrap_or(e);
        Self {
            config: c.clone(),
            embed: Embed::new(&(path / "embed"), c.input_dim, &c.embed_dims, make),
            pair_embed: (c.pair_input_dim > 0).then(|| {
                PairEmbed::new(&(path / "pair_embed"), c.pair_input_dim, &c.pair_embed_dims, c.num_heads, make)
            }),
            blocks,
            cls_blocks,
            // A trainable class token is a constant input that lets a DeepSVDD head map every
            // event to the centre: frozen at zero without biases (physics-spec §7.1).
            cls_token: if c.bias {
                path.var("cls_token", &[1, 1, e], nn::Init::Randn { mean: 0.0, stdev: 0.02 })
            } else {
                path.zeros_no_train("cls_token", &[1, 1, e])
            },
            norm: make.layer_norm(path / "norm", e),
            aux,
            fc,
            out: make.linear(path / "out", last, c.out_dim),
        }
    }

    pub fn config(&self) -> &PartConfig {
        &self.config
    }

    /// # Shapes
    /// - inputs as in [`PartInput`] → `[B, out_dim]`
    ///
    /// # Panics
    /// If pair or auxiliary input is missing while the model expects it, or given while it
    /// does not.
    pub fn forward_t(&self, input: &PartInput<'_>, train: bool) -> Tensor {
        let c = &self.config;
        assert_eq!(input.pairs.is_some(), self.pair_embed.is_some(), "pair input given iff pair_input_dim > 0");
        assert_eq!(input.aux.is_some(), c.aux_dim > 0, "auxiliary input given iff aux_dim > 0");
        // Trim the padding to the longest event of the batch (at least one slot).
        let longest = input.mask.sum_dim_intlist(1, false, Kind::Float).max().int64_value(&[]).max(1);
        let mask = input.mask.narrow(1, 0, longest).to_kind(Kind::Float);
        let x = input.x.narrow(1, 0, longest);
        let b = x.size()[0];

        let mut h = self.embed.forward_t(&x, &mask, train);
        // 0 for real keys, MASKED for padded ones: [B, 1, 1, P].
        let key_bias = ((&mask - 1.0) * (-MASKED)).reshape([b, 1, 1, longest]);
        let bias = match (&self.pair_embed, input.pairs) {
            (Some(pe), Some(pairs)) => {
                let pairs = pairs.narrow(2, 0, longest).narrow(3, 0, longest);
                pe.forward_t(&pairs, &mask, c.num_heads, train) + &key_bias
            }
            _ => key_bias.shallow_clone(),
        };
        let alive = mask.sum_dim_intlist(1, false, Kind::Float).gt(0.0).to_kind(Kind::Float).reshape([b, 1, 1]);
        for block in &self.blocks {
            h = block.forward_particles(&h, &bias, &alive, train);
        }
        let mut cls = self.cls_token.expand([b, 1, c.d_model()], true);
        let cls_key_bias = Tensor::cat(&[&Tensor::zeros([b, 1, 1, 1], (Kind::Float, x.device())), &key_bias], 3);
        for block in &self.cls_blocks {
            cls = block.forward_class(&cls, &h, &cls_key_bias, train);
        }
        let mut z = cls.squeeze_dim(1).apply(&self.norm);
        if let Some(aux) = input.aux {
            let mut a = aux.shallow_clone();
            for (k, l) in self.aux.iter().enumerate() {
                a = a.apply(l);
                if k + 1 < self.aux.len() {
                    a = a.gelu("none");
                }
            }
            z += a;
        }
        for l in &self.fc {
            z = dropout(&z.apply(l).relu(), c.fc_dropout, train);
        }
        z.apply(&self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The explicit attention that carries Oddity's dropout on CPU equals SDPA when (almost)
    /// nothing is dropped: same scaling, bias and masking.
    #[test]
    fn explicit_attention_equals_sdpa() {
        tch::manual_seed(4);
        let vs = nn::VarStore::new(Device::Cpu);
        let attn = Attention::new(&vs.root(), 16, 2, Make { bias: true });
        let x = Tensor::randn([3, 5, 16], (Kind::Float, Device::Cpu));
        let bias = Tensor::randn([3, 2, 5, 5], (Kind::Float, Device::Cpu));
        let _ = bias.narrow(3, 4, 1).fill_(MASKED);
        let sdpa = attn.forward_t(&x, &x, &bias, 0.0, true);
        let explicit = attn.forward_t(&x, &x, &bias, 1e-12, true);
        let diff = (&sdpa - &explicit).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "max |SDPA - explicit| = {diff}");
    }
}
