//! `oddity features`: encode events with one of Oddity's representations and write the
//! arrays as NumPy `.npz`, for use in one's own training code (docs/features.md).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use oddity_io::npz::{NpyArray, NpyData, write_npz};
use oddity_repr::distort::{DistortConfig, distort, jes};
use oddity_repr::fixed::{FixedVector, SlotOrder, Slots};
use oddity_repr::pairs::{PairConfig, PairSet};
use oddity_repr::particles::{MetMode, ParticleSet};
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::sm::SmMode;
use oddity_repr::standardize::StandardizerFit;
use oddity_repr::{FeatureBatch, Representation};

use crate::Global;
use crate::input::{self, InputArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Representation: fixed (MLP vector), particles (ParT token set) or rmm.
    #[arg(long = "repr", value_enum)]
    pub repr: ReprArg,
    /// fixed: per-type slot counts j,b,e-,e+,m-,m+,g (default 5,5,1,1,1,1,0).
    #[arg(long, value_name = "COUNTS", conflicts_with = "any_type")]
    pub slots: Option<String>,
    /// fixed: K any-type slots instead of per-type slots (18 in the DDD authors' code).
    #[arg(long, value_name = "K")]
    pub any_type: Option<usize>,
    /// fixed with --any-type: shuffle the kept objects with this seed instead of pT order.
    #[arg(long, value_name = "SEED", requires = "any_type")]
    pub shuffle_slots: Option<u64>,
    /// particles: number of token slots P.
    #[arg(long, default_value_t = 20)]
    pub max_particles: usize,
    /// particles: MET as auxiliary input, as a token, or not at all.
    #[arg(long, value_enum, default_value_t = MetArg::Aux)]
    pub met: MetArg,
    /// particles: add pair features (ln Δ, ln m²; or all four with =part4).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "delta-mass", value_name = "SET")]
    pub pairs: Option<PairArg>,
    /// particles: Δ of the pair features from η instead of rapidity.
    #[arg(long, requires = "pairs")]
    pub pair_eta: bool,
    /// particles: add the Standard-Model interaction channel (running couplings, or =binary).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "running", value_name = "MODE")]
    pub sm_interactions: Option<SmArg>,
    /// particles: write the pair channels in weaver's dense layout `pairs [N, C, P, P]`
    /// (zero where a token is padded) instead of one row per pair of real tokens.
    #[arg(long)]
    pub dense_pairs: bool,
    /// rmm: the ATLAS (5 types x 7, 1287 cells) or ADFilter (5 x 10) layout.
    #[arg(long, value_enum, default_value_t = RmmArg::Atlas)]
    pub rmm: RmmArg,
    /// rmm: write the dense matrices `x [N, D² − excluded]` instead of the stored cells
    /// (`x`, `x_offsets`, `cells`).
    #[arg(long)]
    pub dense_rmm: bool,
    /// Apply the DDD distortion to every event before encoding, e.g. std=0.06,p=0.06.
    #[arg(long, value_name = "std=S,p=P", requires = "seed")]
    pub distort: Option<String>,
    /// Seed of the distortion.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Scale jet and b-jet energies and pT by this factor (JES variation), e.g. 1.05.
    #[arg(long, value_name = "FACTOR")]
    pub jes: Option<f64>,
    /// Fit the standardisation on the background inputs (weighted), apply it to all, and
    /// write it to OUT.preprocess.json.
    #[arg(long)]
    pub standardize: bool,
    /// Background input files (label 0).
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,
    /// Signal input files (label 1).
    #[arg(long, value_name = "FILE")]
    pub signal: Vec<PathBuf>,
    /// Output `.npz` file.
    #[arg(short, long, value_name = "OUT.npz")]
    pub output: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReprArg {
    Fixed,
    Particles,
    Rmm,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MetArg {
    Aux,
    Token,
    None,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PairArg {
    DeltaMass,
    Part4,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SmArg {
    Binary,
    Running,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RmmArg {
    Atlas,
    Adfilter,
}

/// Parses `std=S,p=P` (either order, both required).
fn parse_distort(text: &str, max_objects: usize) -> Result<DistortConfig> {
    let (mut std, mut p) = (None, None);
    for part in text.split(',') {
        let (key, value) = part.split_once('=').with_context(|| format!("--distort '{text}': expected std=S,p=P"))?;
        let v: f64 = value.trim().parse().with_context(|| format!("--distort '{text}': '{value}' is not a number"))?;
        match key.trim() {
            "std" => std = Some(v),
            "p" => p = Some(v),
            other => bail!("--distort '{text}': unknown key '{other}', expected std and p"),
        }
    }
    let (Some(std), Some(p)) = (std, p) else { bail!("--distort '{text}': give both std=S and p=P") };
    let cfg = DistortConfig { std, p, max_objects };
    cfg.validate().with_context(|| format!("--distort '{text}'"))?;
    Ok(cfg)
}

fn parse_slots(text: &str) -> Result<[usize; 7]> {
    let v: Vec<usize> = text
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--slots '{text}': expected seven counts j,b,e-,e+,m-,m+,g"))?;
    v.try_into().map_err(|v: Vec<usize>| anyhow::anyhow!("--slots '{text}': expected 7 counts, got {}", v.len()))
}

/// The representation the arguments ask for.
fn build(args: &Args) -> Result<Box<dyn Representation>> {
    Ok(match args.repr {
        ReprArg::Fixed => {
            let slots = match (args.any_type, &args.slots) {
                (Some(k), _) => {
                    let order = args.shuffle_slots.map_or(SlotOrder::Pt, SlotOrder::Random);
                    Slots::AnyType { k, order }
                }
                (None, Some(text)) => Slots::PerType { counts: parse_slots(text)? },
                (None, None) => FixedVector::default().slots,
            };
            let fv = FixedVector { slots };
            if fv.slot_count() == 0 {
                bail!("the fixed vector needs at least one slot");
            }
            Box::new(fv)
        }
        ReprArg::Particles => {
            let ps = ParticleSet {
                max_particles: args.max_particles,
                met: match args.met {
                    MetArg::Aux => MetMode::Aux,
                    MetArg::Token => MetMode::Token,
                    MetArg::None => MetMode::None,
                },
                pairs: args.pairs.map(|p| PairConfig {
                    set: match p {
                        PairArg::DeltaMass => PairSet::DeltaMass,
                        PairArg::Part4 => PairSet::Part4,
                    },
                    use_eta: args.pair_eta,
                }),
                sm: args.sm_interactions.map(|m| match m {
                    SmArg::Binary => SmMode::Binary,
                    SmArg::Running => SmMode::Running,
                }),
                shuffle_seed: None,
            };
            ps.validate().map_err(anyhow::Error::msg)?;
            Box::new(ps)
        }
        ReprArg::Rmm => Box::new(Rmm::new(rmm_config(args.rmm))),
    })
}

fn rmm_config(arg: RmmArg) -> RmmConfig {
    match arg {
        RmmArg::Atlas => RmmConfig::atlas(),
        RmmArg::Adfilter => RmmConfig::adfilter(),
    }
}

/// Per-event bookkeeping written beside the features.
#[derive(Default)]
struct Meta {
    label: Vec<i64>,
    file_index: Vec<i64>,
    event_id: Vec<i64>,
    source_line: Vec<u64>,
    weight: Vec<f64>,
    process: Vec<i64>,
    process_names: Vec<String>,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    if args.output.extension().and_then(|e| e.to_str()) != Some("npz") {
        bail!("{}: the output must be a .npz file", args.output.display());
    }
    let particle_options =
        args.pairs.is_some() || args.sm_interactions.is_some() || args.dense_pairs || !matches!(args.met, MetArg::Aux);
    if particle_options && !matches!(args.repr, ReprArg::Particles) {
        bail!("--pairs, --sm-interactions, --dense-pairs and --met apply to --repr particles only");
    }
    if args.dense_pairs && args.pairs.is_none() && args.sm_interactions.is_none() {
        bail!("--dense-pairs needs pair channels: add --pairs and/or --sm-interactions");
    }
    if args.dense_rmm && !matches!(args.repr, ReprArg::Rmm) {
        bail!("--dense-rmm applies to --repr rmm only");
    }
    let repr = build(&args)?;
    let max_objects = if matches!(args.repr, ReprArg::Particles) { args.max_particles } else { usize::MAX };
    let distortion = args.distort.as_deref().map(|d| parse_distort(d, max_objects)).transpose()?;
    if let Some(f) = args.jes.filter(|f| !(f.is_finite() && *f > 0.0)) {
        bail!("--jes {f}: the factor must be a positive number");
    }

    let files: Vec<(&PathBuf, i64)> =
        args.inputs.iter().map(|p| (p, 0)).chain(args.signal.iter().map(|p| (p, 1))).collect();
    let mut features = FeatureBatch::default();
    let mut meta = Meta::default();
    let mut fit = args.standardize.then(|| StandardizerFit::new(repr.standardize_groups()));
    let mut summaries = Vec::new();
    for (index, (path, label)) in files.iter().enumerate() {
        let mut table = input::read_table(path, &args.input, global)?;
        if let Some(cfg) = &distortion {
            let seed = args.seed.unwrap_or(0).wrapping_add(index as u64);
            let (distorted, summary) = distort(&table, cfg, seed)?;
            summaries.push(serde_json::json!({ "file": path.display().to_string(), "distortion": summary }));
            table = distorted;
        }
        if let Some(f) = args.jes {
            table = jes(&table, f)?;
        }
        let batch = repr.encode(&table);
        if let (Some(fit), 0) = (fit.as_mut(), *label) {
            fit.add(&batch, &table.weight)?;
        }
        let offset = meta.process_names.len() as i64;
        meta.process_names.extend(table.process_names.iter().cloned());
        meta.process.extend(table.process.iter().map(|&p| offset + i64::from(p)));
        meta.label.extend(std::iter::repeat_n(*label, table.len()));
        meta.file_index.extend(std::iter::repeat_n(index as i64, table.len()));
        meta.event_id.extend_from_slice(&table.event_id);
        meta.source_line.extend_from_slice(&table.source_line);
        meta.weight.extend_from_slice(&table.weight);
        features.append(batch);
        println!("{}: {} events encoded (label {label})", path.display(), table.len());
    }
    if features.arrays.is_empty() {
        features = FeatureBatch { arrays: repr.layout().iter().map(|s| oddity_repr::Array::zeros(s, 0)).collect() };
    }
    if let Some(fit) = fit {
        let standardizer = fit.finish(repr.name()).context("--standardize")?;
        standardizer.apply(&mut features)?;
        let path = sibling(&args.output, "preprocess.json");
        input::write_atomic(&path, standardizer.to_json().as_bytes())?;
        println!("standardisation written to {}", path.display());
    }
    if !summaries.is_empty() {
        let path = sibling(&args.output, "distortion.json");
        input::write_atomic(&path, serde_json::to_string_pretty(&summaries)?.as_bytes())?;
        println!("distortion summary written to {}", path.display());
    }

    let n = meta.label.len();
    let file_names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    if args.dense_pairs {
        for a in &mut features.arrays {
            if a.offsets.is_some() {
                *a = oddity_repr::pairs::dense_pairs(a, args.max_particles);
            }
        }
    }
    if args.dense_rmm {
        Rmm::new(rmm_config(args.rmm)).densify(&mut features);
    }
    // The RMM's cell columns are integers (exact in the batch's f32), written as int64; the
    // values' `x_offsets` are theirs too.
    let rmm_cells: Option<Vec<i64>> =
        features.get("cells").filter(|a| a.offsets.is_some()).map(|a| a.data.iter().map(|&c| c as i64).collect());
    // Ragged arrays (the pair rows, the RMM values) go with their offsets and, for the pair
    // rows, each row's token pair.
    let ragged: Vec<Ragged> = features.arrays.iter().filter(|a| a.name != "cells").filter_map(Ragged::of).collect();
    let mut arrays: Vec<NpyArray<'_>> = Vec::new();
    for a in &features.arrays {
        if let (Some(cells), "cells") = (&rmm_cells, a.name.as_str()) {
            arrays.push(NpyArray { name: &a.name, shape: &a.shape, data: NpyData::I64(cells) });
            continue;
        }
        arrays.push(NpyArray { name: &a.name, shape: &a.shape, data: NpyData::F32(&a.data) });
        if let Some(r) = ragged.iter().find(|r| r.array == a.name) {
            arrays.push(NpyArray { name: &r.offsets_name, shape: &r.offsets_shape, data: NpyData::I64(&r.offsets) });
            if a.name == "pairs" {
                arrays.push(NpyArray { name: "pair_ij", shape: &r.ij_shape, data: NpyData::I64(&r.ij) });
            }
        }
    }
    let shape_n = [n];
    let shape_p = [meta.process_names.len()];
    let shape_f = [file_names.len()];
    arrays.extend([
        NpyArray { name: "label", shape: &shape_n, data: NpyData::I64(&meta.label) },
        NpyArray { name: "weight", shape: &shape_n, data: NpyData::F64(&meta.weight) },
        NpyArray { name: "event_id", shape: &shape_n, data: NpyData::I64(&meta.event_id) },
        NpyArray { name: "source_line", shape: &shape_n, data: NpyData::U64(&meta.source_line) },
        NpyArray { name: "file_index", shape: &shape_n, data: NpyData::I64(&meta.file_index) },
        NpyArray { name: "process", shape: &shape_n, data: NpyData::I64(&meta.process) },
        NpyArray { name: "process_names", shape: &shape_p, data: NpyData::Str(&meta.process_names) },
        NpyArray { name: "files", shape: &shape_f, data: NpyData::Str(&file_names) },
    ]);
    write_npz(&args.output, &arrays)?;
    let shapes: Vec<String> = features.arrays.iter().map(|a| format!("{} {:?}", a.name, a.shape)).collect();
    println!("{}: {} events, {} ({})", args.output.display(), n, repr.name(), shapes.join(", "));
    Ok(())
}

/// The extra arrays written with a ragged array `NAME`: `NAME_offsets` (`[N + 1]`, event e
/// owning rows `offsets[e]..offsets[e + 1]`) and, for the pair rows, `pair_ij` (`[rows, 2]`,
/// the token indices i ≤ j of each row).
struct Ragged {
    array: String,
    offsets_name: String,
    offsets: Vec<i64>,
    offsets_shape: [usize; 1],
    ij: Vec<i64>,
    ij_shape: [usize; 2],
}

impl Ragged {
    fn of(a: &oddity_repr::Array) -> Option<Self> {
        let offsets = a.offsets.as_ref()?;
        let ij: Vec<i64> = if a.name == "pairs" {
            oddity_repr::pairs::row_pairs(offsets).flat_map(|(_, i, j)| [i as i64, j as i64]).collect()
        } else {
            Vec::new()
        };
        Some(Self {
            array: a.name.clone(),
            offsets_name: format!("{}_offsets", a.name),
            offsets: offsets.iter().map(|&o| o as i64).collect(),
            offsets_shape: [offsets.len()],
            ij_shape: [ij.len() / 2, 2],
            ij,
        })
    }
}

/// `OUT.npz` -> `OUT.<suffix>`.
fn sibling(output: &Path, suffix: &str) -> PathBuf {
    output.with_extension(suffix)
}
