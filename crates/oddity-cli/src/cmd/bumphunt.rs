//! `oddity bumphunt`: the plain BumpHunter scan of one observable (physics-spec §9.4), data
//! against a reference, from ROOT, Parquet or CSV columns; optional signal injection.
//!
//! ```text
//! oddity bumphunt --data data.root:data/data --bkg data.root:bkg/bkg --range 0 20 --bins 60 \
//!     --width-min 2 --width-max 6 --npe 10000 --seed 666 -o bh
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use oddity_plot::{Points, Series, Spectrum, render_spectrum};
use oddity_stats::Hist1D;
use oddity_stats::bumphunter::{
    BumpHunter1D, Hunt1D, Injection, InjectionConfig, Mode, ScanStep, Sideband, StrengthScale,
};
use serde::Serialize;

use crate::Global;
use crate::cmd::search::{injection_plot, t_distribution_plot};
use crate::column::ColumnSpec;
use crate::input::write_atomic;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Observed values: FILE.root:tree/branch, FILE.parquet:column or FILE.csv:column.
    #[arg(long, value_name = "SPEC")]
    pub data: ColumnSpec,
    /// Reference (background) values, same forms.
    #[arg(long, value_name = "SPEC")]
    pub bkg: ColumnSpec,
    /// Per-event weights of the reference (e.g. `bkg.parquet:weight`); default 1.
    #[arg(long, value_name = "SPEC")]
    pub bkg_weights: Option<ColumnSpec>,
    /// Multiply the reference histogram by this factor (e.g. data/background luminosity).
    #[arg(long, default_value_t = 1.0)]
    pub bkg_scale: f64,
    /// Histogram range [LO, HI] (numpy convention: last bin closed, values outside dropped).
    #[arg(long, num_args = 2, value_names = ["LO", "HI"], required = true, allow_negative_numbers = true)]
    pub range: Vec<f64>,
    /// Number of equal bins.
    #[arg(long, default_value_t = 60)]
    pub bins: usize,
    /// Window widths in bins: width-min, width-min + width-step, … ≤ width-max (default
    /// bins / 2).
    #[arg(long, default_value_t = 1)]
    pub width_min: usize,
    #[arg(long)]
    pub width_max: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub width_step: usize,
    /// Window position step: a number of bins, `full` (the width) or `half`.
    #[arg(long, default_value = "1", value_parser = parse_scan_step)]
    pub scan_step: ScanStep,
    /// Look for an excess or a deficit.
    #[arg(long, value_enum, default_value_t = ModeArg::Excess)]
    pub mode: ModeArg,
    /// Normalise the reference to the data outside each window (pyBumpHunter `use_sideband`);
    /// with `--sideband-width W` the scan also leaves W bins free at each end.
    #[arg(long)]
    pub sideband: bool,
    #[arg(long, value_name = "W", requires = "sideband")]
    pub sideband_width: Option<usize>,
    /// Background-only pseudo-experiments.
    #[arg(long, default_value_t = 10_000)]
    pub npe: usize,
    /// Seed of the pseudo-experiments (the result does not depend on the thread count).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Signal template for the injection test (same forms as --data).
    #[arg(long, value_name = "SPEC")]
    pub signal: Option<ColumnSpec>,
    /// Strength scale of the injection: `log` (10^str-min, step growing tenfold) or `lin`.
    #[arg(long, value_enum, default_value_t = ScaleArg::Log, requires = "signal")]
    pub str_scale: ScaleArg,
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true, requires = "signal")]
    pub str_min: f64,
    /// Step of the `lin` scale.
    #[arg(long, default_value_t = 0.25, requires = "signal")]
    pub str_step: f64,
    /// Expected signal events at strength 1 (default: the template's entries).
    #[arg(long, requires = "signal")]
    pub signal_exp: Option<f64>,
    /// Stop when the median injected significance reaches this.
    #[arg(long, default_value_t = 5.0, requires = "signal")]
    pub sigma_limit: f64,
    /// Injected pseudo-experiments per strength.
    #[arg(long, default_value_t = 100, requires = "signal")]
    pub npe_inject: usize,
    /// Output directory: bumphunt.json, summary.txt, plots/.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Excess,
    Deficit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScaleArg {
    Lin,
    Log,
}

