//! `[deploy]` against a real S3-compatible server started here on 127.0.0.1 (`s3_server`)
//! and through a command: what is uploaded, with which headers, and that a second run rewrites
//! exactly the documents whose bytes changed and deletes the ones that went away, after the new
//! ones are in place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::running::Daemon;
use crate::s3_server::{ACCESS_KEY_ID, BUCKET, Object, PREFIX, S3Server, SECRET_ACCESS_KEY};
use crate::support::{BASE_CONFIG, BIN, Site, assert_success, free_addr, md, noisy_wav, stderr};

/// Every file below `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the output folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below dir");
                let key = relative.to_string_lossy().replace('\\', "/");
                found.insert(key, std::fs::read(&path).expect("read a document"));
            }
        }
    }
    found
}

fn posts(site: &Site) {
    let solo = "tags = [\"solo\", \"shared\"]\n";
    site.write(
        "2019-a.md",
        &md("Old", "2019-03-01", "tags = [\"shared\"]\n", "Old."),
    );
    site.write("2024-b.md", &md("Solo", "2024-05-01", solo, "First words."));
    site.write("2024-c.md", &md("Other", "2024-06-01", "", "Other words."));
}

fn s3_site(server: &S3Server) -> Site {
    let config = format!(
        "{BASE_CONFIG}max_entries = 1\n[archives]\nenabled = true\nperiod = \"year\"\n\
         [deploy]\nbucket = \"{BUCKET}\"\nendpoint = \"{}\"\nprefix = \"/{PREFIX}/\"\nattempts = 1\n",
        server.endpoint()
    );
    let site = Site::with_config(&config);
    posts(&site);
    site
}

fn once_deploy(site: &Site) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(site.config())
        .args(["--once", "--deploy"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env_remove("RUST_LOG")
        .output()
        .expect("run feedd")
}

fn content_type_of(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("json") => "application/feed+json; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        _ if path.ends_with("atom.xml") => "application/atom+xml; charset=utf-8",
        _ => "application/rss+xml; charset=utf-8",
    }
}

/// The bucket holds exactly the output folder's documents, each with the server's headers.
fn assert_mirrors(objects: &BTreeMap<String, Object>, folder: &BTreeMap<String, Vec<u8>>) {
    let keys: Vec<&String> = objects.keys().collect();
    assert_eq!(keys, folder.keys().collect::<Vec<_>>());
    for (path, object) in objects {
        assert_eq!(object.body, folder[path], "{path}");
        assert_eq!(
            object.content_type.as_deref(),
            Some(content_type_of(path)),
            "{path}"
        );
        let cache = if path.starts_with("archive/") || path.contains("/archive/") {
            "public, max-age=2592000, immutable"
        } else {
            "public, max-age=300"
        };
        assert_eq!(object.cache_control.as_deref(), Some(cache), "{path}");
        assert_eq!(object.content_encoding, None, "{path}: stored uncompressed");
    }
}

#[test]
fn once_deploy_uploads_every_document_then_exactly_the_changed_ones() {
    let server = S3Server::start();
    let site = s3_site(&server);
    let first = once_deploy(&site);
    assert_success(&first);
    let before = server.objects();
    let written = files(&site.out());
    assert_mirrors(&before, &written);
    assert!(
        before.contains_key("tags/solo/rss.xml"),
        "{:?}",
        before.keys()
    );
    assert!(
        before.keys().any(|k| k.contains("/archive/")),
        "{:?}",
        before.keys()
    );

    // S3 stamps whole seconds: wait for the next one, so a rewrite shows in Last-Modified.
    std::thread::sleep(Duration::from_millis(1100));
    site.write(
        "2024-b.md",
        &md(
            "Solo",
            "2024-05-01",
            "tags = [\"shared\"]\n",
            "Second words.",
        ),
    );
    let second = once_deploy(&site);
    assert_success(&second);
    let after = server.objects();
    let rewritten_files = files(&site.out());
    assert_mirrors(&after, &rewritten_files);
    assert!(
        !after.keys().any(|k| k.starts_with("tags/solo/")),
        "a removed tag's objects go"
    );
    let changed: Vec<&String> = (rewritten_files.iter())
        .filter(|(path, body)| written.get(*path) != Some(body))
        .map(|(path, _)| path)
        .collect();
    let rewritten: Vec<&String> = (after.iter())
        .filter(|(path, object)| {
            before
                .get(*path)
                .is_none_or(|b| b.last_modified != object.last_modified)
        })
        .map(|(path, _)| path)
        .collect();
    assert!(!changed.is_empty());
    assert_eq!(
        rewritten, changed,
        "exactly the changed documents were sent again"
    );
    for path in &changed {
        if let Some(old) = before.get(*path) {
            assert_ne!(old.e_tag, after[*path].e_tag, "{path}");
        }
    }
    let deleted = before.keys().filter(|k| !after.contains_key(*k)).count();
    let summary = String::from_utf8_lossy(&second.stdout);
    let wanted = format!("{} uploaded, {deleted} deleted", changed.len());
    assert!(summary.contains(&wanted), "{wanted:?} in {summary}");

    let third = once_deploy(&site);
    assert_success(&third);
    assert_eq!(server.objects(), after, "nothing changed, nothing sent");
    assert!(String::from_utf8_lossy(&third.stdout).contains("0 uploaded, 0 deleted"));
}

