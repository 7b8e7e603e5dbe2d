//! The command line as a new user meets it: help that says what feedd is, options where the
//! README shows them, exit codes that tell a typo from a broken config, messages that say their
//! cause once, and every command of the README's "Command line" block accepted as written.

use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn feedd(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("FEEDD_CONFIG")
        .env_remove("FEEDD_LISTEN")
        .output()
        .expect("run feedd")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_opens_with_what_feedd_is_and_lists_what_it_refers_to() {
    for flag in ["--help", "-h"] {
        let help = stdout(&feedd(&[flag]));
        assert!(
            help.starts_with("Turns a folder of posts into RSS 2.0, Atom 1.0 and JSON Feed 1.1"),
            "{flag}:\n{help}"
        );
        assert!(!help.contains("hidden commands"), "{flag}:\n{help}");
    }
    let long = stdout(&feedd(&["--help"]));
    for heading in [
        "Config keys",
        "Exit codes:",
        "Signals (daemon):",
        "Environment:",
    ] {
        let first = long
            .lines()
            .skip_while(|l| !l.starts_with(heading))
            .nth(1)
            .unwrap_or_default();
        assert!(
            first.starts_with("  ") && !first.starts_with("   "),
            "{heading}: {first:?}"
        );
    }
    let check = stdout(&feedd(&["check", "--help"]));
    assert!(!check.contains("as above"), "{check}");
    for (code, meaning) in [
        ("0", "all is well"),
        ("1", "some posts have problems"),
        ("2", "the config"),
        ("64", "the command line is wrong"),
    ] {
        let listed = check
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{code} ")) && l.contains(meaning));
        assert!(listed, "no exit code {code} in:\n{check}");
    }
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let site = Site::sample();
    let config = site.config();
    let config = config.to_str().unwrap();
    for args in [
        vec!["--config", config, "check"],
        vec!["check", "--config", config],
        vec!["check", "--config", config, "--log", "warn"],
        vec!["--log", "warn", "check", "-c", config],
    ] {
        let output = feedd(&args);
        assert_success(&output);
        assert!(
            stdout(&output).contains("ok: 10 posts, 4 documents"),
            "{args:?}"
        );
    }
}

#[test]
fn a_usage_error_has_its_own_exit_code_apart_from_a_broken_config() {
    let usage = feedd(&["--no-such-option"]);
    assert_eq!(usage.status.code(), Some(64), "{}", stderr(&usage));
    let usage = feedd(&["--once", "--listen", "127.0.0.1:1"]);
    assert_eq!(usage.status.code(), Some(64), "{}", stderr(&usage));
    let broken = feedd(&["--config", "/nonexistent/config.toml", "check"]);
    assert_eq!(broken.status.code(), Some(2));
    assert_eq!(feedd(&["--version"]).status.code(), Some(0));
}

#[test]
fn messages_say_their_cause_once_and_count_in_english() {
    let missing = stderr(&feedd(&["--config", "/nonexistent/config.toml", "check"]));
    assert_eq!(
        missing.matches("No such file or directory").count(),
        1,
        "{missing}"
    );
    let site = Site::new();
    site.write("one.md", &md("One", "2024-01-01", "", "Body."));
    site.write("bad.md", "+++\ntitle = \"Bad\"\n+++\n");
    let rejected = site.run(&["check"]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stderr(&rejected).contains("feedd: 1 problem"),
        "{}",
        stderr(&rejected)
    );
    assert!(
        !stderr(&rejected).contains("1 problems"),
        "{}",
        stderr(&rejected)
    );
    std::fs::remove_file(site.src().join("bad.md")).unwrap();
    let ok = stdout(&site.run(&["check"]));
    assert!(ok.contains("ok: 1 post, 4 documents"), "{ok}");
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_a_normal_end() {
    for args in [&["man"][..], &["completions", "bash"][..]] {
        // A pipe whose reading end is already closed: every write fails with EPIPE.
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and are owned by nothing else.
        let (reader, writer) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        drop(reader);
        let output = Command::new(BIN)
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .expect("run feedd");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output), "", "{args:?}");
    }
}