fn parse_scan_step(s: &str) -> Result<ScanStep, String> {
    match s {
        "full" => Ok(ScanStep::Full),
        "half" => Ok(ScanStep::Half),
        n => match n.parse::<usize>() {
            Ok(b) if b >= 1 => Ok(ScanStep::Bins(b)),
            _ => Err(format!("'{s}': expected a number of bins ≥ 1, 'full' or 'half'")),
        },
    }
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    data: String,
    bkg: String,
    bkg_weights: Option<String>,
    bkg_scale: f64,
    entries: Entries,
    settings: &'a BumpHunter1D,
    data_counts: &'a [f64],
    bkg_counts: &'a [f64],
    result: &'a Hunt1D,
    injection: Option<&'a Injection>,
}

/// Values read and histogrammed (in range) per input.
#[derive(Debug, Serialize)]
struct Entries {
    data_read: usize,
    data_in_range: f64,
    bkg_read: usize,
    bkg_in_range: f64,
    bkg_effective: f64,
}

pub fn run(args: Args, _global: Global) -> Result<()> {
    let (lo, hi) = (args.range[0], args.range[1]);
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        bail!("--range {lo} {hi}: expected finite LO < HI");
    }
    if args.bins == 0 {
        bail!("--bins 0: at least one bin is needed");
    }
    if !(args.bkg_scale.is_finite() && args.bkg_scale > 0.0) {
        bail!("--bkg-scale {}: expected a finite factor > 0", args.bkg_scale);
    }
    let data = args.data.read().with_context(|| format!("reading --data {}", args.data))?;
    let bkg = args.bkg.read().with_context(|| format!("reading --bkg {}", args.bkg))?;
    let weights = match &args.bkg_weights {
        Some(spec) => {
            let w = spec.read().with_context(|| format!("reading --bkg-weights {spec}"))?;
            if w.len() != bkg.len() {
                bail!("--bkg-weights {spec}: {} weights for {} reference values ({})", w.len(), bkg.len(), args.bkg);
            }
            if let Some(i) = w.iter().position(|w| !w.is_finite()) {
                bail!("--bkg-weights {spec}: value {} is {} (expected a finite weight)", i + 1, w[i]);
            }
            Some(w)
        }
        None => None,
    };
    let data_hist = histogram(&data, None, lo, hi, args.bins)?;
    let bkg_hist = histogram(&bkg, weights.as_deref(), lo, hi, args.bins)?;
    let data_counts = data_hist.sumw().to_vec();
    let bkg_counts: Vec<f64> = bkg_hist.sumw().iter().map(|b| b * args.bkg_scale).collect();
    let (bw, bw2) = bkg_hist.sumw().iter().zip(bkg_hist.sumw2()).fold((0.0, 0.0), |(a, b), (w, w2)| (a + w, b + w2));
    let hunter = BumpHunter1D {
        width_min: args.width_min,
        width_max: args.width_max,
        width_step: args.width_step,
        scan_step: args.scan_step,
        mode: match args.mode {
            ModeArg::Excess => Mode::Excess,
            ModeArg::Deficit => Mode::Deficit,
        },
        sideband: match (args.sideband, args.sideband_width) {
            (false, _) => Sideband::Off,
            (true, None) => Sideband::Whole,
            (true, Some(w)) => Sideband::Width(w),
        },
        npe: args.npe,
        seed: args.seed,
        ..BumpHunter1D::new(data_hist.edges().to_vec())
    };
    let hunt = hunter.hunt(&data_counts, &bkg_counts)?;
    let injection = match &args.signal {
        Some(spec) => {
            let values = spec.read().with_context(|| format!("reading --signal {spec}"))?;
            let template = histogram(&values, None, lo, hi, args.bins)?;
            let config = InjectionConfig {
                scale: match args.str_scale {
                    ScaleArg::Lin => StrengthScale::Lin { min: args.str_min, step: args.str_step },
                    ScaleArg::Log => StrengthScale::Log { min_exp: args.str_min },
                },
                signal_exp: args.signal_exp,
                sigma_limit: args.sigma_limit,
                npe_inject: args.npe_inject,
                ..InjectionConfig::default()
            };
            Some(hunter.inject(&bkg_counts, template.sumw(), &config)?)
        }
        None => None,
    };
    let out = Output {
        data: args.data.to_string(),
        bkg: args.bkg.to_string(),
        bkg_weights: args.bkg_weights.as_ref().map(ToString::to_string),
        bkg_scale: args.bkg_scale,
        entries: Entries {
            data_read: data.len(),
            data_in_range: data_counts.iter().sum(),
            bkg_read: bkg.len(),
            bkg_in_range: bw,
            bkg_effective: if bw2 > 0.0 { bw * bw / bw2 } else { 0.0 },
        },
        settings: &hunter,
        data_counts: &data_counts,
        bkg_counts: &bkg_counts,
        result: &hunt,
        injection: injection.as_ref(),
    };
    write_atomic(&args.output.join("bumphunt.json"), serde_json::to_string_pretty(&out)?.as_bytes())?;
    let mut text = format!(
        "oddity bumphunt: data {} ({} values, {} in range), reference {} ({} values, Σw {:.6} in range, ESS {:.0})\n{hunt}\n",
        args.data,
        out.entries.data_read,
        out.entries.data_in_range,
        args.bkg,
        out.entries.bkg_read,
        bw,
        out.entries.bkg_effective
    );
    if let Some(inj) = &injection {
        text.push_str(&format!("{inj}\n"));
    }
    write_atomic(&args.output.join("summary.txt"), text.as_bytes())?;
    print!("{text}");
    let plot_dir = args.output.join("plots");
    std::fs::create_dir_all(&plot_dir)
        .map_err(|e| crate::input::OutputError(format!("{}: cannot create directory: {e}", plot_dir.display())))?;
    plots(&plot_dir, &hunter, &data_counts, &bkg_counts, &hunt, injection.as_ref())?;
    println!(
        "results in {}, plots in {}",
        args.output.join("bumphunt.json").display(),
        args.output.join("plots").display()
    );
    Ok(())
}

