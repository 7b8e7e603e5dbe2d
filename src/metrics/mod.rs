//! What feedd counts about itself, for `/metrics` (Prometheus text format, `prometheus-client`).
//!
//! One set of counters per process ([`global`]): the HTTP server, the refusals at its door and
//! the daemon's rebuilds all count into it, each with one call at the place the event happens,
//! so no handle has to be threaded through layers that do not otherwise meet. Counting is an
//! atomic add; the one lock on the request path is the user-agent table's (`agents`), taken
//! only for requests that carry no validator. What describes the current snapshot (posts,
//! problems) is read from it when scraped, not counted.
//!
//! Which requests are counted and under which label is the HTTP layer's decision (`http`);
//! this module only keeps the numbers and writes them out.

mod agents;

use std::borrow::Cow;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use agents::{Agents, MAX_AGENT_CHARS, TRACKED_AGENTS};

/// The `Content-Type` of what [`Metrics::render`] writes (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// How many of the user agents that send no validators `/metrics` names.
pub const SHOWN_AGENTS: usize = 10;

/// The process's counters.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    document: String,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EncodingLabels {
    encoding: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ValidatorLabels {
    validators: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabels {
    user_agent: String,
}

/// One response, as the HTTP layer classified it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `/` and the document's path in the snapshot (`/rss.xml`; `/index.html` for `/`),
    /// `/healthz`, `/metrics`, or `other`.
    pub document: Cow<'a, str>,
    /// `200`, `304`, `4xx`, `5xx` or `other`.
    pub status: &'static str,
    /// Body bytes sent.
    pub bytes: u64,
    /// The content coding of a 200 (`identity`, `gzip`, `br`); `None` for other responses.
    pub encoding: Option<&'static str>,
    /// For a read of one of feedd's documents: whether it carried `If-None-Match` or
    /// `If-Modified-Since`, and its `User-Agent`. `None` for other requests.
    pub polling: Option<(bool, &'a str)>,
}

/// What the current snapshot and the WebSub notifier say, read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct SiteFacts {
    pub posts: usize,
    pub problems: usize,
    pub documents: usize,
    pub generation: u64,
    /// Each outside WebSub hub the feeds announce changes to (`[websub] hubs`).
    pub hubs: Vec<DeliveryFacts>,
    /// The `[deploy]` target, when one is configured.
    pub deploy: Option<DeliveryFacts>,
}

/// Something feedd sends changes to in the background (an outside WebSub hub, the deploy
/// target), as its sender last left it.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFacts {
    /// The hub's URL or the deploy target's description: the series' label.
    pub to: String,
    /// Topics or objects waiting to be sent.
    pub pending: usize,
    /// When it last took a change, in seconds since the Unix epoch.
    pub last_success: Option<i64>,
    /// Whether the last attempt failed (a failure later than the last success).
    pub failing: bool,
}

