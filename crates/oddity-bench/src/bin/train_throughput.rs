//! Training throughput of Oddity's neural engine (oddity-nn on libtorch), CPU or CUDA:
//! events/s for one optimisation step (zero_grad + forward + loss + backward + Adam step). The
//! PyTorch counterpart with the same shapes is `bench/python/train_torch.py`; `bench/train.sh`
//! runs both.
//!
//! ```text
//! train_throughput [--models mlp,part-small,part-full] [--threads 2] [--warmup 3]
//!                  [--repeats 3] [--secs 4] [--steps N] [--batch MODEL=B]
//!                  [--device cpu|cuda|cuda:N] [--json OUT]
//! ```
//!
//! On CUDA the inputs are drawn on the CPU (the same draws as in a CPU run) and moved to the
//! device once; a timed run ends with a synchronisation (reading the last loss), and the
//! per-phase times are not taken (they would need a synchronisation per phase, which removes
//! the overlap of CPU and GPU that eager training relies on).
//!
//! | model | network | batch | loss | Adam lr |
//! |---|---|---|---|---|
//! | `mlp` | DeepSVDD-like `Mlp` 72 → 16 → 8 → 8, no bias, BatchNorm without affine | 1024 | mean squared distance to a fixed centre | 1e-3 |
//! | `part-small` | `PartConfig::small()`, pairs C = 3, aux 2 | 512 | BCE with logits, random labels | 1e-4 |
//! | `part-full` | `PartConfig::full()` (≈ 2.19 M parameters), pairs C = 3, aux 2 | 256 | BCE with logits, random labels | 1e-4 |
//!
//! ParT inputs have P = 20 token slots with real-token counts uniform in 3..=20 (real tokens
//! first); dropout as in the presets (train mode). Inputs are generated once (a pool of
//! `--pool` batches, cycled) from libtorch's generator seeded with 7, with the same draws as
//! the Python script, so both sides train on identical inputs (`input_checksum` in the JSON). After `--warmup` untimed steps, `--repeats` runs of N steps are
//! timed (N from `--steps`, or chosen from the fastest warm-up step so that a run lasts about
//! `--secs` s); the median run gives events/s and ms/step, and the per-phase times (zero_grad,
//! forward + loss, backward, optimizer step) of that run are printed as a cheap profile.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use oddity_nn::optim::{Adam, AdamConfig};
use oddity_nn::{Mlp, MlpConfig, PartConfig, PartInput, ParticleTransformer};
use tch::nn::VarStore;
use tch::{Device, Kind, Reduction, Tensor};

/// Token slots of the ParT inputs.
const P: i64 = 20;
/// Benchmarked models, in output order.
const ALL: [&str; 3] = ["mlp", "part-small", "part-full"];
/// Seed of the input draws (the same in train_torch.py).
const DATA_SEED: i64 = 7;
/// Phase names, in step order.
const PHASES: [&str; 4] = ["zero_grad", "forward", "backward", "step"];

#[derive(Debug, Parser)]
#[command(about = "Training throughput (forward + backward + Adam step) of oddity-nn models on CPU or CUDA")]
struct Args {
    /// Comma-separated subset of mlp, part-small, part-full.
    #[arg(long, value_delimiter = ',', default_values_t = ALL.map(String::from))]
    models: Vec<String>,
    /// Batch size override, MODEL=B (default mlp=1024, part-small=512, part-full=256).
    #[arg(long)]
    batch: Vec<String>,
    /// libtorch intra-op threads.
    #[arg(long, default_value_t = 2)]
    threads: i32,
    /// Untimed steps before the timed runs.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed runs per model (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Target seconds per timed run (sets the number of steps).
    #[arg(long, default_value_t = 4.0)]
    secs: f64,
    /// Fixed steps per timed run (overrides --secs).
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long, default_value_t = 5)]
    min_steps: usize,
    #[arg(long, default_value_t = 100_000)]
    max_steps: usize,
    /// Distinct input batches, cycled.
    #[arg(long, default_value_t = 8)]
    pool: usize,
    /// Device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// A network under test.
enum Net {
    Mlp(Mlp),
    Part(Box<ParticleTransformer>),
}

/// One input batch.
enum Batch {
    Mlp { x: Tensor },
    Part { x: Tensor, mask: Tensor, pairs: Tensor, aux: Tensor, labels: Tensor },
}

impl Batch {
    /// The batch on `device`.
    fn to(&self, device: Device) -> Self {
        match self {
            Batch::Mlp { x } => Batch::Mlp { x: x.to(device) },
            Batch::Part { x, mask, pairs, aux, labels } => Batch::Part {
                x: x.to(device),
                mask: mask.to(device),
                pairs: pairs.to(device),
                aux: aux.to(device),
                labels: labels.to(device),
            },
        }
    }
}

