//! The verified subscriptions, and the file they survive restarts in
//! (`<state_dir>/websub-subscriptions.json`).
//!
//! [`Subscriptions`] is the pure part: one subscription per topic and callback (a renewal
//! replaces it, websub.rocks hub test 103), leases, and the per-topic and per-host limits.
//! [`Store`] shares it between tasks and writes it after every change: atomically (the file
//! is either the old list or the new one), readable only by feedd's user (it holds the
//! subscribers' secrets), and never on an async worker. A file that cannot be parsed is moved
//! aside and named in the log; the hub then starts with no subscriptions rather than not at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::atomic_file::{self, Staged};

/// The file's name in the state folder.
pub const FILE_NAME: &str = "websub-subscriptions.json";
const FORMAT_VERSION: u32 = 1;

/// One verified subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub topic: String,
    pub callback: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Seconds since the Unix epoch after which the lease is over.
    pub expires_at: u64,
}

impl Subscription {
    pub fn is_live(&self, now: u64) -> bool {
        self.expires_at > now
    }
}

/// Which limit a new subscription would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("this topic already has {0} subscribers, the most this hub accepts")]
    Topic(usize),
    #[error("callbacks on `{host}` already hold {limit} subscriptions, the most this hub accepts")]
    Host { host: String, limit: usize },
}

/// The limits, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_topic: usize,
    pub per_host: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Subscriptions {
    /// Keyed by (topic, callback).
    by_key: BTreeMap<(String, String), Subscription>,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    subscriptions: Vec<Subscription>,
}

impl Subscriptions {
    /// Adds `subscription`, replacing the one for the same topic and callback.
    pub fn insert(&mut self, subscription: Subscription) {
        let key = (subscription.topic.clone(), subscription.callback.clone());
        self.by_key.insert(key, subscription);
    }

    pub fn remove(&mut self, topic: &str, callback: &str) -> bool {
        self.by_key
            .remove(&(topic.to_owned(), callback.to_owned()))
            .is_some()
    }

    pub fn get(&self, topic: &str, callback: &str) -> Option<&Subscription> {
        self.by_key.get(&(topic.to_owned(), callback.to_owned()))
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether any callback is subscribed to `topic`, lease over or not.
    pub fn has_topic(&self, topic: &str) -> bool {
        self.of_topic(topic).next().is_some()
    }

    /// The subscriptions of `topic` whose lease is not over at `now`.
    pub fn live_for(&self, topic: &str, now: u64) -> Vec<Subscription> {
        self.of_topic(topic)
            .filter(|s| s.is_live(now))
            .cloned()
            .collect()
    }

    fn of_topic<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a Subscription> + 'a {
        self.by_key
            .range((topic.to_owned(), String::new())..)
            .take_while(move |((t, _), _)| t == topic)
            .map(|(_, s)| s)
    }

    /// Removes every subscription whose lease is over; returns how many.
    pub fn purge(&mut self, now: u64) -> usize {
        let before = self.by_key.len();
        self.by_key.retain(|_, s| s.is_live(now));
        before - self.by_key.len()
    }

    /// Whether `callback` may subscribe to `topic` (or renew) without breaking a limit. A
    /// renewal is never refused: it replaces a subscription already counted.
    pub fn check_limits(
        &self,
        topic: &str,
        callback: &Url,
        limits: Limits,
    ) -> Result<(), LimitError> {
        if self.get(topic, callback.as_str()).is_some() {
            return Ok(());
        }
        if self.of_topic(topic).count() >= limits.per_topic {
            return Err(LimitError::Topic(limits.per_topic));
        }
        let host = callback.host_str().unwrap_or_default();
        let on_host = self
            .by_key
            .values()
            .filter(|s| Url::parse(&s.callback).is_ok_and(|u| u.host_str() == Some(host)))
            .count();
        if on_host >= limits.per_host {
            return Err(LimitError::Host {
                host: host.to_owned(),
                limit: limits.per_host,
            });
        }
        Ok(())
    }

    pub fn to_json(&self) -> Vec<u8> {
        let file = File {
            version: FORMAT_VERSION,
            subscriptions: self.by_key.values().cloned().collect(),
        };
        // Serializing strings and numbers into memory cannot fail.
        serde_json::to_vec_pretty(&file).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Subscriptions, String> {
        let file: File = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if file.version != FORMAT_VERSION {
            return Err(format!(
                "format version {} is not the one this feedd writes ({FORMAT_VERSION})",
                file.version
            ));
        }
        let mut subscriptions = Subscriptions::default();
        for subscription in file.subscriptions {
            subscriptions.insert(subscription);
        }
        Ok(subscriptions)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The subscriptions shared by the hub's tasks, written to `path` after each change.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    state: Mutex<Subscriptions>,
    /// Held while the file is written, so writes land in the order they were asked for.
    writing: Mutex<()>,
    /// A write is scheduled and has not read the list yet: a change meanwhile needs no other
    /// write, since that one will carry it. A burst of subscriptions costs a few writes, not one
    /// per subscription.
    queued: AtomicBool,
}

impl Store {
    /// Loads `path`; see the module doc for what happens when it cannot be read.
    pub fn load(path: PathBuf) -> Arc<Store> {
        let mut subscriptions = read(&path);
        let expired = subscriptions.purge(now());
        tracing::info!(
            "websub hub: {} loaded from {} ({expired} expired)",
            subscriptions.len(),
            path.display()
        );
        Arc::new(Store {
            path,
            state: Mutex::new(subscriptions),
            writing: Mutex::new(()),
            queued: AtomicBool::new(false),
        })
    }

    /// Reads or changes the subscriptions; `f` returns whether it changed them, and a change
    /// is written to disk in the background.
    pub fn update<R>(self: &Arc<Self>, f: impl FnOnce(&mut Subscriptions) -> (R, bool)) -> R {
        let (result, changed) = f(&mut lock(&self.state));
        if changed {
            self.save();
        }
        result
    }

    /// Reads the subscriptions.
    pub fn read<R>(&self, f: impl FnOnce(&Subscriptions) -> R) -> R {
        f(&lock(&self.state))
    }

    fn save(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _writing = lock(&store.writing);
            store.queued.store(false, Ordering::Release);
            // Read after `queued` is cleared and under the write lock, so the last write always
            // holds the newest list.
            let bytes = lock(&store.state).to_json();
            if let Err(error) = write_private(&store.path, &bytes) {
                tracing::error!(
                    "websub hub: cannot write {}: {error}; subscriptions made since the last \
                     write will be lost at a restart",
                    store.path.display()
                );
            }
        });
    }
}

