//! `/metrics` and polite polling, on the real daemon: counters move by exactly what the requests
//! made, rebuilds are timed, clients without validators are named, the rate limit answers 429
//! but never to a conditional request for the current bytes, and RSS says the polling policy.

use std::collections::BTreeMap;

use crate::running::{Daemon, Reply};
use crate::support::*;

/// A scrape: each sample by metric name and labels (as `k="v"` pairs, sorted).
#[derive(Debug)]
struct Scrape(BTreeMap<(String, Vec<(String, String)>), f64>);

impl Scrape {
    /// Parses the Prometheus text format: comment lines, then `name{labels} value` lines.
    fn parse(text: &str) -> Scrape {
        let mut samples = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect("closing }"))),
                None => (series, Vec::new()),
            };
            samples.insert((name.to_owned(), labels), value);
        }
        Scrape(samples)
    }

    /// The sample's value; 0 for a series not written (yet).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.sort();
        self.0
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    fn series(&self, name: &str) -> Vec<(&Vec<(String, String)>, f64)> {
        self.0
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, labels), v)| (labels, *v))
            .collect()
    }
}

/// `a="x",b="y"` → sorted pairs; values here hold no `"` or `,` except inside quotes.
fn labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"').expect("closing quote");
        pairs.push((
            key.trim_start_matches(',').to_owned(),
            after[..end].to_owned(),
        ));
        rest = &after[end + 1..];
    }
    pairs.sort();
    pairs
}

fn scrape(daemon: &Daemon) -> (Scrape, Reply) {
    let reply = daemon.get("/metrics");
    assert_eq!(reply.status, 200, "{}", reply.text());
    (Scrape::parse(&reply.text()), reply)
}

fn site(server: &str) -> Site {
    let site = Site::with_config(&format!("{BASE_CONFIG}[server]\n{server}"));
    site.write(
        "2024-05-01-first.md",
        &md("First", "2024-05-01", "", "The first post."),
    );
    site.write(
        "2024-05-02-second.md",
        &md("Second", "2024-05-02", "", "The second post."),
    );
    site
}

const REQUESTS: &str = "feedd_http_requests_total";

#[test]
fn each_request_moves_its_counters_by_exactly_one() {
    let site = site("metrics = true\n");
    let daemon = Daemon::start(&site.config());
    let (before, first_scrape) = scrape(&daemon);
    let agent = [(
        "User-Agent",
        "NeverValidates/1.0 (+https://example.net/bot)",
    )];

    let plain = daemon.request("GET", "/rss.xml", &agent);
    assert_eq!(plain.status, 200);
    let etag = plain.header("etag").expect("ETag").to_owned();
    let gzip_headers = [agent[0], ("Accept-Encoding", "gzip")];
    let gzip = daemon.request("GET", "/atom.xml", &gzip_headers);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let fresh = daemon.request("GET", "/rss.xml", &[("If-None-Match", &etag)]);
    assert_eq!(fresh.status, 304);
    let missing = daemon.get("/no/such/thing");
    assert_eq!(missing.status, 404);

    let (after, _) = scrape(&daemon);
    let moved =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    let request = |document: &str, status: &str| {
        moved(REQUESTS, &[("document", document), ("status", status)])
    };
    assert_eq!(request("/rss.xml", "200"), 1.0);
    assert_eq!(request("/rss.xml", "304"), 1.0);
    assert_eq!(request("/atom.xml", "200"), 1.0);
    assert_eq!(request("other", "4xx"), 1.0);
    assert_eq!(request("/metrics", "200"), 1.0, "the first scrape");
    let encoding = |e: &str| moved("feedd_http_responses_by_encoding_total", &[("encoding", e)]);
    assert_eq!(encoding("identity"), 1.0);
    assert_eq!(encoding("gzip"), 1.0);
    assert_eq!(encoding("br"), 0.0);
    let polling = |v: &str| moved("feedd_http_polling_requests_total", &[("validators", v)]);
    assert_eq!(polling("yes"), 1.0, "the conditional request");
    assert_eq!(
        polling("no"),
        2.0,
        "the two without validators; the 404 is no poll"
    );
    let sent = [&first_scrape, &plain, &gzip, &fresh, &missing]
        .iter()
        .map(|r| r.body.len() as f64)
        .sum::<f64>();
    assert_eq!(moved("feedd_http_response_body_bytes_total", &[]), sent);

    let agents = after.series("feedd_http_unvalidated_agent_requests");
    let user_agent = ("user_agent".to_owned(), agent[0].1.to_owned());
    assert!(
        agents
            .iter()
            .any(|(labels, v)| labels.contains(&user_agent) && *v == 2.0),
        "{agents:?}"
    );
    assert_eq!(after.get("feedd_posts", &[]), 2.0);
    assert_eq!(after.get("feedd_problems", &[]), 0.0);
    assert!(
        after.get("feedd_http_connections_open", &[]) >= 1.0,
        "the scrape's own"
    );
}

