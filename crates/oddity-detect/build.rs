//! Links this package's tests against libtorch (RUNPATH, libtorch_cuda kept): see
//! `crates/oddity-nn/torch_link.rs`.

include!("../oddity-nn/torch_link.rs");

fn main() {
    let lib = std::env::var("DEP_ODDITY_NN_TORCH_LIB").expect("oddity-nn reports the libtorch directory");
    emit_torch_link_args(&lib);
}
