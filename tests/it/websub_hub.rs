//! The built-in WebSub hub against a real subscriber (`subscriber`), whose callback paths say
//! how it answers. "No delivery" is asserted once another subscriber of the same topic got the
//! same change, and a moment more.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::running::Daemon;
use crate::subscriber::{DELIVERY_BOUND, Subscriber};
use crate::support::*;

const TOPIC: &str = "https://example.org/atom.xml";
const HUB_CONFIG: &str = "\n[websub]\nhub = \"builtin\"\nallow_private_callbacks = true\n";
/// POSTs `body` to the hub endpoint with `content_type`; the status and the body's text.
fn post_raw(daemon: &Daemon, content_type: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /websub HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        daemon.addr,
        body.len()
    )
    .expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let text = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, text)
}

fn hub_request(daemon: &Daemon, fields: &[(&str, &str)]) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    post_raw(daemon, "application/x-www-form-urlencoded", &body)
}

/// Subscribes `callback` and waits until the hub has stored the subscription.
fn subscribe(daemon: &Daemon, callback: &str, extra: &[(&str, &str)]) {
    let mut fields = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.callback", callback),
    ];
    fields.extend_from_slice(extra);
    let (status, text) = hub_request(daemon, &fields);
    assert_eq!(status, 202, "{text}");
    daemon.wait_for(
        &format!("hub: subscribed {callback} to {TOPIC}"),
        DELIVERY_BOUND,
    );
}

fn hub_site(extra_config: &str) -> Site {
    let site = Site::with_config(&format!("{BASE_CONFIG}{extra_config}"));
    site.write("a.md", &md("Alpha", "2020-01-01", "", "First."));
    site
}

fn edit(site: &Site, title: &str) {
    site.write("a.md", &md(title, "2020-01-01", "", "First, edited."));
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// After a delivery that shows the change went out, a moment for any other one to land.
fn settle() {
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn subscribers_with_and_without_a_secret_get_each_edit_as_asked() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    let plain = subscriber.callback("/plain");
    let signed = subscriber.callback("/signed?feed=1");
    // The topic in another spelling of the same URL: the verification names it as sent, and
    // the subscription is to the feed.
    let (status, text) = hub_request(
        &daemon,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", "https://EXAMPLE.org:443/atom.xml"),
            ("hub.callback", &plain),
            ("unknown.param", "ignored"),
        ],
    );
    assert_eq!(status, 202, "{text}");
    daemon.wait_for(
        &format!("hub: subscribed {plain} to {TOPIC}"),
        DELIVERY_BOUND,
    );
    subscribe(
        &daemon,
        &signed,
        &[("hub.secret", "s3cret"), ("hub.lease_seconds", "600")],
    );

    let verification = &subscriber.requests("GET", "/plain")[0];
    assert_eq!(verification.query["hub.mode"], "subscribe");
    assert_eq!(
        verification.query["hub.topic"],
        "https://EXAMPLE.org:443/atom.xml"
    );
    assert_eq!(
        subscriber.requests("GET", "/signed")[0].query["hub.topic"],
        TOPIC
    );
    assert_eq!(
        verification.query["hub.lease_seconds"], "864000",
        "the default"
    );
    assert!(verification.query["hub.challenge"].len() >= 32);
    let verification = &subscriber.requests("GET", "/signed")[0];
    assert_eq!(
        verification.query["feed"], "1",
        "the callback's own query is kept"
    );
    assert_eq!(verification.query["hub.lease_seconds"], "600");

    edit(&site, "Alpha edited");
    let plain_post = subscriber.wait_posts("/plain", 1, &daemon).remove(0);
    let signed_post = subscriber.wait_posts("/signed", 1, &daemon).remove(0);
    let served = daemon.get("/atom.xml");
    assert!(served.text().contains("Alpha edited"));
    for post in [&plain_post, &signed_post] {
        assert_eq!(post.body, served.body, "the whole new document");
        assert_eq!(post.header("content-type"), served.header("content-type"));
        assert_eq!(
            post.all("link"),
            [
                "<https://example.org/websub>; rel=\"hub\"",
                &format!("<{TOPIC}>; rel=\"self\""),
            ]
        );
    }
    assert_eq!(plain_post.header("x-hub-signature"), None);
    assert_eq!(
        signed_post.header("x-hub-signature"),
        Some(format!("sha256={}", hmac_hex("s3cret", &signed_post.body)).as_str())
    );
}

