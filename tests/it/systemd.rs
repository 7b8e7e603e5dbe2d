//! feedd under systemd, with systemd played by the test: a Unix datagram socket as
//! `NOTIFY_SOCKET` that receives the exact notifications, a listening socket passed as fd 3 with
//! `LISTEN_FDS`/`LISTEN_PID`, and `JOURNAL_STREAM` for the log format.

use std::net::{TcpListener, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};

use crate::running::{Daemon, request};
use crate::support::{BIN, Site, md};

/// The service manager's end of `NOTIFY_SOCKET`.
struct Manager {
    socket: UnixDatagram,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Manager {
    fn new() -> Manager {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).expect("bind notify socket");
        Manager {
            socket,
            path,
            _dir: dir,
        }
    }

    fn env(&self) -> (&'static str, &str) {
        (
            "NOTIFY_SOCKET",
            self.path.to_str().expect("utf-8 temp path"),
        )
    }

    /// The assignments of the next datagram, one per line; `None` when none comes within `limit`.
    fn next_within(&self, limit: Duration) -> Option<Vec<String>> {
        self.socket.set_read_timeout(Some(limit)).expect("timeout");
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).ok()?;
        let text = String::from_utf8(buf[..n].to_vec()).expect("utf-8 notification");
        Some(text.lines().map(str::to_string).collect())
    }

    fn next(&self) -> Vec<String> {
        self.next_within(Duration::from_secs(20))
            .expect("a notification within 20 s")
    }

    fn assert_quiet(&self, what: &str) {
        if let Some(message) = self.next_within(Duration::from_millis(300)) {
            panic!("unexpected notification {what}: {message:?}");
        }
    }
}

/// `READY=1` and a `STATUS=` line, which is returned.
fn ready_status(message: &[String]) -> &str {
    assert_eq!(message.len(), 2, "{message:?}");
    assert_eq!(message[0], "READY=1", "{message:?}");
    message[1]
        .strip_prefix("STATUS=")
        .unwrap_or_else(|| panic!("no STATUS= in {message:?}"))
}

fn assert_reloading(message: &[String]) {
    assert_eq!(message.len(), 2, "{message:?}");
    assert_eq!(message[0], "RELOADING=1");
    let usec = message[1]
        .strip_prefix("MONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC= in {message:?}"));
    assert!(usec.parse::<u64>().is_ok_and(|n| n > 0), "{message:?}");
}

/// Checks "10 posts, 4 documents; last rebuild 04:12:08" with what follows it, and returns that.
fn counts_then(status: &str, posts: usize) -> &str {
    let rest = status
        .strip_prefix(&format!("{posts} posts, "))
        .unwrap_or_else(|| panic!("status {status:?} does not start with {posts} posts"));
    let (_, rest) = rest
        .split_once(" documents; last rebuild ")
        .unwrap_or_else(|| panic!("no document count or rebuild time in {status:?}"));
    let (time, rest) = rest.split_at(8);
    assert!(
        time.len() == 8 && time.chars().filter(|&c| c == ':').count() == 2,
        "rebuild time in {status:?}"
    );
    rest
}

/// The sample site, watched by polling so slowly that only SIGHUP reloads the config.
fn sighup_only_site(title: &str) -> Site {
    let site = Site::sample();
    std::fs::write(site.config(), sighup_only_config(title)).expect("config");
    site
}

