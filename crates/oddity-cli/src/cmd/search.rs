//! `oddity search`: the model-independent search of seed 004 (physics-spec §9) on score files
//! or on one raw column.
//!
//! 1. Anomaly regions: score thresholds fixed on the background sample at a cross section
//!    (default 10, 1, 0.1 pb at the given luminosity) or at a background efficiency (a raw
//!    column is searched whole).
//! 2. The nine invariant-mass spectra (ATLAS binning) of the data events in each region.
//! 3. Per spectrum with enough entries: the nominal 5-parameter dijet fit and the alternative
//!    function (shape uncertainty), pulls, BumpHunter against the fitted background with
//!    pseudo-experiments, optional CLs upper limits and spurious signal for Gaussian signals,
//!    optional signal injection.
//! 4. `search.json`, `summary.txt`, `spectra.csv` and plots (spectrum with fit, pulls and bump
//!    window; test-statistic distribution with the observed value; injection curve).
//!
//! Documented in `docs/search.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use oddity_core::masses::MassPair;
use oddity_plot::{Curve, LegendPosition, Lines, Points, Series, Spectrum, render_lines, render_spectrum};
use oddity_stats::bumphunter::{BumpHunter1D, Hunt1D, Injection, InjectionConfig, InjectionStep, StrengthScale};
use oddity_stats::fit::{SpuriousSignalPoint, shape_uncertainty, spurious_signal};
use oddity_stats::limits::gaussian_template;
use oddity_stats::regions::{AnomalyRegion, RegionYield, ScoreRanking, region_yield};
use oddity_stats::{FitConfig, FitMethod, FitResult, Hist1D, Limit, LimitConfig, upper_limit};
use rand::SeedableRng;
use rand_distr::Distribution;
use rayon::prelude::*;
use serde::Serialize;

use crate::Global;
use crate::column::ColumnSpec;
use crate::input::write_atomic;
use crate::scores::{SampleTotals, SearchSample, read_search_sample};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Score file (from `oddity score`) of the background sample that fixes the anomaly-region
    /// thresholds.
    #[arg(long, value_name = "SCORES.parquet", required_unless_present = "column")]
    pub background: Option<PathBuf>,
    /// Score files searched ("data"), concatenated; default: the background itself (a
    /// closure test).
    #[arg(long, value_name = "SCORES.parquet", conflicts_with = "column")]
    pub data: Vec<PathBuf>,
    /// Search one raw column instead of score files (no anomaly region, unit weights):
    /// FILE.root:tree/branch, FILE.parquet:column or FILE.csv:column, in GeV.
    #[arg(long, value_name = "SPEC", conflicts_with = "background")]
    pub column: Option<ColumnSpec>,
    /// Uniform binning [LO, HI] in GeV instead of the ATLAS mass binning (with --bins).
    #[arg(long, num_args = 2, value_names = ["LO", "HI"])]
    pub range: Vec<f64>,
    #[arg(long, default_value_t = 100, requires = "range")]
    pub bins: usize,
    /// Anomaly regions at these cross sections, pb (ATLAS: 10, 1, 0.1 pb at 140 fb⁻¹).
    #[arg(long, value_delimiter = ',', value_name = "PB", default_values_t = vec![10.0, 1.0, 0.1])]
    pub xsec: Vec<f64>,
    /// Anomaly regions at these (weighted) background efficiencies instead of `--xsec`.
    #[arg(long, value_delimiter = ',', value_name = "EB")]
    pub eff: Vec<f64>,
    /// Integrated luminosity, fb⁻¹.
    #[arg(long, value_name = "FB-1", default_value_t = 140.0)]
    pub lumi: f64,
    /// What the `weight` column holds: `pb` per event (simulation such as the embedded
    /// sample: expected events = w × 1000 × lumi) or expected `events` (data: w = 1).
    #[arg(long, value_enum, default_value_t = WeightUnit::Pb)]
    pub weights: WeightUnit,
    /// Replace each data spectrum by a Poisson fluctuation of its expected counts, seeded
    /// (for simulated "data", whose weighted counts are not Poisson).
    #[arg(long, value_name = "SEED")]
    pub poisson_data: Option<u64>,
    /// Spectra to search (default all nine): mjj, mjb, mbb, mje, mjmu, mjgamma, mbe, mbmu, mbgamma.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub spectra: Vec<String>,
    /// Fit range: bins whose centre lies in [m-min, m-max], GeV.
    #[arg(long, default_value_t = 300.0)]
    pub m_min: f64,
    #[arg(long, default_value_t = 9000.0)]
    pub m_max: f64,
    /// Spectra with fewer entries in the fit range are not fitted.
    #[arg(long, default_value_t = 50.0)]
    pub min_entries: f64,
    /// Fit objective: binned Poisson likelihood, or Neyman χ² (empty bins skipped; for
    /// comparison with `chekanov/GlobalMultiMass`; limits always use the likelihood).
    #[arg(long, value_enum, default_value_t = FitMethodArg::Poisson)]
    pub fit_method: FitMethodArg,
    /// BumpHunter pseudo-experiments per spectrum.
    #[arg(long, default_value_t = 10_000)]
    pub npe: usize,
    /// Seed of the pseudo-experiments.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// BumpHunter window widths in bins.
    #[arg(long, default_value_t = 2)]
    pub width_min: usize,
    #[arg(long, default_value_t = 30)]
    pub width_max: usize,
    /// CLs upper limits on Gaussian signals at these masses, GeV (inside the fit range).
    #[arg(long, value_delimiter = ',', value_name = "GEV")]
    pub limit_masses: Vec<f64>,
    /// Relative widths σ_X/m_X of the Gaussian signals.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.0, 0.05, 0.10, 0.15])]
    pub limit_widths: Vec<f64>,
    /// BumpHunter's signal-injection test on each fitted spectrum with a Gaussian signal of
    /// this mass, GeV (strengths 0.1, 0.2, … × --inject-events until 5σ or the statistical
    /// limit).
    #[arg(long, value_name = "GEV")]
    pub inject_mass: Option<f64>,
    /// σ_X/m_X of the injected signal.
    #[arg(long, default_value_t = 0.05, requires = "inject_mass")]
    pub inject_width: f64,
    /// Signal events at strength 1.
    #[arg(long, default_value_t = 100.0, requires = "inject_mass")]
    pub inject_events: f64,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

