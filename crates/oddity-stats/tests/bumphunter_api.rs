//! BumpHunter behaviour beyond the pyBumpHunter golden numbers: reproducibility across
//! thread counts, deficit hunts, side bands on synthetic spectra, and config validation.

use oddity_stats::bumphunter::{
    BumpHunter1D, BumpHunter2D, BumpHunterError, InjectionConfig, Mode, ScanStep, Sideband, StrengthScale,
};

/// A falling spectrum (40 bins) with an optional Gaussian-shaped excess or deficit at bin 20.
fn spectrum(bump: f64) -> (Vec<f64>, Vec<f64>) {
    let bkg: Vec<f64> = (0..40).map(|i| 2000.0 * (-(i as f64) / 12.0).exp()).collect();
    let data = bkg
        .iter()
        .enumerate()
        .map(|(i, b)| (b + bump * (-((i as f64 - 20.0) / 1.5).powi(2) / 2.0).exp()).round())
        .collect();
    (data, bkg)
}

fn hunter() -> BumpHunter1D {
    let mut h = BumpHunter1D::new((0..=40).map(f64::from).collect());
    h.width_max = Some(6);
    h.npe = 300;
    h.seed = 11;
    h
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool").install(f)
}

#[test]
fn pseudo_experiments_do_not_depend_on_the_thread_count() {
    let (data, bkg) = spectrum(60.0);
    let h = hunter();
    let one = in_pool(1, || h.hunt(&data, &bkg)).expect("valid");
    let two = in_pool(2, || h.hunt(&data, &bkg)).expect("valid");
    assert_eq!(one, two);
    // A different seed gives different pseudo-experiments.
    let other = BumpHunter1D { seed: 12, ..h.clone() }.hunt(&data, &bkg).expect("valid");
    assert_ne!(one.t_pseudo, other.t_pseudo);
    let (h2, d2, b2) = small_2d();
    assert_eq!(in_pool(1, || h2.hunt(&d2, &b2)), in_pool(2, || h2.hunt(&d2, &b2)));
}

#[test]
fn excess_is_found_and_significant() {
    let (data, bkg) = spectrum(80.0);
    let hunt = hunter().hunt(&data, &bkg).expect("valid");
    let b = hunt.scan.best;
    assert!(b.loc <= 20 && 20 < b.loc + b.width, "bump at {b:?}");
    assert!(hunt.scan.signal > 100.0, "signal {}", hunt.scan.signal);
    assert_eq!(hunt.global.count, 0);
    assert!(hunt.global.z_is_lower_limit);
    // Without the excess the data look like the background.
    let hunt = hunter().hunt(&bkg.iter().map(|b| b.round()).collect::<Vec<_>>(), &bkg).expect("valid");
    assert!(hunt.global.p > 0.05, "{}", hunt.global);
}

#[test]
fn deficit_mode_finds_a_dip() {
    let (data, bkg) = spectrum(-80.0);
    let mut h = hunter();
    h.mode = Mode::Deficit;
    let hunt = h.hunt(&data, &bkg).expect("valid");
    let b = hunt.scan.best;
    assert!(b.loc <= 20 && 20 < b.loc + b.width, "dip at {b:?}");
    assert!(hunt.scan.signal < -100.0);
    assert!(hunt.global.p < 0.01);
    // In excess mode the same dip has p = 1 everywhere near it.
    let scan = hunter().scan(&data, &bkg).expect("valid");
    assert!(scan.best.p > 0.01);
}

#[test]
fn side_bands_absorb_a_normalisation_offset() {
    // Data 20 % above the background everywhere plus a bump: without side bands the best
    // window is a wide low-mass one; with side bands the scale ~1.2 is fitted away.
    let (data, bkg) = spectrum(80.0);
    let data: Vec<f64> = data.iter().map(|d| (d * 1.2).round()).collect();
    let mut h = hunter();
    h.sideband = Sideband::Whole;
    let scan = h.scan(&data, &bkg).expect("valid");
    let scale = scan.norm_scale.expect("side bands on");
    assert!((scale - 1.2).abs() < 0.02, "scale {scale}");
    assert!(scan.best.loc <= 20 && 20 < scan.best.loc + scan.best.width);
    assert!(scan.windows.iter().all(|w| w.p >= 1e-300));
    assert!(hunter().scan(&data, &bkg).expect("valid").best.p < scan.best.p);
}

