//! Compiles the shipped model into code with the engine's own validation and
//! lowering (see worker-model's `codegen.rs`), so the worker scores it without
//! walking node tables. The contract is compiled once, by worker-kit.

use std::{env, error::Error, fs, path::PathBuf};

const MODEL_FILE: &str = "model/model.json";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={MODEL_FILE}");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let model = worker_model::Model::from_json(&fs::read_to_string(MODEL_FILE)?)?;
    fs::write(
        out_dir.join("compiled_model.rs"),
        model.compiled_source(MODEL_FILE),
    )?;
    Ok(())
}
