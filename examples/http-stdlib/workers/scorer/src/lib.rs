//! `scorer`: a scoring worker for the `scoring.v1.ScoringService`
//! contract. Everything workers share is in `worker_kit`; this crate holds
//! what is its own: its settings and its model, compiled in by `build.rs`.

pub mod config;

pub mod model {
    //! The engine (`worker_kit::model`) and this worker's model.

    pub use worker_kit::model::*;

    // `COMPILED`: `model/model.json` compiled into code by `build.rs`.
    include!(concat!(env!("OUT_DIR"), "/compiled_model.rs"));

    /// The model compiled into the binary, scored by its compiled trees.
    pub fn embedded() -> Result<Model, LoadError> {
        Model::embedded(&COMPILED)
    }
}

/// This worker, for `worker_kit::run`.
pub const WORKER: worker_kit::Worker = worker_kit::Worker {
    name: "scorer",
    settings: config::SETTINGS,
    model: &model::COMPILED,
};
