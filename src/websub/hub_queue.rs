//! One outside hub: the topics waiting for it, and the rounds that send them with retries.
//!
//! Topics that change while a round is being sent wait for the next round, each once however
//! often it changed meanwhile: the hub fetches a topic when told of it, so one notification
//! after the last change is all it needs. Each hub has its own queue and task, so a hub that is
//! down delays no other. Failures are logged when a hub starts failing, when a round is given
//! up and when the hub works again, not at each retry.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use tokio::sync::Notify;
use url::Url;

use super::ping::{PingClient, PingError};
use super::retry::Retry;
use super::status::PublishStatus;

/// The topics waiting for one hub; shared by whoever announces changes and the hub's task.
#[derive(Debug, Default)]
pub(super) struct Queue {
    state: Mutex<QueueState>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct QueueState {
    /// For the next round, in the order they first changed, each once.
    waiting: Vec<Url>,
    /// Not yet accepted in the round being sent.
    in_round: usize,
}

impl QueueState {
    fn pending(&self) -> usize {
        self.waiting.len() + self.in_round
    }
}

impl Queue {
    /// Adds each of `topics` not already waiting; returns how many are pending now.
    pub(super) fn add(&self, topics: &[Url]) -> usize {
        let mut state = self.lock();
        for topic in topics {
            if !state.waiting.contains(topic) {
                state.waiting.push(topic.clone());
            }
        }
        let pending = state.pending();
        drop(state);
        self.wake.notify_one();
        pending
    }

    /// Waits until topics are waiting, and takes them all for a round.
    async fn next_round(&self) -> Vec<Url> {
        loop {
            {
                let mut state = self.lock();
                if !state.waiting.is_empty() {
                    let round = std::mem::take(&mut state.waiting);
                    state.in_round = round.len();
                    return round;
                }
            }
            self.wake.notified().await;
        }
    }

    /// Records how many of the round's topics are still unsent; returns the pending count.
    fn in_round(&self, unsent: usize) -> usize {
        let mut state = self.lock();
        state.in_round = unsent;
        state.pending()
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Topics a hub was not told of after every attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{hub}: {} not notified after {attempts} attempts; last error: {error}",
    crate::wording::count(*.topics, "topic")
)]
pub struct Undelivered {
    pub hub: Url,
    pub topics: usize,
    pub attempts: u32,
    pub error: PingError,
}

/// One hub and how to reach it.
pub(super) struct HubSender {
    pub hub: Url,
    pub client: PingClient,
    pub retry: Retry,
    pub status: PublishStatus,
    pub queue: Arc<Queue>,
    /// Whether the last attempt failed, so a failure is logged when it starts, not each time.
    failing: bool,
}

impl HubSender {
    pub(super) fn new(hub: Url, client: PingClient, retry: Retry, status: PublishStatus) -> Self {
        HubSender {
            hub,
            client,
            retry,
            status,
            queue: Arc::default(),
            failing: false,
        }
    }

    /// Sends every round as its topics arrive, for as long as the hub is configured.
    pub(super) async fn run(mut self) {
        loop {
            let round = self.queue.next_round().await;
            if let Err(undelivered) = self.send(round).await {
                tracing::error!("WebSub hub {undelivered}");
            }
            // Given up or sent, the round's topics are no longer pending.
            let pending = self.queue.in_round(0);
            self.status.set_pending(&self.hub, pending);
        }
    }