#[test]
fn the_daemon_deploys_each_edit_and_shows_it_in_healthz() {
    let server = S3Server::start();
    let site = s3_site(&server);
    let env = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ];
    let daemon = Daemon::start_with(&site.config(), &[], &env);
    let deployed = |check: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let health = daemon.health();
            if check(&health["deploy"]) {
                return health;
            }
            assert!(Instant::now() < deadline, "not deployed: {health}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let first = deployed(&|d| !d["last_success"].is_null() && d["pending"] == 0);
    assert_eq!(first["status"], "ok");
    let before = server.objects();
    assert_eq!(
        before["rss.xml"].body,
        daemon.get("/rss.xml").body,
        "the bucket holds what feedd serves"
    );
    std::thread::sleep(Duration::from_millis(1100));
    site.write("2024-c.md", &md("Other", "2024-06-01", "", "Edited words."));
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.objects()["rss.xml"].body == before["rss.xml"].body {
        assert!(Instant::now() < deadline, "the edit was not deployed");
        std::thread::sleep(Duration::from_millis(50));
    }
    deployed(&|d| d["pending"] == 0);
    let after = server.objects();
    for (path, object) in &after {
        let same_bytes = before.get(path).is_some_and(|b| b.body == object.body);
        let same_stamp = before
            .get(path)
            .is_some_and(|b| b.last_modified == object.last_modified);
        assert_eq!(
            same_bytes, same_stamp,
            "{path}: rewritten exactly when changed"
        );
    }
    assert_eq!(after["rss.xml"].body, daemon.get("/rss.xml").body);
}

#[test]
fn a_store_that_cannot_be_reached_fails_with_exit_4_after_writing() {
    let port = free_addr().port();
    let config = format!(
        "{BASE_CONFIG}[deploy]\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:{port}\"\n\
         attempts = 2\ntimeout_secs = 2\n"
    );
    let site = Site::with_config(&config);
    posts(&site);
    let output = once_deploy(&site);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("deploy to s3://b/"),
        "{}",
        stderr(&output)
    );
    assert!(
        site.out().join("rss.xml").is_file(),
        "the documents were written"
    );
}

#[test]
fn a_failing_deploy_shows_in_healthz_and_metrics_without_a_503_and_serving_goes_on() {
    let port = free_addr().port();
    let config = format!(
        "{BASE_CONFIG}[server]\nmetrics = true\n[deploy]\nbucket = \"b\"\n\
         endpoint = \"http://127.0.0.1:{port}\"\nattempts = 1\ntimeout_secs = 2\n"
    );
    let site = Site::with_config(&config);
    posts(&site);
    let env = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ];
    let daemon = Daemon::start_with(&site.config(), &[], &env);
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let health = daemon.health();
        if !health["deploy"]["last_error"].is_null() {
            break health;
        }
        assert!(Instant::now() < deadline, "no deploy error shown: {health}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["deploy"]["last_success"], serde_json::Value::Null);
    assert!(health["deploy"]["pending"].as_u64() > Some(0), "{health}");
    assert!(
        (health["deploy"]["target"].as_str()).is_some_and(|t| t.starts_with("s3://b/")),
        "{health}"
    );
    assert_eq!(daemon.get("/rss.xml").status, 200);
    let healthz = daemon.get("/healthz");
    assert_eq!(healthz.status, 200);
    let metrics = daemon.get("/metrics").text();
    let failing = metrics
        .lines()
        .find(|line| line.starts_with("feedd_deploy_failing{target=\"s3://b/"));
    assert!(
        failing.is_some_and(|line| line.ends_with(" 1")),
        "{metrics}"
    );
    assert!(
        !metrics.contains("feedd_deploy_last_success_timestamp_seconds{"),
        "{metrics}"
    );
}

