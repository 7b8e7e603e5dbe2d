//! How often and how long apart a hub is asked again: exponential backoff with a bound.
//!
//! A hub that is down for a minute should still hear of the change; one that is gone for good
//! must not be retried forever. Five attempts over 15 s of waiting covers a restart or a brief
//! outage; the next change is announced anyway.

use std::time::Duration;

/// The attempts one notification gets, and the pauses between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The pause after the first failed attempt; each later one doubles, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Retry {
    pub const DEFAULT: Retry = Retry {
        attempts: 5,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
    };

    /// The pause after failed attempt number `attempt` (1 for the first), or `None` when that
    /// was the last one.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let doublings = attempt.saturating_sub(1).min(31);
        let delay = self.first_delay.saturating_mul(1 << doublings);
        Some(delay.min(self.max_delay))
    }
}

impl Default for Retry {
    fn default() -> Retry {
        Retry::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_doubles_from_one_second_and_stops_after_five_attempts() {
        let schedule: Vec<Option<Duration>> =
            (1..=6).map(|a| Retry::DEFAULT.delay_after(a)).collect();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(schedule, [secs(1), secs(2), secs(4), secs(8), None, None]);
    }

    #[test]
    fn delays_are_capped_and_never_overflow() {
        let retry = Retry {
            attempts: u32::MAX,
            first_delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(20),
        };
        assert_eq!(retry.delay_after(3), Some(Duration::from_secs(12)));
        assert_eq!(retry.delay_after(4), Some(Duration::from_secs(20)));
        assert_eq!(retry.delay_after(1000), Some(Duration::from_secs(20)));
        let once = Retry {
            attempts: 1,
            ..retry
        };
        assert_eq!(once.delay_after(1), None);
    }
}
