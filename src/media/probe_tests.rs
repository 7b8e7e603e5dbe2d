use super::*;

/// A valid WAV file of `secs` seconds of silence (8 kHz, 8-bit mono: 8,000 bytes a second).
pub(crate) fn wav(secs: u32) -> Vec<u8> {
    let data = 8000 * secs;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    for field in [16u32, 1 | (1 << 16), 8000, 8000, 1 | (8 << 16)] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data.to_le_bytes());
    bytes.resize(bytes.len() + data as usize, 0x80);
    bytes
}

struct Site {
    dir: tempfile::TempDir,
    prober: Prober,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/episodes")).unwrap();
        std::fs::write(dir.path().join("src/episodes/one.wav"), wav(3)).unwrap();
        std::fs::write(dir.path().join("src/cover.png"), b"\x89PNG not really").unwrap();
        std::fs::write(dir.path().join("src/notes.unknownext"), b"x").unwrap();
        Site {
            dir,
            prober: Prober::default(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    fn probe(
        &self,
        post: &str,
        media: &[Declared],
        image: Option<&Declared>,
    ) -> Result<Probed, LineError> {
        let root = self.root();
        let place = Place {
            root: &root,
            follow_symlinks_outside: false,
        };
        self.prober.probe(&place, &root.join(post), media, image)
    }
}

fn local(src: &str) -> Declared {
    Declared {
        src: Src::Local(src.into()),
        mime: None,
        length: None,
        duration_secs: None,
        title: None,
        line: 7,
    }
}

#[test]
fn fills_in_length_type_and_duration_of_a_local_file() {
    let site = Site::new();
    let probed = site
        .probe(
            "episodes/2024-01-01-one.md",
            &[local("one.wav")],
            Some(&local("../cover.png")),
        )
        .unwrap();
    let attachment = &probed.media[0];
    assert_eq!(attachment.length, 24_044);
    assert!(attachment.mime.contains("wav"), "{}", attachment.mime);
    assert_eq!(attachment.duration_secs, Some(3));
    let Located::File(file) = &attachment.at else {
        panic!("a file")
    };
    assert_eq!(file.path, "episodes/one.wav");
    assert_eq!(file.source, site.root().join("episodes/one.wav"));
    let Some(Located::File(cover)) = &probed.image else {
        panic!("a file")
    };
    assert_eq!(
        (cover.path.as_str(), cover.mime.as_str()),
        ("cover.png", "image/png")
    );
    assert_eq!(probed.files().count(), 2);
}

#[test]
fn a_file_is_read_once_per_stamp() {
    let site = Site::new();
    site.probe("a.md", &[local("episodes/one.wav")], None)
        .unwrap();
    site.probe("episodes/b.md", &[local("./one.wav")], None)
        .unwrap();
    assert_eq!(site.prober.reads(), 1, "same file, same stamp");
    std::fs::write(site.root().join("episodes/one.wav"), wav(5)).unwrap();
    let probed = site
        .probe("a.md", &[local("episodes/one.wav")], None)
        .unwrap();
    assert_eq!(site.prober.reads(), 2);
    assert_eq!(probed.media[0].duration_secs, Some(5));
}

#[test]
fn declared_values_that_contradict_the_file_name_both() {
    let site = Site::new();
    let cases = [
        (
            Declared {
                mime: Some("audio/mpeg".into()),
                ..local("episodes/one.wav")
            },
            "`type` is \"audio/mpeg\" but the file is audio/",
        ),
        (
            Declared {
                length: Some(10),
                ..local("episodes/one.wav")
            },
            "`length` is 10 but the file has 24044 bytes",
        ),
        (
            Declared {
                duration_secs: Some(60),
                ..local("episodes/one.wav")
            },
            "`duration` is 60 s but the file plays 3 s",
        ),
        (
            local("notes.unknownext"),
            "declare it, e.g. type = \"audio/mpeg\"",
        ),
        (
            local("missing.mp3"),
            "`media` \"missing.mp3\": no such file",
        ),
        (local("../outside.mp3"), "leaves the source folder"),
        (local("episodes/../../x.mp3"), "leaves the source folder"),
        (local("episodes"), "is not a file"),
    ];
    for (declared, want) in cases {
        let (line, message) = site.probe("a.md", &[declared], None).unwrap_err();
        assert_eq!(line, 7);
        assert!(message.contains(want), "{message}\nwanted {want}");
    }
    let agreeing = Declared {
        length: Some(24_044),
        duration_secs: Some(4),
        mime: Some("audio/wav".into()),
        title: Some("One".into()),
        ..local("episodes/one.wav")
    };
    let probed = site.probe("a.md", &[agreeing], None).unwrap();
    assert_eq!(probed.media[0].title.as_deref(), Some("One"));
    let declared_type = Declared {
        mime: Some("text/plain".into()),
        ..local("notes.unknownext")
    };
    assert_eq!(
        site.probe("a.md", &[declared_type], None).unwrap().media[0].mime,
        "text/plain"
    );
    let (_, message) = site
        .probe("a.md", &[], Some(&local("episodes/one.wav")))
        .unwrap_err();
    assert!(
        message.contains("`image` episodes/one.wav is not an image"),
        "{message}"
    );
}

#[test]
fn a_symlink_out_of_the_source_folder_is_refused() {
    let site = Site::new();
    std::fs::write(site.dir.path().join("secret.mp3"), b"x").unwrap();
    std::os::unix::fs::symlink(
        site.dir.path().join("secret.mp3"),
        site.root().join("link.mp3"),
    )
    .unwrap();
    let (_, message) = site.probe("a.md", &[local("link.mp3")], None).unwrap_err();
    assert!(message.contains("outside the source folder"), "{message}");
}

#[test]
fn urls_keep_what_was_declared() {
    let site = Site::new();
    let declared = Declared {
        src: Src::Url("https://cdn.example.org/a.mp3".into()),
        mime: Some("audio/mpeg".into()),
        length: Some(5),
        ..local("")
    };
    let probed = site.probe("a.md", &[declared], None).unwrap();
    assert_eq!(
        probed.media[0].at,
        Located::Url("https://cdn.example.org/a.mp3".into())
    );
    assert_eq!(probed.media[0].length, 5);
    assert_eq!(probed.files().count(), 0);
}