/// A site deploying through `script`, a shell script in the site folder.
fn command_site(script: &str, timeout_secs: u64) -> (Site, PathBuf) {
    let site = Site::new();
    let path = site.path().join("deploy.sh");
    std::fs::write(&path, script).expect("script");
    let config = format!(
        "{BASE_CONFIG}[server]\nwrite_output = true\n[deploy]\ncommand = [\"sh\", \"{}\", \"--flag\"]\n\
         timeout_secs = {timeout_secs}\nattempts = 1\n",
        path.display()
    );
    std::fs::write(site.config(), config).expect("config");
    posts(&site);
    let log = site.path().join("calls");
    (site, log)
}

#[test]
fn a_command_gets_the_changed_paths_and_the_removed_ones() {
    let script = "printf '%s|%s|%s\\n' \"$PWD\" \"$*\" \"$(echo $FEEDD_REMOVED)\" >> ../calls\n";
    let (site, log) = command_site(script, 10);
    assert_success(&once_deploy(&site));
    let first_files = files(&site.out());
    site.write(
        "2024-b.md",
        &md(
            "Solo",
            "2024-05-01",
            "tags = [\"shared\"]\n",
            "Second words.",
        ),
    );
    assert_success(&once_deploy(&site));
    assert_success(&once_deploy(&site));
    let calls = std::fs::read_to_string(&log).expect("the script ran");
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(
        calls.len(),
        2,
        "a run that changes nothing runs nothing: {calls:?}"
    );
    let out = std::fs::canonicalize(site.out()).expect("out");
    let first: Vec<&str> = calls[0].split('|').collect();
    assert_eq!(first[0], out.to_string_lossy(), "runs in the output folder");
    let mut args: Vec<&str> = first[1].split(' ').collect();
    assert_eq!(args.remove(0), "--flag", "its own arguments first");
    args.sort_unstable();
    let every: Vec<&str> = first_files.keys().map(String::as_str).collect();
    assert_eq!(args, every, "the first run sends every document");
    let second: Vec<&str> = calls[1].split('|').collect();
    assert!(
        second[1].contains("rss.xml") && !second[1].contains("tags/solo"),
        "{}",
        calls[1]
    );
    assert_eq!(
        second[2],
        "tags/solo/atom.xml tags/solo/feed.json tags/solo/rss.xml"
    );
}

#[test]
fn a_command_that_hangs_is_killed_at_the_timeout_and_reported() {
    let (site, _) = command_site("exec sleep 60\n", 1);
    let output = once_deploy(&site);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("did not finish within 1s (timeout_secs) and was killed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_daemon_uploads_an_episode_whole_with_its_type_and_a_replaced_one_again() {
    let server = S3Server::start();
    let config = format!(
        "{BASE_CONFIG}[deploy]\nbucket = \"{BUCKET}\"\nendpoint = \"{}\"\nprefix = \"{PREFIX}\"\n",
        server.endpoint()
    );
    let site = Site::with_config(&config);
    let first = noisy_wav(300_000, 1);
    crate::media_serving::episode(&site, "one", &first);
    let env = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ];
    let _daemon = Daemon::start_with(&site.config(), &[], &env);
    let uploaded = |bytes: &[u8]| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let objects = server.objects();
            if let Some(object) = objects.get("episodes/one.wav").filter(|o| o.body == bytes) {
                return object.clone();
            }
            assert!(
                Instant::now() < deadline,
                "not uploaded: {:?}",
                objects.keys()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let object = uploaded(&first);
    assert!(
        object
            .content_type
            .as_deref()
            .is_some_and(|t| t.contains("wav")),
        "{object:?}"
    );
    assert_eq!(
        object.content_encoding, None,
        "media are stored as they are"
    );
    // Replaced the way an editor saves: a new file renamed over the old one.
    let second = noisy_wav(200_000, 2);
    let staged = site.src().join("episodes/one.wav.new");
    std::fs::write(&staged, &second).expect("the new episode");
    std::fs::rename(&staged, site.src().join("episodes/one.wav")).expect("replace");
    uploaded(&second);
}