#[test]
fn a_callback_that_does_not_confirm_is_not_subscribed() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    let refusing = subscriber.callback("/refuse");
    let (status, text) = hub_request(
        &daemon,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", &refusing),
        ],
    );
    assert_eq!(status, 202, "{text}");
    daemon.wait_for(
        &format!("{refusing} did not confirm subscribe"),
        DELIVERY_BOUND,
    );
    subscribe(&daemon, &subscriber.callback("/control"), &[]);
    edit(&site, "Alpha edited");
    subscriber.wait_posts("/control", 1, &daemon);
    settle();
    assert!(subscriber.requests("POST", "/refuse").is_empty());
}

#[test]
fn unsubscribing_stops_deliveries_and_a_renewal_is_one_subscription() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    let leaving = subscriber.callback("/leaving");
    let control = subscriber.callback("/control");
    subscribe(&daemon, &leaving, &[]);
    subscribe(&daemon, &control, &[("hub.lease_seconds", "60")]);
    // websub.rocks hub test 103: the same topic and callback again renews, not duplicates.
    subscribe(&daemon, &control, &[("hub.lease_seconds", "120")]);

    edit(&site, "Alpha one");
    subscriber.wait_posts("/leaving", 1, &daemon);
    subscriber.wait_posts("/control", 1, &daemon);

    let (status, text) = hub_request(
        &daemon,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", &leaving),
        ],
    );
    assert_eq!(status, 202, "{text}");
    daemon.wait_for(
        &format!("hub: unsubscribed {leaving} from {TOPIC}"),
        DELIVERY_BOUND,
    );
    let verification = subscriber.requests("GET", "/leaving").pop().unwrap();
    assert_eq!(verification.query["hub.mode"], "unsubscribe");
    assert!(!verification.query.contains_key("hub.lease_seconds"));

    edit(&site, "Alpha two");
    subscriber.wait_posts("/control", 2, &daemon);
    settle();
    assert_eq!(subscriber.requests("POST", "/leaving").len(), 1);
    assert_eq!(
        subscriber.requests("POST", "/control").len(),
        2,
        "one delivery per change to a renewed subscription"
    );
}

#[test]
fn an_expired_lease_gets_no_delivery() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    subscribe(
        &daemon,
        &subscriber.callback("/short"),
        &[("hub.lease_seconds", "1")],
    );
    subscribe(&daemon, &subscriber.callback("/control"), &[]);
    assert_eq!(
        subscriber.requests("GET", "/short")[0].query["hub.lease_seconds"],
        "1"
    );
    // Leases end on whole seconds; two of them are surely over.
    std::thread::sleep(Duration::from_millis(2100));
    edit(&site, "Alpha edited");
    subscriber.wait_posts("/control", 1, &daemon);
    settle();
    assert!(subscriber.requests("POST", "/short").is_empty());
}

