//! Content distribution (WebSub §7): when a topic's bytes change, each live subscriber gets a
//! POST of the whole new document, with the topic's `Content-Type`, `Link` headers naming the
//! hub and the topic, and, when it subscribed with a secret, `X-Hub-Signature:
//! sha256=<HMAC-SHA256 of the body>` (§8).
//!
//! Each delivery is a task of its own, so a subscriber that is slow or down only ever holds up
//! itself; a bounded number of them talk to subscribers at once ([`MAX_IN_FLIGHT`]), and each
//! exchange has a deadline. A failed delivery (no answer, or not 2xx) is retried after each of
//! [`RETRY_DELAYS`], then dropped and logged. A newer change of the same topic for the same
//! subscriber supersedes a delivery still waiting to be retried: only the newest body is worth
//! sending. A subscriber that answers 410 Gone is unsubscribed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, LINK};
use hyper::{Method, Request, StatusCode};
use sha2::Sha256;
use tokio::sync::Semaphore;
use url::Url;

use super::Shared;
use super::client::Client;
use super::store::{self, Subscription};
use crate::websub::topic::ChangedTopic;

/// Deliveries talking to subscribers at once.
pub const MAX_IN_FLIGHT: usize = 64;
/// The pauses before each retry of a failed delivery; one attempt more than there are pauses.
pub const RETRY_DELAYS: [Duration; 4] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(300),
];

const SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature");

/// One subscriber's deliveries of one topic: the newest one's ticket, and the lane they take
/// turns in, so an older body still on its way is never overtaken by a newer one and then
/// lands last.
#[derive(Debug)]
struct Queue {
    newest: u64,
    lane: Arc<tokio::sync::Mutex<()>>,
}

type Key = (String, String);

/// Which delivery is the newest for each (topic, callback), and the slots they share.
#[derive(Debug)]
pub struct Deliveries {
    slots: Arc<Semaphore>,
    queues: Mutex<HashMap<Key, Queue>>,
    next: AtomicU64,
}

impl Default for Deliveries {
    fn default() -> Deliveries {
        Deliveries {
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            queues: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        }
    }
}

impl Deliveries {
    /// Makes a new delivery the newest for `key`, superseding any older one; returns its
    /// ticket and the lane it must hold while it talks to the subscriber.
    fn claim(&self, key: &Key) -> (u64, Arc<tokio::sync::Mutex<()>>) {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let mut queues = self.queues();
        let queue = queues.entry(key.clone()).or_insert_with(|| Queue {
            newest: ticket,
            lane: Arc::default(),
        });
        queue.newest = ticket;
        (ticket, Arc::clone(&queue.lane))
    }

    fn is_newest(&self, key: &Key, ticket: u64) -> bool {
        self.queues().get(key).is_some_and(|q| q.newest == ticket)
    }

