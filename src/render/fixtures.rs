//! Feeds for the renderers' tests, built directly from the model so each test states only what it
//! varies.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::feed::{DocumentLink, Entry, Feed};
use crate::format::Format;

pub(crate) const HOME: &str = "https://example.com/";

pub(crate) fn date(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("fixture dates are valid RFC 3339")
}

/// Entry `n`, published on day `n` of May 2024 at 10:00 in UTC+02:00.
pub(crate) fn entry(n: u32) -> Entry {
    let published = date(&format!("2024-05-{n:02}T10:00:00+02:00"));
    Entry {
        id: format!("tag:example.com,2024:post-{n}"),
        title: format!("Post {n}"),
        link: format!("{HOME}posts/post-{n}/"),
        id_is_link: false,
        published,
        updated: published,
        authors: vec!["Ann Author".to_owned()],
        summary: format!("Summary of post {n}."),
        content_html: format!("<p>Body of post {n}.</p>"),
        tags: vec!["rust".to_owned(), "feeds".to_owned()],
        lang: None,
        enclosures: Vec::new(),
        image: None,
        episode: None,
    }
}

/// A feed with every format built; `updated` is the newest entry's, as the model promises.
pub(crate) fn feed(entries: Vec<Entry>) -> Feed {
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| date("1970-01-01T00:00:00+00:00"));
    let documents = [
        (Format::Rss, "rss.xml"),
        (Format::Atom, "atom.xml"),
        (Format::Json, "feed.json"),
    ]
    .into_iter()
    .map(|(format, path)| DocumentLink {
        format,
        path: path.to_owned(),
        url: format!("{HOME}{path}"),
    })
    .collect();
    Feed {
        id: "tag:example.com,2024:feed".to_owned(),
        title: "Example Site".to_owned(),
        description: "Notes about examples".to_owned(),
        home_url: HOME.to_owned(),
        language: Some("en".to_owned()),
        author: Some("Site Owner".to_owned()),
        tag: None,
        updated,
        max_age: 300,
        documents,
        entries: entries.into_iter().map(Arc::new).collect(),
        history: crate::feed::History::Unpaged,
        hubs: Vec::new(),
        podcast: None,
        icon: None,
        logo: None,
    }
}

/// Text that has broken feeds elsewhere: markup, a CDATA terminator, an entity, controls XML
/// cannot carry, an emoji and right-to-left scripts.
pub(crate) const HOSTILE: &str = "<script>alert(1)</script> ]]> &amp; \u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\u{FFFE}\u{FFFF} 🦀 مرحبا שלום";

/// [`HOSTILE`] as it reads after cleaning: the forbidden characters gone, the rest intact.
pub(crate) const HOSTILE_CLEAN: &str = "<script>alert(1)</script> ]]> &amp;  🦀 مرحبا שלום";

/// A feed whose entry carries [`HOSTILE`] in every text field, and in the feed's own texts too.
pub(crate) fn hostile_feed() -> Feed {
    let mut e = entry(1);
    e.title = format!("Title {HOSTILE}");
    e.summary = format!("Summary {HOSTILE}");
    e.content_html = format!("<p>{HOSTILE}</p><![CDATA[x]]>");
    e.authors = vec![format!("Author {HOSTILE}"), "Second".to_owned()];
    e.tags = vec![format!("tag {HOSTILE}")];
    e.lang = Some("ar".to_owned());
    let mut f = feed(vec![e, entry(2)]);
    f.title = format!("Feed {HOSTILE}");
    f.description = format!("About {HOSTILE}");
    f.author = Some(format!("Owner {HOSTILE}"));
    f
}

/// A podcast of three episodes: the first with audio, transcripts and chapters and every
/// episode key, the second with audio only, the third with neither.
pub(crate) fn podcast_feed() -> Feed {
    use crate::media::Enclosure;
    use crate::podcast::{
        Category, Channel, Episode, EpisodeKeys, EpisodeType, Owner, ShowType, Transcript,
    };
    let audio = |n: u32, secs| Enclosure {
        url: format!("{HOME}episodes/ep{n}.mp3"),
        mime: "audio/mpeg".to_owned(),
        length: 1000 + u64::from(n),
        duration_secs: Some(secs),
        title: None,
    };
    let mut first = entry(1);
    first.enclosures = vec![audio(1, 3723)];
    first.episode = Some(Episode {
        keys: EpisodeKeys {
            number: Some(1),
            season: Some(2),
            kind: Some(EpisodeType::Trailer),
            explicit: Some(true),
        },
        transcripts: vec![Transcript {
            url: format!("{HOME}episodes/ep1.vtt"),
            mime: "text/vtt".to_owned(),
        }],
        chapters: Some(format!("{HOME}episodes/ep1.chapters.json")),
    });
    let mut second = entry(2);
    second.enclosures = vec![audio(2, 61)];
    second.episode = Some(Episode::default());
    let mut third = entry(3);
    third.episode = Some(Episode::default());
    let mut feed = feed(vec![third, second, first]);
    feed.podcast = Some(Channel {
        author: "Pod Caster".to_owned(),
        owner: Owner {
            name: "Owner Name".to_owned(),
            email: "owner@example.com".to_owned(),
        },
        image: Some(format!("{HOME}cover.png")),
        categories: vec![
            Category {
                name: "Technology",
                subcategory: None,
            },
            Category {
                name: "Society & Culture",
                subcategory: Some("Documentary"),
            },
        ],
        explicit: false,
        show_type: ShowType::Serial,
        locked: true,
        guid: crate::podcast::guid::of_feed_url(&format!("{HOME}rss.xml")),
    });
    feed
}
