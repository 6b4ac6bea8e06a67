//! Embeds the default sample (`data/*.csv.gz` at the repository root) into the binary, so
//! `oddity demo` works from any directory. Writes `$OUT_DIR/embedded_samples.rs`. Also links
//! the binary and its tests against libtorch.

use std::fmt::Write as _;
use std::path::Path;

include!("../oddity-nn/torch_link.rs");

fn main() {
    // libtorch: RUNPATH and libtorch_cuda kept (crates/oddity-nn/torch_link.rs).
    let lib = std::env::var("DEP_ODDITY_NN_TORCH_LIB").expect("oddity-nn reports the libtorch directory");
    emit_torch_link_args(&lib);

    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    println!("cargo:rerun-if-changed={}", data.display());
    let mut files: Vec<_> =
        std::fs::read_dir(&data).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(".csv.gz") || p.to_string_lossy().ends_with("samples.json"));
    files.sort();
    let mut code = String::from(
        "/// (file name, bytes) of every embedded sample file.\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let abs = f.canonicalize().unwrap_or_else(|_| f.clone());
        let _ = writeln!(code, "    ({name:?}, include_bytes!({:?})),", abs.display().to_string());
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo")).join("embedded_samples.rs");
    std::fs::write(out, code).expect("write embedded_samples.rs");
}