fn default_batch(name: &str) -> i64 {
    match name {
        "mlp" => 1024,
        "part-small" => 512,
        _ => 256,
    }
}

/// The network `name` under `vs` and its learning rate.
fn make_net(name: &str, vs: &VarStore) -> anyhow::Result<(Net, f64)> {
    Ok(match name {
        "mlp" => {
            let config = MlpConfig {
                input_dim: 72,
                hidden: vec![16, 8],
                out_dim: 8,
                bias: false,
                batchnorm_affine: false,
                ..MlpConfig::default()
            };
            (Net::Mlp(Mlp::new(&vs.root(), &config)), 1e-3)
        }
        "part-small" => (Net::Part(Box::new(ParticleTransformer::new(&vs.root(), &PartConfig::small()))), 1e-4),
        "part-full" => (Net::Part(Box::new(ParticleTransformer::new(&vs.root(), &PartConfig::full()))), 1e-4),
        other => bail!("unknown model '{other}' (expected one of {})", ALL.join(", ")),
    })
}

/// One random batch of `b` events for `net`.
fn make_batch(net: &Net, b: i64) -> Batch {
    let opts = (Kind::Float, Device::Cpu);
    match net {
        Net::Mlp(_) => Batch::Mlp { x: Tensor::randn([b, 72], opts) },
        Net::Part(_) => {
            let counts = Tensor::randint_low(3, P + 1, [b], (Kind::Int64, Device::Cpu));
            let mask = Tensor::arange(P, (Kind::Int64, Device::Cpu))
                .unsqueeze(0)
                .lt_tensor(&counts.unsqueeze(1))
                .to_kind(Kind::Float);
            let x = Tensor::randn([b, P, 12], opts) * mask.unsqueeze(-1);
            let pairs = Tensor::randn([b, 3, P, P], opts);
            let pair_mask = (mask.unsqueeze(2) * mask.unsqueeze(1)).unsqueeze(1);
            let pairs = (&pairs + pairs.transpose(2, 3)) / 2.0 * pair_mask;
            let aux = Tensor::randn([b, 2], opts);
            let labels = Tensor::randint(2, [b, 1], (Kind::Int64, Device::Cpu)).to_kind(Kind::Float);
            Batch::Part { x, mask, pairs, aux, labels }
        }
    }
}

/// Forward pass and loss.
fn forward_loss(net: &Net, batch: &Batch, centre: &Tensor) -> Tensor {
    match (net, batch) {
        (Net::Mlp(m), Batch::Mlp { x }) => {
            (m.forward_t(x, true) - centre).square().sum_dim_intlist(1, false, Kind::Float).mean(Kind::Float)
        }
        (Net::Part(m), Batch::Part { x, mask, pairs, aux, labels }) => {
            let input = PartInput { x, mask, pairs: Some(pairs), aux: Some(aux) };
            m.forward_t(&input, true).binary_cross_entropy_with_logits::<Tensor>(labels, None, None, Reduction::Mean)
        }
        _ => unreachable!("batch made for this network"),
    }
}

/// Median of `t` (not empty).
fn median(t: &[f64]) -> f64 {
    let mut s = t.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { 0.5 * (s[n / 2 - 1] + s[n / 2]) }
}