    /// Tells the hub of each of `topics`, trying the ones it did not take again after each
    /// pause of the retry schedule.
    pub(super) async fn send(&mut self, mut topics: Vec<Url>) -> Result<(), Undelivered> {
        let mut attempt = 1;
        loop {
            let error = self.attempt(&mut topics).await;
            let Some(error) = error else {
                if std::mem::take(&mut self.failing) {
                    tracing::info!("WebSub hub {} takes notifications again", self.hub);
                }
                return Ok(());
            };
            let Some(delay) = self.retry.delay_after(attempt) else {
                return Err(Undelivered {
                    hub: self.hub.clone(),
                    topics: topics.len(),
                    attempts: attempt,
                    error,
                });
            };
            if std::mem::replace(&mut self.failing, true) {
                tracing::debug!(hub = %self.hub, %error, ?delay, "WebSub notification failed again");
            } else {
                tracing::warn!(
                    "WebSub hub {}: {error}; retrying {} in {delay:?}",
                    self.hub,
                    wording(topics.len())
                );
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Sends each of `topics` once; keeps in it those that failed, and returns the last error.
    async fn attempt(&mut self, topics: &mut Vec<Url>) -> Option<PingError> {
        let mut failed = Vec::new();
        let mut last_error = None;
        let total = topics.len();
        for (sent, topic) in std::mem::take(topics).into_iter().enumerate() {
            match self.client.ping(&self.hub, &topic).await {
                Ok(()) => {
                    tracing::debug!(hub = %self.hub, %topic, "WebSub hub notified");
                    self.status.succeeded(&self.hub, Utc::now());
                }
                Err(error) => {
                    self.status.failed(&self.hub, error.to_string(), Utc::now());
                    last_error = Some(error);
                    failed.push(topic);
                }
            }
            let pending = self.queue.in_round(failed.len() + total - sent - 1);
            self.status.set_pending(&self.hub, pending);
        }
        *topics = failed;
        last_error
    }
}

fn wording(topics: usize) -> String {
    crate::wording::count(topics, "topic")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A hub on 127.0.0.1 that answers every request with `status`; counts the requests.
    async fn hub_answering(status: u16) -> (Url, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = vec![0; 4096];
                // The client's request fits one read; only its arrival matters here.
                let _ = stream.read(&mut buffer).await;
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        (url, requests)
    }

    #[tokio::test]
    async fn a_round_is_given_up_after_its_attempts_and_leaves_nothing_pending() {
        let (hub, requests) = hub_answering(500).await;
        let status = PublishStatus::default();
        status.set_hubs(std::slice::from_ref(&hub));
        let retry = Retry {
            attempts: 3,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        };
        let sender = HubSender::new(hub.clone(), PingClient::new(), retry, status.clone());
        let queue = Arc::clone(&sender.queue);
        tokio::spawn(sender.run());
        let topics = [
            Url::parse("https://example.org/rss.xml").unwrap(),
            Url::parse("https://example.org/atom.xml").unwrap(),
        ];
        assert_eq!(queue.add(&topics), 2);
        for _ in 0..500 {
            let state = &status.hubs()[&hub];
            if requests.load(Ordering::SeqCst) == 6 && state.pending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let state = status.hubs()[&hub].clone();
        assert_eq!(
            requests.load(Ordering::SeqCst),
            6,
            "two topics, three attempts"
        );
        assert_eq!(state.pending, 0, "given up: no longer pending");
        assert_eq!(state.last_success, None);
        let (message, _) = state.last_error.expect("the error is kept");
        assert!(message.contains("500"), "{message}");
    }

    #[tokio::test]
    async fn topics_queued_again_before_their_round_wait_once() {
        let queue = Queue::default();
        let url = |p: &str| Url::parse(&format!("https://example.org/{p}")).unwrap();
        assert_eq!(queue.add(&[url("rss.xml"), url("atom.xml")]), 2);
        assert_eq!(queue.add(&[url("atom.xml"), url("feed.json")]), 3);
        let round = queue.next_round().await;
        assert_eq!(round, [url("rss.xml"), url("atom.xml"), url("feed.json")]);
        // Changed again while its round is sent: it waits for the next one.
        assert_eq!(queue.add(&[url("atom.xml")]), 4);
        assert_eq!(queue.in_round(0), 1);
        assert_eq!(queue.next_round().await, [url("atom.xml")]);
    }
}