impl Args {
    /// The command line's defaults with placeholder paths, for callers such as the demo (one
    /// source of truth: the clap attributes above).
    pub fn defaults() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            args: Args,
        }
        Wrap::parse_from(["search", "--background", "unset.parquet", "-o", "unset"]).args
    }
}

/// `--fit-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitMethodArg {
    Poisson,
    NeymanChi2,
}

/// Units of the `weight` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightUnit {
    Pb,
    Events,
}

#[derive(Debug, Serialize)]
struct SearchOutput {
    luminosity_fb: f64,
    weights: WeightUnit,
    poisson_data: Option<u64>,
    /// Totals in expected events at the luminosity (score-file mode).
    background: Option<SampleTotals>,
    data: SampleTotals,
    binning: Binning,
    /// The injected Gaussian signal (`--inject-mass`), if any.
    injection: Option<InjectionSettings>,
    fit: FitConfig,
    bumphunter: BumpHunterSettings,
    regions: Vec<RegionOutput>,
}

#[derive(Debug, Clone, Serialize)]
struct InjectionSettings {
    mass_gev: f64,
    rel_width: f64,
    events_at_strength_1: f64,
}

#[derive(Debug, Clone, Serialize)]
struct BumpHunterSettings {
    width_min: usize,
    width_max: usize,
    npe: usize,
    seed: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Binning {
    /// The ATLAS variable-width mass binning (`oddity_stats::ATLAS_MASS_EDGES_GEV`).
    Atlas,
    Uniform {
        lo: f64,
        hi: f64,
        bins: usize,
    },
}

impl Binning {
    /// The bin edges; uniform ones as numpy's `linspace` (`Hist1D::uniform`).
    fn edges(&self) -> Result<Vec<f64>, oddity_stats::HistError> {
        Ok(match self {
            Binning::Atlas => oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec(),
            Binning::Uniform { lo, hi, bins } => Hist1D::uniform(*bins, *lo, *hi)?.edges().to_vec(),
        })
    }
}

#[derive(Debug, Serialize)]
struct RegionOutput {
    label: String,
    /// The anomaly region (absent when a raw column is searched whole).
    region: Option<AnomalyRegion>,
    /// Data events in the region (expected events, Σw², ESS).
    data: RegionYield,
    spectra: Vec<SpectrumOutput>,
}

#[derive(Debug, Serialize)]
struct SpectrumOutput {
    name: String,
    /// Σw of the data events with this pair in the region (flow bins included).
    expected_entries: f64,
    /// Entries of the spectrum searched (after `--poisson-data`), inside the binning.
    entries: f64,
    /// Why the spectrum was not fitted or scanned, if it was not.
    skipped: Option<String>,
    fit: Option<FitResult>,
    /// The alternative function fitted to the same bins and ν_alt − ν per fitted bin.
    alternative: Option<FitResult>,
    shape_difference: Option<Vec<f64>>,
    bump: Option<BumpSummary>,
    limits: Vec<Limit>,
    /// Per limit width: the signal fitted to the alternative function's background-only
    /// prediction at each limit mass (the spurious-signal systematic), without the fits it
    /// repeats.
    spurious_signal: Vec<SpuriousOutput>,
    injection: Option<Injection>,
}

/// The spurious signal at one relative width (`oddity_stats::fit::spurious_signal` without the
/// fits, which are `fit` and `alternative`).
#[derive(Debug, Serialize)]
struct SpuriousOutput {
    rel_width: f64,
    points: Vec<SpuriousSignalPoint>,
}

/// BumpHunter's result without the per-window and per-pseudo-experiment lists.
#[derive(Debug, Serialize)]
struct BumpSummary {
    edges_gev: [f64; 2],
    loc: usize,
    width: usize,
    data: f64,
    background: f64,
    signal: f64,
    local_p: f64,
    t: f64,
    z_local: f64,
    global_p: f64,
    z_global: f64,
    z_global_is_lower_limit: bool,
}

/// What is searched: named spectra of the same events, with their scores and weights.
struct Inputs {
    names: Vec<String>,
    /// One column of values (GeV, NaN where absent) per name.
    values: Vec<Vec<f64>>,
    data: SearchSample,
    data_totals: SampleTotals,
    background: Option<SampleTotals>,
    /// (label, region); one unbounded pseudo-region for a raw column.
    regions: Vec<(String, Option<AnomalyRegion>)>,
}

pub fn run(args: Args, _global: Global) -> Result<()> {
    validate(&args)?;
    let inputs = match &args.column {
        Some(spec) => column_inputs(spec)?,
        None => score_inputs(&args)?,
    };
    let binning = match args.range.as_slice() {
        [lo, hi] => Binning::Uniform { lo: *lo, hi: *hi, bins: args.bins },
        _ => Binning::Atlas,
    };
    let edges = binning.edges().with_context(|| format!("--range {:?} --bins {}", args.range, args.bins))?;
    let method = match args.fit_method {
        FitMethodArg::Poisson => FitMethod::Poisson,
        FitMethodArg::NeymanChi2 => FitMethod::NeymanChi2,
    };
    let fit = FitConfig {
        method,
        m_min: args.m_min,
        m_max: args.m_max,
        min_entries: args.min_entries,
        ..FitConfig::default()
    };
    let bh =
        BumpHunterSettings { width_min: args.width_min, width_max: args.width_max, npe: args.npe, seed: args.seed };
    let plots = args.output.join("plots");
    std::fs::create_dir_all(&plots)
        .map_err(|e| crate::input::OutputError(format!("{}: cannot create directory: {e}", plots.display())))?;
    let mut outputs = Vec::new();
    let mut csv = String::from("region,spectrum,bin_lo,bin_hi,data,fit,alternative,pull\n");
    let data = &inputs.data;
    for (r, (label, region)) in inputs.regions.into_iter().enumerate() {
        let threshold = region.as_ref().map_or(f64::NEG_INFINITY, |g| g.threshold);
        let in_region = region_yield(&data.score, Some(&data.weight), threshold)
            .with_context(|| format!("selecting the data of region {label}"))?;
        let spectra_out: Vec<(SpectrumOutput, Vec<f64>, Option<Hunt1D>)> = inputs
            .names
            .par_iter()
            .zip(&inputs.values)
            .enumerate()
            .map(|(k, (name, values))| {
                let selected = Selected { name, values, score: &data.score, weight: &data.weight, threshold };
                let seed = args.poisson_data.map(|s| s ^ ((r as u64) << 32) ^ k as u64);
                search_spectrum(&args, &fit, &bh, &edges, selected, seed)
            })
            .collect::<Result<_>>()?;
        let mut spectra_summaries = Vec::new();
        for (s, counts, hunt) in spectra_out {
            append_csv(&mut csv, &label, &s, &edges, &counts);
            if s.fit.is_some() {
                plot_spectrum(&plots, &label, &s, &edges, &counts, hunt.as_ref())?;
            }
            spectra_summaries.push(s);
        }
        outputs.push(RegionOutput { label, region, data: in_region, spectra: spectra_summaries });
    }
    let out = SearchOutput {
        luminosity_fb: args.lumi,
        weights: args.weights,
        poisson_data: args.poisson_data,
        background: inputs.background,
        data: inputs.data_totals,
        binning,
        injection: args.inject_mass.map(|mass_gev| InjectionSettings {
            mass_gev,
            rel_width: args.inject_width,
            events_at_strength_1: args.inject_events,
        }),
        fit,
        bumphunter: bh,
        regions: outputs,
    };
    write_atomic(&args.output.join("search.json"), serde_json::to_string_pretty(&out)?.as_bytes())?;
    write_atomic(&args.output.join("spectra.csv"), csv.as_bytes())?;
    let text = summary_text(&out);
    write_atomic(&args.output.join("summary.txt"), text.as_bytes())?;
    print!("{text}");
    println!("results in {}, plots in {}", args.output.join("search.json").display(), plots.display());
    Ok(())
}

/// Score-file mode: thresholds from the background, the data's nine mass spectra.
fn score_inputs(args: &Args) -> Result<Inputs> {
    let spectra = parse_spectra(&args.spectra)?;
    let scale = match args.weights {
        WeightUnit::Pb => oddity_stats::regions::FB_PER_PB * args.lumi,
        WeightUnit::Events => 1.0,
    };
    let Some(background_file) = &args.background else { bail!("--background or --column is required") };
    let background = read_search_sample(background_file)?.scaled(scale);
    let data_files = if args.data.is_empty() { vec![background_file.clone()] } else { args.data.clone() };
    let mut data = SearchSample::default();
    for f in &data_files {
        data.append(read_search_sample(f)?.scaled(scale));
    }
    let ranking = ScoreRanking::new(&background.score, Some(&background.weight))
        .with_context(|| format!("{}: ranking the background scores", background_file.display()))?;
    let regions = regions(args, background_file, &ranking)?.into_iter().map(|(l, r)| (l, Some(r))).collect();
    Ok(Inputs {
        names: spectra.iter().map(|p| p.column().to_owned()).collect(),
        values: spectra.iter().map(|p| data.masses(*p).to_vec()).collect(),
        data_totals: data.summary(data_files),
        background: Some(background.summary(vec![background_file.clone()])),
        data,
        regions,
    })
}

/// Raw-column mode: one spectrum of every value, unit weights, no region.
fn column_inputs(spec: &ColumnSpec) -> Result<Inputs> {
    let values = spec.read().with_context(|| format!("reading --column {spec}"))?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!("--column {spec}: value {} is {} (expected a finite mass in GeV)", i + 1, values[i]);
    }
    let data = SearchSample::unweighted(values.len());
    let name: String =
        spec.selector.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    Ok(Inputs {
        names: vec![name],
        values: vec![values],
        data_totals: data.summary(vec![spec.path.clone()]),
        background: None,
        data,
        regions: vec![("all".to_owned(), None)],
    })
}