#[test]
fn the_site_author_is_in_rss_too() {
    let site = Site::with_config(&format!("{BASE_CONFIG}author = \"Site Owner\"\n"));
    site.write("a.md", &md("A", "2024-01-01", "", "Body."));
    assert_success(&site.once());
    let rss = parse_feed(site.read_out("rss.xml").as_bytes());
    let names: Vec<&str> = rss.entries[0]
        .authors
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["Site Owner"]);
}

/// The commands of the README's "Command line" block, each alternative of `a | b` on its own,
/// with every optional part included.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let block: Vec<&str> = readme
        .split("## Command line")
        .nth(1)
        .and_then(|rest| rest.split("```").nth(1))
        .expect("a code block under ## Command line")
        .lines()
        .filter(|l| l.starts_with("feedd"))
        .collect();
    let mut commands = Vec::new();
    for line in block {
        // The description starts after a run of two or more spaces.
        let syntax = line.split("  ").next().unwrap_or(line).trim();
        let mut alternatives = syntax.split(" | ");
        let first = alternatives.next().unwrap_or_default().to_string();
        commands.push(first.clone());
        for rest in alternatives {
            commands.push(if rest.starts_with("feedd") {
                rest.to_string()
            } else {
                // `feedd --help | -h`: the alternative replaces the last word.
                let head = first.rsplit_once(' ').map_or("feedd", |(h, _)| h);
                format!("{head} {rest}")
            });
        }
    }
    commands
        .into_iter()
        .map(|c| c.replace(['[', ']'], ""))
        .collect()
}

#[test]
fn every_command_in_the_readme_is_accepted_as_written() {
    let commands = readme_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    let site = Site::sample();
    let out = site.path().join("out");
    for command in commands {
        let args: Vec<String> = command
            .split_whitespace()
            .skip(1)
            .map(|word| match word {
                "FILE" => site.config().display().to_string(),
                "DIR" => out.display().to_string(),
                "ADDR" => "127.0.0.1:0".to_string(),
                "FILTER" => "info".to_string(),
                "SHELL" => "bash".to_string(),
                other => other.to_string(),
            })
            .collect();
        let mut child = Command::new(BIN)
            .args(&args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run feedd");
        // The daemon runs until told to stop: once it says it is ready, it has accepted the
        // command line, and it is stopped.
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut log = String::new();
        let code = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status.code();
            }
            if log.contains("ready in") {
                let _ = child.kill();
                let _ = child.wait();
                break Some(0);
            }
            assert!(
                Instant::now() < deadline,
                "`{command}` neither ended nor got ready: {log}"
            );
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(20)) {
                log.push_str(&line);
                log.push('\n');
            }
        };
        assert_ne!(
            code,
            Some(64),
            "`{command}` ({args:?}) is not accepted: {log}"
        );
        // --locked runs before the lock file exists on this scratch site and fails with 1.
        let expected: &[Option<i32>] = if command.contains("--locked") {
            &[Some(0), Some(1)]
        } else {
            &[Some(0)]
        };
        assert!(
            expected.contains(&code),
            "`{command}` ended with {code:?}: {log}"
        );
    }
}

#[test]
fn cargo_install_installs_feedd_alone() {
    let metadata = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo metadata");
    assert_success(&metadata);
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let feedd = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "feedd")
        .expect("the feedd package");
    let bins: Vec<&str> = feedd["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"))
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(bins, ["feedd"], "only feedd is installed");
    let shipped: Vec<&str> = feedd["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    // feedd-gen's generator crates; sha2 ships since the WebSub hub signs with HMAC-SHA256.
    for dev_only in ["rand", "rand_chacha"] {
        assert!(!shipped.contains(&dev_only), "{dev_only} ships with feedd");
    }
}
