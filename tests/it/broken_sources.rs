//! Sources that cannot be read, must not be read or are too large never empty a feed: each is
//! an error named in the log, in `/healthz` and in `--once`'s exit code, while the posts it
//! concerns keep their last good version. Only a real deletion removes a post.
//!
//! Permission tests need a user that `chmod 000` stops: when the tests run as root (CI, containers)
//! the program under test runs as `nobody` (uid and gid 65534) instead.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::running::{Daemon, Reply};
use crate::support::*;

const NOBODY: u32 = 65534;

/// Whether this test process runs as root, told by the owner of a file it just made.
fn running_as_root(site: &Site) -> bool {
    std::fs::metadata(site.config()).expect("config").uid() == 0
}

/// A command running `feedd` as a user that file permissions apply to: `nobody` when the tests
/// run as root, else the current user. The site's own folder is opened up so that user can read
/// it and write its lock file and state there, as a service may where it is deployed, and the
/// binary is copied there when `nobody` cannot reach it where it was built.
fn unprivileged(site: &Site, command: impl FnOnce(&Path) -> Command) -> Command {
    if !running_as_root(site) {
        return command(Path::new(BIN));
    }
    set_mode(site.path(), 0o777);
    let reachable = Path::new(BIN)
        .ancestors()
        .all(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    let binary = if reachable {
        Path::new(BIN).to_path_buf()
    } else {
        let copy = site.path().join("feedd");
        std::fs::copy(BIN, &copy).expect("copy feedd where nobody can run it");
        copy
    };
    let mut command = command(&binary);
    command.uid(NOBODY).gid(NOBODY);
    command
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn start_unprivileged(site: &Site) -> Daemon {
    let mut command = unprivileged(site, |binary| Daemon::command_of(binary, &site.config()));
    command.args(["--listen", "127.0.0.1:0"]);
    Daemon::spawn(command)
}

fn run_unprivileged(site: &Site, args: &[&str]) -> Output {
    let mut command = unprivileged(site, |binary| Command::new(binary));
    command
        .arg("--config")
        .arg(site.config())
        .args(args)
        .env_remove("RUST_LOG");
    command.output().expect("run feedd")
}

fn titles(reply: &Reply) -> Vec<String> {
    let mut titles: Vec<String> = parse_feed(&reply.body)
        .entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    titles.sort();
    titles
}

fn health(daemon: &Daemon) -> (u16, String) {
    let reply = daemon.get("/healthz");
    (reply.status, reply.text())
}

/// Polls `/healthz` until it answers `status` with `needle` in its body.
fn health_until(daemon: &Daemon, status: u16, needle: &str) -> String {
    daemon
        .poll_until("/healthz", &format!("{status} naming {needle}"), |r| {
            r.status == status && r.text().contains(needle)
        })
        .text()
}

fn three_posts() -> Site {
    let site = Site::new();
    site.write("a.md", &md("Alpha", "2020-01-01", "", "First."))
        .write("b.md", &md("Beta", "2020-01-02", "", "Second."))
        .write("sub/c.md", &md("Gamma", "2020-01-03", "", "Third."));
    site
}

#[test]
fn an_unreadable_folder_keeps_its_posts_and_is_reported() {
    let site = three_posts();
    let daemon = start_unprivileged(&site);
    let all = ["Alpha", "Beta", "Gamma"];
    assert_eq!(titles(&daemon.get("/atom.xml")), all);

    set_mode(&site.src().join("sub"), 0o000);
    daemon.signal("HUP");
    let body = health_until(&daemon, 503, "sub");
    assert!(body.contains("cannot read"), "{body}");
    assert_eq!(titles(&daemon.get("/atom.xml")), all, "sub/c.md stays");

    set_mode(&site.src(), 0o000);
    daemon.signal("HUP");
    health_until(&daemon, 503, "feed-src: cannot read");
    assert_eq!(titles(&daemon.get("/atom.xml")), all, "every post stays");
    assert!(daemon.log().contains("cannot read"), "{}", daemon.log());

    set_mode(&site.src(), 0o755);
    set_mode(&site.src().join("sub"), 0o755);
    daemon.signal("HUP");
    health_until(&daemon, 200, "\"ok\"");
    assert_eq!(titles(&daemon.get("/atom.xml")), all);

    std::fs::remove_file(site.src().join("sub/c.md")).unwrap();
    let reply = daemon.poll_until("/atom.xml", "the deletion", |r| titles(r).len() == 2);
    assert_eq!(titles(&reply), ["Alpha", "Beta"], "a real deletion removes");
}

#[test]
fn an_unreadable_folder_fails_once_and_check_naming_it() {
    let site = three_posts();
    set_mode(&site.src().join("sub"), 0o000);
    for args in [&["--once"][..], &["check"]] {
        let output = run_unprivileged(&site, args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("feed-src/sub: cannot read"), "{args:?}: {err}");
    }
    assert!(!site.out().join("atom.xml").exists());
    set_mode(&site.src().join("sub"), 0o755);
}

#[test]
fn healthz_reports_a_missing_source_folder_and_a_rejected_config() {
    let site = three_posts();
    let daemon = Daemon::start(&site.config());
    assert_eq!(health(&daemon).0, 200);

    let away = site.path().join("moved-away");
    std::fs::rename(site.src(), &away).unwrap();
    let body = health_until(&daemon, 503, "feed-src");
    assert!(body.contains("source folder"), "{body}");
    assert_eq!(titles(&daemon.get("/atom.xml")).len(), 3, "last good stays");
    std::fs::rename(&away, site.src()).unwrap();
    health_until(&daemon, 200, "\"ok\"");

    std::fs::write(site.config(), format!("{BASE_CONFIG}max_entries = 0\n")).unwrap();
    daemon.signal("HUP");
    let body = health_until(&daemon, 503, "config.toml");
    assert!(body.contains("max_entries"), "{body}");
    std::fs::write(site.config(), BASE_CONFIG).unwrap();
    daemon.signal("HUP");
    health_until(&daemon, 200, "\"ok\"");
}

#[test]
fn a_symlink_outside_the_source_folder_is_refused_unless_allowed() {
    let site = three_posts();
    let secret = site.path().join("secret.md");
    std::fs::write(&secret, md("Secret", "2020-01-04", "", "Private.")).unwrap();
    symlink(&secret, site.src().join("leak.md")).unwrap();

    let output = site.once();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("leak.md"), "{err}");
    assert!(err.contains("secret.md"), "names the target: {err}");
    assert!(err.contains("follow_symlinks_outside"), "{err}");

    let daemon = Daemon::start(&site.config());
    assert_eq!(titles(&daemon.get("/atom.xml")), ["Alpha", "Beta", "Gamma"]);
    health_until(&daemon, 503, "leak.md");
    // A link made while running is refused too.
    symlink("/etc/passwd", site.src().join("passwd.txt")).unwrap();
    health_until(&daemon, 503, "passwd.txt");
    assert_eq!(titles(&daemon.get("/atom.xml")).len(), 3);
    drop(daemon);
    std::fs::remove_file(site.src().join("passwd.txt")).unwrap();

    std::fs::write(
        site.config(),
        format!("{BASE_CONFIG}follow_symlinks_outside = true\n"),
    )
    .unwrap();
    assert_success(&site.once());
    assert!(site.read_out("atom.xml").contains("Secret"));
}

#[test]
fn a_symlinked_folder_added_while_running_is_picked_up() {
    let site = three_posts();
    site.write(".archive/d.md", &md("Delta", "2020-01-05", "", "Archived."));
    let daemon = Daemon::start(&site.config());
    assert_eq!(titles(&daemon.get("/atom.xml")).len(), 3);
    symlink(".archive", site.src().join("archive")).unwrap();
    let reply = daemon.poll_until("/atom.xml", "the linked folder's post", |r| {
        titles(r).contains(&"Delta".to_string())
    });
    assert_eq!(titles(&reply).len(), 4);
    assert_eq!(health(&daemon).0, 200, "{}", health(&daemon).1);
}

#[test]
fn an_oversized_post_is_an_error_naming_the_file_and_the_limit() {
    let site = three_posts();
    let big = md("Huge", "2020-01-06", "", &"x".repeat(5 << 20));
    site.write("huge.md", &big);
    let output = site.once();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("huge.md"), "{err}");
    assert!(err.contains("max_post_bytes = 4194304"), "{err}");

    std::fs::remove_file(site.src().join("huge.md")).unwrap();
    std::fs::write(
        site.config(),
        format!("{BASE_CONFIG}max_post_bytes = 1000\n"),
    )
    .unwrap();
    let daemon = Daemon::start(&site.config());
    site.write("long.md", &md("Long", "2020-01-06", "", &"y".repeat(2000)));
    let body = health_until(&daemon, 503, "long.md");
    assert!(body.contains("max_post_bytes = 1000"), "{body}");
    assert_eq!(titles(&daemon.get("/atom.xml")).len(), 3);
}

