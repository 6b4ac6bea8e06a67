//! Rendering tests for line plots, box plots and inline SVG strings.

use std::path::Path;

use oddity_plot::{
    Bars, BoxPlot, BoxStats, Curve, Hist1D, INLINE_SVG, LegendPosition, Lines, PlotError, Series, render_boxplot,
    render_lines,
};

/// First palette colour (matplotlib tab10 blue), used for the first curve / box.
const BLUE: [u8; 3] = [31, 119, 180];

/// Decode a PNG, check it is 800x600 with text/axes, and return how many
/// pixels have exactly the colour `rgb`.
fn png_pixels_of(path: &Path, rgb: [u8; 3]) -> usize {
    let bytes = std::fs::read(path).expect("read png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG signature");
    assert!(bytes.len() > 5_000, "suspiciously small PNG: {} bytes", bytes.len());
    let img = image::load_from_memory(&bytes).expect("decode png").to_rgb8();
    assert_eq!(img.dimensions(), (800, 600));
    let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 80)).count();
    assert!(dark > 500, "only {dark} dark pixels: text/axes missing?");
    img.pixels().filter(|p| p.0 == rgb).count()
}

/// SVG text: starts with `<svg`, and references nothing outside itself.
fn assert_self_contained_svg(svg: &str) {
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let stripped = svg.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
    for needle in ["http", "url(", "<image", "href", "@import", "<script"] {
        assert!(!stripped.contains(needle), "SVG contains {needle:?}");
    }
}

fn roc() -> Lines {
    let eb: Vec<f64> = (0..=60).map(|i| 10f64.powf(-6.0 + f64::from(i) / 10.0)).collect();
    let ae: Vec<f64> = eb.iter().map(|e| e.powf(0.25)).collect();
    let flow: Vec<f64> = eb.iter().map(|e| e.powf(0.15)).collect();
    let mut eb0 = vec![0.0];
    eb0.extend(&eb);
    let mut ae0 = vec![0.0];
    ae0.extend(&ae);
    Lines {
        title: "ROC, channel 1".into(),
        x_label: "background efficiency".into(),
        y_label: "signal efficiency".into(),
        // eB = 0 is not drawable on the log axis and is skipped.
        curves: vec![Curve::new("AE", eb0, ae0), Curve::new("Flow", eb, flow)],
        log_x: true,
        y_range: Some((0.0, 1.0)),
        reference: Some(Curve::diagonal("random", 1e-6, 1.0)),
        legend: LegendPosition::UpperLeft,
        ..Lines::default()
    }
}

fn training() -> Lines {
    let epochs: Vec<f64> = (1..=40).map(f64::from).collect();
    Lines {
        title: "Training".into(),
        x_label: "epoch".into(),
        y_label: "loss".into(),
        curves: vec![
            Curve::new("train", epochs.clone(), epochs.iter().map(|e| 2.0 / e + 0.05).collect()),
            Curve::new("validation", epochs.clone(), epochs.iter().map(|e| 2.2 / e + 0.08).collect()),
        ],
        log_y: true,
        ..Lines::default()
    }
}

fn jes() -> Lines {
    Lines {
        title: "AUC versus JES".into(),
        x_label: "JES shift [%]".into(),
        y_label: "AUC".into(),
        curves: vec![Curve::new("AE", vec![-5.0, -2.5, 0.0, 2.5, 5.0], vec![0.81, 0.83, 0.85, 0.84, 0.82])],
        markers: true,
        ..Lines::default()
    }
}

fn ti_boxes() -> BoxPlot {
    let models = ["AE", "VAE", "Flow", "DeepSVDD", "Isolation forest"];
    let boxes = models
        .iter()
        .enumerate()
        .map(|(m, _)| {
            let values: Vec<f64> = (0..30).map(|i| 1.0 + f64::from(m as u32) + f64::from((i * 7) % 13) * 0.4).collect();
            BoxStats::from_values(&values).expect("stats")
        })
        .collect();
    BoxPlot {
        title: "Total improvement".into(),
        x_label: "model".into(),
        y_label: "TI".into(),
        categories: models.iter().map(|m| (*m).to_owned()).collect(),
        boxes,
        reference_y: Some(1.0),
        ..BoxPlot::default()
    }
}

fn hist() -> Hist1D {
    Hist1D {
        title: "MET".into(),
        x_label: "MET [GeV]".into(),
        y_label: "events".into(),
        edges: vec![0.0, 50.0, 100.0, 200.0],
        series: vec![Series { label: "ttbar".into(), values: vec![10.0, 5.0, 1.0] }],
        log_y: false,
    }
}

fn bars() -> Bars {
    Bars {
        title: "Processes".into(),
        x_label: "process".into(),
        y_label: "events".into(),
        categories: vec!["ttbar".into(), "W+jets".into()],
        values: vec![100.0, 40.0],
        log_y: false,
    }
}

