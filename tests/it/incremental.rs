//! Incremental rebuilds: after the first build, the daemon's work per edit follows the edit, not
//! the site. Each rebuild logs what it did (`N posts indexed, N bodies and N feeds rendered`),
//! which these tests read, since timings on a shared machine are too noisy to assert.

use std::time::Duration;

use crate::running::Daemon;
use crate::support::{Site, md};

/// A site of `n` posts, one a day, each tagged with one of three tags.
fn site_of(n: usize) -> Site {
    let site = Site::new();
    for i in 0..n {
        let day =
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64);
        let date = format!("{day}T00:00:00Z");
        let tag = ["red", "green", "blue"][i % 3];
        site.write(
            &format!("p{i:04}.md"),
            &md(
                &format!("Post {i}"),
                &date,
                &format!("tags = [\"{tag}\"]\n"),
                "Body.",
            ),
        );
    }
    site
}

/// The `rebuilt (…)` lines of the log after the startup.
fn rebuild_lines(daemon: &Daemon) -> Vec<String> {
    daemon
        .log()
        .lines()
        .filter(|l| l.contains("rebuilt ("))
        .map(String::from)
        .collect()
}

#[test]
fn an_edit_indexes_and_renders_only_the_post_and_the_feeds_it_is_in() {
    let site = site_of(600);
    let daemon = Daemon::start(&site.config());
    let before = rebuild_lines(&daemon).len();
    // The newest post, p0599 (tag "blue" since 599 % 3 == 2), is in the main feed and one tag's.
    site.write(
        "p0599.md",
        &md(
            "Post 599, edited",
            "2021-08-22T00:00:00Z",
            "tags = [\"blue\"]\n",
            "Body.",
        ),
    );
    daemon.poll_until("/atom.xml", "the edit", |r| {
        String::from_utf8_lossy(&r.body).contains("Post 599, edited")
    });
    daemon.wait_for("generation 2", Duration::from_secs(10));
    let lines = rebuild_lines(&daemon);
    let line = &lines[before..].join("\n");
    assert!(
        line.contains("1 post indexed, 1 body and 2 feeds rendered"),
        "one post in, one body and its two feeds out:\n{}",
        daemon.log()
    );
}

#[test]
fn a_new_post_beside_hundreds_is_one_post_of_work() {
    let site = site_of(600);
    let daemon = Daemon::start(&site.config());
    site.write(
        "new.md",
        &md(
            "Brand new",
            "2022-01-01T00:00:00Z",
            "tags = [\"new\"]\n",
            "Hi.",
        ),
    );
    daemon.wait_for("generation 2", Duration::from_secs(10));
    let log = daemon.log();
    let line = log
        .lines()
        .find(|l| l.contains("generation 2"))
        .unwrap_or_default();
    assert!(
        line.contains("1 post indexed, 1 body and 2 feeds rendered"),
        "only the new file is indexed, not 600 posts; its body and its two feeds rendered:\n{log}"
    );
}