#[test]
fn subscriptions_survive_a_restart() {
    let site = hub_site(HUB_CONFIG);
    let subscriber = Subscriber::start();
    let callback = subscriber.callback("/kept");
    let daemon = Daemon::start(&site.config());
    subscribe(&daemon, &callback, &[("hub.secret", "k")]);
    let file = site.path().join(".feedd/websub-subscriptions.json");
    let deadline = Instant::now() + DELIVERY_BOUND;
    while !std::fs::read_to_string(&file).is_ok_and(|t| t.contains(&callback)) {
        assert!(Instant::now() < deadline, "{} not written", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(daemon.stop(), Some(0));

    let daemon = Daemon::start(&site.config());
    daemon.wait_for("websub hub: 1 loaded from", DELIVERY_BOUND);
    edit(&site, "Alpha after restart");
    let post = subscriber.wait_posts("/kept", 1, &daemon).remove(0);
    assert!(String::from_utf8_lossy(&post.body).contains("Alpha after restart"));
    assert_eq!(
        post.header("x-hub-signature"),
        Some(format!("sha256={}", hmac_hex("k", &post.body)).as_str()),
        "the secret is kept too"
    );
}

#[test]
fn a_corrupt_subscription_file_is_set_aside_and_named() {
    let site = hub_site(HUB_CONFIG);
    let state = site.path().join(".feedd");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("websub-subscriptions.json"), "{ not json").unwrap();
    let daemon = Daemon::start(&site.config());
    daemon.wait_for(
        "websub-subscriptions.json is not a subscription list",
        DELIVERY_BOUND,
    );
    let kept = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .any(|name| name.starts_with("websub-subscriptions.json.bad-"));
    assert!(kept, "the bad file is kept aside");
    let subscriber = Subscriber::start();
    subscribe(&daemon, &subscriber.callback("/new"), &[]);
}

#[test]
fn a_subscriber_that_never_answers_does_not_delay_another() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    subscribe(&daemon, &subscriber.callback("/silent"), &[]);
    subscribe(&daemon, &subscriber.callback("/y-quick"), &[]);
    edit(&site, "Alpha edited");
    subscriber.wait_posts("/y-quick", 1, &daemon);
    // Delivered while the silent subscriber still holds its request unanswered (for 30 s):
    // the quick one never waited for it.
    subscriber.wait_posts("/silent", 1, &daemon);
    assert!(!daemon.log().contains("gave up delivering"));
}

#[test]
fn a_failed_delivery_is_retried_and_410_gone_unsubscribes() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    let gone = subscriber.callback("/gone");
    subscribe(&daemon, &subscriber.callback("/flaky"), &[]);
    subscribe(&daemon, &gone, &[]);
    edit(&site, "Alpha edited");
    // The first answer is a 500; the retry comes after a pause of two seconds.
    let posts = subscriber.wait("/flaky", "POST", 2, Duration::from_secs(10), &daemon);
    assert_eq!(posts[0].body, posts[1].body);
    daemon.wait_for(&format!("{gone} answered 410 Gone"), DELIVERY_BOUND);
    edit(&site, "Alpha edited again");
    subscriber.wait_posts("/flaky", 3, &daemon);
    settle();
    assert_eq!(subscriber.requests("POST", "/gone").len(), 1);
}

#[test]
fn private_callbacks_are_refused_unless_allowed() {
    let site = hub_site("\n[websub]\nhub = \"builtin\"\n");
    let daemon = Daemon::start(&site.config());
    let subscriber = Subscriber::start();
    for callback in [
        subscriber.callback("/private"),
        "http://[::1]:9/cb".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        // A name is refused for what it resolves to.
        format!("http://localhost:{}/private", subscriber.addr.port()),
    ] {
        let (status, text) = hub_request(
            &daemon,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &callback),
            ],
        );
        assert_eq!(status, 400, "{callback}: {text}");
        assert!(text.contains("not a public address"), "{text}");
    }
    settle();
    assert!(subscriber.requests("GET", "/private").is_empty());
}

#[test]
fn requests_the_hub_cannot_take_are_refused_with_a_reason() {
    let site = hub_site(HUB_CONFIG);
    let daemon = Daemon::start(&site.config());
    let callback = "http://127.0.0.1:9/cb";
    let subscribe_to = |topic: &str| {
        hub_request(
            &daemon,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", topic),
                ("hub.callback", callback),
            ],
        )
    };
    for topic in [
        "https://elsewhere.example/atom.xml",
        "https://example.org/missing.xml",
        "https://example.org/",
        "not a url",
    ] {
        let (status, text) = subscribe_to(topic);
        assert_eq!(status, 404, "{topic}: {text}");
        assert!(text.contains("not one of this site's feeds"), "{text}");
    }
    let (status, text) = hub_request(&daemon, &[("hub.topic", TOPIC), ("hub.callback", callback)]);
    assert_eq!((status, text.trim()), (400, "missing hub.mode"));
    let (status, text) = post_raw(&daemon, "application/json", "{}");
    assert_eq!(status, 415, "{text}");
    let (status, _) = post_raw(
        &daemon,
        "application/x-www-form-urlencoded",
        &"x".repeat(9000),
    );
    assert_eq!(status, 413);
    let reply = daemon.get("/websub");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(
        daemon.get("/atom.xml").status,
        200,
        "documents are served as before"
    );
}
