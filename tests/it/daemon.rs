//! The daemon keeps the served feeds in step with the source folder, for every way files change.

use std::time::Duration;

use crate::running::{Daemon, Reply};
use crate::support::*;

fn titles(reply: &Reply) -> Vec<String> {
    parse_feed(&reply.body)
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn has_title(title: &str) -> impl Fn(&Reply) -> bool + '_ {
    move |reply| reply.status == 200 && titles(reply).iter().any(|t| t == title)
}

fn lacks_title(title: &str) -> impl Fn(&Reply) -> bool + '_ {
    move |reply| reply.status == 200 && !titles(reply).iter().any(|t| t == title)
}

fn site_with_two_posts() -> Site {
    let site = Site::new();
    site.write("a.md", &md("Alpha", "2020-01-01", "", "First."))
        .write("b.md", &md("Beta", "2020-01-02", "", "Second."));
    site
}

#[test]
fn write_in_place_is_served() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    assert!(has_title("Alpha")(&daemon.get("/atom.xml")));
    site.write("a.md", &md("Alpha edited", "2020-01-01", "", "First."));
    daemon.poll_until("/atom.xml", "the edit", has_title("Alpha edited"));
}

#[test]
fn temp_file_renamed_over_is_served() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    let temp = site.src().join(".a.md.tmp-123");
    std::fs::write(&temp, md("Alpha via rename", "2020-01-01", "", "x")).unwrap();
    std::fs::rename(&temp, site.src().join("a.md")).unwrap();
    daemon.poll_until(
        "/atom.xml",
        "the renamed-over edit",
        has_title("Alpha via rename"),
    );
}

#[test]
fn vim_style_unlink_then_create_is_served() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    std::fs::write(site.src().join("4913"), "").unwrap();
    std::fs::remove_file(site.src().join("4913")).unwrap();
    std::fs::rename(site.src().join("a.md"), site.src().join("a.md~")).unwrap();
    std::fs::write(
        site.src().join("a.md"),
        md("Alpha from vim", "2020-01-01", "", "x"),
    )
    .unwrap();
    std::fs::remove_file(site.src().join("a.md~")).unwrap();
    let reply = daemon.poll_until("/atom.xml", "vim's save", has_title("Alpha from vim"));
    assert_eq!(titles(&reply).len(), 2, "no duplicate, no loss");
}

#[test]
fn renamed_and_moved_posts_keep_their_ids() {
    let site = site_with_two_posts();
    // Made before the daemon starts, so that only the moves below are events.
    std::fs::create_dir(site.src().join("2020")).unwrap();
    let daemon = Daemon::start(&site.config());
    let ids = |reply: &Reply| entry_ids(&parse_feed(&reply.body));
    let before = ids(&daemon.get("/atom.xml"));
    let generation = daemon.generation();
    std::fs::rename(site.src().join("a.md"), site.src().join("alpha-renamed.md")).unwrap();
    daemon.poll_until("/healthz", "a rebuild", |_| {
        daemon.generation() > generation
    });
    assert_eq!(ids(&daemon.get("/atom.xml")), before, "rename keeps ids");
    // A move changes no byte, so the sign it was handled is the daemon finishing a batch; a
    // move seen in two halves (gone, then back) is covered by polling for both posts after it.
    let seen = daemon.outcomes();
    std::fs::rename(site.src().join("b.md"), site.src().join("2020/b.md")).unwrap();
    daemon.wait_for_outcome(seen, "the move into 2020/");
    let after = daemon.poll_until("/atom.xml", "both posts", |r| titles(r).len() == 2);
    assert_eq!(ids(&after), before, "move into a subfolder keeps ids");
    let seen = daemon.outcomes();
    std::fs::rename(site.src().join("2020/b.md"), site.src().join("b.md")).unwrap();
    daemon.wait_for_outcome(seen, "the move out of 2020/");
    let back = daemon.poll_until("/atom.xml", "both posts", |r| titles(r).len() == 2);
    assert_eq!(ids(&back), before, "move out of a subfolder keeps ids");
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    let result = match encoding {
        "gzip" => std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut decoded),
        _ => std::io::Read::read_to_end(&mut brotli::Decompressor::new(body, 4096), &mut decoded),
    };
    result.unwrap_or_else(|e| panic!("cannot decode {encoding}: {e}"));
    decoded
}

