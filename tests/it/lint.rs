//! `feedd lint` and the lint errors `feedd check` runs: the real binary on temporary sites and on
//! hand-made foreign feeds, read through `--format json`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::running::Daemon;
use crate::support::{BASE_CONFIG, BIN, Site, assert_success, md, stderr};

/// The findings `feedd lint --format json` printed.
fn findings(output: &Output) -> Vec<Value> {
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    });
    value.as_array().expect("a JSON array").clone()
}

/// (code, file name, line) of each finding, sorted; the file as its last path component.
fn places(findings: &[Value]) -> Vec<(String, String, Option<u64>)> {
    let mut places: Vec<_> = findings
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or(file).to_string();
            (
                f["code"].as_str().unwrap().to_string(),
                name,
                f["line"].as_u64(),
            )
        })
        .collect();
    places.sort();
    places
}

fn place(code: &str, file: &str, line: Option<u64>) -> (String, String, Option<u64>) {
    (code.to_string(), file.to_string(), line)
}

#[test]
fn the_sample_site_lints_with_infos_only() {
    let site = Site::sample();
    let output = site.run(&["lint", "--format", "json", "--strict"]);
    assert_success(&output);
    let found = findings(&output);
    assert!(!found.is_empty(), "the same-day posts share an instant");
    for finding in &found {
        assert_eq!(finding["severity"], "info", "{finding}");
        assert_eq!(finding["code"], "FD030", "{finding}");
        for key in ["message", "file", "fix", "document"] {
            assert!(finding[key].is_string(), "{key} in {finding}");
        }
        assert!(finding["line"].is_u64(), "{finding}");
    }
    assert!(
        stderr(&output).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&output)
    );
    assert!(
        !site.out().exists() && !site.path().join("feedd.lock").exists(),
        "lint writes nothing"
    );
}

/// A site with one post of each problem feedd lets through, traced to the post's line.
fn crafted_site() -> Site {
    let site = Site::new();
    site.write(
        "2019-07-01-a.md",
        "+++\ntitle = \"A\"\ndate = 2019-07-01T10:00:00Z\nupdated = 2099-01-01T00:00:00Z\n+++\n\n\
         Intro.\n\n<script>alert(1)</script>\n\n<img src=\"pic.png\" onerror=\"boom()\">\n\n\
         <iframe src=\"http://video.example/1\"></iframe>\n\n[click](javascript:alert(1))\n",
    );
    site.write(
        "2019-07-02-b.md",
        "+++\ntitle = \"B\"\ndate = 2019-07-02\n+++\n",
    );
    site.write(
        "2019-07-02-c.md",
        &md("C", "2019-07-02", "summary = \"Sum\"\n", "Body."),
    );
    site
}