fn parse_spectra(names: &[String]) -> Result<Vec<MassPair>> {
    if names.is_empty() {
        return Ok(MassPair::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            MassPair::from_column(n).with_context(|| {
                let all: Vec<&str> = MassPair::ALL.iter().map(|p| p.column()).collect();
                format!("--spectra: unknown spectrum '{n}' (expected one of {})", all.join(", "))
            })
        })
        .collect()
}

fn validate(args: &Args) -> Result<()> {
    if !(args.lumi.is_finite() && args.lumi > 0.0) {
        bail!("--lumi {}: expected a luminosity > 0 fb⁻¹", args.lumi);
    }
    if args.npe == 0 {
        bail!("--npe 0: at least one pseudo-experiment is needed");
    }
    if let [lo, hi] = args.range.as_slice()
        && !(lo.is_finite() && hi.is_finite() && lo < hi && args.bins > 0)
    {
        bail!("--range {lo} {hi} --bins {}: expected finite LO < HI and at least one bin", args.bins);
    }
    if args.width_min == 0 || args.width_max < args.width_min {
        bail!("--width-min {} --width-max {}: expected 1 ≤ width-min ≤ width-max", args.width_min, args.width_max);
    }
    if let Some(w) = args.limit_widths.iter().find(|w| !(0.0..1.0).contains(*w)) {
        bail!("--limit-widths {w}: expected σ_X/m_X in [0, 1)");
    }
    Ok(())
}

