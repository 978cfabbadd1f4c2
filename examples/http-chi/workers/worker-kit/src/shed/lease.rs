//! What an admitted call holds: its permits, and what the adaptive limit
//! needs to learn from it when it ends (when it was admitted, its cost).

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::sync::OwnedSemaphorePermit;

use super::{BYTES_PER_PERMIT, ITEMS_PER_PERMIT};

/// The permits a call holds, from its admission by the transport (or by
/// the service, if it came another way) until its scoring ends.
#[derive(Debug)]
pub struct Lease {
    permit: OwnedSemaphorePermit,
    admitted: Instant,
    bytes: usize,
    items: usize,
}

impl Lease {
    /// A lease on `permit` for a message of `bytes` (0: unknown), admitted now.
    pub fn new(permit: OwnedSemaphorePermit, bytes: usize) -> Self {
        Self {
            permit,
            admitted: Instant::now(),
            bytes,
            items: 0,
        }
    }

    /// The same lease, for a call found to hold `items` requests.
    pub fn with_items(mut self, items: usize) -> Self {
        self.items = items;
        self
    }

    /// Permits held.
    pub fn permits(&self) -> usize {
        self.permit.num_permits()
    }

    /// When the call was admitted.
    pub fn admitted(&self) -> Instant {
        self.admitted
    }

    /// The call's cost in permits, unrounded: what its bytes cost to decode
    /// or its items to score, whichever is more, and at least one. The
    /// adaptive limit compares calls' times per unit of this, so a big call
    /// is not taken for a slow one; unrounded, because a permit's worth of
    /// items takes several times what a few items do.
    pub fn cost(&self) -> f64 {
        let bytes = self.bytes as f64 / BYTES_PER_PERMIT as f64;
        let items = self.items as f64 / ITEMS_PER_PERMIT as f64;
        bytes.max(items).max(1.0)
    }

    /// Gives `permits` back.
    pub(super) fn release(&mut self, permits: usize) {
        drop(self.permit.split(permits));
    }

    /// Holds `more` permits too.
    pub(super) fn add(&mut self, more: OwnedSemaphorePermit) {
        self.permit.merge(more);
    }
}

/// The lease the transport granted a call, handed to the service in the
/// request's extensions (which need `Clone`, hence the shared slot).
#[derive(Debug, Clone)]
pub struct Admitted(Arc<Mutex<Option<Lease>>>);

impl Admitted {
    pub fn new(lease: Lease) -> Self {
        Self(Arc::new(Mutex::new(Some(lease))))
    }

    /// Takes the lease; `None` if it was already taken.
    pub fn take(&self) -> Option<Lease> {
        self.0.lock().ok()?.take()
    }
}