fn sighup_only_config(title: &str) -> String {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let sample = std::fs::read_to_string(sample).expect("sample config");
    let retitled: String = sample
        .lines()
        .map(|line| {
            if line.starts_with("title = ") {
                format!("title = \"{title}\"\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    format!("{retitled}\n[server]\nwatch = \"poll\"\npoll_interval_ms = 600000\n")
}

#[test]
fn notifies_ready_reload_and_stopping_in_order() {
    let site = sighup_only_site("First Title");
    let manager = Manager::new();
    // A watchdog meant for another process must not be pinged.
    let daemon = Daemon::start_with(
        &site.config(),
        &[],
        &[
            manager.env(),
            ("WATCHDOG_USEC", "200000"),
            ("WATCHDOG_PID", "1"),
        ],
    );

    let ready = manager.next();
    let status = ready_status(&ready);
    assert_eq!(counts_then(status, 10), "", "first build: {status:?}");
    assert_eq!(daemon.get("/healthz").status, 200, "READY=1 means serving");
    manager.assert_quiet("after READY=1");

    std::fs::write(site.config(), sighup_only_config("Second Title")).expect("config");
    daemon.signal("HUP");
    assert_reloading(&manager.next());
    let ready = manager.next();
    let status = ready_status(&ready);
    let changed = counts_then(status, 10);
    assert!(
        changed.starts_with(" (") && changed.ends_with(" changed)"),
        "a new title changes documents: {status:?}"
    );
    assert!(daemon.get("/feed.json").text().contains("Second Title"));
    manager.assert_quiet("after a valid reload");

    std::fs::write(site.config(), "title = \"Third Title\"\nbase_url = ").expect("config");
    daemon.signal("HUP");
    assert_reloading(&manager.next());
    let ready = manager.next();
    let status = ready_status(&ready);
    let error = status
        .strip_prefix("config not reloaded, previous one in force: ")
        .unwrap_or_else(|| panic!("status does not lead with the config error: {status:?}"));
    assert!(
        error.contains("config.toml:2"),
        "names file and line: {status:?}"
    );
    let (_, counts) = error.split_once("; ").expect("counts after the error");
    counts_then(counts, 10);
    assert!(daemon.get("/feed.json").text().contains("Second Title"));
    manager.assert_quiet("after an invalid reload");

    let code = daemon.stop();
    assert_eq!(manager.next(), ["STOPPING=1"]);
    assert_eq!(code, Some(0));
    manager.assert_quiet("after STOPPING=1");
}

#[test]
fn status_follows_rebuilds_the_watcher_starts() {
    let site = Site::sample();
    let manager = Manager::new();
    let daemon = Daemon::start_with(&site.config(), &[], &[manager.env()]);
    ready_status(&manager.next());

    site.write("2019-07-06-new.md", &md("New", "2019-07-06", "", "Body."));
    let update = manager.next();
    assert_eq!(update.len(), 1, "a rebuild is not a reload: {update:?}");
    let status = update[0].strip_prefix("STATUS=").expect("STATUS=");
    assert!(counts_then(status, 11).ends_with(" changed)"), "{status:?}");
    drop(daemon);
}

#[test]
fn watchdog_is_pinged_at_half_the_period() {
    let site = Site::sample();
    let manager = Manager::new();
    let daemon = Daemon::start_with(
        &site.config(),
        &[],
        &[manager.env(), ("WATCHDOG_USEC", "200000")],
    );
    // The period the daemon chose is exact in its log; the pings below show it acts on it.
    daemon.wait_for("pinging every 100ms", Duration::from_secs(10));
    let mut pings = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while pings.len() < 6 && Instant::now() < deadline {
        let message = manager.next();
        match message.first().map(String::as_str) {
            Some("WATCHDOG=1") => {
                assert_eq!(message.len(), 1, "{message:?}");
                pings.push(Instant::now());
            }
            Some("READY=1") => assert!(pings.is_empty(), "READY=1 comes first"),
            _ => panic!("unexpected {message:?}"),
        }
    }
    assert_eq!(pings.len(), 6, "six pings within 20 s at a 200 ms watchdog");
    // A loaded machine only delays pings, so only a lower bound holds: four intervals of at
    // least 100 ms each, less what a late wake-up of this thread can hide.
    let span = pings[5] - pings[1];
    assert!(
        span >= Duration::from_millis(250),
        "four intervals of 100 ms took only {span:?}"
    );
    assert_eq!(daemon.stop(), Some(0));
}

/// `feedd` started the way systemd starts it for `feedd.socket`: `socket` as fd 3, `LISTEN_FDS=1`
/// and `LISTEN_PID` naming the process (set by a shell that then `exec`s feedd in its place).
fn socket_activated(site: &Site, socket: OwnedFd) -> Command {
    let inner = Daemon::command(&site.config());
    let mut command = Command::new("sh");
    command
        .args(["-c", "LISTEN_PID=$$ exec \"$0\" \"$@\"", BIN])
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .env("LISTEN_FDS", "1")
        .fd_mappings(vec![FdMapping {
            parent_fd: socket,
            child_fd: 3,
        }])
        .expect("one mapping");
    command
}

#[test]
fn serves_on_the_socket_systemd_passes_and_binds_nothing() {
    // The configured address is taken: binding it would fail and stop the daemon.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let config = format!(
        "{}\n[server]\nlisten = \"{}\"\n",
        crate::support::BASE_CONFIG,
        taken.local_addr().expect("addr")
    );
    let site = Site::with_config(&config);
    site.write("2024-05-01-hello.md", &md("Hello", "2024-05-01", "", "Hi."));
    let passed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = passed.local_addr().expect("addr");

    let daemon = Daemon::spawn(socket_activated(&site, OwnedFd::from(passed)));
    assert_eq!(daemon.addr, addr, "serves on the passed socket");
    assert_eq!(request(addr, "GET", "/healthz", &[]).status, 200);
    assert!(daemon.get("/feed.json").text().contains("Hello"));
    let log = daemon.log();
    assert!(
        log.contains("serving on the socket passed by systemd"),
        "{log}"
    );
    assert!(!log.contains("cannot listen"), "{log}");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_passed_socket_it_cannot_serve_on_is_an_error() {
    let config = format!(
        "{}\n[server]\nlisten = \"127.0.0.1:0\"\n",
        crate::support::BASE_CONFIG
    );
    let site = Site::with_config(&config);
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut command = socket_activated(&site, OwnedFd::from(udp));
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("feedd kept running on a UDP socket");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("stderr");
    std::io::Read::read_to_string(&mut pipe, &mut stderr).expect("read stderr");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a stream socket"), "{stderr}");
}

#[test]
fn sockets_for_another_process_are_left_alone() {
    let site = Site::new();
    let daemon = Daemon::start_with(
        &site.config(),
        &[],
        &[("LISTEN_FDS", "1"), ("LISTEN_PID", "1")],
    );
    assert_eq!(daemon.get("/healthz").status, 200);
    assert!(!daemon.log().contains("passed by systemd"));
}

/// `feedd` started the way systemd starts it with `StandardError=journal`: `JOURNAL_STREAM` names
/// the device and inode of its stderr (set by a shell that then `exec`s feedd in its place).
fn on_journal_stream(site: &Site) -> Command {
    let inner = Daemon::command(&site.config());
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec \"$0\" \"$@\"",
            BIN,
        ])
        .args(inner.get_args())
        .args(["--listen", "127.0.0.1:0"]);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
}

#[test]
fn journal_log_lines_have_no_colours_or_timestamps() {
    let site = Site::new();
    let plain = Daemon::start(&site.config());
    let plain_log = plain.log();
    drop(plain);
    // Inherited from a unit, but stderr goes elsewhere: plain lines, not journal ones.
    let elsewhere = Daemon::start_with(&site.config(), &[], &[("JOURNAL_STREAM", "8:12345")]);
    let elsewhere_log = elsewhere.log();
    drop(elsewhere);
    let journal = Daemon::spawn(on_journal_stream(&site));
    let journal_log = journal.log();
    assert_eq!(journal.stop(), Some(0));

    let starts_with_date = |line: &str| line.trim_start().starts_with("20");
    assert!(
        plain_log
            .lines()
            .chain(elsewhere_log.lines())
            .all(starts_with_date),
        "outside the journal each line has a timestamp:\n{plain_log}\n{elsewhere_log}"
    );
    for line in journal_log.lines() {
        let level = line.split_once('>').map_or("", |(_, rest)| rest);
        let level = level.split_whitespace().next().unwrap_or("");
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level),
            "the level leads: {line:?}"
        );
        assert!(!starts_with_date(line), "timestamp in {line:?}");
        assert!(!line.contains('\x1b'), "escape code in {line:?}");
    }
}