/// The anomaly regions, labelled (`10pb`, `eff0.01`).
fn regions(args: &Args, background: &Path, ranking: &ScoreRanking) -> Result<Vec<(String, AnomalyRegion)>> {
    let context = |what: String| format!("{}: anomaly region {what}", background.display());
    if !args.eff.is_empty() {
        return args
            .eff
            .iter()
            .map(|&e| {
                Ok((format!("eff{e}"), ranking.at_efficiency(e).with_context(|| context(format!("at eB = {e}")))?))
            })
            .collect();
    }
    args.xsec
        .iter()
        .map(|&s| {
            let region = ranking
                .at_cross_section(s, args.lumi)
                .with_context(|| context(format!("at {s} pb and {} fb⁻¹", args.lumi)))?;
            Ok((format!("{s}pb"), region))
        })
        .collect()
}

/// The events of one spectrum in one region: values with their scores and weights, selected
/// by score ≥ threshold.
struct Selected<'a> {
    name: &'a str,
    values: &'a [f64],
    score: &'a [f64],
    weight: &'a [f64],
    threshold: f64,
}

/// Histogram, fits, BumpHunter, limits and injection of one spectrum in one region.
fn search_spectrum(
    args: &Args,
    fit: &FitConfig,
    bh: &BumpHunterSettings,
    edges: &[f64],
    sel: Selected<'_>,
    poisson_seed: Option<u64>,
) -> Result<(SpectrumOutput, Vec<f64>, Option<Hunt1D>)> {
    let mut hist = Hist1D::variable(edges.to_vec())?;
    for ((&s, &w), &m) in sel.score.iter().zip(sel.weight).zip(sel.values) {
        if s >= sel.threshold && !m.is_nan() {
            hist.fill(m, w);
        }
    }
    let expected_entries = hist.total();
    let mut counts = hist.sumw().to_vec();
    if let Some(seed) = poisson_seed {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for c in &mut counts {
            *c = if *c > 0.0 { rand_distr::Poisson::new(*c).map_or(0.0, |p| p.sample(&mut rng)) } else { 0.0 };
        }
    }
    let entries = counts.iter().sum();
    let mut out = SpectrumOutput {
        name: sel.name.to_owned(),
        expected_entries,
        entries,
        skipped: None,
        fit: None,
        alternative: None,
        shape_difference: None,
        bump: None,
        limits: Vec::new(),
        spurious_signal: Vec::new(),
        injection: None,
    };
    let shape = match shape_uncertainty(&counts, edges, fit) {
        Ok(s) => s,
        Err(e) => {
            out.skipped = Some(e.to_string());
            return Ok((out, counts, None));
        }
    };
    let (lo, hi) = (shape.fit.first_bin, shape.fit.end_bin);
    let hunter = BumpHunter1D {
        width_min: bh.width_min,
        width_max: Some(bh.width_max.min(hi - lo)),
        npe: bh.npe,
        seed: bh.seed,
        ..BumpHunter1D::new(edges[lo..=hi].to_vec())
    };
    let hunt = match hunter.hunt(&counts[lo..hi], &shape.fit.expected) {
        Ok(h) => Some(h),
        Err(e) => {
            out.skipped = Some(format!("BumpHunter: {e}"));
            None
        }
    };
    out.bump = hunt.as_ref().map(|h| BumpSummary {
        edges_gev: h.scan.bump_edges,
        loc: lo + h.scan.best.loc,
        width: h.scan.best.width,
        data: h.scan.best.data,
        background: h.scan.best.background,
        signal: h.scan.signal,
        local_p: h.scan.best.p,
        t: h.scan.t,
        z_local: h.scan.z_local,
        global_p: h.global.p,
        z_global: h.global.z,
        z_global_is_lower_limit: h.global.z_is_lower_limit,
    });
    // Signal fits and limits always use the likelihood.
    let poisson = FitConfig { method: FitMethod::Poisson, ..fit.clone() };
    if !args.limit_masses.is_empty() {
        for &rel_width in &args.limit_widths {
            match spurious_signal(&counts, edges, &poisson, &args.limit_masses, rel_width) {
                Ok(ss) => out.spurious_signal.push(SpuriousOutput { rel_width, points: ss.points }),
                Err(e) => tracing::warn!("{}: spurious signal, width {rel_width}: {e}", sel.name),
            }
        }
    }
    for &mass in &args.limit_masses {
        for &rel_width in &args.limit_widths {
            let cfg = LimitConfig { luminosity: Some(args.lumi), ..LimitConfig::new(mass, rel_width) };
            match upper_limit(&counts, edges, &poisson, &cfg) {
                Ok(mut l) => {
                    l.background_fit = None; // the same fit as `fit`
                    out.limits.push(l);
                }
                Err(e) => tracing::warn!("{}: limit at {mass} GeV, width {rel_width}: {e}", sel.name),
            }
        }
    }
    if let Some(mass) = args.inject_mass {
        let template = gaussian_template(&edges[lo..=hi], mass, args.inject_width);
        let config = InjectionConfig {
            scale: StrengthScale::Log { min_exp: -1.0 },
            signal_exp: Some(args.inject_events),
            ..InjectionConfig::default()
        };
        match hunter.inject(&shape.fit.expected, &template, &config) {
            Ok(inj) => out.injection = Some(inj),
            Err(e) => tracing::warn!("{}: injection at {mass} GeV: {e}", sel.name),
        }
    }
    out.shape_difference = Some(shape.difference);
    out.fit = Some(shape.fit);
    out.alternative = Some(shape.other_fit);
    Ok((out, counts, hunt))
}

