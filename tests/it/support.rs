//! Shared test fixtures: temporary sites on disk and the real `feedd` binary.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An address on 127.0.0.1 nothing listens on now, for a server the test starts (or a daemon
/// whose `base_url` must name its port).
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

pub const BIN: &str = env!("CARGO_BIN_EXE_feedd");

/// `Vary` on a feed address that also has a page for browsers (every feed, by default).
pub const FEED_VARY: &str =
    "Accept-Encoding, Accept, Sec-Fetch-Dest, Sec-Fetch-Mode, Sec-Fetch-Site, Sec-Fetch-User";

/// A site in a temporary folder: `config.toml` plus `feed-src/`.
pub struct Site {
    pub dir: tempfile::TempDir,
}

pub const BASE_CONFIG: &str = "title = \"Test Site\"\n\
base_url = \"https://example.org/\"\n\
id_authority = \"example.org\"\n\
description = \"A site for tests\"\n";

impl Site {
    pub fn new() -> Site {
        Site::with_config(BASE_CONFIG)
    }

    pub fn with_config(config: &str) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("feed-src")).expect("feed-src");
        std::fs::write(dir.path().join("config.toml"), config).expect("config");
        Site { dir }
    }

    /// A copy of the repository's bundled sample site.
    pub fn sample() -> Site {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = std::fs::read_to_string(root.join("config.toml")).expect("sample config");
        let site = Site::with_config(&config);
        for entry in std::fs::read_dir(root.join("feed-src")).expect("sample feed-src") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), site.src().join(entry.file_name())).expect("copy");
        }
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn src(&self) -> PathBuf {
        self.dir.path().join("feed-src")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("public")
    }

    pub fn write(&self, relative: &str, text: &str) -> &Site {
        let path = self.src().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(path, text).expect("write post");
        self
    }

    /// Stamps a post with a new modification time without changing a byte, as `touch` does.
    pub fn touch(&self, relative: &str) {
        let file = std::fs::File::options()
            .append(true)
            .open(self.src().join(relative))
            .expect("open post");
        file.set_modified(std::time::SystemTime::now())
            .expect("set the modification time");
    }

    /// Runs `feedd --once` into `public/`.
    pub fn once(&self) -> Output {
        self.run(&["--once"])
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("FEEDD_LISTEN");
        command.output().expect("run feedd")
    }

    pub fn read_out(&self, relative: &str) -> String {
        std::fs::read_to_string(self.out().join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "feedd failed ({:?}):\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// A Markdown post with TOML front matter.
pub fn md(title: &str, date: &str, extra: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\ndate = {date}\n{extra}+++\n\n{body}\n")
}

/// Parses a document with the independent `feed-rs` parser.
pub fn parse_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).unwrap_or_else(|e| panic!("feed-rs rejected the document: {e}"))
}

pub fn entry_ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

/// The venv's Python with the test checkers' packages (`scripts/install-deps` makes it).
pub fn python() -> PathBuf {
    std::env::var_os("FEEDD_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python"),
        PathBuf::from,
    )
}

/// Runs `tests/python/<script>` with `args` and fails the test, with its output, unless it
/// succeeds.
pub fn run_python_checker<I, S>(script: &str, args: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let output = Command::new(python())
        .arg(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; run scripts/install-deps first",
                python().display()
            )
        });
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A valid WAV file of `secs` seconds of silence (8 kHz, 8-bit mono: 8,000 bytes a second).
pub fn wav(secs: u32) -> Vec<u8> {
    wav_around(vec![0x80; 8000 * secs as usize])
}

/// A valid WAV file of `length` bytes in all (as [`wav`]), its samples pseudo-random from
/// `seed`, so no two seeds give the same bytes.
pub fn noisy_wav(length: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let samples = (44..length).map(|_| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as u8
    });
    wav_around(samples.collect())
}

/// `samples` (8 kHz, 8-bit mono) behind a 44-byte WAV header.
fn wav_around(samples: Vec<u8>) -> Vec<u8> {
    let data = u32::try_from(samples.len()).expect("a WAV file under 4 GB");
    let mut bytes = Vec::with_capacity(44 + samples.len());
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    for field in [16u32, 1 | (1 << 16), 8000, 8000, 1 | (8 << 16)] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data.to_le_bytes());
    bytes.extend(samples);
    bytes
}

/// A valid MP3 of `frames` silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes
/// and 1,152 samples each: 38.28 frames a second).
pub fn mp3(frames: usize) -> Vec<u8> {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
    frame.repeat(frames)
}
