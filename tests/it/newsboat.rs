//! A real feed reader, newsboat, subscribed to the running daemon: edits arrive, renames do not
//! duplicate items, and an unchanged reload is answered with 304.
//!
//! newsboat keys items by guid across all feeds of one cache, so each format gets its own cache
//! to be checked on its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::running::Daemon;
use crate::support::*;

struct Reader {
    home: tempfile::TempDir,
    url: String,
}

impl Reader {
    fn new(url: String) -> Reader {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("urls"), format!("{url}\n")).unwrap();
        std::fs::write(home.path().join("config"), "").unwrap();
        Reader { home, url }
    }

    fn cache(&self) -> PathBuf {
        self.home.path().join("cache.db")
    }

    fn reload(&self) {
        let dir = self.home.path();
        let output = Command::new("newsboat")
            .env("HOME", dir)
            .arg("-u")
            .arg(dir.join("urls"))
            .arg("-c")
            .arg(self.cache())
            .arg("-C")
            .arg(dir.join("config"))
            .args(["-x", "reload"])
            .output()
            .expect("newsboat is not installed: run scripts/install-deps");
        assert!(output.status.success(), "newsboat failed: {output:?}");
    }

    /// (guid, title) of every item newsboat stored for the feed.
    fn items(&self) -> Vec<(String, String)> {
        let script = "import json, sqlite3, sys\n\
            c = sqlite3.connect(sys.argv[1])\n\
            rows = c.execute('select guid, title from rss_item where feedurl = ? order by guid', (sys.argv[2],)).fetchall()\n\
            print(json.dumps(rows))";
        let output = Command::new("python3")
            .args(["-c", script])
            .arg(self.cache())
            .arg(&self.url)
            .output()
            .expect("python3");
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice(&output.stdout).expect("rows")
    }
}

fn assert_no_duplicates(items: &[(String, String)], expected: usize) {
    let mut guids: Vec<_> = items.iter().map(|(g, _)| g).collect();
    guids.dedup();
    assert_eq!(guids.len(), items.len(), "duplicate guids: {items:?}");
    assert_eq!(items.len(), expected, "{items:?}");
}

fn served_count(daemon: &Daemon, needle: &str) -> usize {
    daemon.log().lines().filter(|l| l.contains(needle)).count()
}

fn wait_for_rebuild(daemon: &Daemon, generation: u64) {
    daemon.poll_until("/healthz", "a rebuild", |_| {
        daemon.generation() > generation
    });
}

#[test]
fn newsboat_sees_edits_and_renames_without_duplicates_and_gets_304() {
    let site = Site::sample();
    let daemon = Daemon::start(&site.config());
    let readers: Vec<_> = ["rss.xml", "atom.xml"]
        .iter()
        .map(|doc| Reader::new(format!("http://{}/{doc}", daemon.addr)))
        .collect();
    for reader in &readers {
        reader.reload();
        assert_no_duplicates(&reader.items(), 10);
    }

    let post = site.src().join("2019-07-02-defectors-increase-2019.txt");
    let text = std::fs::read_to_string(&post).unwrap();
    let generation = daemon.generation();
    std::fs::write(
        &post,
        text.replacen("Increased number", "Sharply increased number", 1),
    )
    .unwrap();
    wait_for_rebuild(&daemon, generation);
    for reader in &readers {
        reader.reload();
        let items = reader.items();
        assert_no_duplicates(&items, 10);
        assert!(
            items
                .iter()
                .any(|(_, t)| t.starts_with("Sharply increased number")),
            "{items:?}"
        );
        assert!(
            !items.iter().any(|(_, t)| t.starts_with("Increased number")),
            "{items:?}"
        );
    }

    // A rename moves the permalink (it follows the file name) but keeps the id.
    let generation = daemon.generation();
    rename(
        &site.src(),
        "2019-07-05-kim-myong-gil-point-man.txt",
        "2019-07-05-new-point-man.txt",
    );
    wait_for_rebuild(&daemon, generation);
    for reader in &readers {
        reader.reload();
        assert_no_duplicates(&reader.items(), 10);
    }

    let before_reload = served_count(&daemon, "status=304");
    for reader in &readers {
        reader.reload();
        assert_no_duplicates(&reader.items(), 10);
    }
    assert_eq!(
        served_count(&daemon, "status=304") - before_reload,
        2,
        "unchanged reloads are 304"
    );
}

fn rename(dir: &Path, from: &str, to: &str) {
    std::fs::rename(dir.join(from), dir.join(to)).unwrap();
}