#[test]
fn an_edit_is_served_compressed_once_compressed_in_the_background() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    site.write("a.md", &md("Alpha edited", "2020-01-01", "", "First."));
    daemon.poll_until("/atom.xml", "the edit", has_title("Alpha edited"));
    for encoding in ["gzip", "br"] {
        let reply = daemon.poll_request(
            "/atom.xml",
            &[("Accept-Encoding", encoding)],
            &format!("the edit compressed with {encoding}"),
            |r| r.header("content-encoding") == Some(encoding),
        );
        let decoded = Reply {
            body: decode(encoding, &reply.body),
            ..reply
        };
        assert!(has_title("Alpha edited")(&decoded), "{encoding}");
    }
}

#[test]
fn deleted_post_disappears() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    std::fs::remove_file(site.src().join("b.md")).unwrap();
    daemon.poll_until("/atom.xml", "the deletion", lacks_title("Beta"));
}

/// The documents a site of untagged posts serves.
const DOCUMENTS: [&str; 3] = ["/rss.xml", "/atom.xml", "/feed.json"];

fn etags(daemon: &Daemon) -> Vec<Option<String>> {
    DOCUMENTS
        .iter()
        .map(|path| daemon.get(path).header("etag").map(str::to_owned))
        .collect()
}

#[test]
fn touch_only_changes_nothing() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    let before = etags(&daemon);
    assert!(before.iter().all(Option::is_some), "{before:?}");
    let generation = daemon.generation();
    let seen = daemon.outcomes();
    site.touch("a.md");
    daemon.wait_for_outcome(seen, "the touch");
    let log = daemon.log();
    assert!(log.contains("a.md: no document changed"), "{log}");
    assert!(!log.contains("rebuilt ("), "the touch published:\n{log}");
    assert_eq!(
        daemon.generation(),
        generation,
        "the touch published nothing"
    );
    assert_eq!(etags(&daemon), before, "no ETag changed");
}

#[test]
fn a_checkout_of_hundreds_of_files_is_one_rebuild() {
    // A quiet time longer than any pause the loop below may take on a loaded test machine: the
    // rule under test is that a burst within it is one rebuild, whatever its length.
    let site = Site::with_config(&format!("{BASE_CONFIG}[server]\ndebounce_ms = 250\n"));
    let daemon = Daemon::start(&site.config());
    let generation = daemon.generation();
    let staging = site.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    for i in 0..300 {
        std::fs::write(
            staging.join(format!("p{i:03}.md")),
            md(&format!("Post {i}"), "2020-01-01", "", "x"),
        )
        .unwrap();
    }
    // Like git checkout: many files appear in the source folder in a quick burst.
    for i in 0..300 {
        let name = format!("p{i:03}.md");
        std::fs::rename(staging.join(&name), site.src().join(&name)).unwrap();
    }
    let reply = daemon.poll_until("/healthz", "300 entries", |r| {
        serde_json::from_slice::<serde_json::Value>(&r.body).is_ok_and(|h| h["entries"] == 300)
    });
    assert_eq!(reply.status, 200);
    // Read from the same report as the count: a burst split over two batches would have
    // published a snapshot with fewer posts first.
    let health: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        health["generation"],
        generation + 1,
        "one rebuild:\n{}",
        daemon.log()
    );
}

#[test]
fn a_broken_edit_keeps_the_last_good_post_and_healthz_reports_it() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    assert_eq!(daemon.get("/healthz").status, 200);
    site.write(
        "a.md",
        "+++\ntitle = \"Alpha\"\ndate = 2020-01-01\nbogus = 1\n+++\n",
    );
    let health = daemon.poll_until("/healthz", "an error", |r| r.status == 503);
    assert!(health.text().contains("a.md:4:"), "{}", health.text());
    assert!(
        has_title("Alpha")(&daemon.get("/atom.xml")),
        "last good version stays"
    );
    assert!(
        daemon.log().contains("a.md:4:"),
        "logged:\n{}",
        daemon.log()
    );
    site.write("a.md", &md("Alpha fixed", "2020-01-01", "", "x"));
    daemon.poll_until("/healthz", "recovery", |r| r.status == 200);
    assert!(has_title("Alpha fixed")(&daemon.get("/atom.xml")));
}

