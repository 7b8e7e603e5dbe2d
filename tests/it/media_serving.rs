//! Media files on the running daemon and in `--once`'s output folder: byte ranges, `If-Range`,
//! conditional GET and HEAD (over every protocol), a large file served with flat memory, a file
//! replaced during a download, and the output folder's copies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::protocols::{Client, each_protocol};
use crate::running::Daemon;
use crate::support::*;

/// A post at `episodes/<name>.md` whose media is `episodes/<name>.wav` holding `bytes`.
pub fn episode(site: &Site, name: &str, bytes: &[u8]) {
    let media = format!("media = \"{name}.wav\"\n");
    let post = md(name, "2024-05-01T10:00:00Z", &media, "An episode.");
    site.write(&format!("episodes/{name}.md"), &post);
    std::fs::write(site.src().join(format!("episodes/{name}.wav")), bytes).expect("media");
}

const SMALL: usize = 100_000;

fn small_site() -> Site {
    let site = Site::new();
    episode(&site, "one", &noisy_wav(SMALL, 1));
    site
}

#[test]
fn media_answer_ranges_if_range_head_and_conditional_get() {
    each_protocol(small_site, media_answer_ranges_on);
}

fn media_answer_ranges_on(client: &Client) {
    let bytes = noisy_wav(SMALL, 1);
    let path = "/episodes/one.wav";
    let full = client.get(path);
    assert_eq!(full.status, 200);
    assert_eq!(full.body, bytes);
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("content-type"), Some("audio/wav"));
    assert_eq!(full.header("content-length"), Some("100000"));
    assert_eq!(full.header("content-encoding"), None);
    let etag = full.header("etag").expect("an ETag").to_owned();
    assert_eq!(
        etag,
        feedd::etag::ETag::of(&bytes).as_str(),
        "a hash of the bytes"
    );
    let last_modified = full
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert_eq!(full.header("cache-control"), Some("public, max-age=300"));

    let gzip = client.request("GET", path, &[("accept-encoding", "gzip, br")]);
    assert_eq!(
        (gzip.header("content-encoding"), gzip.body.len()),
        (None, SMALL)
    );

    let part = client.request("GET", path, &[("range", "bytes=1000-1999")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 1000-1999/100000"));
    assert_eq!(part.header("content-length"), Some("1000"));
    assert_eq!(part.body, bytes[1000..2000]);
    assert_eq!(part.header("etag"), Some(etag.as_str()));

    let tail = client.request("GET", path, &[("range", "bytes=-10")]);
    assert_eq!((tail.status, &tail.body[..]), (206, &bytes[SMALL - 10..]));

    let beyond = client.request("GET", path, &[("range", "bytes=100000-")]);
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some("bytes */100000"));

    for (if_range, status) in [
        (etag.as_str(), 206),
        (last_modified.as_str(), 206),
        ("\"not-the-tag\"", 200),
        (&format!("W/{etag}"), 200),
    ] {
        let reply = client.request(
            "GET",
            path,
            &[("range", "bytes=0-9"), ("if-range", if_range)],
        );
        assert_eq!(reply.status, status, "If-Range: {if_range}");
        let want = if status == 206 {
            &bytes[..10]
        } else {
            &bytes[..]
        };
        assert_eq!(reply.body, want, "If-Range: {if_range}");
    }

    let head = client.request("HEAD", path, &[("range", "bytes=0-9")]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("100000"));
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    for validator in [
        ("if-none-match", etag.as_str()),
        ("if-modified-since", &last_modified),
    ] {
        let reply = client.request("GET", path, &[validator, ("range", "bytes=0-9")]);
        assert_eq!(reply.status, 304, "{validator:?}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), Some(etag.as_str()));
    }

    assert_eq!(
        client.get("/episodes/one.md").status,
        404,
        "posts are not published"
    );
    assert_eq!(client.get("/episodes/two.wav").status, 404);
}

/// A process's resident memory figures from `/proc/PID/status`, in kB: (VmRSS, VmHWM).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Sends `GET path` and reads the head; the body is left to read from the returned reader.
fn start_download(addr: std::net::SocketAddr, path: &str) -> (Vec<String>, BufReader<TcpStream>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut reader = BufReader::new(stream);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("head");
        if line.trim_end().is_empty() {
            return (lines, reader);
        }
        lines.push(line.trim_end().to_owned());
    }
}

#[test]
fn a_50_mb_media_file_is_served_with_flat_memory() {
    const LENGTH: usize = 50 * 1024 * 1024;
    let site = Site::new();
    let bytes = noisy_wav(LENGTH, 7);
    episode(&site, "long", &bytes);
    let daemon = Daemon::start(&site.config());
    let before = memory(daemon.pid());
    let (head, mut body) = start_download(daemon.addr, "/episodes/long.wav");
    assert_eq!(head[0], "HTTP/1.1 200 OK");
    // Read slowly at first, so the server has to hold back what the client does not take.
    let mut chunk = vec![0; 1024 * 1024];
    let (mut received, mut same) = (0usize, true);
    let mut during = before;
    while let Ok(read) = body.read(&mut chunk) {
        if read == 0 {
            break;
        }
        same &= chunk[..read] == bytes[received..received + read];
        received += read;
        if received < 4 * 1024 * 1024 {
            std::thread::sleep(Duration::from_millis(20));
            during = during.max(memory(daemon.pid()));
        }
    }
    assert_eq!(received, LENGTH);
    assert!(same, "the bytes are the file's");
    let after = memory(daemon.pid());
    let grown_kb = after.1.saturating_sub(before.1);
    eprintln!(
        "50 MiB download: VmRSS {} kB before, {} kB while reading slowly, {} kB after; \
         peak (VmHWM) {} kB before, {} kB after: +{grown_kb} kB",
        before.0, during.0, after.0, before.1, after.1
    );
    assert!(
        grown_kb < 8 * 1024,
        "the daemon's peak memory grew by {grown_kb} kB serving a 50 MiB file"
    );
}