#[test]
fn metrics_is_prometheus_text_and_never_cached() {
    let site = site("metrics = true\n");
    let daemon = Daemon::start(&site.config());
    scrape(&daemon);
    // The second scrape: requests are written from the first one counted on.
    let (_, reply) = scrape(&daemon);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let text = reply.text();
    for name in [
        "feedd_http_requests_total",
        "feedd_http_response_body_bytes_total",
        "feedd_http_responses_by_encoding_total",
        "feedd_http_polling_requests_total",
        "feedd_rebuilds_total",
        "feedd_rebuild_duration_seconds",
        "feedd_http_connections_open",
        "feedd_http_connections_refused_total",
        "feedd_http_rate_limited_total",
        "feedd_posts",
        "feedd_problems",
        "feedd_documents",
        "feedd_snapshot_generation",
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} in:\n{text}"
        );
    }
}

#[test]
fn metrics_is_off_unless_configured() {
    let site = site("");
    let daemon = Daemon::start(&site.config());
    assert_eq!(daemon.get("/metrics").status, 404);
}

#[test]
fn a_published_edit_is_one_rebuild_in_the_histogram() {
    let site = site("metrics = true\n");
    let daemon = Daemon::start(&site.config());
    let (before, _) = scrape(&daemon);
    let generation = daemon.generation();
    site.write(
        "2024-05-03-third.md",
        &md("Third", "2024-05-03", "", "The third post."),
    );
    daemon.poll_until("/healthz", "the edit to be published", |reply| {
        let health: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
        health["generation"].as_u64() > Some(generation)
    });
    let (after, _) = scrape(&daemon);
    let moved = |name: &str| after.get(name, &[]) - before.get(name, &[]);
    assert_eq!(moved("feedd_rebuilds_total"), 1.0);
    assert_eq!(moved("feedd_rebuild_duration_seconds_count"), 1.0);
    assert!(moved("feedd_rebuild_duration_seconds_sum") > 0.0);
    assert_eq!(after.get("feedd_posts", &[]), 3.0);
    assert_eq!(
        after.get("feedd_snapshot_generation", &[]),
        daemon.generation() as f64
    );
}

#[test]
fn over_the_rate_limit_is_429_but_a_conditional_request_for_the_current_bytes_never_is() {
    let site = site("metrics = true\nrate_limit = 3\n");
    let daemon = Daemon::start(&site.config());
    let first = daemon.get("/rss.xml");
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("ETag").to_owned();
    assert_eq!(daemon.get("/rss.xml").status, 200);
    assert_eq!(daemon.get("/atom.xml").status, 200);

    let limited = daemon.get("/rss.xml");
    assert_eq!(limited.status, 429, "{}", limited.text());
    // Three a minute: the next token is at most 20 s away.
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=20).contains(&retry), "Retry-After: {retry}");
    for _ in 0..10 {
        let fresh = daemon.request("GET", "/rss.xml", &[("If-None-Match", &etag)]);
        assert_eq!(fresh.status, 304, "a 304 is never limited");
        let head = daemon.request("HEAD", "/rss.xml", &[("If-None-Match", &etag)]);
        assert_eq!(head.status, 304);
    }
    let stale = daemon.request("GET", "/rss.xml", &[("If-None-Match", "\"stale\"")]);
    assert_eq!(
        stale.status, 429,
        "a validator that does not match costs a body"
    );
    assert_eq!(daemon.get("/no/such/thing").status, 429);

    let (scraped, _) = scrape(&daemon);
    assert_eq!(scraped.get("feedd_http_rate_limited_total", &[]), 3.0);
}