fn small_2d() -> (BumpHunter2D, Vec<f64>, Vec<f64>) {
    let (nx, ny) = (8, 6);
    let bkg: Vec<f64> = (0..nx * ny).map(|k| 50.0 + (k % 7) as f64).collect();
    let mut data = bkg.clone();
    for (ix, iy) in [(4, 2), (4, 3), (5, 2), (5, 3)] {
        data[ix * ny + iy] += 40.0;
    }
    let edges = |n: usize| (0..=n).map(|i| i as f64).collect();
    let mut h = BumpHunter2D::new(edges(nx), edges(ny));
    h.width_max = Some([3, 3]);
    h.npe = 200;
    (h, data, bkg)
}

#[test]
fn two_d_finds_the_square_and_full_steps_use_each_axis_width() {
    let (h, data, bkg) = small_2d();
    let scan = h.scan(&data, &bkg).expect("valid");
    assert_eq!((scan.best.loc, scan.best.width), ([4, 2], [2, 2]));
    assert_eq!(scan.signal, 160.0);
    let mut full = h.clone();
    full.width_min = [2, 3];
    full.width_max = Some([2, 3]);
    full.scan_step = [ScanStep::Full, ScanStep::Full];
    let scan = full.scan(&data, &bkg).expect("valid");
    let locs: Vec<[usize; 2]> = scan.windows.iter().map(|w| w.loc).collect();
    assert_eq!(locs, [[0, 0], [0, 3], [2, 0], [2, 3], [4, 0], [4, 3], [6, 0], [6, 3]]);
}

#[test]
fn injection_with_a_strong_signal_stops_at_the_sigma_limit() {
    let (_, bkg) = spectrum(0.0);
    let signal: Vec<f64> = (0..40).map(|i| if (19..22).contains(&i) { 100.0 } else { 0.0 }).collect();
    let mut h = hunter();
    h.npe = 100; // the stat limit is then p = 1 %, Z = 2.33 > sigma_limit
    let config = InjectionConfig {
        scale: StrengthScale::Lin { min: 0.5, step: 0.5 },
        sigma_limit: 2.0,
        npe_inject: 20,
        ..InjectionConfig::default()
    };
    let inj = h.inject(&bkg, &signal, &config).expect("valid");
    let last = inj.steps.last().expect("steps");
    assert!(last.z >= 2.0, "{inj}");
    assert!(inj.steps[..inj.steps.len() - 1].iter().all(|s| s.z < 2.0));
    assert_eq!(inj.signal, inj.strength * 300.0);
}

