//! [`DeployStatus`]: what the deployer last did, for `/healthz`.
//!
//! The deployer writes it and the HTTP service reads it, behind a mutex held only to copy a few
//! fields. A target that cannot be reached is news about the edge copy, not about the feeds
//! feedd serves, so nothing here decides the health status code.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// Shared by the deployer and the service; clones see the same state.
#[derive(Debug, Clone, Default)]
pub struct DeployStatus {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Where documents go; `None` while nothing is configured (and nothing is reported).
    pub target: Option<String>,
    /// When a round last brought the target in line with a build.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failed attempt, retried or not.
    pub last_error: Option<(String, DateTime<Utc>)>,
    /// Objects still to upload or delete.
    pub pending: usize,
}

impl DeployStatus {
    pub fn set_target(&self, target: Option<String>) {
        let mut state = self.lock();
        if state.target != target {
            *state = State {
                target,
                ..State::default()
            };
        }
    }

    pub fn set_pending(&self, pending: usize) {
        self.lock().pending = pending;
    }

    pub fn succeeded(&self, at: DateTime<Utc>) {
        let mut state = self.lock();
        state.last_success = Some(at);
        state.pending = 0;
    }

    pub fn failed(&self, message: String, at: DateTime<Utc>) {
        self.lock().last_error = Some((message, at));
    }

    pub fn state(&self) -> State {
        self.lock().clone()
    }

    /// The `deploy` member of `/healthz`; `None` without a target, so the report of a site that
    /// does not deploy is unchanged.
    pub fn report(&self) -> Option<Value> {
        let state = self.state();
        let target = state.target?;
        let time = |at: &DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
        Some(json!({
            "target": target,
            "last_success": state.last_success.as_ref().map(time),
            "last_error": state.last_error.as_ref().map(|(message, at)| json!({
                "message": message,
                "at": time(at),
            })),
            "pending": state.pending,
        }))
    }

    /// The state, even after a panic elsewhere while it was held: every write leaves it whole.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Two statuses are equal when they are the same shared state (as `PublishStatus`).
impl PartialEq for DeployStatus {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

impl Eq for DeployStatus {}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn reports_nothing_without_a_target_and_each_field_with_one() {
        let status = DeployStatus::default();
        assert_eq!(status.report(), None);
        status.set_target(Some("s3://feeds/".into()));
        status.set_pending(3);
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        status.failed("connection refused".into(), at);
        assert_eq!(
            status.report(),
            Some(json!({
                "target": "s3://feeds/",
                "last_success": null,
                "last_error": {"message": "connection refused", "at": "2024-05-01T12:00:00Z"},
                "pending": 3,
            }))
        );
        status.succeeded(at);
        assert_eq!(status.state().pending, 0);
        status.set_target(Some("s3://other/".into()));
        assert_eq!(
            status.state().last_error,
            None,
            "a new target starts afresh"
        );
    }
}