#[test]
fn lines_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, plot, labels) in [
        ("roc", roc(), &["ROC, channel 1", "background efficiency", "AE", "Flow", "random"][..]),
        ("training", training(), &["Training", "train", "validation"][..]),
        ("jes", jes(), &["AUC versus JES", "JES shift [%]"][..]),
    ] {
        let png = dir.path().join(format!("{name}.png"));
        let svg = dir.path().join(format!("{name}.svg"));
        render_lines(&plot, &png).expect("png");
        render_lines(&plot, &svg).expect("svg");
        assert!(png_pixels_of(&png, BLUE) > 300, "{name}: first curve not drawn");
        let text = std::fs::read_to_string(&svg).expect("read svg");
        assert_self_contained_svg(&text);
        for l in labels {
            assert!(text.contains(l), "{name}: {l:?} missing from SVG");
        }
        // The in-memory SVG is the file's content.
        assert_eq!(plot.to_svg_string().expect("svg string"), text, "{name}");
    }
}

#[test]
fn lines_legend_only_with_several_entries() {
    // One curve, no labelled reference: no legend, so the label is not drawn.
    let mut one = jes();
    one.curves[0].label = "only-curve-label".into();
    assert!(!one.to_svg_string().expect("svg").contains("only-curve-label"));
    one.reference = Some(Curve::new("nominal", vec![-5.0, 5.0], vec![0.85, 0.85]));
    let svg = one.to_svg_string().expect("svg");
    assert!(svg.contains("only-curve-label") && svg.contains("nominal"), "legend expected with a labelled reference");
}

#[test]
fn lines_edge_cases_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty_png = dir.path().join("empty.png");
    // No curves at all: axes only, no curve colour.
    render_lines(&Lines { title: "nothing".into(), ..Lines::default() }, &empty_png).expect("empty");
    assert_eq!(png_pixels_of(&empty_png, BLUE), 0);
    // Nothing drawable on log axes, empty curves, a single point, constant values.
    let odd = Lines {
        curves: vec![
            Curve::new("non-positive", vec![0.0, -1.0, 2.0], vec![1.0, 2.0, 0.0]),
            Curve::new("empty", vec![], vec![]),
            Curve::new("single", vec![3.0], vec![3.0]),
        ],
        log_x: true,
        log_y: true,
        ..Lines::default()
    };
    render_lines(&odd, &dir.path().join("odd.png")).expect("odd png");
    let svg = odd.to_svg_string().expect("odd svg");
    assert!(svg.contains("non-positive") && svg.contains("empty"), "legend lists undrawable curves");
    let flat = Lines { curves: vec![Curve::new("flat", vec![1.0, 1.0], vec![0.5, 0.5])], ..Lines::default() };
    render_lines(&flat, &dir.path().join("flat.svg")).expect("flat");
    // Fixed ranges clip curves that leave the frame; a reference outside is fine.
    let mut clipped = training();
    clipped.x_range = Some((5.0, 20.0));
    clipped.y_range = Some((0.1, 0.3));
    clipped.reference = Some(Curve::new("", vec![0.0, 100.0], vec![50.0, 50.0]));
    render_lines(&clipped, &dir.path().join("clipped.png")).expect("clipped");
    // Huge and tiny values.
    let extreme = Lines {
        curves: vec![Curve::new("x", vec![-f64::MAX, 0.0, f64::MAX], vec![f64::MIN_POSITIVE, 1.0, f64::MAX])],
        log_y: true,
        ..Lines::default()
    };
    render_lines(&extreme, &dir.path().join("extreme.png")).expect("extreme");
}

#[test]
fn lines_dense_curve_svg_stays_small() {
    let n = 200_000;
    let x: Vec<f64> = (1..=n).map(|i| f64::from(i) / f64::from(n)).collect();
    let y: Vec<f64> = x.iter().map(|v| v.sqrt()).collect();
    let plot = Lines { curves: vec![Curve::new("dense", x, y)], log_x: true, ..Lines::default() };
    let svg = plot.to_svg_string().expect("svg");
    assert!(svg.len() < 200_000, "SVG is {} bytes", svg.len());
}

