//! `[server] rate_limit`: requests per minute per client address, for the clients that ignore
//! the polling policy and fetch in a loop. A token bucket per address (an IPv6 /64, keyed as the
//! per-address connection limit is): it holds a minute's worth of requests, so a reader that
//! polls now and then is never held back, and refills at the limit's rate.
//!
//! Only what costs something is charged: the caller asks here only for responses that are not a
//! 304, so a client holding the current ETag is never limited. The buckets live in a few
//! shards, each a small map behind its own lock, bounded in size: a full shard first forgets
//! the buckets that have refilled (idle clients, who would start full anyway), then the one
//! seen least recently. Time is passed in, so the tests run on instants they make up.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Shards of the bucket map; requests from different addresses rarely wait for each other.
const SHARDS: usize = 16;
/// Addresses remembered per shard.
const SHARD_CAPACITY: usize = 4096;

/// The buckets of every client address.
pub(super) struct RateLimiter {
    /// Tokens a bucket holds when full: one minute's allowance.
    capacity: f64,
    /// Tokens added per second.
    rate: f64,
    shards: Vec<Mutex<HashMap<IpAddr, Bucket>>>,
    hasher: std::collections::hash_map::RandomState,
    shard_capacity: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests a minute; `None` for 0 (no limit).
    pub(super) fn new(per_minute: u32) -> Option<RateLimiter> {
        Self::with_capacity(per_minute, SHARD_CAPACITY)
    }

    fn with_capacity(per_minute: u32, shard_capacity: usize) -> Option<RateLimiter> {
        (per_minute > 0).then(|| RateLimiter {
            capacity: f64::from(per_minute),
            rate: f64::from(per_minute) / 60.0,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
            shard_capacity: shard_capacity.max(1),
        })
    }

    /// Takes a token from `client`'s bucket at `now`, or says how long until one is there.
    pub(super) fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let shard = &self.shards[self.hasher.hash_one(client) as usize % SHARDS];
        let mut buckets = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(&client) && buckets.len() >= self.shard_capacity {
            self.make_room(&mut buckets, now);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let refilled = self.refilled(bucket, now);
        bucket.at = now.max(bucket.at);
        if refilled >= 1.0 {
            bucket.tokens = refilled - 1.0;
            Ok(())
        } else {
            bucket.tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / self.rate))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let idle = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + idle * self.rate).min(self.capacity)
    }

    /// Forgets the buckets that are full again, else the one seen least recently.
    fn make_room(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        buckets.retain(|_, bucket| self.refilled(bucket, now) < self.capacity);
        if buckets.len() < self.shard_capacity {
            return;
        }
        let stalest = buckets.iter().min_by_key(|(_, b)| b.at).map(|(k, _)| *k);
        if let Some(stalest) = stalest {
            buckets.remove(&stalest);
        }
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// `Retry-After` in whole seconds: rounded up, and at least 1.
pub(super) fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn zero_is_no_limit() {
        assert!(RateLimiter::new(0).is_none());
    }

    #[test]
    fn a_burst_of_a_minutes_allowance_passes_then_waits_for_a_token() {
        let limiter = RateLimiter::new(6).unwrap();
        let t0 = Instant::now();
        for _ in 0..6 {
            assert_eq!(limiter.take(A, t0), Ok(()));
        }
        // Six a minute: one token every ten seconds.
        let wait = limiter.take(A, t0).unwrap_err();
        assert_eq!(retry_after(wait), 10);
        let wait = limiter.take(A, t0 + secs(4.0)).unwrap_err();
        assert_eq!(retry_after(wait), 6);
        assert_eq!(limiter.take(A, t0 + secs(10.0)), Ok(()));
        assert!(limiter.take(A, t0 + secs(10.0)).is_err());
        assert_eq!(limiter.take(B, t0), Ok(()), "B has its own bucket");
    }

    #[test]
    fn an_idle_bucket_refills_to_one_minute_and_no_more() {
        let limiter = RateLimiter::new(2).unwrap();
        let t0 = Instant::now();
        assert!(limiter.take(A, t0).is_ok() && limiter.take(A, t0).is_ok());
        let later = t0 + secs(3600.0);
        assert!(limiter.take(A, later).is_ok() && limiter.take(A, later).is_ok());
        assert!(limiter.take(A, later).is_err());
    }

    #[test]
    fn an_instant_before_the_last_one_takes_no_token_back() {
        let limiter = RateLimiter::new(1).unwrap();
        let t0 = Instant::now() + secs(60.0);
        assert!(limiter.take(A, t0).is_ok());
        assert!(limiter.take(A, t0 - secs(30.0)).is_err());
        assert!(limiter.take(A, t0 + secs(60.0)).is_ok());
    }

    #[test]
    fn full_shards_forget_idle_clients_first_then_the_stalest() {
        let limiter = RateLimiter::with_capacity(60, 1).unwrap();
        let t0 = Instant::now();
        let client = |i: u32| IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        for i in 0..1000 {
            limiter
                .take(client(i), t0 + secs(f64::from(i) * 0.001))
                .unwrap();
        }
        assert!(limiter.remembered() <= SHARDS);
        // A minute later every bucket has refilled; a newcomer replaces idle ones.
        for i in 1000..1100 {
            limiter.take(client(i), t0 + secs(120.0)).unwrap();
        }
        assert!(limiter.remembered() <= SHARDS);
    }
}