#[test]
fn a_scheduled_post_appears_when_due_without_any_file_event() {
    let site = site_with_two_posts();
    // Written once the daemon is up, however long that took, so only the few milliseconds from
    // the write to its rebuild count against the 3 s.
    let daemon = Daemon::start(&site.config());
    let generation = daemon.generation();
    let seen = daemon.outcomes();
    // Whole seconds, as written in the post.
    let due =
        chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0) + chrono::Duration::seconds(3);
    site.write(
        "later.md",
        &md(
            "Scheduled",
            &due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "",
            "x",
        ),
    );
    daemon.wait_for_outcome(seen, "writing the scheduled post");
    let health = daemon.health();
    assert!(chrono::Utc::now() < due, "the machine took 3 s to rebuild");
    assert_eq!(health["entries"], 2, "not published before it is due");
    assert!(lacks_title("Scheduled")(&daemon.get("/atom.xml")));
    let reply = daemon.poll_until("/atom.xml", "the scheduled post", has_title("Scheduled"));
    assert!(chrono::Utc::now() >= due, "published early");
    // The log line follows the publication (and the write of the lock file): wait for it.
    daemon.wait_for(
        "rebuilt (a scheduled post came due)",
        Duration::from_secs(10),
    );
    assert_eq!(titles(&reply).len(), 3);
    assert!(daemon.generation() > generation);
}

#[test]
fn a_deleted_source_folder_keeps_the_last_documents_until_it_returns() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    let before = daemon.get("/atom.xml");
    std::fs::rename(site.src(), site.path().join("moved-away")).unwrap();
    daemon.wait_for(
        "still serving the last good documents",
        Duration::from_secs(10),
    );
    assert_eq!(daemon.get("/atom.xml").body, before.body);
    std::fs::create_dir(site.src()).unwrap();
    std::fs::write(site.src().join("c.md"), md("Gamma", "2020-01-03", "", "x")).unwrap();
    let reply = daemon.poll_until("/atom.xml", "the new folder", has_title("Gamma"));
    assert_eq!(titles(&reply), ["Gamma"]);
}

#[test]
fn sighup_reloads_the_config_and_an_invalid_one_is_refused() {
    // Polling once an hour: the watcher never sees the config change, only the signal applies it.
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}[server]\nwatch = \"poll\"\npoll_interval_ms = 3600000\n"
    ));
    site.write("a.md", &md("Alpha", "2020-01-01", "", "First."));
    let daemon = Daemon::start(&site.config());
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), config.replace("Test Site", "Renamed Site")).unwrap();
    daemon.signal("HUP");
    daemon.poll_until("/atom.xml", "the new title", |r| {
        r.text().contains("Renamed Site")
    });
    std::fs::write(site.config(), format!("{config}bogus_key = 1\n")).unwrap();
    daemon.signal("HUP");
    daemon.wait_for("keeping the previous config", Duration::from_secs(10));
    assert!(daemon.get("/atom.xml").text().contains("Renamed Site"));
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_config_that_moves_the_source_folder_is_followed() {
    let site = site_with_two_posts();
    let other = site.path().join("other-src");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("c.md"), md("Gamma", "2020-01-03", "", "x")).unwrap();
    let daemon = Daemon::start(&site.config());
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        format!("{config}source_dir = \"other-src\"\n"),
    )
    .unwrap();
    let reply = daemon.poll_until("/atom.xml", "the other folder", has_title("Gamma"));
    assert_eq!(titles(&reply), ["Gamma"], "nothing of the old folder stays");
}