#[test]
fn a_crafted_site_gives_each_code_with_the_posts_file_and_line() {
    let site = crafted_site();
    assert_success(&site.once());
    // An id edited in place, after the lock file recorded the minted one.
    site.write(
        "2019-07-02-c.md",
        &md(
            "C",
            "2019-07-02",
            "summary = \"Sum\"\nid = \"urn:x:c\"\n",
            "Body.",
        ),
    );
    let output = site.run(&["lint", "--format", "json"]);
    assert_success(&output);
    let found = findings(&output);
    assert_eq!(
        places(&found),
        [
            place("FD021", "2019-07-02-c.md", Some(5)),
            place("FD030", "2019-07-02-c.md", Some(3)),
            place("FD031", "2019-07-01-a.md", Some(4)),
            place("FD040", "2019-07-02-b.md", None),
            place("FD050", "2019-07-01-a.md", Some(9)),
            place("FD051", "2019-07-01-a.md", Some(11)),
            place("FD052", "2019-07-01-a.md", Some(13)),
            place("FD053", "2019-07-01-a.md", Some(15)),
        ]
    );
    let script = found.iter().find(|f| f["code"] == "FD050").unwrap();
    assert_eq!(
        script["document"], "rss.xml, atom.xml, feed.json",
        "once per post"
    );
    assert_eq!(site.run(&["lint", "--strict"]).status.code(), Some(1));
    let text = site.run(&["lint"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("2019-07-01-a.md:9: warning FD050: content has a <script> element")
            && stdout.contains("    fix: remove the script"),
        "{stdout}"
    );
    // Warnings are not check's business.
    assert_success(&site.run(&["check"]));
}

#[test]
fn check_fails_on_lint_errors_only() {
    // Two posts of 3 MiB make documents over the 5 MiB that CommaFeed refuses.
    let site = Site::new();
    let paragraph = "word ".repeat(3 * 1024 * 1024 / 5);
    site.write(
        "2019-07-01-a.md",
        &md("A", "2019-07-01", "summary = \"a\"\n", &paragraph),
    );
    site.write(
        "2019-07-02-b.md",
        &md("B", "2019-07-02", "summary = \"b\"\n", &paragraph),
    );
    let output = site.run(&["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("error FD061") && err.contains("atom.xml"),
        "{err}"
    );
    assert!(err.contains("lint error"), "{err}");
    let lint = site.run(&["lint", "--format", "json"]);
    assert_eq!(lint.status.code(), Some(1));
    assert!(places(&findings(&lint)).contains(&place("FD061", "atom.xml", None)));
}

const FOREIGN_RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0">
<channel>
<title>Elsewhere</title>
<link>https://elsewhere.example/</link>
<description>d</description>
<item>
<guid>one</guid>
<pubDate>Fri, 05 Jul 2019 09:30:00 +0000</pubDate>
<description>&lt;p&gt;See &lt;a href="/about"&gt;about&lt;/a&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>
</item>
<item>
<guid>one</guid>
<pubDate>2019-07-06</pubDate>
<description>Second</description>
</item>
</channel>
</rss>
"#;

#[test]
fn a_foreign_feed_file_is_linted_with_document_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("elsewhere.xml");
    std::fs::write(&path, FOREIGN_RSS).unwrap();
    let output = Command::new(BIN)
        .args(["lint", "--format", "json"])
        .arg(&path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let found = findings(&output);
    assert_eq!(
        places(&found),
        [
            place("FD002", "elsewhere.xml", Some(1)),
            place("FD010", "elsewhere.xml", Some(10)),
            place("FD020", "elsewhere.xml", Some(13)),
            place("FD032", "elsewhere.xml", Some(14)),
            place("FD050", "elsewhere.xml", Some(10)),
        ]
    );
    assert!(
        found
            .iter()
            .all(|f| f["document"] == path.display().to_string())
    );
}

#[test]
fn standard_input_is_linted_and_missing_files_are_unusable_input() {
    let mut child = Command::new(BIN)
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [{\"id\": \"a\", \"content_html\": \"<a href=rel>x</a>\"}]}")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("-:1: error FD010: content has a relative URL: rel"),
        "{stdout}"
    );
    assert!(stdout.contains("warning FD002"), "{stdout}");

    let missing = Command::new(BIN)
        .args(["lint", "/nonexistent/feed.xml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let site = Site::with_config("title = \n");
    assert_eq!(site.run(&["lint"]).status.code(), Some(2));
}

#[test]
fn a_url_is_fetched_and_its_self_link_compared_with_it() {
    let site = Site::sample();
    let daemon = Daemon::start(&site.config());
    let url = format!("http://{}/atom.xml", daemon.addr);
    let output = Command::new(BIN)
        .args(["lint", "--format", "json", &url])
        .output()
        .unwrap();
    assert_success(&output);
    let found = findings(&output);
    let not_here: Vec<&Value> = found.iter().filter(|f| f["code"] == "FD072").collect();
    assert_eq!(not_here.len(), 1, "{found:?}");
    assert!(
        not_here[0]["message"]
            .as_str()
            .unwrap()
            .contains("https://feeds.example.org/atom.xml"),
        "{not_here:?}"
    );
    assert_eq!(not_here[0]["document"], url);
    assert!(found.iter().all(|f| f["severity"] != "error"), "{found:?}");

    let gone = format!("http://{}/nothing.xml", daemon.addr);
    let missing = Command::new(BIN).args(["lint", &gone]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot fetch"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn archive_pages_and_tag_feeds_lint_clean() {
    let config = format!("{BASE_CONFIG}max_entries = 1\n[archives]\nenabled = true\n");
    let site = Site::with_config(&config);
    for (name, date) in [("a", "2019-05-01T10:00:00Z"), ("b", "2019-06-01T10:00:00Z")] {
        let extra = "summary = \"s\"\ntags = [\"rust\"]\n";
        site.write(&format!("{name}.md"), &md(name, date, extra, "Body."));
    }
    let output = site.run(&["lint", "--format", "json", "--strict"]);
    assert_success(&output);
    assert_eq!(findings(&output), Vec::<Value>::new());
    assert_success(&site.once());
    assert!(site.out().join("archive").is_dir() && site.out().join("tags").is_dir());
}
