//! Caching never hides a change: a client that sends only `If-Modified-Since` sees every change
//! of a document's bytes, across restarts too, and a client holding the current bytes gets 304.

use std::time::{Duration, SystemTime};

use crate::running::Daemon;
use crate::support::*;

const NEWEST: &str = "2019-07-05-kim-myong-gil-point-man.txt";
const OLDER: &str = "2019-07-01-diplomatic-chess-kim-astute-player.txt";
const OLDEST: &str = "2019-06-29-trump-tweets-dmz-invitation.txt";

fn last_modified(daemon: &Daemon) -> String {
    let reply = daemon.get("/atom.xml");
    assert_eq!(reply.status, 200);
    reply
        .header("last-modified")
        .expect("Last-Modified")
        .to_string()
}

fn since(daemon: &Daemon, date: &str) -> u16 {
    daemon
        .request("GET", "/atom.xml", &[("If-Modified-Since", date)])
        .status
}

fn seconds(date: &str) -> SystemTime {
    httpdate::parse_http_date(date).expect("an HTTP date")
}

/// Makes `change`, waits for the daemon to publish it, and checks what an IMS-only client that
/// holds `held` sees: the change (200), a `Last-Modified` later than `held`, and 304 for the new one.
fn changes_are_seen(daemon: &Daemon, held: &str, change: impl FnOnce()) -> String {
    let generation = daemon.generation();
    change();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while daemon.generation() == generation {
        assert!(
            std::time::Instant::now() < deadline,
            "no rebuild:\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        since(daemon, held),
        200,
        "the change is hidden from IMS clients"
    );
    let now = last_modified(daemon);
    assert!(seconds(&now) > seconds(held), "{now} is not after {held}");
    assert_eq!(since(daemon, &now), 304, "a current client is told so");
    now
}

#[test]
fn if_modified_since_clients_see_every_change_and_restarts_change_nothing() {
    let site = Site::sample();
    let daemon = Daemon::start(&site.config());
    let first = last_modified(&daemon);
    assert_eq!(since(&daemon, &first), 304);

    let edited = changes_are_seen(&daemon, &first, || {
        let path = site.src().join(OLDER);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(path, format!("{text}\nA paragraph added later.\n")).unwrap();
    });
    let older_gone = changes_are_seen(&daemon, &edited, || {
        std::fs::remove_file(site.src().join(OLDEST)).unwrap();
    });
    let newest_gone = changes_are_seen(&daemon, &older_gone, || {
        std::fs::remove_file(site.src().join(NEWEST)).unwrap();
    });
    drop(daemon);

    // A restart that changes no bytes keeps Last-Modified, so current clients still get 304.
    let daemon = Daemon::start(&site.config());
    assert_eq!(last_modified(&daemon), newest_gone);
    assert_eq!(since(&daemon, &newest_gone), 304);
    drop(daemon);

    // A change made while feedd was stopped is seen after the next start.
    std::fs::remove_file(site.src().join(OLDER)).unwrap();
    let daemon = Daemon::start(&site.config());
    assert_eq!(since(&daemon, &newest_gone), 200);
    assert!(seconds(&last_modified(&daemon)) > seconds(&newest_gone));
}
