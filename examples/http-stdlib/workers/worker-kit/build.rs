//! Compiles the shared contract with protox, a protobuf compiler written in
//! Rust, so neither developers, CI nor the Docker build need `protoc`, and
//! derives the contract's limits from its buf.validate rules (see
//! `build/limits.rs`). Each worker's own `build.rs` compiles its model.

use std::{env, error::Error, fs, path::PathBuf};

#[path = "build/limits.rs"]
mod limits;

/// The contract lives beside the workers, not inside them, because the
/// orchestrator compiles the same file.
const PROTO_ROOT: &str = "../../proto";
const PROTO_FILE: &str = "scoring/v1/scoring.proto";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed=build");

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_file(PROTO_FILE)?;

    // Served by gRPC reflection so grpcurl and friends need no local .proto.
    fs::write(
        out_dir.join("scoring_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    fs::write(
        out_dir.join("limits.rs"),
        limits::generate(&compiler.descriptor_pool())?,
    )?;

    // Code for the contract alone: its imports (protovalidate's rule options)
    // are read above, at build time, and never needed at run time.
    let mut files = compiler.file_descriptor_set();
    files.file.retain(|file| file.name() == PROTO_FILE);
    tonic_prost_build::configure()
        // Clients are generated for the tests; the transport helpers
        // (`connect`) would drag the HTTP client stack into the release binary.
        .build_transport(false)
        .compile_fds(files)?;
    Ok(())
}
