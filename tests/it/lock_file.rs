//! The lock file keeps entry ids across renames wherever feedd runs: a CI job on a fresh clone
//! (`--once --locked`), the daemon after a restart, and both drivers agree on every post.

use std::path::Path;
use std::process::Command;

use crate::running::Daemon;
use crate::support::*;

const POINT_MAN: &str = "2019-07-05-kim-myong-gil-point-man.txt";
const POINT_MAN_ID: &str = "tag:feeds.example.org,2019-07-05:kim-myong-gil-point-man";

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `feedd` with the config of `dir` and `args`.
fn feedd(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("STATE_DIRECTORY")
        .output()
        .expect("run feedd")
}

fn atom_ids_in(dir: &Path) -> Vec<String> {
    let atom = std::fs::read(dir.join("public/atom.xml")).expect("atom.xml");
    entry_ids(&parse_feed(&atom))
}

#[test]
fn a_ci_build_from_a_fresh_clone_keeps_the_id_of_a_renamed_post() {
    let work = Site::sample();
    let repo = work.path();
    std::fs::write(repo.join(".gitignore"), "/public\n/.feedd\n").unwrap();
    assert_success(&feedd(repo, &["--once"]));
    assert!(repo.join("feedd.lock").is_file(), "the lock file is made");
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "posts"]);

    // The rename is committed without running feedd: the lock file is now out of date.
    git(
        repo,
        &[
            "mv",
            &format!("feed-src/{POINT_MAN}"),
            "feed-src/2019-07-05-kim-myong-gil.txt",
        ],
    );
    git(repo, &["commit", "-q", "-m", "rename"]);
    let ci = tempfile::tempdir().unwrap();
    let clone = ci.path().join("clone");
    git(ci.path(), &["clone", "-q", repo.to_str().unwrap(), "clone"]);
    let locked = feedd(&clone, &["--once", "--locked"]);
    assert_eq!(locked.status.code(), Some(1), "{}", stderr(&locked));
    let message = stderr(&locked);
    assert!(
        message.contains("2019-07-05-kim-myong-gil.txt")
            && message.contains("run `feedd --once` locally and commit feedd.lock"),
        "{message}"
    );
    assert!(!clone.join("public").exists(), "nothing was written");
    let check = feedd(&clone, &["check", "--locked"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));

    // The author runs feedd locally and commits the lock file; CI now passes and keeps the id.
    let local = feedd(repo, &["--once"]);
    assert_success(&local);
    assert!(
        String::from_utf8_lossy(&local.stdout).contains("recorded 1 rename in"),
        "{}",
        String::from_utf8_lossy(&local.stdout)
    );
    git(repo, &["commit", "-q", "-am", "lock"]);
    git(&clone, &["pull", "-q"]);
    let lock_before = std::fs::read(clone.join("feedd.lock")).unwrap();
    assert_success(&feedd(&clone, &["--once", "--locked"]));
    assert_eq!(
        std::fs::read(clone.join("feedd.lock")).unwrap(),
        lock_before,
        "--locked never writes the lock file"
    );
    assert!(atom_ids_in(&clone).contains(&POINT_MAN_ID.to_string()));
}

#[test]
fn a_rename_is_a_one_line_change_of_the_lock_file() {
    let site = Site::sample();
    assert_success(&site.once());
    let before = std::fs::read_to_string(site.path().join("feedd.lock")).unwrap();
    std::fs::rename(
        site.src().join(POINT_MAN),
        site.src().join("2019-07-05-kmg.txt"),
    )
    .unwrap();
    assert_success(&site.once());
    let after = std::fs::read_to_string(site.path().join("feedd.lock")).unwrap();
    let removed: Vec<&str> = before.lines().filter(|l| !after.contains(l)).collect();
    let added: Vec<&str> = after.lines().filter(|l| !before.contains(l)).collect();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        added[0].starts_with("\"2019-07-05-kmg.txt\"") && added[0].contains(POINT_MAN_ID),
        "{added:?}"
    );
}

#[test]
fn the_daemon_and_once_agree_on_a_renamed_post_across_restarts() {
    let site = Site::sample();
    assert_success(&site.once());
    std::fs::rename(
        site.src().join(POINT_MAN),
        site.src().join("2019-07-05-kmg.txt"),
    )
    .unwrap();
    // The daemon's default config writes no output folder; it still reads and keeps the lock.
    let daemon = Daemon::start(&site.config());
    let ids = entry_ids(&parse_feed(&daemon.get("/atom.xml").body));
    assert!(ids.contains(&POINT_MAN_ID.to_string()), "{ids:?}");
    daemon.wait_for("recorded 1 rename in", std::time::Duration::from_secs(10));
    drop(daemon);

    // A restart with a new, empty output folder changes nothing.
    std::fs::remove_dir_all(site.out()).unwrap();
    std::fs::rename(
        site.src().join("2019-07-05-kmg.txt"),
        site.src().join("2019-07-05-kim.txt"),
    )
    .unwrap();
    let daemon = Daemon::start(&site.config());
    let served = entry_ids(&parse_feed(&daemon.get("/atom.xml").body));
    drop(daemon);
    assert!(served.contains(&POINT_MAN_ID.to_string()), "{served:?}");
    assert_success(&site.once());
    assert_eq!(
        atom_ids_in(site.path()),
        served,
        "both drivers give the same ids"
    );
}

#[test]
fn the_output_folder_holds_only_published_documents() {
    let site = Site::sample();
    site.write(
        "tagged.md",
        &md("Tagged", "2019-07-01", "tags = [\"x\"]\n", "Body."),
    );
    assert_success(&site.once());
    let mut listing: Vec<String> = walkdir::WalkDir::new(site.out())
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            e.path()
                .strip_prefix(site.out())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    listing.sort();
    assert_eq!(
        listing,
        [
            "atom.xml",
            "feed.json",
            "index.html",
            "rss.xml",
            "tags",
            "tags/x",
            "tags/x/atom.xml",
            "tags/x/feed.json",
            "tags/x/rss.xml"
        ]
    );
}

#[test]
fn an_earlier_versions_ledger_is_moved_into_the_lock_file_and_keeps_ids() {
    let site = Site::sample();
    // The JSON ledger as earlier versions wrote it into the output folder.
    let ledger = serde_json::json!({
        "version": 1,
        "posts": {
            "2019-07-05-old-name.txt": {
                "id": "tag:feeds.example.org,2019-07-05:old-name",
                "date": "2019-07-05T00:00:00+09:00",
                "title": "Kim Myong-gil, point man",
                "content": "0000000000000000"
            }
        }
    });
    std::fs::create_dir_all(site.out()).unwrap();
    std::fs::write(
        site.out().join(".feedd-ids.json"),
        serde_json::to_vec(&ledger).unwrap(),
    )
    .unwrap();
    let title = std::fs::read_to_string(site.src().join(POINT_MAN)).unwrap();
    let title = title.lines().next().unwrap().to_string();
    let ledger = serde_json::to_string(&ledger)
        .unwrap()
        .replace("Kim Myong-gil, point man", &title);
    std::fs::write(site.out().join(".feedd-ids.json"), ledger).unwrap();

    let output = site.once();
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ids moved from"), "{stdout}");
    assert!(!site.out().join(".feedd-ids.json").exists());
    let ids = entry_ids(&parse_feed(site.read_out("atom.xml").as_bytes()));
    assert!(
        ids.contains(&"tag:feeds.example.org,2019-07-05:old-name".to_string()),
        "the renamed post keeps the id the old ledger gave it: {ids:?}"
    );
}