#[test]
fn a_file_replaced_during_a_download_is_sent_whole_from_one_version() {
    const LENGTH: usize = 8 * 1024 * 1024;
    let site = Site::new();
    let old = noisy_wav(LENGTH, 1);
    episode(&site, "one", &old);
    let daemon = Daemon::start(&site.config());
    let path = "/episodes/one.wav";
    let old_tag = daemon
        .request("HEAD", path, &[])
        .header("etag")
        .unwrap()
        .to_owned();

    for (round, replace) in [("rewritten in place", true), ("renamed over", false)] {
        let (head, mut body) = start_download(daemon.addr, path);
        assert_eq!(head[0], "HTTP/1.1 200 OK");
        let mut first = vec![0; 64 * 1024];
        body.read_exact(&mut first).expect("the first bytes");
        let current = daemon
            .request("HEAD", path, &[])
            .header("etag")
            .unwrap()
            .to_owned();

        let new = noisy_wav(LENGTH, if replace { 2 } else { 3 });
        let source = site.src().join("episodes/one.wav");
        if replace {
            std::fs::write(&source, &new).expect("rewrite");
        } else {
            let temp = site.src().join("episodes/.one.wav.tmp");
            std::fs::write(&temp, &new).expect("write");
            std::fs::rename(&temp, &source).expect("rename");
        }
        // The post is touched too, so the rebuild does not depend on how media files are
        // watched: what is tested here is how the new bytes are served.
        site.touch("episodes/one.md");
        let reply = daemon.poll_request(path, &[], "the new file served", |r| {
            r.header("etag").is_some_and(|tag| tag != current)
        });
        assert_eq!(
            reply.body, new,
            "{round}: the next request gets the new bytes"
        );
        assert_ne!(reply.header("etag"), Some(old_tag.as_str()));

        let removed = format!("media copy removed copy=\"{}\"", current.trim_matches('"'));
        daemon.wait_for(&removed, Duration::from_secs(10));
        let mut rest = Vec::new();
        body.read_to_end(&mut rest).expect("the rest");
        first.extend_from_slice(&rest);
        let served_before = version_tagged(&current, &old);
        assert_eq!(first.len(), LENGTH, "{round}: the download completes");
        assert!(
            first == served_before,
            "{round}: the download has one version's bytes"
        );
    }
}

/// The bytes whose ETag is `tag`: the original, or what the first round wrote.
fn version_tagged(tag: &str, original: &[u8]) -> Vec<u8> {
    for candidate in [original.to_vec(), noisy_wav(original.len(), 2)] {
        if feedd::etag::ETag::of(&candidate).as_str() == tag {
            return candidate;
        }
    }
    panic!("no known version has the tag {tag}");
}

#[test]
fn once_copies_media_beside_the_documents_and_removes_unlinked_ones() {
    let site = Site::new();
    episode(&site, "one", &noisy_wav(SMALL, 1));
    episode(&site, "two", &noisy_wav(SMALL, 2));
    let sources = read_all(&site.src());
    assert_success(&site.once());
    let out = |p: &str| site.out().join(p);
    assert_eq!(
        std::fs::read(out("episodes/one.wav")).unwrap(),
        noisy_wav(SMALL, 1)
    );
    assert_eq!(
        std::fs::read(out("episodes/two.wav")).unwrap(),
        noisy_wav(SMALL, 2)
    );
    let rss = site.read_out("rss.xml");
    assert!(
        rss.contains("https://example.org/episodes/one.wav"),
        "{rss}"
    );
    let stamp = |p: &str| std::fs::metadata(out(p)).unwrap().modified().unwrap();
    let before = stamp("episodes/one.wav");

    std::thread::sleep(Duration::from_millis(20));
    assert_success(&site.once());
    assert_eq!(
        stamp("episodes/one.wav"),
        before,
        "an unchanged copy is left alone"
    );

    let post = md("two", "2024-05-01T10:00:00Z", "", "No media any more.");
    site.write("episodes/two.md", &post);
    assert_success(&site.once());
    assert!(
        !out("episodes/two.wav").exists(),
        "unlinked media are removed"
    );
    assert!(out("episodes/one.wav").exists());
    assert!(site.src().join("episodes/two.wav").exists());
    let mut now = read_all(&site.src());
    now.remove("episodes/two.md");
    let mut then = sources;
    then.remove("episodes/two.md");
    assert_eq!(now, then, "--once never changes the source folder");
}

fn read_all(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}