/// A site whose output folder cannot be written, whoever runs the test: a folder stands where
/// `atom.xml` would go.
fn unwritable_output_site() -> Site {
    let config = format!(
        "{}output_dir = \"blocked\"\n[server]\nwrite_output = true\n",
        crate::support::BASE_CONFIG
    );
    let site = Site::with_config(&config);
    let blocker = site.path().join("blocked/atom.xml");
    std::fs::create_dir_all(&blocker).expect("blocker");
    std::fs::write(blocker.join("keep"), "in the way").expect("blocker");
    site.write("2024-05-01-hello.md", &md("Hello", "2024-05-01", "", "Hi."));
    site
}

#[test]
fn journal_lines_carry_their_priority() {
    let site = unwritable_output_site();
    site.write(
        "2024-05-02-untitled.md",
        "+++\ndate = 2024-05-02\n+++\n\nNo title.\n",
    );
    let daemon = Daemon::spawn(on_journal_stream(&site));
    daemon.wait_for(
        "the served documents are unaffected",
        Duration::from_secs(10),
    );
    let log = daemon.log();
    assert_eq!(daemon.stop(), Some(0));

    for line in log.lines() {
        let expected = match line.split_once('>').map(|(_, rest)| rest) {
            Some(rest) if rest.starts_with("ERROR ") => "<3>",
            Some(rest) if rest.starts_with("WARN ") => "<4>",
            Some(rest) if rest.starts_with("INFO ") => "<6>",
            Some(rest) if rest.starts_with("DEBUG ") || rest.starts_with("TRACE ") => "<7>",
            _ => panic!("no `<N>LEVEL ` at the start of {line:?}\n{log}"),
        };
        assert!(line.starts_with(expected), "{line:?} wants {expected}");
    }
    let has = |prefix: &str, text: &str| {
        log.lines()
            .any(|line| line.starts_with(prefix) && line.contains(text))
    };
    assert!(has("<3>ERROR ", "blocked"), "{log}");
    assert!(has("<4>WARN ", "untitled.md"), "{log}");
    assert!(has("<6>INFO ", "ready in"), "{log}");
}

