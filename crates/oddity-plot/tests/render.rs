//! Rendering tests: write PNG/SVG into a temporary directory and inspect them.

use std::path::Path;

use oddity_plot::{Bars, Hist1D, PlotError, Series, render_bars, render_hist1d};

fn hist(series: Vec<Series>, edges: Vec<f64>, log_y: bool) -> Hist1D {
    Hist1D {
        title: "Leading jet pT".into(),
        x_label: "pT [GeV]".into(),
        y_label: "Events / bin".into(),
        edges,
        series,
        log_y,
    }
}

fn series(label: &str, values: &[f64]) -> Series {
    Series { label: label.into(), values: values.to_vec() }
}

fn two_series() -> Hist1D {
    let edges: Vec<f64> = (0..=20).map(|i| f64::from(i) * 25.0).collect();
    let a: Vec<f64> = (0..20).map(|i| 1000.0 * (-f64::from(i) / 4.0).exp()).collect();
    let b: Vec<f64> = (0..20).map(|i| 300.0 * (-(f64::from(i) - 8.0).powi(2) / 10.0).exp()).collect();
    hist(vec![series("background (ttbar)", &a), series("signal (Z')", &b)], edges, false)
}

fn bars() -> Bars {
    Bars {
        title: "Events per process".into(),
        x_label: "Process".into(),
        y_label: "Events".into(),
        categories: vec!["ttbar".into(), "W+jets".into(), "Z+jets".into(), "QCD".into(), "signal".into()],
        values: vec![12000.0, 5400.0, 3100.0, 150000.0, 42.0],
        log_y: true,
    }
}

/// Decode a PNG and check it is 800x600 and not a single flat colour.
fn assert_png_nontrivial(path: &Path) {
    let img = image::open(path).expect("decode png").to_rgb8();
    assert_eq!(img.dimensions(), (800, 600));
    let first = *img.get_pixel(0, 0);
    let differing = img.pixels().filter(|p| **p != first).count();
    assert!(differing > 5_000, "only {differing} pixels differ from the background");
    // Some dark pixels (text, axes) must be present.
    let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 80)).count();
    assert!(dark > 500, "only {dark} dark pixels: text/axes missing?");
}

fn no_temp_files_left(dir: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".oddity-plot-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn hist_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = two_series();
    let png = dir.path().join("jet_pt.png");
    let svg = dir.path().join("jet_pt.svg");
    render_hist1d(&h, &png).expect("png");
    render_hist1d(&h, &svg).expect("svg");
    assert_png_nontrivial(&png);
    let text = std::fs::read_to_string(&svg).expect("read svg");
    assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(100)]);
    assert!(text.contains("Leading jet pT"));
    assert!(text.contains("background (ttbar)"), "legend missing");
    assert!(text.contains("pT [GeV]"));
    no_temp_files_left(dir.path());
}

#[test]
fn hist_single_series_log_and_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("single.PNG");
    std::fs::write(&png, b"old contents").expect("seed");
    let h = hist(vec![series("data", &[0.0, 3.0, 250.0, 1e4, 12.0])], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], true);
    render_hist1d(&h, &png).expect("render");
    assert_png_nontrivial(&png);
}

#[test]
fn hist_edge_cases_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No series at all: axes only.
    render_hist1d(&hist(vec![], vec![0.0, 1.0, 2.0], false), &dir.path().join("empty.png")).expect("empty");
    // All-zero values with log y: falls back to a linear axis.
    let zeros = hist(vec![series("z", &[0.0, 0.0, 0.0])], vec![0.0, 1.0, 2.0, 3.0], true);
    render_hist1d(&zeros, &dir.path().join("zeros.png")).expect("zeros png");
    render_hist1d(&zeros, &dir.path().join("zeros.svg")).expect("zeros svg");
    // A single bin, negative values on a linear axis, empty labels.
    let one = hist(vec![series("one", &[5.0])], vec![-1.0, 1.0], false);
    render_hist1d(&one, &dir.path().join("one.png")).expect("one bin");
    let mut neg = hist(vec![series("n", &[-3.0, 2.0])], vec![0.0, 1.0, 2.0], false);
    neg.title.clear();
    neg.x_label.clear();
    render_hist1d(&neg, &dir.path().join("neg.svg")).expect("negative");
    // Negative and zero values on a log axis are clamped to the floor.
    let mixed = hist(vec![series("m", &[-3.0, 0.0, 1e-6, 1e9])], vec![0.0, 1.0, 2.0, 3.0, 4.0], true);
    render_hist1d(&mixed, &dir.path().join("mixed.png")).expect("mixed log");
    // Many series: palette cycles, legend grows.
    let many: Vec<Series> = (0..12).map(|i| series(&format!("s{i}"), &[f64::from(i), 1.0])).collect();
    render_hist1d(&hist(many, vec![0.0, 1.0, 2.0], false), &dir.path().join("many.png")).expect("many");
    no_temp_files_left(dir.path());
}

