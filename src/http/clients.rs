//! Who holds the server's connections: a count per client address, so one address cannot take
//! every slot, and the set of connections being served with when each last moved a byte, so that
//! at the global cap the quietest one can be asked to close instead of leaving a newcomer queued.
//!
//! A [`Ticket`] is a client's claim on its address's share; dropping it (when the connection task
//! ends, however it ends) gives the share back, so counts cannot leak.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

/// The connections of one server.
pub(super) struct Clients {
    epoch: Instant,
    per_address: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    by_address: HashMap<IpAddr, usize>,
    serving: HashMap<u64, Serving>,
}

/// A connection that holds one of the server's slots.
struct Serving {
    last_active: Arc<AtomicU64>,
    evict: CancellationToken,
}

impl Clients {
    pub(super) fn new(per_address: usize) -> Arc<Clients> {
        Arc::new(Clients {
            epoch: Instant::now(),
            per_address: per_address.max(1),
            state: Mutex::new(State::default()),
        })
    }

    /// A claim for one more connection from `address`, or `None` when it holds its share already.
    pub(super) fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Ticket> {
        let mut state = self.lock();
        let held = state.by_address.entry(address).or_insert(0);
        if *held >= self.per_address {
            return None;
        }
        *held += 1;
        state.next_id += 1;
        let id = state.next_id;
        Some(Ticket {
            clients: Arc::clone(self),
            id,
            address,
            activity: Activity {
                epoch: self.epoch,
                last: Arc::new(AtomicU64::new(0)),
            },
            evict: CancellationToken::new(),
        })
    }

    /// Asks the connection that has been quiet longest (no byte read or written) to close: an
    /// idle keep-alive connection closes at once, a busy one after its response. False when
    /// every connection has been asked already.
    pub(super) fn evict_quietest(&self) -> bool {
        let state = self.lock();
        let quietest = state
            .serving
            .values()
            .filter(|c| !c.evict.is_cancelled())
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        match quietest {
            Some(connection) => {
                connection.evict.cancel();
                true
            }
            None => false,
        }
    }

    /// How many connections `address` holds; for tests and logs.
    #[cfg(test)]
    pub(super) fn held_by(&self, address: IpAddr) -> usize {
        self.lock().by_address.get(&address).copied().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, consistent after every statement; a panic elsewhere
        // while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One admitted client connection.
pub(super) struct Ticket {
    clients: Arc<Clients>,
    id: u64,
    address: IpAddr,
    pub(super) activity: Activity,
    /// Cancelled when the server needs this connection's slot for a newcomer.
    pub(super) evict: CancellationToken,
}

impl Ticket {
    /// Marks the connection as holding a slot, which makes it a candidate for eviction.
    pub(super) fn serving(&self) {
        self.activity.touch();
        let serving = Serving {
            last_active: Arc::clone(&self.activity.last),
            evict: self.evict.clone(),
        };
        self.clients.lock().serving.insert(self.id, serving);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.clients.lock();
        state.serving.remove(&self.id);
        if let Some(held) = state.by_address.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                state.by_address.remove(&self.address);
            }
        }
    }
}

/// When a connection last moved a byte, in milliseconds since its server started.
#[derive(Clone)]
pub(super) struct Activity {
    epoch: Instant,
    last: Arc<AtomicU64>,
}

impl Activity {
    pub(super) fn touch(&self) {
        self.last.store(self.now(), Ordering::Relaxed);
    }

    /// How long since the connection last moved a byte.
    pub(super) fn idle(&self) -> std::time::Duration {
        let since = self.now().saturating_sub(self.last.load(Ordering::Relaxed));
        std::time::Duration::from_millis(since)
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn each_address_gets_its_share_and_gets_it_back() {
        let clients = Clients::new(2);
        let first = clients.admit(A).unwrap();
        let _second = clients.admit(A).unwrap();
        assert!(
            clients.admit(A).is_none(),
            "a third from A is over the limit"
        );
        assert!(clients.admit(B).is_some(), "B is not held back by A");
        drop(first);
        assert_eq!(clients.held_by(A), 1);
        assert!(clients.admit(A).is_some());
    }

    #[test]
    fn the_quietest_serving_connection_is_evicted_once() {
        let clients = Clients::new(8);
        let old = clients.admit(A).unwrap();
        old.serving();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let busy = clients.admit(A).unwrap();
        busy.serving();
        let waiting = clients.admit(B).unwrap();
        assert!(clients.evict_quietest());
        assert!(old.evict.is_cancelled() && !busy.evict.is_cancelled());
        assert!(clients.evict_quietest());
        assert!(busy.evict.is_cancelled());
        assert!(
            !clients.evict_quietest(),
            "a connection not serving yet is never evicted"
        );
        assert!(!waiting.evict.is_cancelled());
    }
}