#[test]
fn invalid_settings_and_inputs_are_rejected() {
    let (data, bkg) = spectrum(0.0);
    let err = |h: BumpHunter1D, d: &[f64], b: &[f64]| h.scan(d, b).expect_err("invalid");
    let h = hunter();
    assert!(matches!(
        err(BumpHunter1D { width_min: 0, ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { field: "width_min", .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { width_max: Some(1), ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { field: "width_max", .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { width_step: 0, ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { field: "width_step", .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { scan_step: ScanStep::Bins(0), ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { field: "scan_step", .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { npe: 0, ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { field: "npe", .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { width_min: 41, width_max: None, ..h.clone() }, &data, &bkg),
        BumpHunterError::Config { .. }
    ));
    assert!(matches!(
        err(BumpHunter1D { sideband: Sideband::Width(20), ..h.clone() }, &data, &bkg),
        BumpHunterError::RangeTooSmall { bins: 0, .. }
    ));
    let mut edges = h.edges.clone();
    edges[5] = edges[4];
    assert_eq!(
        err(BumpHunter1D { edges, ..h.clone() }, &data, &bkg),
        BumpHunterError::Edges { axis: "x", index: 5, value: 4.0 }
    );
    assert_eq!(err(h.clone(), &data[1..], &bkg), BumpHunterError::Shape { what: "data", got: 39, expected: 40 });
    let mut bad = bkg.clone();
    bad[7] = f64::NAN;
    let e = err(h.clone(), &data, &bad);
    assert!(matches!(&e, BumpHunterError::Count { what: "background", bin, .. } if bin == "7"), "{e}");
    assert!(e.to_string().contains("background histogram bin 7 is NaN"), "{e}");
    bad[7] = -1.0;
    assert!(matches!(err(h.clone(), &bad, &bkg), BumpHunterError::Count { what: "data", .. }));
    assert_eq!(err(h.clone(), &data, &[0.0; 40]), BumpHunterError::EmptyBackground);
    let mut huge = bkg.clone();
    huge[0] = 1e300;
    assert!(matches!(h.hunt(&data, &huge), Err(BumpHunterError::TooLarge { .. })));

    let bad_inject = |c: InjectionConfig| h.inject(&bkg, &data, &c).expect_err("invalid");
    assert!(matches!(
        bad_inject(InjectionConfig { npe_inject: 0, ..InjectionConfig::default() }),
        BumpHunterError::Config { field: "npe_inject", .. }
    ));
    assert!(matches!(
        bad_inject(InjectionConfig { sigma_limit: f64::NAN, ..InjectionConfig::default() }),
        BumpHunterError::Config { field: "sigma_limit", .. }
    ));
    let lin = StrengthScale::Lin { min: 0.5, step: 0.0 };
    assert!(matches!(
        bad_inject(InjectionConfig { scale: lin, ..InjectionConfig::default() }),
        BumpHunterError::Config { field: "scale.step", .. }
    ));
    assert!(matches!(
        h.inject(&bkg, &[0.0; 40], &InjectionConfig::default()),
        Err(BumpHunterError::Config { field: "signal", .. })
    ));
    let deficit = BumpHunter1D { mode: Mode::Deficit, ..h.clone() };
    let big: Vec<f64> = (0..40).map(|i| if i == 39 { 1e6 } else { 0.0 }).collect();
    assert!(matches!(
        deficit.inject(&bkg, &big, &InjectionConfig::default()),
        Err(BumpHunterError::NegativeExpectation { .. })
    ));

    let (h2, d2, b2) = small_2d();
    let e = h2.scan(&d2[..47], &b2).expect_err("short data");
    assert_eq!(e, BumpHunterError::Shape { what: "data", got: 47, expected: 48 });
    let mut bad2 = b2.clone();
    bad2[13] = f64::INFINITY;
    let e = h2.scan(&d2, &bad2).expect_err("bad cell");
    assert!(matches!(&e, BumpHunterError::Count { bin, .. } if bin == "(2, 1)"), "{e}");
}

#[test]
fn results_serialise_to_json() {
    let (data, bkg) = spectrum(60.0);
    let hunt = hunter().hunt(&data, &bkg).expect("valid");
    let json = serde_json::to_value(&hunt).expect("serialisable");
    assert_eq!(json["t_pseudo"].as_array().map(Vec::len), Some(300));
    assert_eq!(json["scan"]["best"]["loc"].as_u64(), Some(hunt.scan.best.loc as u64));
    let config = serde_json::to_string(&hunter()).expect("config serialisable");
    let back: BumpHunter1D = serde_json::from_str(&config).expect("round trip");
    assert_eq!(back, hunter());
}

/// Two channels of the same falling spectrum (the second with half the background) with
/// Gaussian excesses of `bumps` events at bins `at`.
fn two_channels(bumps: [f64; 2], at: [f64; 2]) -> [(Vec<f64>, Vec<f64>); 2] {
    [0, 1].map(|c| {
        let scale = if c == 0 { 1.0 } else { 0.5 };
        let bkg: Vec<f64> = (0..40).map(|i| scale * 2000.0 * (-(i as f64) / 12.0).exp()).collect();
        let data = bkg
            .iter()
            .enumerate()
            .map(|(i, b)| (b + bumps[c] * (-((i as f64 - at[c]) / 1.5).powi(2) / 2.0).exp()).round())
            .collect();
        (data, bkg)
    })
}

fn pairs(ch: &[(Vec<f64>, Vec<f64>)]) -> Vec<(&[f64], &[f64])> {
    ch.iter().map(|(d, b)| (d.as_slice(), b.as_slice())).collect()
}

#[test]
fn overlapping_bumps_in_two_channels_combine_to_a_smaller_p() {
    let ch = two_channels([42.0, 32.0], [20.0, 20.0]);
    let h = BumpHunter1D { npe: 1000, ..hunter() };
    let multi = h.hunt_channels(&pairs(&ch)).expect("valid");
    let single: Vec<_> = ch.iter().map(|(d, b)| h.hunt(d, b).expect("valid")).collect();
    let [lo, hi] = multi.combined_bins.expect("the bumps overlap");
    assert!(lo <= 20 && 20 < hi, "combined window [{lo}, {hi})");
    for (c, s) in single.iter().enumerate() {
        let best = multi.channels[c].scan.best;
        assert_eq!(best, s.scan.best, "channel {c} scans as on its own");
        assert!(lo >= best.loc && hi <= best.loc + best.width);
        assert!(multi.global.p < s.global.p, "combined {} vs channel {c} {}", multi.global, s.global);
    }
    assert_eq!(multi.p, single[0].scan.best.p * single[1].scan.best.p);
    assert!((multi.t - single[0].scan.t - single[1].scan.t).abs() < 1e-12);
    assert!(multi.channels.iter().all(|c| c.signal > 0.0));
    let text = multi.to_string();
    assert!(text.contains("Combined bump edges : ["), "{text}");
    // Channel 0 draws the pseudo-experiments of the single-channel hunt.
    let one = h.hunt_channels(&pairs(&ch[..1])).expect("valid");
    assert_eq!((one.t_pseudo, one.global), (single[0].t_pseudo.clone(), single[0].global.clone()));
    assert_eq!(in_pool(1, || h.hunt_channels(&pairs(&ch))).expect("valid"), multi);
}

#[test]
fn bumps_that_do_not_overlap_give_p_one() {
    let ch = two_channels([80.0, 60.0], [10.0, 30.0]);
    let multi = hunter().hunt_channels(&pairs(&ch)).expect("valid");
    assert_eq!((multi.combined_bins, multi.p, multi.t), (None, 1.0, 0.0));
    assert_eq!((multi.global.p, multi.global.z), (1.0, 0.0));
    assert!(multi.channels.iter().all(|c| c.signal == 0.0 && c.scan.best.p < 1e-3), "{multi}");
    assert!(multi.to_string().contains("do not overlap"));
}

#[test]
fn multi_channel_inputs_are_validated() {
    let h = hunter();
    assert!(matches!(h.hunt_channels(&[]), Err(BumpHunterError::Config { field: "channels", .. })));
    let ch = two_channels([0.0, 0.0], [20.0, 20.0]);
    let short = [(ch[0].0.as_slice(), ch[0].1.as_slice()), (&ch[1].0[..39], ch[1].1.as_slice())];
    let e = h.hunt_channels(&short).expect_err("short data in channel 1");
    assert!(
        matches!(&e, BumpHunterError::Channel { channel: 1, source } if matches!(**source, BumpHunterError::Shape { what: "data", got: 39, .. })),
        "{e}"
    );
    assert!(e.to_string().starts_with("channel 1: data histogram has 39 bins"), "{e}");
    let empty = [(ch[0].0.as_slice(), &[0.0; 40][..])];
    assert!(matches!(
        h.hunt_channels(&empty),
        Err(BumpHunterError::Channel { channel: 0, source }) if *source == BumpHunterError::EmptyBackground
    ));
}