#[test]
fn lines_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("roc.png");

    let mut short = roc();
    short.curves[1].y.pop();
    let e = render_lines(&short, &p).expect_err("length");
    assert!(matches!(e, PlotError::CurveLengthMismatch { ref curve, x: 61, y: 60, .. } if curve == "Flow"), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("roc.png") && msg.contains("'Flow'"), "{msg}");

    let mut nan = roc();
    nan.curves[0].y[3] = f64::NAN;
    let e = render_lines(&nan, &p).expect_err("nan");
    assert!(matches!(e, PlotError::NonFiniteCurve { ref curve, index: 3, axis: "y", .. } if curve == "AE"), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("roc.png") && msg.contains("'AE'") && msg.contains("point 3"), "{msg}");

    let mut inf = roc();
    inf.curves[1].x[0] = f64::INFINITY;
    assert!(matches!(render_lines(&inf, &p), Err(PlotError::NonFiniteCurve { axis: "x", index: 0, .. })));

    let mut bad_ref = roc();
    bad_ref.reference = Some(Curve::new("", vec![0.0, 1.0], vec![0.0]));
    let e = render_lines(&bad_ref, &p).expect_err("reference");
    assert!(matches!(e, PlotError::CurveLengthMismatch { ref curve, .. } if curve == "reference"), "{e:?}");

    for (x_range, y_range, axis) in [
        (Some((1.0, 1.0)), None, "x"),
        (Some((0.0, 1.0)), None, "x"), // log x needs a positive lower bound
        (None, Some((0.0, f64::NAN)), "y"),
        (None, Some((2.0, 1.0)), "y"),
    ] {
        let plot = Lines { x_range, y_range, ..roc() };
        let e = render_lines(&plot, &p).expect_err("range");
        assert!(matches!(e, PlotError::InvalidRange { axis: a, .. } if a == axis), "{x_range:?} {y_range:?}: {e:?}");
        assert!(e.to_string().contains("roc.png"), "{e}");
    }

    let e = render_lines(&roc(), &dir.path().join("roc.pdf")).expect_err("format");
    assert!(matches!(e, PlotError::UnsupportedFormat { .. }));
    assert!(!p.exists(), "no output should be written on error");
}

#[test]
fn boxplot_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = ti_boxes();
    let png = dir.path().join("ti.png");
    let svg = dir.path().join("ti.svg");
    render_boxplot(&b, &png).expect("png");
    render_boxplot(&b, &svg).expect("svg");
    assert!(png_pixels_of(&png, BLUE) > 200, "first box not drawn");
    let text = std::fs::read_to_string(&svg).expect("read svg");
    assert_self_contained_svg(&text);
    for l in ["Total improvement", "TI", "AE", "DeepSVDD", "Isolation forest"] {
        assert!(text.contains(l), "{l:?} missing from SVG");
    }
    assert_eq!(b.to_svg_string().expect("svg string"), text);
    let mut log = b.clone();
    log.log_y = true;
    render_boxplot(&log, &dir.path().join("ti_log.png")).expect("log");
}

#[test]
fn boxplot_edge_cases_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty_png = dir.path().join("empty.png");
    render_boxplot(&BoxPlot { title: "nothing".into(), ..BoxPlot::default() }, &empty_png).expect("empty");
    assert_eq!(png_pixels_of(&empty_png, BLUE), 0);
    // All zero on a log axis falls back to linear; a degenerate box; a reference off-scale.
    let zero = BoxStats { min: 0.0, q1: 0.0, median: 0.0, q3: 0.0, max: 0.0 };
    let flat = BoxPlot {
        categories: vec!["zero".into(), "negative".into()],
        boxes: vec![zero, BoxStats { min: -3.0, q1: -2.0, median: -1.0, q3: -1.0, max: 0.0 }],
        log_y: true,
        reference_y: Some(-100.0),
        ..BoxPlot::default()
    };
    render_boxplot(&flat, &dir.path().join("flat.png")).expect("flat");
    // Log axis with some non-positive statistics (drawn at the floor) and a fixed range that cuts boxes.
    let mut cut = ti_boxes();
    cut.log_y = true;
    cut.boxes[0].min = 0.0;
    render_boxplot(&cut, &dir.path().join("cut_auto.png")).expect("log with zero");
    cut.y_range = Some((2.0, 5.0));
    render_boxplot(&cut, &dir.path().join("cut.svg")).expect("cut");
    // Many long names are rotated.
    let many = BoxPlot {
        categories: (0..14).map(|i| format!("a rather long model name {i}")).collect(),
        boxes: (0..14)
            .map(|i| BoxStats::from_values(&[0.0, f64::from(i), 2.0 * f64::from(i)]).expect("stats"))
            .collect(),
        ..ti_boxes()
    };
    render_boxplot(&many, &dir.path().join("many.png")).expect("many");
}

