//! HTTPS through the real binary: the certificate pair is checked at start, and SIGHUP swaps it
//! for new handshakes while connections already open keep working, on HTTP/2 and HTTP/1.1; a
//! pair that cannot be used on reload leaves the one in force.

use std::time::Duration;

use crate::protocols::{Client, Protocol, TestCa, serve_tls};
use crate::running::Daemon;
use crate::support::*;

#[test]
fn sighup_swaps_the_certificate_for_new_handshakes_and_open_connections_keep_working() {
    let ca = TestCa::new();
    let first = ca.issue("feedd first", 1);
    let site = Site::sample();
    serve_tls(&site, &first, "");
    let daemon = Daemon::start(&site.config());
    let h2 = Client::new(daemon.addr, Protocol::H2, &ca);
    let http1 = Client::new(daemon.addr, Protocol::Https1, &ca);
    let mut open: Vec<_> = [&h2, &http1].map(Client::connect).into();
    for connection in &mut open {
        assert_eq!(connection.peer_certificate.as_ref(), Some(&first.der));
        assert_eq!(connection.send("GET", "/atom.xml", &[]).status, 200);
    }

    let second = ca.issue("feedd second", 2);
    second.install(&site);
    daemon.signal("HUP");
    daemon.wait_for("TLS certificate reloaded", Duration::from_secs(15));
    for client in [&h2, &http1] {
        let mut fresh = client.connect();
        assert_eq!(
            fresh.peer_certificate.as_ref(),
            Some(&second.der),
            "{:?}",
            client.protocol
        );
        assert_eq!(fresh.send("GET", "/rss.xml", &[]).status, 200);
    }
    for connection in &mut open {
        assert_eq!(connection.peer_certificate.as_ref(), Some(&first.der));
        let reply = connection.send("GET", "/feed.json", &[]);
        assert_eq!(reply.status, 200, "an open connection survives the reload");
    }

    // A key that is not a key: logged, and the second certificate stays in force.
    std::fs::write(site.path().join("tls-key.pem"), "not a key\n").unwrap();
    daemon.signal("HUP");
    daemon.wait_for(
        "keeping the previous TLS certificate",
        Duration::from_secs(15),
    );
    assert!(
        daemon.log().contains("tls-key.pem: no PEM PRIVATE KEY"),
        "{}",
        daemon.log()
    );
    let mut fresh = h2.connect();
    assert_eq!(fresh.peer_certificate.as_ref(), Some(&second.der));
    assert_eq!(fresh.send("GET", "/healthz", &[]).status, 200);
}

#[test]
fn a_key_that_is_not_the_certificates_stops_the_start_and_names_both_files() {
    let ca = TestCa::new();
    let site = Site::sample();
    serve_tls(&site, &ca.issue("feedd", 1), "");
    let other = ca.issue("feedd", 2);
    std::fs::write(site.path().join("tls-key.pem"), other.key_pem).unwrap();
    let output = site.run(&["--listen", "127.0.0.1:0"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tls-key.pem: the private key does not belong to the certificate in")
            && err.contains("tls-cert.pem"),
        "{err}"
    );
}

#[test]
fn a_missing_certificate_file_is_named() {
    let ca = TestCa::new();
    let site = Site::sample();
    serve_tls(&site, &ca.issue("feedd", 1), "");
    std::fs::remove_file(site.path().join("tls-cert.pem")).unwrap();
    let output = site.run(&["--listen", "127.0.0.1:0"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read the TLS cert") && err.contains("tls-cert.pem"),
        "{err}"
    );
}
