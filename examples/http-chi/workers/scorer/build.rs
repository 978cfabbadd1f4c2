//! Compiles the shared contract with protox, a protobuf compiler written in
//! Rust, so neither developers, CI nor the Docker build need `protoc`.

use std::{env, error::Error, fs, path::PathBuf};

/// The contract lives beside the worker, not inside it, because the
/// orchestrator compiles the same file.
const PROTO_ROOT: &str = "../../proto";
const PROTO_FILE: &str = "scoring/v1/scoring.proto";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");

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

    tonic_prost_build::configure()
        // Clients are generated for the tests; the transport helpers
        // (`connect`) would drag the HTTP client stack into the release binary.
        .build_transport(false)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
