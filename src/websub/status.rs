//! [`PublishStatus`]: what the notifier last did at each outside hub, for `/healthz`.
//!
//! The notifier writes it and the HTTP service reads it; it is the one piece of state they
//! share, behind a mutex held only to copy a few fields. A hub that cannot be reached is news
//! about the hub, not about the feeds, so nothing here decides the health status code.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use url::Url;

/// Shared by the notifier and the service; clones see the same hubs.
#[derive(Debug, Clone, Default)]
pub struct PublishStatus {
    hubs: Arc<Mutex<BTreeMap<Url, HubState>>>,
}

/// One hub, as `/healthz` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubState {
    /// When a notification was last accepted (a 2xx).
    pub last_success: Option<DateTime<Utc>>,
    /// The last failed attempt, retried or not.
    pub last_error: Option<(String, DateTime<Utc>)>,
    /// Topics waiting for the hub or being sent to it now.
    pub pending: usize,
}

impl PublishStatus {
    /// Keeps exactly `hubs`: a hub that was dropped from the config is dropped here too, and a
    /// new one starts with no history.
    pub fn set_hubs(&self, hubs: &[Url]) {
        let mut map = self.lock();
        map.retain(|hub, _| hubs.contains(hub));
        for hub in hubs {
            map.entry(hub.clone()).or_default();
        }
    }

    pub fn set_pending(&self, hub: &Url, pending: usize) {
        if let Some(state) = self.lock().get_mut(hub) {
            state.pending = pending;
        }
    }

    pub fn succeeded(&self, hub: &Url, at: DateTime<Utc>) {
        if let Some(state) = self.lock().get_mut(hub) {
            state.last_success = Some(at);
        }
    }

    pub fn failed(&self, hub: &Url, message: String, at: DateTime<Utc>) {
        if let Some(state) = self.lock().get_mut(hub) {
            state.last_error = Some((message, at));
        }
    }

    /// A copy of every hub's state, by URL.
    pub fn hubs(&self) -> BTreeMap<Url, HubState> {
        self.lock().clone()
    }

    /// The `websub` member of `/healthz`; `None` when no outside hub is configured, so the report
    /// of a site without WebSub is unchanged.
    pub fn report(&self) -> Option<Value> {
        let hubs = self.hubs();
        if hubs.is_empty() {
            return None;
        }
        let time = |at: &DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let hubs: Vec<Value> = hubs
            .iter()
            .map(|(url, state)| {
                json!({
                    "url": url.as_str(),
                    "last_success": state.last_success.as_ref().map(time),
                    "last_error": state.last_error.as_ref().map(|(message, at)| json!({
                        "message": message,
                        "at": time(at),
                    })),
                    "pending": state.pending,
                })
            })
            .collect();
        Some(json!({ "hubs": hubs }))
    }

    /// The map, even after a panic elsewhere while it was held: every write leaves it whole.
    fn lock(&self) -> MutexGuard<'_, BTreeMap<Url, HubState>> {
        self.hubs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Clones of one status are equal; two made apart are not, even when both are empty, as they
/// are different places the notifier may write to.
impl PartialEq for PublishStatus {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.hubs, &other.hubs)
    }
}

impl Eq for PublishStatus {}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn reports_each_hub_and_forgets_dropped_ones() {
        let status = PublishStatus::default();
        assert_eq!(status.report(), None);
        let a = Url::parse("https://a.example/").unwrap();
        let b = Url::parse("http://b.example/hub").unwrap();
        status.set_hubs(&[a.clone(), b.clone()]);
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        status.failed(&a, "HTTP 500".into(), at);
        status.succeeded(&b, at);
        status.set_pending(&a, 3);
        assert_eq!(
            status.report(),
            Some(json!({"hubs": [
                {"url": "http://b.example/hub", "last_success": "2026-01-02T03:04:05Z",
                 "last_error": null, "pending": 0},
                {"url": "https://a.example/", "last_success": null,
                 "last_error": {"message": "HTTP 500", "at": "2026-01-02T03:04:05Z"},
                 "pending": 3},
            ]}))
        );
        status.set_hubs(std::slice::from_ref(&b));
        assert_eq!(status.hubs().len(), 1);
        status.failed(&a, "ignored: not a hub any more".into(), at);
        assert_eq!(status.hubs().len(), 1);
        assert_eq!(status.clone(), status);
        assert_ne!(status, PublishStatus::default());
    }
}
