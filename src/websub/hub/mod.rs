//! The built-in WebSub hub (`[websub] hub = "builtin"`, WebSub §5–§7): readers subscribe to
//! feedd's own feeds at `/<hub_path>` and are sent each feed's new bytes the moment a rebuild
//! changes them, with no outside hub in between.
//!
//! The parts, one job each: `request` parses a subscription request, `callback` decides which
//! addresses may be called, `endpoint` answers the request and `verify` checks the
//! subscriber's intent (`pending` bounds how many checks run at once), `store` keeps the
//! subscriptions (leases, limits, the file in `state_dir`), `deliver` sends the content, and
//! `client` is the outgoing HTTP client they share. [`Hub`] is the handle the daemon holds: `http` passes it the requests for its path,
//! and the event loop passes it the topics each published snapshot changed. Nothing here
//! blocks either: verification and delivery run as tasks of their own.

mod callback;
mod client;
mod deliver;
mod endpoint;
mod pending;
mod request;
mod store;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use url::Url;

use crate::config::{BuiltinHub, Config};
use crate::snapshot::Snapshot;
use crate::websub::topic::ChangedTopic;
use callback::Policy;
use client::Client;
use deliver::Deliveries;
use pending::Pending;
use store::{Limits, Store};

pub use deliver::signature;
pub use endpoint::Answer;
pub use store::FILE_NAME;

/// Largest subscription request body read; real ones are a few hundred bytes.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// Verifications under way at once; past it, requests get a 503.
const MAX_VERIFICATIONS: usize = 64;
/// Verifications under way to callbacks on one host; past it, requests get a 429.
const MAX_VERIFICATIONS_PER_HOST: usize = 8;
/// How long a verification or a delivery may take, connecting included.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often subscriptions whose lease is over are removed (they get nothing meanwhile).
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Why the hub cannot start.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the WebSub hub cannot set up TLS for its outgoing requests: {0}")]
    Tls(#[from] rustls::Error),
}

/// What the hub's tasks share.
#[derive(Debug)]
struct Shared {
    settings: BuiltinHub,
    base_url: Url,
    /// The hub's own URL, as the `rel="hub"` link names it.
    hub_url: Url,
    policy: Policy,
    client: Client,
    store: Arc<Store>,
    verifications: Arc<Pending>,
    deliveries: Deliveries,
}

impl Shared {
    fn limits(&self) -> Limits {
        Limits {
            per_topic: self.settings.max_subscriptions_per_topic,
            per_host: self.settings.max_subscriptions_per_host,
        }
    }
}

/// The running hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub {
    shared: Arc<Shared>,
    /// The endpoint's request path, with its leading `/`.
    path: Arc<str>,
    changes: mpsc::UnboundedSender<Vec<ChangedTopic>>,
}

impl Hub {
    /// Starts the hub `config` asks for, if any: loads the subscriptions from `state_dir` and
    /// spawns the tasks that deliver changes and purge expired leases. Must run on a Tokio
    /// runtime.
    pub fn start(config: &Config) -> Result<Option<Hub>, HubError> {
        let Some(settings) = config.websub.builtin.clone() else {
            return Ok(None);
        };
        let policy = Policy {
            allow_private: settings.allow_private_callbacks,
        };
        let hub_url = config
            .base_url
            .join(&settings.path)
            .unwrap_or_else(|_| config.base_url.clone());
        let shared = Arc::new(Shared {
            hub_url,
            base_url: config.base_url.clone(),
            policy,
            client: Client::new(policy, EXCHANGE_TIMEOUT)?,
            store: Store::load(config.state_dir.join(FILE_NAME)),
            verifications: Pending::new(MAX_VERIFICATIONS, MAX_VERIFICATIONS_PER_HOST),
            deliveries: Deliveries::default(),
            settings,
        });
        let path = format!("/{}", shared.settings.path).into();
        let (changes, mut received) = mpsc::unbounded_channel::<Vec<ChangedTopic>>();
        let distributing = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Some(topics) = received.recv().await {
                deliver::distribute(&distributing, topics);
            }
        });
        tokio::spawn(purge_expired(Arc::clone(&shared)));
        tracing::info!("websub hub: serving subscriptions at {}", shared.hub_url);
        Ok(Some(Hub {
            shared,
            path,
            changes,
        }))
    }

    /// The request path the endpoint answers at (`/websub` by default).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Answers a subscription request (see `endpoint`).
    pub async fn receive(
        &self,
        snapshot: &Snapshot,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Answer {
        endpoint::receive(&self.shared, snapshot, content_type, body).await
    }

    /// Sends `topics` to their subscribers, in the background; returns at once.
    pub fn topics_changed(&self, topics: Vec<ChangedTopic>) {
        if topics.is_empty() {
            return;
        }
        if self.changes.send(topics).is_err() {
            tracing::error!("websub hub: the delivery task has stopped; changes are not sent");
        }
    }
}

async fn purge_expired(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = store::now();
        let purged = shared.store.update(|subs| {
            let purged = subs.purge(now);
            (purged, purged > 0)
        });
        if purged > 0 {
            tracing::info!("websub hub: {purged} expired subscription(s) removed");
        }
    }
}