/// A poisoned lock means a task panicked mid-change; the map is still whole, so go on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read(path: &Path) -> Subscriptions {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Subscriptions::default();
        }
        Err(error) => {
            tracing::error!(
                "websub hub: cannot read {}: {error}; starting with no subscriptions",
                path.display()
            );
            return Subscriptions::default();
        }
    };
    match Subscriptions::from_json(&bytes) {
        Ok(subscriptions) => subscriptions,
        Err(reason) => {
            let aside = path.with_extension(format!("json.bad-{}", now()));
            let moved = match std::fs::rename(path, &aside) {
                Ok(()) => format!("moved to {}", aside.display()),
                Err(e) => format!("could not be moved aside ({e})"),
            };
            tracing::error!(
                "websub hub: {} is not a subscription list ({reason}); it {moved}; \
                 starting with no subscriptions",
                path.display()
            );
            Subscriptions::default()
        }
    }
}

/// `atomic_file::write`, with the file readable by its owner only: it holds secrets.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let folder = atomic_file::parent(path);
    std::fs::create_dir_all(folder)?;
    let staged = Staged::new(path, bytes)?;
    std::fs::set_permissions(staged.temp(), std::fs::Permissions::from_mode(0o600))?;
    atomic_file::sync_all(&[staged.temp()]).map_err(|(_, error)| error)?;
    staged.commit()?;
    atomic_file::sync_all(&[folder]).map_err(|(_, error)| error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(topic: &str, callback: &str, expires_at: u64) -> Subscription {
        Subscription {
            topic: topic.into(),
            callback: callback.into(),
            secret: None,
            expires_at,
        }
    }

    #[test]
    fn one_subscription_per_topic_and_callback_and_leases_end() {
        let mut subs = Subscriptions::default();
        subs.insert(sub("t1", "https://a.example/1", 100));
        subs.insert(sub("t1", "https://a.example/1", 200));
        subs.insert(sub("t1", "https://b.example/1", 50));
        subs.insert(sub("t2", "https://a.example/1", 100));
        assert_eq!(subs.len(), 3, "a renewal replaces");
        let live: Vec<String> = subs
            .live_for("t1", 60)
            .into_iter()
            .map(|s| s.callback)
            .collect();
        assert_eq!(live, ["https://a.example/1"]);
        assert!(subs.has_topic("t2") && !subs.has_topic("t"));
        assert_eq!(subs.purge(100), 2);
        assert!(subs.remove("t1", "https://a.example/1"));
        assert_eq!(subs.len(), 0);
    }

    #[test]
    fn limits_count_per_topic_and_per_host_and_spare_renewals() {
        let mut subs = Subscriptions::default();
        subs.insert(sub("t1", "https://a.example/1", 100));
        subs.insert(sub("t2", "https://a.example/2", 100));
        let limits = Limits {
            per_topic: 2,
            per_host: 2,
        };
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            subs.check_limits("t1", &url("https://b.example/"), limits),
            Ok(())
        );
        assert_eq!(
            subs.check_limits("t3", &url("https://a.example/3"), limits),
            Err(LimitError::Host {
                host: "a.example".into(),
                limit: 2
            })
        );
        assert_eq!(
            subs.check_limits("t1", &url("https://a.example/1"), limits),
            Ok(()),
            "a renewal"
        );
        subs.insert(sub("t1", "https://b.example/", 100));
        assert_eq!(
            subs.check_limits("t1", &url("https://c.example/"), limits),
            Err(LimitError::Topic(2))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_change_reaches_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let store = Store::load(path.clone());
        for i in 0..200 {
            let callback = format!("https://a.example/{i}");
            store.update(|subs| {
                subs.insert(sub("t", &callback, u64::MAX));
                ((), true)
            });
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let written = std::fs::read(&path)
                .ok()
                .map(|b| Subscriptions::from_json(&b));
            if written.is_some_and(|w| w.is_ok_and(|w| w.len() == 200)) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the last change was not written"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    #[test]
    fn the_file_round_trips_and_a_bad_one_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join(FILE_NAME);
        let mut subs = Subscriptions::default();
        subs.insert(Subscription {
            secret: Some("s3cret".into()),
            ..sub("t1", "https://a.example/1", u64::MAX)
        });
        subs.insert(sub("t2", "https://a.example/2", u64::MAX));
        write_private(&path, &subs.to_json()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "secrets are not world-readable");
        assert_eq!(read(&path), subs);

        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(read(&path), Subscriptions::default());
        assert!(!path.exists(), "the bad file is moved aside");
        let kept: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            kept.iter()
                .any(|name| name.starts_with("websub-subscriptions.json.bad-")),
            "{kept:?}"
        );
        assert!(Subscriptions::from_json(br#"{"version": 9, "subscriptions": []}"#).is_err());
    }
}