/// Rows of `spectra.csv`: every bin, with the fits and pulls where the spectrum was fitted.
fn append_csv(csv: &mut String, region: &str, s: &SpectrumOutput, edges: &[f64], counts: &[f64]) {
    for (i, c) in counts.iter().enumerate() {
        let at = |f: &Option<FitResult>, v: fn(&FitResult) -> &Vec<f64>| {
            f.as_ref()
                .filter(|f| (f.first_bin..f.end_bin).contains(&i))
                .map_or(String::new(), |f| v(f)[i - f.first_bin].to_string())
        };
        let _ = writeln!(
            csv,
            "{region},{},{},{},{c},{},{},{}",
            s.name,
            edges[i],
            edges[i + 1],
            at(&s.fit, |f| &f.expected),
            at(&s.alternative, |f| &f.expected),
            at(&s.fit, |f| &f.pulls)
        );
    }
}

/// `plots/<region>_<spectrum>.png` (data, fits, pulls, bump window) and
/// `plots/<region>_<spectrum>_t.png` (BumpHunter's t distribution with the observed t).
fn plot_spectrum(
    dir: &Path,
    region: &str,
    s: &SpectrumOutput,
    edges: &[f64],
    counts: &[f64],
    hunt: Option<&Hunt1D>,
) -> Result<()> {
    let (Some(fit), Some(alt)) = (&s.fit, &s.alternative) else { return Ok(()) };
    let (lo, hi) = (fit.first_bin, fit.end_bin);
    let edges = edges[lo..=hi].to_vec();
    let title = match s.bump.as_ref() {
        Some(b) => format!(
            "{region}: {} (χ²/ndf {:.2}, bump Z_loc {:.2}, global p {:.3})",
            s.name, fit.chi2_ndf, b.z_local, b.global_p
        ),
        None => format!("{region}: {} (χ²/ndf {:.2})", s.name, fit.chi2_ndf),
    };
    let spectrum = Spectrum {
        title,
        x_label: format!("{} [GeV]", s.name),
        y_label: "events / bin".into(),
        edges,
        data: Some(Points::poisson("data", counts[lo..hi].to_vec())),
        curves: vec![
            Series { label: "5-parameter fit".into(), values: fit.expected.clone() },
            Series { label: "alternative fit".into(), values: alt.expected.clone() },
        ],
        window: s.bump.as_ref().map(|b| (b.edges_gev[0], b.edges_gev[1])),
        marker: None,
        log_y: true,
        pulls: Some(fit.pulls.clone()),
    };
    render_spectrum(&spectrum, &dir.join(format!("{region}_{}.png", s.name)))?;
    if let Some(h) = hunt {
        t_distribution_plot(
            h,
            &format!("{region}: {} BumpHunter", s.name),
            &dir.join(format!("{region}_{}_t.png", s.name)),
        )?;
    }
    if let Some(inj) = &s.injection {
        let path = dir.join(format!("{region}_{}_injection.png", s.name));
        injection_plot(inj, &format!("{region}: {} injection", s.name), &path)?;
    }
    Ok(())
}

