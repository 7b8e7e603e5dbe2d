//! WebSub, publisher side: feeds name their hubs and themselves, and a hub (a small HTTP server
//! in the test, on 127.0.0.1) is told of exactly the feed documents whose bytes changed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::running::{Daemon, Reply};
use crate::support::*;

/// One POST as the hub received it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    form: Vec<(String, String)>,
}

impl Received {
    fn topic(&self) -> Option<&str> {
        (self.form.iter())
            .find(|(k, _)| k == "hub.url")
            .map(|(_, v)| v.as_str())
    }
}

/// A hub that records every POST and answers with the next status of its script, then 204.
struct TestHub {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl TestHub {
    fn start(script: &[u16]) -> TestHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test hub");
        let addr = listener.local_addr().expect("hub address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.to_vec()));
        let sink = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (sink, script) = (Arc::clone(&sink), Arc::clone(&script));
                std::thread::spawn(move || serve(stream, &sink, &script));
            }
        });
        TestHub { addr, received }
    }

    fn url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The topics of the POSTs after the first `skip`, counted.
    fn topics_after(&self, skip: usize) -> BTreeMap<String, usize> {
        let mut topics = BTreeMap::new();
        for post in self.received().iter().skip(skip) {
            *topics
                .entry(post.topic().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        topics
    }

    /// Waits (bounded) until more than `skip + count - 1` POSTs have come, then a quiet
    /// `settle` more, so that any notification too many would have arrived too.
    fn wait_for(&self, skip: usize, count: usize, settle: Duration) -> BTreeMap<String, usize> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.received().len() < skip + count {
            assert!(
                Instant::now() < deadline,
                "the hub got {:?}, expected {count} more",
                self.topics_after(skip)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(settle);
        self.topics_after(skip)
    }
}

/// Answers the requests of one connection, one status each; `Connection: close` after each.
fn serve(stream: TcpStream, sink: &Mutex<Vec<Received>>, script: &Mutex<Vec<u16>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_owned());
    }
    let header = |name: &str| {
        (head.iter())
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request_line = head.first().cloned().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "POST" {
        sink.lock().unwrap().push(Received {
            path: path.to_owned(),
            content_type: header("content-type").unwrap_or_default(),
            form: url::form_urlencoded::parse(&body).into_owned().collect(),
        });
    }
    let status = {
        let mut script = script.lock().unwrap();
        if script.is_empty() {
            204
        } else {
            script.remove(0)
        }
    };
    let answer =
        format!("HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = reader.get_mut().write_all(answer.as_bytes());
}

fn config_with_hub(hub: &str) -> String {
    format!("{BASE_CONFIG}\n[websub]\nhubs = [\"{hub}\"]\n")
}

/// Two posts in different tags: `a.md` in `rust`, `b.md` in `go`.
fn site_with_hub(hub: &TestHub) -> Site {
    let site = Site::with_config(&config_with_hub(&hub.url()));
    site.write(
        "a.md",
        &md("Alpha", "2020-01-01", "tags = [\"rust\"]\n", "First."),
    )
    .write(
        "b.md",
        &md("Beta", "2020-01-02", "tags = [\"go\"]\n", "Second."),
    );
    site
}

/// The three documents of the feed in `folder` (`""` for the main feed), as topics.
fn feed_topics(folder: &str) -> Vec<String> {
    ["rss.xml", "atom.xml", "feed.json"]
        .iter()
        .map(|file| format!("https://example.org/{folder}{file}"))
        .collect()
}

fn once_each(topics: Vec<String>) -> BTreeMap<String, usize> {
    topics.into_iter().map(|t| (t, 1)).collect()
}

/// The `(rel, href)` of each feed-level `link` with `rel` hub or self in an Atom or RSS body.
fn xml_links(body: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let xml = roxmltree::Document::parse(text).expect("well-formed XML");
    xml.descendants()
        .filter(|n| n.has_tag_name(("http://www.w3.org/2005/Atom", "link")))
        .filter(|n| matches!(n.attribute("rel"), Some("hub" | "self")))
        .map(|n| {
            (
                n.attribute("rel").unwrap_or("").to_owned(),
                n.attribute("href").unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn link_headers(reply: &Reply) -> Vec<String> {
    (reply.headers.iter())
        .filter(|(k, _)| k.eq_ignore_ascii_case("link"))
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn feeds_name_the_hub_and_themselves_in_every_format_and_in_link_headers() {
    let hub = TestHub::start(&[]);
    let site = site_with_hub(&hub);
    let daemon = Daemon::start(&site.config());
    for path in ["atom.xml", "rss.xml", "feed.json", "tags/rust/atom.xml"] {
        let reply = daemon.get(&format!("/{path}"));
        assert_eq!(reply.status, 200, "{path}");
        let own = format!("https://example.org/{path}");
        assert_eq!(
            link_headers(&reply),
            [
                format!("<{}>; rel=\"hub\"", hub.url()),
                format!("<{own}>; rel=\"self\"")
            ],
            "{path}"
        );
        if path.ends_with(".json") {
            let json: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
            assert_eq!(json["feed_url"], own.as_str());
            assert_eq!(
                json["hubs"],
                serde_json::json!([{"type": "WebSub", "url": hub.url()}])
            );
        } else {
            let mut links = xml_links(&reply.body);
            links.sort();
            assert_eq!(
                links,
                [("hub".to_owned(), hub.url()), ("self".to_owned(), own)],
                "{path}"
            );
        }
        let parsed = parse_feed(&reply.body);
        assert!(!parsed.entries.is_empty(), "{path} still reads as a feed");
    }
    let health = daemon.health();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["websub"]["hubs"][0]["url"], hub.url().as_str());
    assert_eq!(health["websub"]["hubs"][0]["pending"], 0);
    let page = daemon.get("/");
    assert!(link_headers(&page).is_empty(), "the index page is no topic");
    assert!(hub.received().is_empty(), "starting announces nothing");
}

#[test]
fn an_edit_notifies_each_changed_feed_once_and_a_touch_notifies_none() {
    let hub = TestHub::start(&[]);
    let site = site_with_hub(&hub);
    let daemon = Daemon::start(&site.config());
    site.write(
        "a.md",
        &md(
            "Alpha",
            "2020-01-01",
            "tags = [\"rust\"]\n",
            "First, edited.",
        ),
    );
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/rust/"));
    let got = hub.wait_for(0, expected.len(), Duration::from_millis(1500));
    assert_eq!(
        got,
        once_each(expected),
        "main and rust feeds once each, go not at all"
    );
    for post in hub.received() {
        assert_eq!(post.path, "/hub");
        assert_eq!(post.content_type, "application/x-www-form-urlencoded");
        assert_eq!(post.form[0], ("hub.mode".to_owned(), "publish".to_owned()));
    }

    let seen = daemon.outcomes();
    let before = hub.received().len();
    site.touch("a.md");
    daemon.wait_for_outcome(seen, "the touch");
    // A later edit that is notified proves the notifier is alive; the touch must add nothing.
    site.write(
        "b.md",
        &md("Beta", "2020-01-02", "tags = [\"go\"]\n", "Second, edited."),
    );
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/go/"));
    let got = hub.wait_for(before, expected.len(), Duration::from_millis(1500));
    assert_eq!(got, once_each(expected), "the touch notified something");
}

#[test]
fn changes_made_while_feedd_was_stopped_are_announced_when_it_starts() {
    let hub = TestHub::start(&[]);
    let site = site_with_hub(&hub);
    let first = Daemon::start(&site.config());
    assert_eq!(first.stop(), Some(0));
    site.write(
        "b.md",
        &md("Beta", "2020-01-02", "tags = [\"go\"]\n", "Edited offline."),
    );
    let again = Daemon::start(&site.config());
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/go/"));
    let got = hub.wait_for(0, expected.len(), Duration::from_millis(1000));
    assert_eq!(got, once_each(expected), "the changed feeds, once each");
    drop(again);
    let restarted = Daemon::start(&site.config());
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        hub.received().len(),
        6,
        "a restart that changes nothing announces nothing"
    );
    drop(restarted);
}

#[test]
fn a_hub_that_fails_is_retried_and_healthz_shows_the_error_then_the_success() {
    // Every notification of the first round fails; the retry a second later succeeds.
    let hub = TestHub::start(&[500; 6]);
    let site = site_with_hub(&hub);
    let daemon = Daemon::start(&site.config());
    site.write(
        "a.md",
        &md("Alpha", "2020-01-01", "tags = [\"rust\"]\n", "Edited."),
    );
    let hub_health = || daemon.health()["websub"]["hubs"][0].clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    let failing = loop {
        let state = hub_health();
        if !state["last_error"].is_null() {
            break state;
        }
        assert!(Instant::now() < deadline, "no error shown: {state}");
        std::thread::sleep(Duration::from_millis(10));
    };
    let message = failing["last_error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("500"), "{failing}");
    assert_eq!(
        daemon.health()["status"],
        "ok",
        "a failing hub is no failing site"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let recovered = loop {
        let state = hub_health();
        if !state["last_success"].is_null() && state["pending"] == 0 {
            break state;
        }
        assert!(Instant::now() < deadline, "no success shown: {state}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        recovered["last_success"].as_str() >= recovered["last_error"]["at"].as_str(),
        "{recovered}"
    );
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/rust/"));
    let twice: BTreeMap<String, usize> = expected.into_iter().map(|t| (t, 2)).collect();
    assert_eq!(
        hub.topics_after(0),
        twice,
        "each topic failed once, then succeeded once"
    );
    let log = daemon.log();
    assert_eq!(
        log.matches("retrying").count(),
        1,
        "one warning for the round:\n{log}"
    );
}

#[test]
fn a_reload_that_names_another_hub_advertises_and_notifies_it() {
    let old = TestHub::start(&[]);
    let new = TestHub::start(&[]);
    let site = site_with_hub(&old);
    let daemon = Daemon::start(&site.config());
    std::fs::write(site.config(), config_with_hub(&new.url())).unwrap();
    daemon.signal("HUP");
    let wanted = format!("<{}>; rel=\"hub\"", new.url());
    daemon.poll_until("/atom.xml", "the new hub", |r| {
        link_headers(r).contains(&wanted)
    });
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/rust/"));
    expected.extend(feed_topics("tags/go/"));
    let got = new.wait_for(0, expected.len(), Duration::from_millis(500));
    assert_eq!(
        got,
        once_each(expected),
        "every feed changed: it names another hub"
    );
    assert!(
        old.received().is_empty(),
        "a hub no longer named is not told"
    );
    let hubs = daemon.health()["websub"]["hubs"].clone();
    assert_eq!(
        hubs,
        serde_json::json!([{"url": new.url(), "last_success": hubs[0]["last_success"],
        "last_error": null, "pending": 0}])
    );
}

#[test]
fn once_ping_tells_the_hub_of_the_feeds_it_wrote_and_exits_3_when_it_cannot() {
    let hub = TestHub::start(&[]);
    let site = site_with_hub(&hub);
    let output = site.run(&["--once", "--ping"]);
    assert_success(&output);
    let mut expected = feed_topics("");
    expected.extend(feed_topics("tags/rust/"));
    expected.extend(feed_topics("tags/go/"));
    assert_eq!(
        hub.topics_after(0),
        once_each(expected),
        "every feed written is told"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("told 1 hub of 9 feed documents written"),
        "{stdout}"
    );
    // Documents that name a hub still read cleanly everywhere: feedparser, the JSON Feed schema
    // (which has `hubs`) and the `rss` crate's validator.
    run_python_checker("check_feeds.py", [site.out()]);
    let rss = std::fs::read(site.out().join("rss.xml")).unwrap();
    let channel = rss::Channel::read_from(&rss[..]).expect("RSS reads back");
    rss::validation::Validate::validate(&channel).expect("RSS with hub links is valid");

    let output = site.run(&["--once", "--ping"]);
    assert_success(&output);
    assert_eq!(hub.received().len(), 9, "nothing written, nobody told");

    // A hub that never takes a notification: five attempts, then exit 3 naming it.
    let down = TestHub::start(&[503; 1000]);
    std::fs::write(site.config(), config_with_hub(&down.url())).unwrap();
    let output = site.run(&["--once", "--ping"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains(&down.url()), "{}", stderr(&output));
    assert_eq!(down.received().len(), 9 * 5, "each feed tried five times");
}
