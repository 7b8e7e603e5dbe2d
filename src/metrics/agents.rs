//! The user agents that poll without validators, and how often: the clients that fetch every
//! document whole each time, which an operator may want to write to (or rate-limit).
//!
//! Bounded whatever clients send: at most [`TRACKED_AGENTS`] agents, each name cut to
//! [`MAX_AGENT_CHARS`] characters. A new agent in a full table takes the place of the least
//! frequent one and starts from that one's count plus one (the "space-saving" algorithm), so an
//! agent that polls often enough climbs into the table however many one-off agents came first;
//! its count is then an upper bound.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Agents counted at once.
pub const TRACKED_AGENTS: usize = 50;
/// Characters of a `User-Agent` kept.
pub const MAX_AGENT_CHARS: usize = 100;

/// How an absent `User-Agent` is named.
const NO_AGENT: &str = "(none)";

/// Counts per user agent.
#[derive(Debug, Default)]
pub struct Agents {
    counts: Mutex<HashMap<String, u64>>,
}

impl Agents {
    /// Counts one request from `agent` (the raw header; empty when there was none).
    pub fn record(&self, agent: &str) {
        let name = match agent.char_indices().nth(MAX_AGENT_CHARS) {
            Some((end, _)) => &agent[..end],
            None if agent.is_empty() => NO_AGENT,
            None => agent,
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(name) {
            *count += 1;
            return;
        }
        let mut start = 1;
        if counts.len() >= TRACKED_AGENTS {
            let least = counts
                .iter()
                .min_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(name, count)| (name.clone(), *count));
            if let Some((evicted, count)) = least {
                counts.remove(&evicted);
                start = count + 1;
            }
        }
        counts.insert(name.to_owned(), start);
    }

    /// The `n` agents with the highest counts, highest first, ties by name.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<(String, u64)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        drop(counts);
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ranks_agents() {
        let agents = Agents::default();
        for _ in 0..3 {
            agents.record("Reader/1");
        }
        agents.record("Other/2");
        agents.record("");
        assert_eq!(
            agents.top(2),
            [("Reader/1".to_owned(), 3), ("(none)".to_owned(), 1)]
        );
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let agents = Agents::default();
        let long = "é".repeat(MAX_AGENT_CHARS + 20);
        agents.record(&long);
        agents.record(&"é".repeat(MAX_AGENT_CHARS));
        let top = agents.top(5);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].0.chars().count(), MAX_AGENT_CHARS);
        assert_eq!(top[0].1, 2);
    }

    #[test]
    fn the_table_stays_bounded_and_a_frequent_agent_gets_in() {
        let agents = Agents::default();
        for i in 0..TRACKED_AGENTS * 4 {
            agents.record(&format!("one-off/{i}"));
        }
        assert_eq!(agents.top(usize::MAX).len(), TRACKED_AGENTS);
        for _ in 0..10 {
            agents.record("Poller/1");
        }
        assert_eq!(agents.top(1)[0].0, "Poller/1");
        assert_eq!(agents.top(usize::MAX).len(), TRACKED_AGENTS);
    }
}