/// BumpHunter's injection curve: median global significance (and the 16 %, 84 % bands)
/// against the injected signal events.
pub fn injection_plot(inj: &Injection, title: &str, path: &Path) -> Result<()> {
    let x: Vec<f64> = inj.steps.iter().map(|s| s.signal).collect();
    let curve =
        |label: &str, f: fn(&InjectionStep) -> f64| Curve::new(label, x.clone(), inj.steps.iter().map(f).collect());
    let lines = Lines {
        title: format!("{title}: stop at {:.1} signal events ({:?})", inj.signal, inj.stop),
        x_label: "injected signal events".into(),
        y_label: "global significance Z".into(),
        curves: vec![curve("median", |s| s.z), curve("16 %", |s| s.z_16), curve("84 %", |s| s.z_84)],
        markers: true,
        legend: LegendPosition::UpperLeft,
        ..Lines::default()
    };
    render_lines(&lines, path)?;
    Ok(())
}

/// The pseudo-experiments' test statistic as a histogram with the observed t marked.
pub fn t_distribution_plot(h: &Hunt1D, title: &str, path: &Path) -> Result<()> {
    // t = −ln p is infinite when a local p-value underflows to 0 (a huge excess): the axis
    // covers the finite values, and an infinite observed t is marked at its right end.
    let finite = h.t_pseudo.iter().copied().chain(std::iter::once(h.scan.t)).filter(|t| t.is_finite());
    let t_max = finite.fold(1e-9, f64::max) * 1.05;
    let mut hist = Hist1D::uniform(50, 0.0, t_max)?;
    for &t in &h.t_pseudo {
        hist.fill(t.min(t_max), 1.0);
    }
    let marker = match h.scan.t.is_finite() {
        true => ("observed t".to_owned(), h.scan.t),
        false => ("observed t = ∞ (drawn at the edge), at".to_owned(), t_max),
    };
    let spectrum = Spectrum {
        title: format!("{title}: global p = {:.4}, Z = {:.2}", h.global.p, h.global.z),
        x_label: "test statistic t = −ln p_min".into(),
        y_label: "pseudo-experiments".into(),
        edges: hist.edges().to_vec(),
        curves: vec![Series {
            label: format!("{} background-only pseudo-experiments", h.t_pseudo.len()),
            values: hist.sumw().to_vec(),
        }],
        marker: Some(marker),
        log_y: true,
        ..Spectrum::default()
    };
    render_spectrum(&spectrum, path)?;
    Ok(())
}

