// Shared by the build scripts of every package whose binaries or tests link libtorch
// (included with `include!`). Design decision D1:
// - `libtorch_cuda.so` must stay linked (not dropped by `--as-needed`) so CUDA works where
//   present: `-Wl,--no-as-needed -ltorch_cuda -Wl,--as-needed` on the package's linked targets
//   (not RUSTFLAGS, which would also hit build scripts);
// - binaries find libtorch without LD_LIBRARY_PATH through a RUNPATH to its directory, which
//   LD_LIBRARY_PATH still overrides on machines that bring their own libtorch.

/// Emits the link arguments for libtorch in `lib_dir`. `rustc-link-arg` reaches every target
/// of the package that links (binaries, unit and integration tests, benches, examples).
fn emit_torch_link_args(lib_dir: &str) {
    let dir = std::path::Path::new(lib_dir);
    let mut args = vec![format!("-Wl,-rpath,{lib_dir}"), "-Wl,--enable-new-dtags".to_owned()];
    if dir.join("libtorch_cuda.so").exists() {
        args.extend(["-Wl,--no-as-needed".to_owned(), "-ltorch_cuda".to_owned(), "-Wl,--as-needed".to_owned()]);
    }
    for a in &args {
        println!("cargo:rustc-link-arg={a}");
    }
}