impl DeliveryFacts {
    /// Facts from the times of the last success and the last failure.
    pub fn new(
        to: String,
        pending: usize,
        last_success: Option<DateTime<Utc>>,
        last_failure: Option<DateTime<Utc>>,
    ) -> DeliveryFacts {
        DeliveryFacts {
            to,
            pending,
            last_success: last_success.map(|at| at.timestamp()),
            failing: last_failure.is_some_and(|failed| last_success.is_none_or(|ok| failed > ok)),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HubLabels {
    hub: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

/// Pending, last success and failing, per destination labelled `L`.
type DeliveryGauges<L> = [Family<L, Gauge>; 3];

/// The counters, and the registry that names them.
pub struct Metrics {
    /// Behind a lock only so that scrapes, which refresh the gauges below, do not interleave.
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    bytes: Counter,
    encodings: Family<EncodingLabels, Counter>,
    validators: [Counter; 2],
    connections_open: Gauge,
    refused: Family<ReasonLabels, Counter>,
    rate_limited: Counter,
    rebuilds: Counter,
    rebuild_seconds: Histogram,
    site: [Gauge; 4],
    agents: Agents,
    agent_requests: Family<AgentLabels, Gauge>,
    /// Pending topics, last success, failing: per outside WebSub hub.
    hubs: DeliveryGauges<HubLabels>,
    /// Pending objects, last success, failing: for the deploy target.
    deploy: DeliveryGauges<TargetLabels>,
}

impl Metrics {
    fn new() -> Metrics {
        let validators_family = Family::<ValidatorLabels, Counter>::default();
        let validators = ["yes", "no"].map(|validators| {
            validators_family.get_or_create_owned(&ValidatorLabels { validators })
        });
        let metrics = Metrics {
            registry: Mutex::new(Registry::with_prefix("feedd")),
            requests: Family::default(),
            bytes: Counter::default(),
            encodings: Family::default(),
            validators,
            connections_open: Gauge::default(),
            refused: Family::default(),
            rate_limited: Counter::default(),
            rebuilds: Counter::default(),
            // 1 ms to about 33 s.
            rebuild_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            site: Default::default(),
            agents: Agents::default(),
            agent_requests: Family::default(),
            hubs: Default::default(),
            deploy: Default::default(),
        };
        // Series with a fixed set of labels are written from the start, at 0, so that a rate
        // over them has a first point.
        for encoding in ["identity", "gzip", "br"] {
            metrics
                .encodings
                .get_or_create_owned(&EncodingLabels { encoding });
        }
        for reason in ["address_full", "server_full"] {
            metrics
                .refused
                .get_or_create_owned(&ReasonLabels { reason });
        }
        metrics.register_http(validators_family);
        metrics.register_site();
        metrics
    }

    /// The HTTP server's metrics.
    fn register_http(&self, validators: Family<ValidatorLabels, Counter>) {
        let mut guard = self.lock();
        let r = &mut *guard;
        r.register(
            "http_requests",
            "Requests answered, by document and status class",
            self.requests.clone(),
        );
        r.register(
            "http_response_body_bytes",
            "Response body bytes sent",
            self.bytes.clone(),
        );
        r.register(
            "http_responses_by_encoding",
            "200 responses by content coding",
            self.encodings.clone(),
        );
        r.register(
            "http_polling_requests",
            "Reads of feedd's documents, by whether they carried a validator \
             (If-None-Match or If-Modified-Since)",
            validators,
        );
        r.register(
            "http_unvalidated_agent_requests",
            "Reads without a validator from the user agents that sent the most \
             (top 10 of the 50 tracked; an upper bound for agents first seen after eviction)",
            self.agent_requests.clone(),
        );
        r.register(
            "http_connections_open",
            "Connections being served",
            self.connections_open.clone(),
        );
        r.register(
            "http_connections_refused",
            "Connections answered 503 or closed at once, by reason",
            self.refused.clone(),
        );
        r.register(
            "http_rate_limited",
            "Requests answered 429 under [server] rate_limit",
            self.rate_limited.clone(),
        );
    }

    /// The daemon's and the snapshot's metrics.
    fn register_site(&self) {
        let mut guard = self.lock();
        let r = &mut *guard;
        r.register(
            "rebuilds",
            "Rebuilds published after a change",
            self.rebuilds.clone(),
        );
        r.register(
            "rebuild_duration_seconds",
            "Time from a change to its snapshot being published",
            self.rebuild_seconds.clone(),
        );
        let [posts, problems, documents, generation] = self.site.clone();
        r.register("posts", "Posts in the served snapshot", posts);
        r.register(
            "problems",
            "Problems (diagnostics) of the served snapshot; /healthz lists them",
            problems,
        );
        r.register("documents", "Documents in the served snapshot", documents);
        let [pending, success, failing] = self.hubs.clone();
        r.register(
            "websub_hub_pending_topics",
            "Feed documents waiting to be announced to each outside WebSub hub",
            pending,
        );
        r.register(
            "websub_hub_last_success_timestamp_seconds",
            "When each outside WebSub hub last accepted a notification (absent: never)",
            success,
        );
        r.register(
            "websub_hub_failing",
            "1 when the last notification to the hub failed, else 0",
            failing,
        );
        let [pending, success, failing] = self.deploy.clone();
        r.register(
            "deploy_pending_objects",
            "Documents waiting to be uploaded to or deleted from the [deploy] target",
            pending,
        );
        r.register(
            "deploy_last_success_timestamp_seconds",
            "When the [deploy] target was last brought in line with a build (absent: never)",
            success,
        );
        r.register(
            "deploy_failing",
            "1 when the last attempt to deploy failed, else 0",
            failing,
        );
        r.register(
            "snapshot_generation",
            "Generation of the served snapshot",
            generation,
        );
    }

    /// Counts one response.
    pub fn request(&self, request: Request<'_>) {
        let labels = RequestLabels {
            document: request.document.into_owned(),
            status: request.status,
        };
        self.requests.get_or_create(&labels).inc();
        self.bytes.inc_by(request.bytes);
        if let Some(encoding) = request.encoding {
            self.encodings
                .get_or_create(&EncodingLabels { encoding })
                .inc();
        }
        match request.polling {
            Some((true, _)) => {
                self.validators[0].inc();
            }
            Some((false, agent)) => {
                self.validators[1].inc();
                self.agents.record(agent);
            }
            None => {}
        }
    }

    /// Counts an open connection until the returned guard is dropped.
    pub fn connection_open(&'static self) -> OpenConnection {
        self.connections_open.inc();
        OpenConnection(self)
    }

    /// Counts a connection refused for `reason`.
    pub fn refused(&self, reason: &'static str) {
        self.refused.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts a published rebuild that took `took`.
    pub fn rebuilt(&self, took: Duration) {
        self.rebuilds.inc();
        self.rebuild_seconds.observe(took.as_secs_f64());
    }

    /// Every metric in the Prometheus text format, with `site` as the snapshot's facts.
    pub fn render(&self, site: SiteFacts) -> String {
        let registry = self.lock();
        let facts = [site.posts, site.problems, site.documents];
        for (gauge, value) in self.site.iter().zip(facts) {
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        self.site[3].set(i64::try_from(site.generation).unwrap_or(i64::MAX));
        set_deliveries(&self.hubs, &site.hubs, |hub| HubLabels { hub });
        set_deliveries(&self.deploy, site.deploy.as_slice(), |target| {
            TargetLabels { target }
        });
        self.agent_requests.clear();
        for (user_agent, count) in self.agents.top(SHOWN_AGENTS) {
            let gauge = self
                .agent_requests
                .get_or_create(&AgentLabels { user_agent });
            gauge.set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        // Writing into a String fails only if an encoder does, which none of ours can.
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        {
            tracing::warn!(%error, "cannot encode metrics");
        }
        text
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // Registering and encoding leave the registry whole at every step.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes `facts` into `gauges`, one series per destination, dropping destinations that are gone.
fn set_deliveries<L>(
    gauges: &DeliveryGauges<L>,
    facts: &[DeliveryFacts],
    label: impl Fn(String) -> L,
) where
    L: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
{
    let [pending, success, failing] = gauges;
    for family in gauges {
        family.clear();
    }
    for facts in facts {
        let labels = label(facts.to.clone());
        pending
            .get_or_create(&labels)
            .set(i64::try_from(facts.pending).unwrap_or(i64::MAX));
        if let Some(at) = facts.last_success {
            success.get_or_create(&labels).set(at);
        }
        failing.get_or_create(&labels).set(i64::from(facts.failing));
    }
}

/// An open connection, counted in `feedd_http_connections_open` while it lives.
pub struct OpenConnection(&'static Metrics);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections_open.dec();
    }
}
