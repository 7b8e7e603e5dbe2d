//! A real podcast client, gPodder's command line `gpo` (Debian's `gpodder`), against the running
//! daemon: it subscribes to the podcast example's RSS feed and downloads every episode byte for
//! byte, and resumes an interrupted download (of a larger episode, on a site made here) with a
//! `Range` request.
//!
//! `gpo` runs headless with its home, data and download folders in a temporary folder. gPodder
//! writes a download to `<episode file>.partial` and, finding one, asks for the rest with
//! `Range: bytes=<size>-` (`gpodder/download.py`); the interruption is a `gpo download` under a
//! bandwidth limit, killed once its `.partial` file has grown.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::media_serving::episode;
use crate::running::Daemon;
use crate::support::*;

struct Gpo {
    home: tempfile::TempDir,
}

impl Gpo {
    fn new() -> Gpo {
        Gpo {
            home: tempfile::tempdir().expect("gpo home"),
        }
    }

    fn downloads(&self) -> PathBuf {
        self.home.path().join("downloads")
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.home.path();
        let mut command = Command::new("gpo");
        command
            .args(args)
            .env("HOME", home)
            .env("GPODDER_HOME", home.join("gpodder"))
            .env("GPODDER_DOWNLOAD_DIR", self.downloads())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        command
    }

    /// Runs `gpo args…` and fails the test unless it succeeds.
    fn run(&self, args: &[&str]) -> Output {
        let output = self
            .command(args)
            .output()
            .expect("gpo is not installed: run scripts/install-deps");
        assert!(
            output.status.success(),
            "gpo {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Every file below the download folder, by name, with its bytes.
    fn files(&self) -> Vec<(String, PathBuf)> {
        let mut files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(self.downloads())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.into_path()))
            .collect();
        files.sort();
        files
    }
}

/// A daemon on a port chosen first, so the site's `base_url` (which the enclosure URLs are
/// made from) is the daemon's own address.
fn podcast_daemon(episodes: &[(&str, Vec<u8>)]) -> (Site, Daemon, String) {
    let port = free_addr().port();
    let base = format!("http://127.0.0.1:{port}/");
    let config = BASE_CONFIG.replace("https://example.org/", &base);
    let site = Site::with_config(&config);
    for (name, bytes) in episodes {
        episode(&site, name, bytes);
    }
    let listen = format!("127.0.0.1:{port}");
    let mut command = Daemon::command(&site.config());
    command.args(["--listen", &listen]);
    let daemon = Daemon::spawn(command);
    (site, daemon, format!("{base}rss.xml"))
}

/// A copy of `examples/podcast` in a temporary folder.
fn podcast_example() -> tempfile::TempDir {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/podcast");
    let copy = tempfile::tempdir().expect("temp dir");
    for entry in walkdir::WalkDir::new(&example) {
        let entry = entry.expect("example entry");
        let to = copy
            .path()
            .join(entry.path().strip_prefix(&example).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("folder");
        } else {
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
    copy
}

#[test]
fn gpodder_subscribes_to_the_podcast_example_and_downloads_every_episode() {
    let site = podcast_example();
    let port = free_addr().port();
    let config_path = site.path().join("config.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let base = format!("http://127.0.0.1:{port}/");
    std::fs::write(
        &config_path,
        config.replace("https://podcast.example.org/", &base),
    )
    .expect("config");
    let mut command = Daemon::command(&config_path);
    command.args(["--listen", &format!("127.0.0.1:{port}")]);
    let _daemon = Daemon::spawn(command);

    let gpo = Gpo::new();
    gpo.run(&["subscribe", &format!("{base}rss.xml")]);
    gpo.run(&["download"]);
    let files = gpo.files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ep1.mp3", "ep2.mp3", "ep3.mp3"], "every episode");
    for (name, path) in &files {
        let source = site.path().join("feed-src/episodes").join(name);
        assert!(
            std::fs::read(path).unwrap() == std::fs::read(&source).unwrap(),
            "{name} is byte for byte the source"
        );
    }
}

#[test]
fn gpodder_downloads_every_episode_and_resumes_an_interrupted_one() {
    let episodes = [
        ("first", noisy_wav(40_000, 11)),
        ("second", noisy_wav(60_000, 12)),
        ("third", noisy_wav(3_000_000, 13)),
    ];
    let (_site, daemon, feed) = podcast_daemon(&episodes);
    let gpo = Gpo::new();
    gpo.run(&["subscribe", &feed]);
    gpo.run(&["set", "limit.bandwidth.kbps", "100"]);
    gpo.run(&["set", "limit.bandwidth.enabled", "True"]);

    // Interrupted: killed once the largest episode's partial file has some of its bytes.
    let mut interrupted = gpo.command(&["download"]).spawn().expect("gpo download");
    let deadline = Instant::now() + Duration::from_secs(60);
    let partial = loop {
        let grown = gpo.files().into_iter().find(|(name, path)| {
            name.ends_with(".partial") && std::fs::metadata(path).is_ok_and(|m| m.len() > 100_000)
        });
        if let Some((_, path)) = grown {
            break path;
        }
        assert!(
            Instant::now() < deadline,
            "no partial download in 60 s: {:?}",
            gpo.files()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    interrupted.kill().expect("kill gpo");
    interrupted.wait().expect("wait for gpo");
    let kept = std::fs::metadata(&partial)
        .expect("the partial file stays")
        .len();
    assert!(kept < 3_000_000, "killed before the end: {kept} bytes");
    eprintln!("interrupted with {kept} bytes in {}", partial.display());

    gpo.run(&["set", "limit.bandwidth.enabled", "False"]);
    gpo.run(&["download"]);
    let files = gpo.files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.len(),
        3,
        "every episode, and no partial file: {names:?}"
    );
    for (name, bytes) in &episodes {
        let (_, path) = (files.iter())
            .find(|(n, _)| n.starts_with(name))
            .unwrap_or_else(|| panic!("{name} downloaded: {names:?}"));
        assert!(
            std::fs::read(path).unwrap() == *bytes,
            "{name} is byte for byte the source"
        );
    }
    let log = daemon.log();
    let resumed = format!("bytes={kept}-");
    assert!(
        log.lines()
            .any(|l| l.contains("/episodes/third.wav") && l.contains("status=206")),
        "gPodder resumed with a Range request ({resumed}) answered 206; log:\n{log}"
    );
}