#[test]
fn hist_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.png");

    let nan = hist(vec![series("ok", &[1.0, 2.0]), series("broken", &[1.0, f64::NAN])], vec![0.0, 1.0, 2.0], false);
    let e = render_hist1d(&nan, &p).expect_err("nan");
    assert!(matches!(e, PlotError::NonFinite { ref series, bin: 1, .. } if series == "broken"), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("bad.png") && msg.contains("broken") && msg.contains("bin 1"), "{msg}");

    let inf = hist(vec![series("inf", &[f64::INFINITY])], vec![0.0, 1.0], true);
    assert!(matches!(render_hist1d(&inf, &p), Err(PlotError::NonFinite { .. })));

    for edges in [vec![0.0, 2.0, 1.0], vec![0.0, 1.0, 1.0], vec![0.0, f64::NAN], vec![1.0], vec![]] {
        let n = edges.len().saturating_sub(1);
        let h = hist(vec![series("s", &vec![1.0; n])], edges.clone(), false);
        let e = render_hist1d(&h, &p).expect_err("bad edges");
        assert!(matches!(e, PlotError::InvalidEdges { .. }), "{edges:?}: {e:?}");
        assert!(e.to_string().contains("bad.png"), "{e}");
    }

    let short = hist(vec![series("short", &[1.0])], vec![0.0, 1.0, 2.0], false);
    let e = render_hist1d(&short, &p).expect_err("length");
    assert!(matches!(e, PlotError::LengthMismatch { got: 1, expected: 2, .. }), "{e:?}");

    let good = two_series();
    let e = render_hist1d(&good, &dir.path().join("plot.jpg")).expect_err("format");
    assert!(matches!(e, PlotError::UnsupportedFormat { .. }));
    assert!(e.to_string().contains("plot.jpg"), "{e}");
    assert!(matches!(render_hist1d(&good, &dir.path().join("noext")), Err(PlotError::UnsupportedFormat { .. })));

    let missing = dir.path().join("no/such/dir/plot.png");
    let e = render_hist1d(&good, &missing).expect_err("missing dir");
    assert!(matches!(e, PlotError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("plot.png"), "{e}");

    assert!(!p.exists(), "no output should be written on error");
    no_temp_files_left(dir.path());
}

#[test]
fn bars_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bars();
    let png = dir.path().join("processes.png");
    let svg = dir.path().join("processes.svg");
    render_bars(&b, &png).expect("png");
    render_bars(&b, &svg).expect("svg");
    assert_png_nontrivial(&png);
    let text = std::fs::read_to_string(&svg).expect("read svg");
    assert!(text.contains("Events per process"));
    assert!(text.contains("W+jets") && text.contains("signal"), "category labels missing");
    no_temp_files_left(dir.path());
}

#[test]
fn bars_edge_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = Bars { title: "nothing".into(), ..Bars::default() };
    render_bars(&empty, &dir.path().join("empty.png")).expect("empty");
    let zeros =
        Bars { categories: vec!["0".into(), "1".into(), "2".into()], values: vec![0.0; 3], log_y: true, ..bars() };
    render_bars(&zeros, &dir.path().join("zeros.svg")).expect("zeros");
    // Many long labels are rotated (and truncated) rather than overlapping.
    let long = Bars {
        categories: (0..15).map(|i| format!("a rather long process name number {i}")).collect(),
        values: (0..15).map(f64::from).collect(),
        log_y: false,
        ..bars()
    };
    render_bars(&long, &dir.path().join("long.png")).expect("long");
}

#[test]
fn bars_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bars.svg");
    let mut b = bars();
    b.values[2] = f64::NAN;
    let e = render_bars(&b, &p).expect_err("nan");
    assert!(matches!(e, PlotError::NonFiniteBar { index: 2, ref category, .. } if category == "Z+jets"), "{e:?}");
    assert!(e.to_string().contains("bars.svg"));
    let mut b = bars();
    b.values.pop();
    let e = render_bars(&b, &p).expect_err("mismatch");
    assert!(matches!(e, PlotError::CategoryMismatch { categories: 5, values: 4, .. }), "{e:?}");
    assert!(!p.exists());
}

/// Render a few example plots into `ODDITY_PLOT_EXAMPLES` (if set) for eyeballing.
#[test]
fn write_examples_when_requested() {
    let Some(dir) = std::env::var_os("ODDITY_PLOT_EXAMPLES") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    render_hist1d(&two_series(), &dir.join("hist_two.png")).expect("hist");
    let mut log = two_series();
    log.log_y = true;
    render_hist1d(&log, &dir.join("hist_two_log.png")).expect("hist log");
    let single = hist(vec![series("data", &[0.0, 3.0, 250.0, 1e4, 12.0])], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], true);
    render_hist1d(&single, &dir.join("hist_single_log.png")).expect("single");
    render_bars(&bars(), &dir.join("bars_log.png")).expect("bars");
    let long = Bars {
        categories: (0..15).map(|i| format!("a rather long process name number {i}")).collect(),
        values: (0..15).map(f64::from).collect(),
        log_y: false,
        ..bars()
    };
    render_bars(&long, &dir.join("bars_long.png")).expect("long");
    let mult = Bars {
        title: "Jet multiplicity".into(),
        x_label: "N jets".into(),
        categories: (0..10).map(|i| i.to_string()).collect(),
        values: vec![5.0, 40.0, 120.0, 90.0, 50.0, 20.0, 8.0, 3.0, 1.0, 0.0],
        log_y: false,
        ..bars()
    };
    render_bars(&mult, &dir.join("bars_mult.png")).expect("mult");
}