#[test]
fn rss_says_the_polling_policy_that_cache_control_sends() {
    let site = site("max_age = 7200\n");
    let daemon = Daemon::start(&site.config());
    let reply = daemon.get("/rss.xml");
    assert_eq!(reply.header("cache-control"), Some("public, max-age=7200"));
    let text = reply.text();
    let xml = roxmltree::Document::parse(&text).expect("well-formed");
    let sy = "http://purl.org/rss/1.0/modules/syndication/";
    let channel_text = |namespace: Option<&str>, name: &str| {
        xml.descendants()
            .find(|n| n.tag_name().name() == name && n.tag_name().namespace() == namespace)
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    assert_eq!(channel_text(None, "ttl").as_deref(), Some("120"), "minutes");
    assert_eq!(
        channel_text(Some(sy), "updatePeriod").as_deref(),
        Some("daily")
    );
    assert_eq!(
        channel_text(Some(sy), "updateFrequency").as_deref(),
        Some("12"),
        "twelve two-hour periods a day"
    );
    let parsed = parse_feed(&reply.body);
    assert_eq!(parsed.entries.len(), 2);
    for path in ["/atom.xml", "/feed.json"] {
        let reply = daemon.get(path);
        assert_eq!(reply.header("cache-control"), Some("public, max-age=7200"));
        assert_eq!(parse_feed(&reply.body).entries.len(), 2, "{path}");
    }
    let health = daemon.get("/healthz");
    assert_eq!(health.header("cache-control"), Some("no-store"));
}

/// A connection to `addr` from 127.0.0.2.
fn connect_from_second_address(addr: std::net::SocketAddr) -> std::net::TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let from = std::net::SocketAddr::from(([127, 0, 0, 2], 0));
    socket.bind(&from.into()).expect("bind 127.0.0.2");
    socket.connect(&addr.into()).expect("connect");
    let stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream
}

#[test]
fn open_and_refused_connections_are_counted() {
    use std::io::Read;
    let site = site("metrics = true\nmax_connections_per_address = 1\n");
    let daemon = Daemon::start(&site.config());
    let _held = connect_from_second_address(daemon.addr);
    let mut refused = connect_from_second_address(daemon.addr);
    let mut answer = String::new();
    let _ = refused.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");

    let (scraped, _) = scrape(&daemon);
    let refusals = |reason: &str| {
        scraped.get(
            "feedd_http_connections_refused_total",
            &[("reason", reason)],
        )
    };
    assert_eq!(refusals("address_full"), 1.0);
    assert_eq!(refusals("server_full"), 0.0);
    assert_eq!(
        scraped.get("feedd_http_connections_open", &[]),
        2.0,
        "the held connection and the scrape's"
    );
}

#[test]
fn the_built_in_hubs_requests_are_counted_under_its_path() {
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}[server]\nmetrics = true\n[websub]\nhub = \"builtin\"\n"
    ));
    site.write(
        "2024-05-01-first.md",
        &md("First", "2024-05-01", "", "The first post."),
    );
    let daemon = Daemon::start(&site.config());
    let (before, _) = scrape(&daemon);
    // Not a subscription request: a GET, which the hub answers 405.
    assert_eq!(daemon.get("/websub").status, 405);
    let (after, _) = scrape(&daemon);
    let labels = [("document", "/websub"), ("status", "4xx")];
    assert_eq!(
        after.get(REQUESTS, &labels) - before.get(REQUESTS, &labels),
        1.0
    );
    assert_eq!(
        after.get(REQUESTS, &[("document", "other"), ("status", "4xx")]),
        before.get(REQUESTS, &[("document", "other"), ("status", "4xx")]),
        "counted once, under the hub's path"
    );
}