#[test]
fn a_known_problem_is_logged_once_and_its_fix_too() {
    let site = three_posts();
    site.write("broken.md", "+++\ndate = 2020-01-01\n+++\nNo title.\n");
    let daemon = Daemon::start(&site.config());
    let mentions = |d: &Daemon| d.log().matches("broken.md:").count();
    assert_eq!(mentions(&daemon), 1, "{}", daemon.log());

    site.write("a.md", &md("Alpha edited", "2020-01-01", "", "First."));
    daemon.poll_until("/atom.xml", "the edit", |r| {
        titles(r).contains(&"Alpha edited".to_string())
    });
    daemon.wait_for("rebuilt (", Duration::from_secs(10));
    assert_eq!(mentions(&daemon), 1, "not logged again:\n{}", daemon.log());

    site.write("broken.md", &md("Fixed", "2020-01-01", "", "Now fine."));
    daemon.wait_for("fixed: ", Duration::from_secs(10));
    assert!(
        daemon.log().contains(&format!(
            "fixed: {}",
            site.src().join("broken.md").display()
        )),
        "{}",
        daemon.log()
    );
}

#[test]
fn sigterm_during_a_long_rebuild_exits_promptly() {
    // A small site starts fast; the config then points at a large generated one, which takes
    // seconds to read and render in a debug build.
    let big = tempfile::tempdir().unwrap();
    feedd_gen::generate(&feedd_gen::Options::new(2000, big.path())).expect("generate a site");
    let site = three_posts();
    let daemon = Daemon::start(&site.config());
    let source_dir = big.path().join("feed-src");
    std::fs::write(
        site.config(),
        format!("{BASE_CONFIG}source_dir = \"{}\"\n", source_dir.display()),
    )
    .unwrap();
    daemon.signal("HUP");
    daemon.wait_for("config reloaded", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(100));
    let stopping = Instant::now();
    let log = daemon.log();
    assert_eq!(daemon.stop(), Some(0));
    let exit = stopping.elapsed();
    assert!(
        !log.contains("rebuilt ("),
        "the rebuild ended before the stop; a larger site is needed:\n{log}"
    );
    assert!(exit < Duration::from_secs(1), "exit took {exit:?}:\n{log}");
}
