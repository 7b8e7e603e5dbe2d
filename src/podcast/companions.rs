//! Transcripts and chapters beside an episode's audio: the files `podcast:transcript` and
//! `podcast:chapters` point at, found by name so authors declare nothing.
//!
//! `episode-12.mp3` may have `episode-12.vtt`, `.srt`, `.json` or `.html` transcripts and an
//! `episode-12.chapters.json` (which is not a transcript although it ends in `.json`). Pure: it
//! looks at a listing of the audio's folder, so the rule is tested without files.

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

/// The files found beside one audio file, as names in its folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Companions {
    /// Names with their media types, in [`TRANSCRIPT_TYPES`]' order.
    pub transcripts: Vec<(String, &'static str)>,
    pub chapters: Option<String>,
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
    fn an_episode_alone_has_none() {
        assert_eq!(
            find("ep2.mp3", ["ep2.mp3", "ep1.vtt"]),
            Companions::default()
        );
        let found = find("show.v2.m4a", ["show.v2.m4a", "show.v2.vtt", "show.vtt"]);
        assert_eq!(found.transcripts, [("show.v2.vtt".to_owned(), "text/vtt")]);
    }
}
