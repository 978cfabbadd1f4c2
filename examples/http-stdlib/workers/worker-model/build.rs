//! Compiles the engine's test fixture into code, as each worker's `build.rs`
//! compiles its own model, so the compiled trees are tested against the flat
//! walk here, once, rather than in every worker.

use std::{env, error::Error, fs, path::PathBuf};

// The crate's own source: the build script cannot depend on the crate it builds.
#[allow(dead_code, unused_imports)]
#[path = "src/lib.rs"]
mod model;

const FIXTURE: &str = "testdata/model.json";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={FIXTURE}");
    println!("cargo:rerun-if-changed=src");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let model = model::Model::from_json(&fs::read_to_string(FIXTURE)?)?;
    fs::write(
        out_dir.join("compiled_fixture.rs"),
        model.compiled_source(FIXTURE),
    )?;
    Ok(())
}
