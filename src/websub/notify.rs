//! [`Notifier`]: tells the outside hubs which topics changed, in the background.
//!
//! The daemon hands each published change to [`Notifier::announce`], which only sends it down a
//! channel: rebuilding and serving never wait for a hub. A dispatcher task keeps one queue and
//! one task per hub (`hub_queue`), so a hub that is slow or down delays no other and a burst of
//! changes coalesces into one notification per topic. [`ping_all`] is the same work done to the
//! end, for `feedd --once --ping`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};
use url::Url;

use super::hub_queue::{HubSender, Queue, Undelivered};
use super::ping::PingClient;
use super::retry::Retry;
use super::status::PublishStatus;

/// Topics that changed, for the hubs configured when they did.
#[derive(Debug)]
struct Announcement {
    hubs: Vec<Url>,
    topics: Vec<Url>,
}

/// The sending end; the background work stops when it is dropped.
#[derive(Debug)]
pub struct Notifier {
    sender: mpsc::UnboundedSender<Announcement>,
    status: PublishStatus,
}

impl Notifier {
    /// Starts the dispatcher on the current tokio runtime; `status` is where each hub's last
    /// success, last error and pending count are kept for `/healthz`.
    pub fn spawn(status: PublishStatus, retry: Retry) -> Notifier {
        let (sender, receiver) = mpsc::unbounded_channel();
        let dispatcher = Dispatcher {
            client: PingClient::new(),
            retry,
            status: status.clone(),
            hubs: HashMap::new(),
            tasks: JoinSet::new(),
        };
        tokio::spawn(dispatcher.run(receiver));
        Notifier { sender, status }
    }

    /// Queues a notification of each of `topics` to each of `hubs` and returns at once. The hub
    /// list replaces the last one: a hub no longer named stops being notified (and reported).
    pub fn announce(&self, hubs: &[Url], topics: Vec<Url>) {
        // Shown at once, not when the dispatcher gets to it: a reload that names a new hub
        // lists it in `/healthz` straight away.
        self.status.set_hubs(hubs);
        let announcement = Announcement {
            hubs: hubs.to_vec(),
            topics,
        };
        if self.sender.send(announcement).is_err() {
            tracing::error!("the WebSub notifier has stopped; hubs are not told of changes");
        }
    }

    pub fn status(&self) -> &PublishStatus {
        &self.status
    }
}

/// The background task: one queue per hub, each drained by a task of its own.
struct Dispatcher {
    client: PingClient,
    retry: Retry,
    status: PublishStatus,
    hubs: HashMap<Url, (Arc<Queue>, AbortHandle)>,
    /// Dropped with the dispatcher, which aborts every hub's task.
    tasks: JoinSet<()>,
}

impl Dispatcher {
    async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Announcement>) {
        while let Some(announcement) = receiver.recv().await {
            self.on_announcement(announcement);
            // Reap the tasks of hubs that were dropped, so the set does not grow.
            while self.tasks.try_join_next().is_some() {}
        }
    }

    fn on_announcement(&mut self, Announcement { hubs, topics }: Announcement) {
        self.hubs.retain(|hub, (_, task)| {
            let kept = hubs.contains(hub);
            if !kept {
                task.abort();
            }
            kept
        });
        for hub in hubs {
            let queue = match self.hubs.get(&hub) {
                Some((queue, _)) => Arc::clone(queue),
                None => self.start(hub.clone()),
            };
            if !topics.is_empty() {
                let pending = queue.add(&topics);
                self.status.set_pending(&hub, pending);
            }
        }
    }

    /// Starts the task of a hub not seen before; returns its queue.
    fn start(&mut self, hub: Url) -> Arc<Queue> {
        let sender = HubSender::new(
            hub.clone(),
            self.client.clone(),
            self.retry,
            self.status.clone(),
        );
        let queue = Arc::clone(&sender.queue);
        let task = self.tasks.spawn(sender.run());
        self.hubs.insert(hub, (Arc::clone(&queue), task));
        queue
    }
}

/// Tells every one of `hubs` of every one of `topics`, all hubs at once, each with retries;
/// returns what could not be delivered, one entry per hub that failed.
pub async fn ping_all(hubs: &[Url], topics: &[Url], retry: Retry) -> Vec<Undelivered> {
    if topics.is_empty() {
        return Vec::new();
    }
    let client = PingClient::new();
    let status = PublishStatus::default();
    status.set_hubs(hubs);
    let mut sends = JoinSet::new();
    for hub in hubs {
        let mut sender = HubSender::new(hub.clone(), client.clone(), retry, status.clone());
        let topics = topics.to_vec();
        sends.spawn(async move { sender.send(topics).await });
    }
    let mut undelivered = Vec::new();
    while let Some(sent) = sends.join_next().await {
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(failed)) => undelivered.push(failed),
            Err(join) => tracing::error!("a WebSub notification task failed: {join}"),
        }
    }
    undelivered.sort_by(|a, b| a.hub.cmp(&b.hub));
    undelivered
}