fn bench(name: &str, b: i64, device: Device, args: &Args) -> anyhow::Result<serde_json::Value> {
    tch::manual_seed(2026);
    // Built on the CPU and moved, so that the initial weights are the CPU ones.
    let mut vs = VarStore::new(Device::Cpu);
    let (net, lr) = make_net(name, &vs)?;
    vs.set_device(device);
    let params: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
    let mut opt = Adam::new(&vs, AdamConfig { lr, ..AdamConfig::default() });
    // Reseeded so that the inputs equal those of train_torch.py (same generator, same draws).
    tch::manual_seed(DATA_SEED);
    let batches: Vec<Batch> = (0..args.pool.max(1)).map(|_| make_batch(&net, b)).collect();
    let centre = Tensor::randn([8], (Kind::Float, Device::Cpu)).to(device);
    let checksum: f64 = batches
        .iter()
        .map(|x| match x {
            Batch::Mlp { x } | Batch::Part { x, .. } => x.sum(Kind::Double).double_value(&[]),
        })
        .sum();
    // Mean real tokens per event and the longest event over the pool (ParT only).
    let tokens: Option<(f64, i64)> = match &batches[0] {
        Batch::Mlp { .. } => None,
        Batch::Part { .. } => {
            let counts: Vec<Tensor> = batches
                .iter()
                .filter_map(|x| match x {
                    Batch::Part { mask, .. } => Some(mask.sum_dim_intlist(1, false, Kind::Float)),
                    Batch::Mlp { .. } => None,
                })
                .collect();
            let all = Tensor::cat(&counts, 0);
            Some((all.mean(Kind::Float).double_value(&[]), all.max().int64_value(&[])))
        }
    };

    let batches: Vec<Batch> = batches.iter().map(|x| x.to(device)).collect();
    let mut phases = [0.0f64; 4];
    let mut step = |k: usize, phases: &mut [f64; 4]| -> Tensor {
        let t0 = Instant::now();
        opt.zero_grad();
        let t1 = Instant::now();
        let loss = forward_loss(&net, &batches[k % batches.len()], &centre);
        let t2 = Instant::now();
        loss.backward();
        let t3 = Instant::now();
        opt.step();
        let t4 = Instant::now();
        for (acc, (a, z)) in phases.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4)]) {
            *acc += (z - a).as_secs_f64();
        }
        loss
    };

    let mut last = f64::INFINITY; // the fastest warm-up step
    for k in 0..args.warmup {
        let t = Instant::now();
        // Reading the loss waits for the device.
        let _ = step(k, &mut phases).double_value(&[]);
        last = last.min(t.elapsed().as_secs_f64());
    }
    let steps = args.steps.unwrap_or_else(|| {
        let n = if last.is_finite() { (args.secs / last.max(1e-9)) as usize } else { args.min_steps };
        n.clamp(args.min_steps, args.max_steps.max(args.min_steps))
    });
    let mut runs: Vec<(f64, [f64; 4], f64)> = Vec::with_capacity(args.repeats);
    for _ in 0..args.repeats {
        phases = [0.0; 4];
        let t = Instant::now();
        let mut loss = Tensor::zeros([], (Kind::Float, device));
        for k in 0..steps {
            loss = step(k, &mut phases);
        }
        // Reading the loss waits for the device.
        let last_loss = loss.double_value(&[]);
        runs.push((t.elapsed().as_secs_f64(), phases, last_loss));
    }
    let times: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let med = median(&times);
    let med_run = runs.iter().min_by(|x, y| (x.0 - med).abs().total_cmp(&(y.0 - med).abs())).expect("repeats >= 1");
    let per_step = |s: f64| 1e3 * s / steps as f64;
    let events_per_s = (b as f64) * steps as f64 / med;
    let ph: Vec<f64> = med_run.1.iter().map(|&s| per_step(s)).collect();
    let on_cpu = device == Device::Cpu;
    let profile = if on_cpu {
        format!("; zero_grad {:.3} forward {:.3} backward {:.3} step {:.3} ms", ph[0], ph[1], ph[2], ph[3])
    } else {
        String::new()
    };
    println!(
        "  {name:10} batch {b:5}  {events_per_s:12.0} events/s  {:9.3} ms/step  ({steps} steps x {}, params {params}{profile})",
        per_step(med),
        args.repeats,
    );
    // Phase times are asynchronous launches on CUDA, not worth reporting.
    let phases_json: Option<serde_json::Map<String, serde_json::Value>> =
        on_cpu.then(|| PHASES.iter().zip(&ph).map(|(k, v)| ((*k).to_string(), serde_json::json!(v))).collect());
    Ok(serde_json::json!({
        "model": name,
        "device": oddity_nn::device::describe(device),
        "batch": b,
        "params": params,
        "steps": steps,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "times_s": times,
        "median_s": med,
        "events_per_s": events_per_s,
        "ms_per_step": per_step(med),
        "phases_ms_per_step": phases_json,
        "final_loss": med_run.2,
        "mean_tokens": tokens.map(|t| t.0),
        "max_tokens": tokens.map(|t| t.1),
        "input_checksum": checksum,
    }))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let device = oddity_nn::parse_device(&args.device)?;
    tch::set_num_threads(args.threads);
    tch::set_num_interop_threads(1);
    let mut batch: Vec<(String, i64)> = ALL.iter().map(|m| ((*m).to_string(), default_batch(m))).collect();
    for kv in &args.batch {
        let (k, v) = kv.split_once('=').with_context(|| format!("--batch {kv}: expected MODEL=B"))?;
        let v: i64 = v.parse().with_context(|| format!("--batch {kv}"))?;
        batch.retain(|(m, _)| m != k);
        batch.push((k.to_string(), v));
    }
    println!(
        "oddity (oddity-nn on libtorch via tch, {}), {} threads, {} interop threads, oddity-nn Adam",
        oddity_nn::device::describe(device),
        tch::get_num_threads(),
        tch::get_num_interop_threads()
    );
    let mut results = Vec::new();
    for name in &args.models {
        let b = batch.iter().find(|(m, _)| m == name).map_or_else(|| default_batch(name), |(_, b)| *b);
        results.push(bench(name, b, device, &args)?);
    }
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "tool": "oddity",
            "device": oddity_nn::device::describe(device),
            "threads": tch::get_num_threads(),
            "interop_threads": tch::get_num_interop_threads(),
            "results": results,
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("write {}", path.display()))?;
    }
    Ok(())
}