#[test]
fn boxplot_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("ti.svg");

    let mut b = ti_boxes();
    b.boxes.pop();
    let e = render_boxplot(&b, &p).expect_err("mismatch");
    assert!(matches!(e, PlotError::BoxCountMismatch { categories: 5, boxes: 4, .. }), "{e:?}");
    assert!(e.to_string().contains("ti.svg"));

    let mut b = ti_boxes();
    b.boxes[2].q3 = f64::NAN;
    let e = render_boxplot(&b, &p).expect_err("nan");
    assert!(
        matches!(e, PlotError::NonFiniteBox { ref category, index: 2, stat: "q3", .. } if category == "Flow"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("ti.svg") && msg.contains("'Flow'") && msg.contains("q3"), "{msg}");

    let mut b = ti_boxes();
    b.boxes[1].median = b.boxes[1].max + 1.0;
    let e = render_boxplot(&b, &p).expect_err("unordered");
    assert!(matches!(e, PlotError::UnorderedBox { ref category, index: 1, .. } if category == "VAE"), "{e:?}");

    let mut b = ti_boxes();
    b.reference_y = Some(f64::INFINITY);
    assert!(matches!(render_boxplot(&b, &p), Err(PlotError::InvalidRange { axis: "y", .. })));
    let mut b = ti_boxes();
    b.log_y = true;
    b.y_range = Some((-1.0, 10.0));
    assert!(matches!(render_boxplot(&b, &p), Err(PlotError::InvalidRange { axis: "y", .. })));
    assert!(!p.exists());
}

#[test]
fn svg_strings_for_every_plot_kind() {
    let svgs = [
        (hist().to_svg_string().expect("hist"), "MET [GeV]"),
        (bars().to_svg_string().expect("bars"), "W+jets"),
        (roc().to_svg_string().expect("lines"), "signal efficiency"),
        (ti_boxes().to_svg_string().expect("boxplot"), "Isolation forest"),
    ];
    for (svg, label) in &svgs {
        assert_self_contained_svg(svg);
        assert!(svg.contains(label), "{label:?} missing");
    }
    // Labels are escaped, so the SVG can be pasted into HTML as is.
    let mut h = hist();
    h.title = "a < b & \"c\"".into();
    let svg = h.to_svg_string().expect("escaped");
    assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"), "title not escaped");
    assert!(!svg.contains("a < b"));
}

#[test]
fn svg_string_errors_name_the_inline_placeholder() {
    let mut h = hist();
    h.series[0].values.pop();
    let e = h.to_svg_string().expect_err("hist");
    assert!(e.to_string().starts_with(INLINE_SVG), "{e}");
    let mut b = bars();
    b.values[0] = f64::NAN;
    assert!(matches!(b.to_svg_string(), Err(PlotError::NonFiniteBar { .. })));
    let mut l = roc();
    l.curves[0].x.push(1.0);
    let e = l.to_svg_string().expect_err("lines");
    assert!(e.to_string().starts_with(INLINE_SVG) && e.to_string().contains("'AE'"), "{e}");
    let mut bp = ti_boxes();
    bp.categories.clear();
    assert!(matches!(bp.to_svg_string(), Err(PlotError::BoxCountMismatch { categories: 0, boxes: 5, .. })));
}

/// Render example plots into `ODDITY_PLOT_EXAMPLES` (if set) for eyeballing.
#[test]
fn write_examples_when_requested() {
    let Some(dir) = std::env::var_os("ODDITY_PLOT_EXAMPLES") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    render_lines(&roc(), &dir.join("lines_roc.png")).expect("roc");
    render_lines(&training(), &dir.join("lines_training.png")).expect("training");
    render_lines(&jes(), &dir.join("lines_jes.png")).expect("jes");
    let eb: Vec<f64> = (0..=50).map(|i| 10f64.powf(-5.0 + f64::from(i) / 10.0)).collect();
    let si = Lines {
        title: "Significance improvement".into(),
        x_label: "background efficiency".into(),
        y_label: "SI".into(),
        curves: vec![
            Curve::new("AE", eb.clone(), eb.iter().map(|e| e.powf(0.25) / e.sqrt()).collect()),
            Curve::new("Flow", eb.clone(), eb.iter().map(|e| e.powf(0.15) / e.sqrt()).collect()),
        ],
        log_x: true,
        reference: Some(Curve::new("no improvement", vec![1e-5, 1.0], vec![1.0, 1.0])),
        ..Lines::default()
    };
    render_lines(&si, &dir.join("lines_si.png")).expect("si");
    let mut clipped = training();
    clipped.x_range = Some((5.0, 20.0));
    clipped.y_range = Some((0.1, 0.3));
    render_lines(&clipped, &dir.join("lines_clipped.png")).expect("clipped");
    render_boxplot(&ti_boxes(), &dir.join("box_ti.png")).expect("box");
    let mut log = ti_boxes();
    log.log_y = true;
    render_boxplot(&log, &dir.join("box_ti_log.png")).expect("box log");
    let many = BoxPlot {
        categories: (0..14).map(|i| format!("a rather long model name {i}")).collect(),
        boxes: (0..14)
            .map(|i| BoxStats::from_values(&[0.0, f64::from(i), 2.0 * f64::from(i)]).expect("stats"))
            .collect(),
        ..ti_boxes()
    };
    render_boxplot(&many, &dir.join("box_many.png")).expect("many");
}