/// A numpy-style histogram (last bin closed, out-of-range values dropped).
fn histogram(values: &[f64], weights: Option<&[f64]>, lo: f64, hi: f64, bins: usize) -> Result<Hist1D> {
    let mut h = Hist1D::uniform(bins, lo, hi)?;
    h.fill_slice(values, weights)?;
    Ok(h)
}

fn plots(
    dir: &Path,
    hunter: &BumpHunter1D,
    data: &[f64],
    bkg: &[f64],
    hunt: &Hunt1D,
    injection: Option<&Injection>,
) -> Result<()> {
    let pulls = data.iter().zip(bkg).map(|(d, b)| if *b > 0.0 { (d - b) / b.sqrt() } else { f64::NAN }).collect();
    let spectrum = Spectrum {
        title: format!(
            "BumpHunter: local p {:.4e} (Z_loc {:.2}), global p {:.4} (Z {:.2})",
            hunt.scan.best.p, hunt.scan.z_local, hunt.global.p, hunt.global.z
        ),
        x_label: "observable".into(),
        y_label: "entries / bin".into(),
        edges: hunter.edges.clone(),
        data: Some(Points::poisson("data", data.to_vec())),
        curves: vec![Series { label: "reference".into(), values: bkg.to_vec() }],
        window: Some((hunt.scan.bump_edges[0], hunt.scan.bump_edges[1])),
        marker: None,
        log_y: true,
        pulls: Some(pulls),
    };
    render_spectrum(&spectrum, &dir.join("bumphunt.png"))?;
    t_distribution_plot(hunt, "BumpHunter", &dir.join("tstat.png"))?;
    if let Some(inj) = injection {
        injection_plot(inj, "Signal injection", &dir.join("injection.png"))?;
    }
    Ok(())
}