fn summary_text(out: &SearchOutput) -> String {
    let mut s = String::new();
    let background = match &out.background {
        Some(b) => format!(
            " at {} fb⁻¹: background {} events (Σw {:.4e} expected events, ESS {:.0});",
            out.luminosity_fb, b.events, b.sum_weights, b.ess
        ),
        None => ":".to_owned(),
    };
    let _ = writeln!(
        s,
        "Oddity search{background} data {} events (Σw {:.4e}, ESS {:.0}){}",
        out.data.events,
        out.data.sum_weights,
        out.data.ess,
        out.poisson_data.map_or(String::new(), |seed| format!("; data spectra Poisson-fluctuated (seed {seed})"))
    );
    for r in &out.regions {
        let selection = match &r.region {
            Some(g) => format!(
                "score ≥ {:.6}, background Σw {:.4e} (eB {:.3e}, ESS {:.0});",
                g.threshold, g.selected.sum_weights, g.efficiency, g.selected.effective_events
            ),
            None => "every event;".to_owned(),
        };
        let _ = writeln!(
            s,
            "\nregion {}: {selection} data Σw {:.4e} (ESS {:.0})",
            r.label, r.data.sum_weights, r.data.effective_events
        );
        let _ = writeln!(
            s,
            "  {:<8} {:>11} {:>8} {:>19} {:>10} {:>6} {:>9} {:>6}",
            "spectrum", "entries", "χ²/ndf", "bump [GeV]", "local p", "Z_loc", "global p", "Z"
        );
        for sp in &r.spectra {
            match (&sp.fit, &sp.bump) {
                (Some(f), Some(b)) => {
                    let _ = writeln!(
                        s,
                        "  {:<8} {:>11.4e} {:>7.2}{} {:>8.0}-{:<10.0} {:>10.3e} {:>6.2} {:>9.4} {:>6.2}",
                        sp.name,
                        sp.entries,
                        f.chi2_ndf,
                        if f.bad_fit { "!" } else { " " },
                        b.edges_gev[0],
                        b.edges_gev[1],
                        b.local_p,
                        b.z_local,
                        b.global_p,
                        b.z_global
                    );
                }
                _ => {
                    let why = sp.skipped.as_deref().unwrap_or("not scanned");
                    let _ = writeln!(s, "  {:<8} {:>11.4e}  {why}", sp.name, sp.entries);
                }
            }
            if let Some(inj) = &sp.injection {
                let _ = writeln!(
                    s,
                    "           injection: stops at {:.4} signal events (strength {}, Z {:.2}, {:?})",
                    inj.signal,
                    inj.strength,
                    inj.steps.last().map_or(0.0, |st| st.z),
                    inj.stop
                );
            }
            for l in &sp.limits {
                let _ = writeln!(
                    s,
                    "           limit m = {} GeV, σ/m = {}: μ_up {:.4} (expected {:.4} [{:.4}, {:.4}])",
                    l.mass, l.rel_width, l.observed, l.expected.median, l.expected.minus1, l.expected.plus1
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (found running the ATLAS chain at 140 fb⁻¹): a local p-value that underflows
    /// to 0 gives t = ∞, whose histogram axis had NaN edges.
    #[test]
    fn t_distribution_plot_with_an_infinite_observed_t() {
        let mut data = vec![100.0; 20];
        data[7] = 1e6;
        let hunter = BumpHunter1D {
            npe: 50,
            seed: 1,
            width_max: Some(3),
            ..BumpHunter1D::new((0..=20).map(f64::from).collect())
        };
        let hunt = hunter.hunt(&data, &[100.0; 20]).expect("hunt");
        assert!(hunt.scan.t.is_infinite(), "t = {}", hunt.scan.t);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.png");
        t_distribution_plot(&hunt, "regression", &path).expect("plot");
        assert!(path.is_file());
    }
}
