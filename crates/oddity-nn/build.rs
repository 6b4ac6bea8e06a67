//! Links this package's tests against libtorch (see `torch_link.rs`) and passes the libtorch
//! directory on to dependents as `DEP_ODDITY_NN_TORCH_LIB`.

include!("torch_link.rs");

fn main() {
    let lib =
        std::env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys reports the libtorch directory (links = \"tch\")");
    println!("cargo:torch_lib={lib}");
    emit_torch_link_args(&lib);
}