#[test]
fn sigterm_stops_cleanly() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    assert_eq!(daemon.get("/atom.xml").status, 200);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn the_output_folder_is_kept_in_sync_when_asked() {
    let site = Site::with_config(&format!("{BASE_CONFIG}[server]\nwrite_output = true\n"));
    site.write("a.md", &md("Alpha", "2020-01-01", "tags = [\"x\"]\n", "x"));
    let daemon = Daemon::start(&site.config());
    assert!(site.read_out("atom.xml").contains("Alpha"));
    assert!(site.out().join("tags/x/atom.xml").exists());
    let lock = std::fs::read_to_string(site.path().join("feedd.lock")).expect("feedd.lock");
    assert!(
        lock.contains("\"a.md\""),
        "the lock file records the post:\n{lock}"
    );
    assert!(
        !site.out().join(".feedd-ids.json").exists(),
        "nothing but documents in the output folder"
    );
    site.write("a.md", &md("Alpha two", "2020-01-01", "", "x"));
    daemon.poll_until("/atom.xml", "the edit", has_title("Alpha two"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while site.out().join("tags/x/atom.xml").exists()
        || !site.read_out("atom.xml").contains("Alpha two")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "output folder not updated"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One way of saving a post with the given title.
type Save<'a> = dyn Fn(&str) + 'a;

/// One save, however the editor does it, is one rebuild: the debounce's quiet time must cover
/// every step of a save. Each way is tried on the running daemon in turn.
#[test]
fn each_way_of_saving_is_exactly_one_rebuild() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    let src = site.src();
    let saves: [(&str, &Save<'_>); 7] = [
        ("in place", &|title| {
            std::fs::write(src.join("a.md"), md(title, "2020-01-01", "", "x")).unwrap();
        }),
        ("temp file renamed over", &|title| {
            let temp = src.join(".a.md.tmp-1");
            std::fs::write(&temp, md(title, "2020-01-01", "", "x")).unwrap();
            std::fs::rename(&temp, src.join("a.md")).unwrap();
        }),
        ("sed -i", &|title| {
            let temp = src.join("sedAb12Cd");
            std::fs::write(&temp, md(title, "2020-01-01", "", "x")).unwrap();
            std::fs::rename(&temp, src.join("a.md")).unwrap();
        }),
        ("JetBrains safe write", &|title| {
            let (temp, old) = (src.join("a.md___jb_tmp___"), src.join("a.md___jb_old___"));
            std::fs::write(&temp, md(title, "2020-01-01", "", "x")).unwrap();
            std::fs::rename(src.join("a.md"), &old).unwrap();
            std::fs::rename(&temp, src.join("a.md")).unwrap();
            std::fs::remove_file(&old).unwrap();
        }),
        ("vim", &|title| {
            std::fs::write(src.join("4913"), "").unwrap();
            std::fs::remove_file(src.join("4913")).unwrap();
            std::fs::rename(src.join("a.md"), src.join("a.md~")).unwrap();
            std::fs::write(src.join("a.md"), md(title, "2020-01-01", "", "x")).unwrap();
            std::fs::remove_file(src.join("a.md~")).unwrap();
        }),
        ("unlink then create", &|title| {
            std::fs::remove_file(src.join("a.md")).unwrap();
            std::fs::write(src.join("a.md"), md(title, "2020-01-01", "", "x")).unwrap();
        }),
        ("truncate then write", &|title| {
            use std::io::Write;
            let mut file = std::fs::File::create(src.join("a.md")).unwrap();
            file.flush().unwrap();
            file.write_all(md(title, "2020-01-01", "", "x").as_bytes())
                .unwrap();
        }),
    ];
    for (way, save) in saves {
        let before = daemon.generation();
        let title = format!("Saved {way}");
        save(&title);
        daemon.poll_until("/atom.xml", way, has_title(&title));
        // Long enough for a second batch of the same save to have been rebuilt.
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            daemon.generation(),
            before + 1,
            "{way}: one save, one rebuild\n{}",
            daemon.log()
        );
    }
    let log = daemon.log();
    assert!(!log.contains("full rescan"), "a save was a rescan:\n{log}");
}

/// The `Last-Modified` stamps are written on a thread of their own, off the path from an edit
/// to the served feed; a write there that fails still shows in `/healthz` until one works.
#[test]
fn a_state_file_it_cannot_write_is_reported_until_a_write_works() {
    let site = site_with_two_posts();
    let stamps = site.path().join(".feedd/last-modified.json");
    // A folder where the file goes: replacing it fails, whoever runs the test.
    std::fs::create_dir_all(stamps.join("in-the-way")).expect("blocker");
    let daemon = Daemon::start(&site.config());
    let health = daemon.poll_until("/healthz", "503 naming the stamps file", |r| {
        r.status == 503 && r.text().contains("last-modified.json")
    });
    assert!(
        health
            .text()
            .contains("cannot keep the Last-Modified times"),
        "{}",
        health.text()
    );

    std::fs::remove_dir_all(&stamps).expect("unblock");
    site.write("c.md", &md("Gamma", "2020-01-03", "", "Third."));
    daemon.poll_until("/atom.xml", "the new post", has_title("Gamma"));
    daemon.poll_until("/healthz", "healthy once the file is written", |r| {
        r.status == 200
    });
    daemon.wait_for("writing to disk works again", Duration::from_secs(10));
    assert!(stamps.is_file(), "the stamps are written");
}

/// A stop waits for the lock file: the id of a post served a moment before is in it.
#[test]
fn a_post_served_just_before_a_stop_is_in_the_lock_file() {
    let site = site_with_two_posts();
    let daemon = Daemon::start(&site.config());
    site.write("c.md", &md("Gamma", "2020-01-03", "", "Third."));
    daemon.poll_until("/atom.xml", "the new post", has_title("Gamma"));
    assert_eq!(daemon.stop(), Some(0));
    let lock = std::fs::read_to_string(site.path().join("feedd.lock")).expect("feedd.lock");
    assert!(
        lock.contains("\"c.md\""),
        "the lock file records it:\n{lock}"
    );
}
