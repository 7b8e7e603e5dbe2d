//! Transcripts and chapters beside an episode's audio: the files `podcast:transcript` and
//! `podcast:chapters` point at, found by name so authors declare nothing.
//!
//! `episode-12.mp3` may have `episode-12.vtt`, `.srt`, `.json` or `.html` transcripts and an
//! `episode-12.chapters.json` (which is not a transcript although it ends in `.json`). Pure: it
//! looks at a listing of the audio's folder, so the rule is tested without files.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::media::MediaFile;

/// The transcript formats the podcast namespace names, by file extension.
pub const TRANSCRIPT_TYPES: [(&str, &str); 4] = [
    ("vtt", "text/vtt"),
    ("srt", "application/x-subrip"),
    ("json", "application/json"),
    ("html", "text/html"),
];

/// The media type of a chapters file (Podcasting 2.0 JSON chapters).
pub const CHAPTERS_TYPE: &str = "application/json+chapters";

const CHAPTERS_SUFFIX: &str = ".chapters.json";

/// The transcripts and chapters beside an episode's audio, as files to publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeFiles {
    /// Each with its transcript type as `mime`, in [`TRANSCRIPT_TYPES`]' order.
    pub transcripts: Vec<MediaFile>,
    /// Served as `application/json`; the feed names it as [`CHAPTERS_TYPE`].
    pub chapters: Option<MediaFile>,
}

impl EpisodeFiles {
    pub fn files(&self) -> impl Iterator<Item = &MediaFile> {
        self.transcripts.iter().chain(&self.chapters)
    }
}

/// The companions of the local `audio` file, read from its folder. Only regular files count (a
/// symlink could lead out of the source folder); an unreadable folder has none.
pub fn beside(audio: &MediaFile) -> EpisodeFiles {
    let (Some(folder), Some(name)) = (audio.source.parent(), audio.source.file_name()) else {
        return EpisodeFiles::default();
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return EpisodeFiles::default();
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let found = find(&name.to_string_lossy(), names.iter().map(String::as_str));
    let published_folder = audio.path.rsplit_once('/').map_or("", |(folder, _)| folder);
    let file = |name: &str, mime: &str| {
        let source = folder.join(name);
        let metadata = std::fs::metadata(&source).ok()?;
        Some(MediaFile {
            path: match published_folder {
                "" => name.to_owned(),
                folder => format!("{folder}/{name}"),
            },
            source,
            mime: mime.to_owned(),
            length: metadata.len(),
            modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        })
    };
    EpisodeFiles {
        transcripts: (found.transcripts.iter())
            .filter_map(|(name, mime)| file(name, mime))
            .collect(),
        chapters: (found.chapters.as_deref()).and_then(|name| file(name, "application/json")),
    }
}

/// The files found beside one audio file, as names in its folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Companions {
    /// Names with their media types, in [`TRANSCRIPT_TYPES`]' order.
    pub transcripts: Vec<(String, &'static str)>,
    pub chapters: Option<String>,
}

/// Every path a companion of the audio file at `audio` could have, whether it exists or not: a
/// file appearing at one of them is news for the post that attaches `audio`.
pub fn candidates(audio: &Path) -> Vec<PathBuf> {
    let stem = audio.with_extension("");
    let named = |suffix: &str| {
        let mut name = stem.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (TRANSCRIPT_TYPES.iter())
        .map(|(ext, _)| named(&format!(".{ext}")))
        .chain([named(CHAPTERS_SUFFIX)])
        .collect()
}

/// The companions of the audio file named `audio` among `names` (the names in its folder).
pub fn find<'a>(audio: &str, names: impl IntoIterator<Item = &'a str>) -> Companions {
    let stem = audio.rsplit_once('.').map_or(audio, |(stem, _)| stem);
    let mut found = Companions::default();
    for name in names {
        if name == audio {
            continue;
        }
        let Some(rest) = name.strip_prefix(stem) else {
            continue;
        };
        if rest == CHAPTERS_SUFFIX {
            found.chapters = Some(name.to_owned());
        } else if let Some(ext) = rest.strip_prefix('.')
            && let Some((_, mime)) = TRANSCRIPT_TYPES.iter().find(|(e, _)| *e == ext)
        {
            found.transcripts.push((name.to_owned(), mime));
        }
    }
    found.transcripts.sort_by_key(|(name, _)| {
        let ext = name.rsplit('.').next().unwrap_or("");
        TRANSCRIPT_TYPES.iter().position(|(e, _)| *e == ext)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_transcripts_and_chapters_by_the_audio_files_stem() {
        let names = [
            "ep1.mp3",
            "ep1.srt",
            "ep1.vtt",
            "ep1.chapters.json",
            "ep1.json",
            "ep1.html",
            "ep1.txt",
            "ep10.vtt",
            "ep1-notes.vtt",
            "ep2.vtt",
            "index.md",
        ];
        let found = find("ep1.mp3", names);
        assert_eq!(
            found.transcripts,
            [
                ("ep1.vtt".to_owned(), "text/vtt"),
                ("ep1.srt".to_owned(), "application/x-subrip"),
                ("ep1.json".to_owned(), "application/json"),
                ("ep1.html".to_owned(), "text/html"),
            ]
        );
        assert_eq!(found.chapters.as_deref(), Some("ep1.chapters.json"));
    }

    #[test]
    fn files_beside_a_local_episode_are_published_in_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("ep1.mp3", &b"mp3"[..]),
            ("ep1.vtt", b"WEBVTT\n"),
            ("ep1.chapters.json", b"{}"),
        ] {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        std::fs::create_dir(dir.path().join("ep1.html")).unwrap();
        let audio = MediaFile {
            path: "shows/ep1.mp3".into(),
            source: dir.path().join("ep1.mp3"),
            mime: "audio/mpeg".into(),
            length: 3,
            modified: SystemTime::UNIX_EPOCH,
        };
        let files = beside(&audio);
        let transcript = &files.transcripts[..];
        assert_eq!(transcript.len(), 1, "a folder is no transcript: {files:?}");
        assert_eq!(
            (
                transcript[0].path.as_str(),
                transcript[0].mime.as_str(),
                transcript[0].length
            ),
            ("shows/ep1.vtt", "text/vtt", 7)
        );
        let chapters = files.chapters.expect("chapters");
        assert_eq!(
            (chapters.path.as_str(), chapters.mime.as_str()),
            ("shows/ep1.chapters.json", "application/json")
        );
        assert_eq!(chapters.source, dir.path().join("ep1.chapters.json"));
    }

    #[test]
    fn an_episode_alone_has_none() {
        assert_eq!(
            find("ep2.mp3", ["ep2.mp3", "ep1.vtt"]),
            Companions::default()
        );
        let found = find("show.v2.m4a", ["show.v2.m4a", "show.v2.vtt", "show.vtt"]);
        assert_eq!(found.transcripts, [("show.v2.vtt".to_owned(), "text/vtt")]);
    }
}
