//! Scoring worker for the `scoring.v1.ScoringService` contract.
//!
//! The binary (`src/main.rs`) only wires these modules together, so the
//! tests drive the same code the container runs.

pub mod config;
pub mod model;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod validate;

pub mod pb {
    //! Types and service stubs generated from `proto/scoring/v1/scoring.proto`.
    #![allow(clippy::all, clippy::pedantic)]

    tonic::include_proto!("scoring.v1");

    /// Encoded `FileDescriptorSet` of the contract, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/scoring_descriptor.bin"));
}
