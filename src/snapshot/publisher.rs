//! [`Publisher`]: the one place snapshots change hands, swapped whole without a lock.
//!
//! What a snapshot holds is the served model's business (`served`); compressing a published one
//! in the background is the daemon's (`daemon::compressor`).

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::Snapshot;

/// Cloned into the server and the rebuild loop; every clone sees the same current snapshot.
#[derive(Debug, Clone)]
pub struct Publisher {
    current: Arc<ArcSwap<Snapshot>>,
}

impl Publisher {
    pub fn new(first: Snapshot) -> Publisher {
        Publisher {
            current: Arc::new(ArcSwap::from_pointee(first)),
        }
    }

    /// The snapshot being served now; lock-free, and stays valid after a newer one is published.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Like [`Publisher::current`] without touching the reference count, for the request path;
    /// hold the guard only briefly.
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Makes `next` the snapshot every later request sees, in one step.
    pub fn publish(&self, next: Snapshot) {
        tracing::debug!(generation = next.generation(), "publishing snapshot");
        self.current.store(Arc::new(next));
    }

    /// Publishes `next` only if `expected` is still the current snapshot, in one atomic step;
    /// returns whether it did. Lets work started on one snapshot (compressing it) never
    /// overwrite a newer one.
    pub fn replace(&self, expected: &Arc<Snapshot>, next: Snapshot) -> bool {
        let previous = self.current.compare_and_swap(expected, Arc::new(next));
        Arc::ptr_eq(&previous, expected)
    }
}
