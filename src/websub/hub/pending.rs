//! Verifications under way, bounded in all and per callback host: each subscription request
//! makes the hub send one GET, so without a bound per host the hub could be used to flood a
//! third party with requests, and a few slow hosts could hold every verification slot.
//! Past a bound, the request is refused at once (503 or 429), never queued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why no verification can start now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("too many subscription requests are being verified; try again in a minute")]
    All,
    #[error(
        "{limit} subscription requests for callbacks on `{host}` are being verified already; \
         try again when they are done"
    )]
    Host { host: String, limit: usize },
}

#[derive(Debug)]
pub struct Pending {
    all: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, usize>>,
    host_limit: usize,
}

/// A verification's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    pending: Arc<Pending>,
    host: String,
    _permit: OwnedSemaphorePermit,
}

impl Pending {
    pub fn new(limit: usize, host_limit: usize) -> Arc<Pending> {
        Arc::new(Pending {
            all: Arc::new(Semaphore::new(limit)),
            per_host: Mutex::new(HashMap::new()),
            host_limit,
        })
    }

    /// A slot for a verification of a callback on `host`, if both bounds allow one.
    pub fn take(self: &Arc<Self>, host: &str) -> Result<Slot, Busy> {
        let permit = Arc::clone(&self.all)
            .try_acquire_owned()
            .map_err(|_| Busy::All)?;
        let mut per_host = self.hosts();
        let count = per_host.entry(host.to_owned()).or_default();
        if *count >= self.host_limit {
            return Err(Busy::Host {
                host: host.to_owned(),
                limit: self.host_limit,
            });
        }
        *count += 1;
        Ok(Slot {
            pending: Arc::clone(self),
            host: host.to_owned(),
            _permit: permit,
        })
    }

    fn hosts(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.per_host
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_host = self.pending.hosts();
        if let Some(count) = per_host.get_mut(&self.host) {
            *count -= 1;
            if *count == 0 {
                per_host.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_in_all_and_per_host_and_given_back() {
        let pending = Pending::new(3, 2);
        let a1 = pending.take("a.example").unwrap();
        let _a2 = pending.take("a.example").unwrap();
        assert_eq!(
            pending.take("a.example").unwrap_err(),
            Busy::Host {
                host: "a.example".into(),
                limit: 2
            }
        );
        let _b1 = pending.take("b.example").unwrap();
        assert_eq!(pending.take("c.example").unwrap_err(), Busy::All);
        drop(a1);
        let _a3 = pending.take("a.example").unwrap();
        drop(_a3);
        assert_eq!(pending.hosts().get("a.example"), Some(&1));
    }
}