#[test]
fn an_output_folder_it_cannot_write_shows_in_status_and_healthz() {
    let site = unwritable_output_site();
    let manager = Manager::new();
    let daemon = Daemon::start_with(&site.config(), &[], &[manager.env()]);
    let ready = manager.next();
    let status = ready_status(&ready);
    assert!(
        status.contains("blocked: output folder not updated: cannot"),
        "STATUS= names the folder and why: {status:?}"
    );
    let health = daemon.get("/healthz");
    assert_eq!(health.status, 503, "{}", health.text());
    assert!(
        health.text().contains("blocked: output folder"),
        "{}",
        health.text()
    );

    std::fs::remove_dir_all(site.path().join("blocked/atom.xml")).expect("unblock");
    site.write("2024-05-03-next.md", &md("Next", "2024-05-03", "", "Hi."));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let update = manager.next();
        let line = update.iter().find_map(|l| l.strip_prefix("STATUS="));
        if line.is_some_and(|l| l.starts_with("2 posts") && !l.contains("blocked")) {
            break;
        }
        assert!(Instant::now() < deadline, "status still {update:?}");
    }
    daemon.poll_until("/healthz", "healthy once the folder can be written", |r| {
        r.status == 200
    });
    assert!(site.path().join("blocked/atom.xml").is_file());
}

#[test]
fn the_units_reload_command_needs_nothing_but_a_shell() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("systemd/feedd.service")).expect("unit");
    let command = unit
        .lines()
        .find_map(|line| line.strip_prefix("ExecReload="))
        .expect("an ExecReload= line");
    assert!(
        command.starts_with("/bin/sh -c "),
        "ExecReload= must not need a program minimal systems lack (procps' /bin/kill): {command}"
    );

    let site = sighup_only_site("First Title");
    let manager = Manager::new();
    let daemon = Daemon::start_with(&site.config(), &[], &[manager.env()]);
    ready_status(&manager.next());
    std::fs::write(site.config(), sighup_only_config("Second Title")).expect("config");
    // As systemd runs it: `$$` is a literal `$`, MAINPID is in the environment, and here no PATH
    // leads to any program.
    let empty = tempfile::tempdir().expect("temp dir");
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("exec {}", command.replace("$$", "$")))
        .env_clear()
        .env("PATH", empty.path())
        .env("MAINPID", daemon.pid().to_string())
        .status()
        .expect("run ExecReload=");
    assert!(status.success(), "ExecReload= failed: {status}");
    assert_reloading(&manager.next());
    ready_status(&manager.next());
    assert!(daemon.get("/feed.json").text().contains("Second Title"));
}

#[test]
fn the_shipped_example_config_passes_check() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example =
        std::fs::read_to_string(root.join("systemd/config.example.toml")).expect("example");
    let site = Site::new();
    site.write("2024-05-01-hello.md", &md("Hello", "2024-05-01", "", "Hi."));
    let state = site.path().join("state");
    let config = example
        .replace("/srv/feedd/feed-src", site.src().to_str().expect("utf-8"))
        .replace("/var/lib/feedd", state.to_str().expect("utf-8"));
    assert_ne!(
        config, example,
        "the example names the folders the units expect"
    );
    std::fs::write(site.config(), config).expect("config");
    let output = site.run(&["check"]);
    crate::support::assert_success(&output);
}

#[test]
fn version_man_page_and_completions_come_from_the_binary() {
    let run = |args: &[&str]| {
        let output = Command::new(BIN).args(args).output().expect("run");
        crate::support::assert_success(&output);
        String::from_utf8(output.stdout).expect("utf-8")
    };
    assert_eq!(
        run(&["--version"]),
        format!("feedd {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(run(&["man"]).starts_with(".ie"), "roff");
    for shell in ["bash", "zsh", "fish"] {
        assert!(run(&["completions", shell]).contains("config"), "{shell}");
    }
}
