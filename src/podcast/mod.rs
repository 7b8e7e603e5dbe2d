//! Podcasts: what makes a site's RSS feed a podcast that Apple Podcasts, Podcast Index and the
//! apps reading from them accept, as values every stage shares.
//!
//! `config` reads `[podcast]` into a [`Show`], `post` reads an episode's front matter into
//! [`EpisodeKeys`], `feed` puts a [`Channel`] on each feed and an [`Episode`] on each entry, and
//! `render` writes them as `itunes:` and `podcast:` tags. Imports nothing from the crate, so
//! every stage can use it (beside `media`'s vocabulary, which imports nothing either).

pub mod categories;
pub mod companions;
pub mod guid;

pub use categories::Category;

/// What an episode's front matter says of it (`episode`, `season`, `episode_type`, `explicit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EpisodeKeys {
    /// `itunes:episode`, from 1.
    pub number: Option<u32>,
    /// `itunes:season`, from 1.
    pub season: Option<u32>,
    pub kind: Option<EpisodeType>,
    /// Overrides the show's `explicit` for this episode.
    pub explicit: Option<bool>,
}

impl EpisodeKeys {
    /// Whether the author said anything that only an episode can mean.
    pub fn is_set(&self) -> bool {
        *self != EpisodeKeys::default()
    }
}

/// `itunes:episodeType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeType {
    Full,
    Trailer,
    Bonus,
}

impl EpisodeType {
    pub const NAMES: [&str; 3] = ["full", "trailer", "bonus"];

    pub fn parse(text: &str) -> Option<EpisodeType> {
        match text {
            "full" => Some(EpisodeType::Full),
            "trailer" => Some(EpisodeType::Trailer),
            "bonus" => Some(EpisodeType::Bonus),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EpisodeType::Full => "full",
            EpisodeType::Trailer => "trailer",
            EpisodeType::Bonus => "bonus",
        }
    }
}

/// `itunes:type`: whether listeners start from the newest episode or from the first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShowType {
    #[default]
    Episodic,
    Serial,
}

impl ShowType {
    pub fn name(self) -> &'static str {
        match self {
            ShowType::Episodic => "episodic",
            ShowType::Serial => "serial",
        }
    }
}

/// The show's owner, whom Apple and Podcast Index contact (`itunes:owner`, `podcast:locked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    pub email: String,
}

/// What every feed of a podcast site says of the show, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub author: String,
    pub owner: Owner,
    /// Absolute URL of the cover art.
    pub image: Option<String>,
    pub categories: Vec<Category>,
    pub explicit: bool,
    pub show_type: ShowType,
    /// `podcast:locked`: other platforms may not import the feed without the owner's consent.
    pub locked: bool,
    /// `podcast:guid`, from the feed's URL ([`guid::of_feed_url`]).
    pub guid: String,
}

/// A transcript beside an episode's audio (`podcast:transcript`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Absolute URL.
    pub url: String,
    pub mime: String,
}

/// What an entry of a podcast site says as an episode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Episode {
    pub keys: EpisodeKeys,
    pub transcripts: Vec<Transcript>,
    /// Absolute URL of the `podcast:chapters` file.
    pub chapters: Option<String>,
}

impl Episode {
    /// The URLs of the files it links to besides its enclosures.
    pub fn urls(&self) -> impl Iterator<Item = &String> {
        self.transcripts
            .iter()
            .map(|t| &t.url)
            .chain(&self.chapters)
    }
}