    fn finish(&self, key: &Key, ticket: u64) {
        let mut queues = self.queues();
        if queues.get(key).is_some_and(|q| q.newest == ticket) {
            queues.remove(key);
        }
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Queue>> {
        self.queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts a delivery of each topic in `topics` to each of its live subscribers.
pub fn distribute(shared: &Arc<Shared>, topics: Vec<ChangedTopic>) {
    let now = store::now();
    for topic in topics {
        let topic = Arc::new(topic);
        let subscribers = shared
            .store
            .read(|subs| subs.live_for(topic.url.as_str(), now));
        if subscribers.is_empty() {
            continue;
        }
        tracing::debug!(
            "websub hub: delivering {} to {} subscriber(s)",
            topic.url,
            subscribers.len()
        );
        for subscription in subscribers {
            let key = (subscription.topic.clone(), subscription.callback.clone());
            let (ticket, lane) = shared.deliveries.claim(&key);
            let shared = Arc::clone(shared);
            let topic = Arc::clone(&topic);
            tokio::spawn(async move {
                let delivery = Delivery {
                    topic: &topic,
                    key: &key,
                    ticket,
                    lane,
                };
                deliver(&shared, &delivery).await;
                shared.deliveries.finish(&key, ticket);
            });
        }
    }
}

/// One body on its way to one subscriber.
struct Delivery<'a> {
    topic: &'a ChangedTopic,
    key: &'a Key,
    ticket: u64,
    lane: Arc<tokio::sync::Mutex<()>>,
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Gone,
    Failed(String),
    /// Superseded, unsubscribed or expired meanwhile: nothing left to do.
    Moot,
}

async fn deliver(shared: &Shared, delivery: &Delivery<'_>) {
    let key = delivery.key;
    let mut last_error = String::new();
    for attempt in 0..=RETRY_DELAYS.len() {
        if let Some(delay) = attempt.checked_sub(1).and_then(|i| RETRY_DELAYS.get(i)) {
            tokio::time::sleep(*delay).await;
        }
        match try_once(shared, delivery).await {
            Attempt::Delivered | Attempt::Moot => return,
            Attempt::Gone => {
                tracing::info!(
                    "websub hub: {} answered 410 Gone; unsubscribed from {}",
                    key.1,
                    key.0
                );
                shared
                    .store
                    .update(|subs| ((), subs.remove(&key.0, &key.1)));
                return;
            }
            Attempt::Failed(error) => {
                tracing::debug!(
                    "websub hub: delivering {} to {} failed (attempt {}): {error}",
                    key.0,
                    key.1,
                    attempt + 1
                );
                last_error = error;
            }
        }
    }
    tracing::warn!(
        "websub hub: gave up delivering {} to {} after {} attempts; last: {last_error}",
        key.0,
        key.1,
        RETRY_DELAYS.len() + 1
    );
}

async fn try_once(shared: &Shared, delivery: &Delivery<'_>) -> Attempt {
    let Delivery {
        topic, key, ticket, ..
    } = *delivery;
    let _turn = delivery.lane.lock().await;
    let Ok(_slot) = shared.deliveries.slots.acquire().await else {
        return Attempt::Moot;
    };
    // Checked once the slot is held: a newer change or an unsubscription may have come while
    // this one waited.
    let current = shared
        .store
        .read(|subs| subs.get(&key.0, &key.1).cloned())
        .filter(|s| s.is_live(store::now()));
    let Some(subscription) = current else {
        return Attempt::Moot;
    };
    if !shared.deliveries.is_newest(key, ticket) {
        return Attempt::Moot;
    }
    let Ok(callback) = Url::parse(&subscription.callback) else {
        return Attempt::Failed(format!("`{}` is not a URL", subscription.callback));
    };
    let request = content_request(&shared.hub_url, topic, &subscription, &callback);
    match shared.client.send(&callback, request, 0).await {
        Ok(reply) if reply.status.is_success() => Attempt::Delivered,
        Ok(reply) if reply.status == StatusCode::GONE => Attempt::Gone,
        Ok(reply) => Attempt::Failed(format!("answered {}", reply.status)),
        Err(error) => Attempt::Failed(error.to_string()),
    }
}

/// The POST that carries `topic`'s new body to `subscription`'s callback.
fn content_request(
    hub_url: &Url,
    topic: &ChangedTopic,
    subscription: &Subscription,
    callback: &Url,
) -> Request<Full<Bytes>> {
    let mut request = Client::request(callback, Method::POST, topic.body.clone());
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(topic.content_type));
    for link in [
        format!("<{hub_url}>; rel=\"hub\""),
        format!("<{}>; rel=\"self\"", topic.url),
    ] {
        // URLs serialize to ASCII, so these are valid header values.
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.append(LINK, value);
        }
    }
    if let Some(secret) = &subscription.secret {
        if let Ok(value) = HeaderValue::from_str(&signature(secret.as_bytes(), &topic.body)) {
            headers.insert(SIGNATURE, value);
        }
    }
    request
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret` (WebSub §8).
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_content_request_carries_type_links_and_signature() {
        let topic = ChangedTopic {
            url: Url::parse("https://example.org/atom.xml").unwrap(),
            path: "atom.xml".into(),
            content_type: "application/atom+xml; charset=utf-8",
            body: Bytes::from_static(b"<feed/>"),
        };
        let subscription = Subscription {
            topic: topic.url.to_string(),
            callback: "https://reader.example/cb".into(),
            secret: Some("k".into()),
            expires_at: u64::MAX,
        };
        let hub = Url::parse("https://example.org/websub").unwrap();
        let callback = Url::parse(&subscription.callback).unwrap();
        let request = content_request(&hub, &topic, &subscription, &callback);
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "https://reader.example/cb");
        let headers = request.headers();
        assert_eq!(headers[CONTENT_TYPE], topic.content_type);
        let links: Vec<&str> = headers
            .get_all(LINK)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            links,
            [
                "<https://example.org/websub>; rel=\"hub\"",
                "<https://example.org/atom.xml>; rel=\"self\""
            ]
        );
        assert_eq!(headers[SIGNATURE], signature(b"k", b"<feed/>").as_str());
        let unsigned = Subscription {
            secret: None,
            ..subscription
        };
        let request = content_request(&hub, &topic, &unsigned, &callback);
        assert!(request.headers().get(SIGNATURE).is_none());
    }

    #[test]
    fn a_newer_delivery_supersedes_an_older_one() {
        let deliveries = Deliveries::default();
        let key = ("t".to_owned(), "c".to_owned());
        let (old, old_lane) = deliveries.claim(&key);
        let (new, new_lane) = deliveries.claim(&key);
        assert!(
            Arc::ptr_eq(&old_lane, &new_lane),
            "one lane per subscriber and topic"
        );
        assert!(!deliveries.is_newest(&key, old));
        assert!(deliveries.is_newest(&key, new));
        deliveries.finish(&key, old);
        assert!(
            deliveries.is_newest(&key, new),
            "the old one's end leaves the new"
        );
        deliveries.finish(&key, new);
        assert!(deliveries.queues().is_empty());
    }
}
