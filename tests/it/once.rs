//! `feedd --once` and `feedd check` on whole sites.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir(root) {
        let relative = entry
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.insert(relative, std::fs::read(&entry).unwrap());
    }
    files
}

fn walkdir(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn sample_site_gives_three_documents_every_parser_accepts() {
    let site = Site::sample();
    let output = site.once();
    assert_success(&output);
    for doc in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = parse_feed(site.read_out(doc).as_bytes());
        let ids = entry_ids(&feed);
        assert_eq!(ids.len(), 10, "{doc}");
        assert_eq!(
            ids[0], "tag:feeds.example.org,2019-07-05:kim-myong-gil-point-man",
            "{doc}"
        );
        assert_eq!(
            ids[9], "tag:feeds.example.org,2019-06-29:trump-tweets-dmz-invitation",
            "{doc}"
        );
        let titles: Vec<_> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert_eq!(
            titles[0], "Former North Korean ambassador may be new point man in US-NK talks",
            "{doc}"
        );
        assert_eq!(
            titles[9], "Trump tweets invitation to Kim Jong Un to meet in Demilitarized Zone",
            "{doc}"
        );
    }
}

#[test]
fn sample_site_keeps_the_source_order_newest_first() {
    let site = Site::sample();
    assert_success(&site.once());
    let feed = parse_feed(site.read_out("atom.xml").as_bytes());
    let mut files: Vec<_> = std::fs::read_dir(site.src())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    // File names sort oldest first by their date prefix; the seed lists newest first and
    // same-day posts in slug order, which is the feed's tie-break too.
    files.reverse();
    let expected_dates: Vec<_> = files.iter().map(|f| f[..10].to_string()).collect();
    let dates: Vec<_> = feed
        .entries
        .iter()
        .map(|e| {
            e.published
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Seoul)
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    assert_eq!(dates, expected_dates);
}

#[test]
fn same_sources_give_identical_bytes_whatever_time_zone_or_mtimes() {
    let site = Site::sample();
    let run = |out: &str, tz: &str| {
        let output = std::process::Command::new(BIN)
            .args(["--once", "--config"])
            .arg(site.config())
            .arg("--out")
            .arg(site.path().join(out))
            .env("TZ", tz)
            .output()
            .unwrap();
        assert_success(&output);
        read_tree(&site.path().join(out))
    };
    let first = run("a", "UTC");
    for entry in std::fs::read_dir(site.src()).unwrap() {
        let file = std::fs::File::options()
            .append(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
            .unwrap();
    }
    let second = run("b", "Pacific/Auckland");
    assert_eq!(first, second);
}

#[test]
fn unchanged_documents_are_not_rewritten() {
    let site = Site::sample();
    assert_success(&site.once());
    let mtime = || {
        std::fs::metadata(site.out().join("atom.xml"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = mtime();
    let output = site.once();
    assert_success(&output);
    assert_eq!(before, mtime());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("0 written"),
        "{output:?}"
    );
}

#[test]
fn check_validates_and_writes_nothing() {
    let site = Site::sample();
    let output = site.run(&["check"]);
    assert_success(&output);
    assert!(!site.out().exists());
}

#[test]
fn sources_are_never_modified() {
    let site = Site::sample();
    site.write("sub/.hidden.md", "x").write("draft.md.swp", "x");
    let before = read_tree(&site.src());
    let stamp = std::fs::metadata(site.src().join("sub/.hidden.md"))
        .unwrap()
        .modified()
        .unwrap();
    assert_success(&site.once());
    assert_success(&site.run(&["check"]));
    assert_eq!(before, read_tree(&site.src()));
    let after = std::fs::metadata(site.src().join("sub/.hidden.md"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(stamp, after);
}

#[test]
fn subfolders_are_read_and_leftovers_drafts_and_future_posts_skipped() {
    let site = Site::new();
    site.write(
        "2020/a.md",
        &md("In a subfolder", "2020-01-01", "", "Body."),
    )
    .write("b.md~", &md("Backup", "2020-01-02", "", "x"))
    .write(".c.md", &md("Hidden", "2020-01-03", "", "x"))
    .write("4913", "x")
    .write("notes.org", "x")
    .write("d.md", &md("Draft", "2020-01-04", "draft = true\n", "x"))
    .write("e.md", &md("Future", "2999-01-01", "", "x"));
    assert_success(&site.once());
    let feed = parse_feed(site.read_out("atom.xml").as_bytes());
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["In a subfolder"]);
}

#[test]
fn tags_get_feeds_of_their_own_with_self_links() {
    let site = Site::new();
    site.write(
        "a.md",
        &md("A", "2020-01-01", "tags = [\"Rust\", \"web\"]\n", "x"),
    )
    .write("b.md", &md("B", "2020-01-02", "tags = [\"web\"]\n", "x"));
    assert_success(&site.once());
    let web = parse_feed(site.read_out("tags/web/atom.xml").as_bytes());
    assert_eq!(web.entries.len(), 2);
    let rust = site.read_out("tags/rust/rss.xml");
    assert!(
        rust.contains("https://example.org/tags/rust/rss.xml"),
        "{rust}"
    );
    assert_eq!(parse_feed(rust.as_bytes()).entries.len(), 1);
    assert!(site.out().join("tags/rust/feed.json").exists());
}

#[test]
fn a_tag_that_goes_away_takes_its_documents_along() {
    let site = Site::new();
    site.write("a.md", &md("A", "2020-01-01", "tags = [\"gone\"]\n", "x"));
    assert_success(&site.once());
    assert!(site.out().join("tags/gone/atom.xml").exists());
    site.write("a.md", &md("A", "2020-01-01", "", "x"));
    assert_success(&site.once());
    assert!(!site.out().join("tags/gone").exists());
    assert!(site.out().join("atom.xml").exists());
}

#[test]
fn hostile_text_still_gives_well_formed_documents() {
    let site = Site::new();
    let title = "<script>alert(1)</script> ]]> \u{1} \u{8} 🦀 مرحبا שלום & co";
    site.write(
        "evil.txt",
        &format!("{title}\n\nPosted on 2020-01-01 by Ev\u{7}il <b>\n\nA ]]> paragraph with \u{b} control & <i>markup</i> and \u{202e}rtl.\n"),
    );
    assert_success(&site.once());
    for doc in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = parse_feed(site.read_out(doc).as_bytes());
        let got = feed.entries[0].title.as_ref().unwrap().content.clone();
        assert_eq!(
            got, "<script>alert(1)</script> ]]>   🦀 مرحبا שלום & co",
            "{doc}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&site.read_out("feed.json")).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
}

#[test]
fn help_documents_flags_config_keys_and_exit_codes() {
    let output = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert_success(&output);
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--once",
        "--out",
        "--config",
        "--listen",
        "check",
        "base_url",
        "id_authority",
        "max_entries",
        "Exit codes",
        "debounce_ms",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let version = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("feedd "));
}
