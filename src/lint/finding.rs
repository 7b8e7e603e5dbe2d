//! What the linter reports: [`Finding`]s, each with a stable [`Code`], a [`Severity`], where it
//! was found and a one-line fix.
//!
//! Every code is listed once, in [`RULES`], with its severity and fix, so the README's table,
//! the text and JSON reports and `check` (which fails on the errors) cannot disagree.

use serde::Serialize;

/// How much a finding matters: errors fail `lint` and `check`; warnings fail `lint --strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A lint rule: its code, how much it matters, what it finds and how to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: Code,
    pub severity: Severity,
    pub what: &'static str,
    pub fix: &'static str,
}

/// The stable codes; their numbers never change meaning, so CI can allow or grep for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    PostProblem,
    Unreadable,
    MissingSelf,
    RelativeSelf,
    RelativeUrl,
    DuplicateId,
    ChangedId,
    MissingId,
    SameUpdated,
    FutureDate,
    BadDate,
    MissingUpdated,
    MissingSummary,
    Script,
    EventHandler,
    PlainIframe,
    JavascriptUrl,
    Large,
    TooLarge,
    SchemeMismatch,
    UnnormalizedUrl,
    SelfNotAddress,
    IndexVariant,
    IncompleteEnclosure,
    PodcastImage,
    PodcastNoImage,
    EpisodeWithoutAudio,
    PostWithoutAudio,
    SerialWithoutNumber,
    PodcastCategory,
    PodcastOwner,
}

impl Code {
    pub fn rule(self) -> &'static Rule {
        // Every code has exactly one row (a unit test checks), so the search always succeeds;
        // the first row is a harmless fallback the compiler can see.
        RULES.iter().find(|r| r.code == self).unwrap_or(&RULES[0])
    }

    /// `FD001`-style, as reports and `--format json` show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::PostProblem => "FD000",
            Code::Unreadable => "FD001",
            Code::MissingSelf => "FD002",
            Code::RelativeSelf => "FD003",
            Code::RelativeUrl => "FD010",
            Code::DuplicateId => "FD020",
            Code::ChangedId => "FD021",
            Code::MissingId => "FD022",
            Code::SameUpdated => "FD030",
            Code::FutureDate => "FD031",
            Code::BadDate => "FD032",
            Code::MissingUpdated => "FD033",
            Code::MissingSummary => "FD040",
            Code::Script => "FD050",
            Code::EventHandler => "FD051",
            Code::PlainIframe => "FD052",
            Code::JavascriptUrl => "FD053",
            Code::Large => "FD060",
            Code::TooLarge => "FD061",
            Code::SchemeMismatch => "FD070",
            Code::UnnormalizedUrl => "FD071",
            Code::SelfNotAddress => "FD072",
            Code::IndexVariant => "FD073",
            Code::IncompleteEnclosure => "FD080",
            Code::PodcastImage => "FD090",
            Code::PodcastNoImage => "FD091",
            Code::EpisodeWithoutAudio => "FD092",
            Code::PostWithoutAudio => "FD093",
            Code::SerialWithoutNumber => "FD094",
            Code::PodcastCategory => "FD095",
            Code::PodcastOwner => "FD096",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

const fn rule(code: Code, severity: Severity, what: &'static str, fix: &'static str) -> Rule {
    Rule {
        code,
        severity,
        what,
        fix,
    }
}

use Severity::{Error, Info, Warning};

/// Every rule, in code order (the README's table lists the same rows).
pub const RULES: [Rule; 31] = [
    rule(
        Code::PostProblem,
        Error,
        "a post feedd cannot publish (what `feedd check` reports)",
        "fix the post as the message says",
    ),
    rule(
        Code::Unreadable,
        Error,
        "the document is not well-formed XML or JSON, or not a feed",
        "fix the markup the message points at; readers drop a document they cannot parse",
    ),
    rule(
        Code::MissingSelf,
        Warning,
        "no `self` link (RSS `atom:link rel=\"self\"`, Atom `link rel=\"self\"`, JSON `feed_url`)",
        "add a self link with the feed's own absolute URL",
    ),
    rule(
        Code::RelativeSelf,
        Error,
        "the `self` link is not an absolute URL",
        "write the self link as an absolute https URL",
    ),
    rule(
        Code::RelativeUrl,
        Error,
        "a relative `href`/`src` in entry content, which readers resolve against nothing",
        "make the URL absolute (feedd does this for posts: check `base_url`)",
    ),
    rule(
        Code::DuplicateId,
        Error,
        "two entries of one document share an id; readers show only one",
        "give each post its own id (front matter `id`, or a different slug)",
    ),
    rule(
        Code::ChangedId,
        Warning,
        "a post's id differs from the one the lock file records; readers show it again as new",
        "put the id the lock file records back into the post's front matter (`id = \"…\"`), unless the change is meant",
    ),
    rule(
        Code::MissingId,
        Warning,
        "an entry without an id (RSS `guid`); readers guess one from the link or title",
        "give every entry an id",
    ),
    rule(
        Code::SameUpdated,
        Info,
        "entries share the same updated instant; some readers order them arbitrarily",
        "give the posts a time of day (`date = 2019-06-30T14:00:00`; in a plain-text post, `Posted on 2019-06-30 14:00`)",
    ),
    rule(
        Code::FutureDate,
        Warning,
        "a date more than 5 minutes in the future; readers pin the entry to the top",
        "correct the date, or its time zone",
    ),
    rule(
        Code::BadDate,
        Error,
        "a date readers cannot parse (RFC 822 in RSS, RFC 3339 in Atom and JSON Feed)",
        "write the date in the format the feed format requires",
    ),
    rule(
        Code::MissingUpdated,
        Error,
        "an Atom entry or feed without `updated`, which Atom requires",
        "add an `updated` element",
    ),
    rule(
        Code::MissingSummary,
        Warning,
        "an entry without a summary (RSS `description`, Atom `summary`, JSON `summary`); readers show an empty preview",
        "add a summary (front matter `summary`, or a first paragraph)",
    ),
    rule(
        Code::Script,
        Warning,
        "a `<script>` element in content; every reader strips it",
        "remove the script; link to a page that runs it instead",
    ),
    rule(
        Code::EventHandler,
        Warning,
        "an `on…=` event handler attribute in content; readers strip it",
        "remove the attribute",
    ),
    rule(
        Code::PlainIframe,
        Warning,
        "an `<iframe>` without an https `src`; readers drop it",
        "use an https embed URL, or a link",
    ),
    rule(
        Code::JavascriptUrl,
        Warning,
        "a `javascript:` URL in content; readers remove it",
        "replace it with a real link",
    ),
    rule(
        Code::Large,
        Warning,
        "the document is over 2 MiB, the limit of some readers (goread refuses larger feeds)",
        "lower `max_entries`, or turn on `[archives]`",
    ),
    rule(
        Code::TooLarge,
        Error,
        "the document is over 5 MiB, which CommaFeed refuses (Miniflux stops at 15 MiB)",
        "lower `max_entries`, or turn on `[archives]`",
    ),
    rule(
        Code::SchemeMismatch,
        Warning,
        "the feed's URL and the site's differ in scheme (http and https)",
        "use https in `base_url` and in the self link",
    ),
    rule(
        Code::UnnormalizedUrl,
        Warning,
        "the self link is not in normal form (uppercase host, default port, dot segments)",
        "write the URL as the message shows it",
    ),
    rule(
        Code::SelfNotAddress,
        Warning,
        "the self link is not the address the document is published at",
        "make the self link the document's own URL",
    ),
    rule(
        Code::IndexVariant,
        Info,
        "the self link names an `index.*` file, so the feed has two addresses (…/ and …/index.xml)",
        "link the one address subscribers should use",
    ),
    rule(
        Code::IncompleteEnclosure,
        Warning,
        "an enclosure (RSS `enclosure`, Atom `link rel=\"enclosure\"`, JSON `attachments`) without a byte length or a type; podcast apps and directories refuse or mis-show it",
        "give it its size in bytes and its MIME type (feedd does for local media)",
    ),
    rule(
        Code::PodcastImage,
        Error,
        "the podcast's cover art is missing, not a JPEG or PNG, not square, or outside 1400 to 3000 px, which Apple Podcasts refuses",
        "make `[podcast] image` a square JPEG or PNG of 1400 to 3000 px (3000 × 3000 is best)",
    ),
    rule(
        Code::PodcastNoImage,
        Warning,
        "a podcast without cover art (`itunes:image`); directories do not list it",
        "set `[podcast] image` to a square JPEG or PNG of 1400 to 3000 px",
    ),
    rule(
        Code::EpisodeWithoutAudio,
        Error,
        "an episode (it has `episode`, `season` or `episode_type`) without an audio or video enclosure; podcast apps skip it",
        "attach the episode's file with front matter `media = \"episode.mp3\"`",
    ),
    rule(
        Code::PostWithoutAudio,
        Warning,
        "a post in a podcast without an audio or video enclosure; podcast apps do not show it",
        "attach the episode's file with front matter `media = \"episode.mp3\"`, or publish the post elsewhere",
    ),
    rule(
        Code::SerialWithoutNumber,
        Error,
        "a full episode of a serial podcast without an episode number; Apple Podcasts requires one to play episodes in order",
        "number the episode with front matter `episode = 1`, or make the show `type = \"episodic\"`",
    ),
    rule(
        Code::PodcastCategory,
        Error,
        "an `itunes:category` not in Apple's list; Apple Podcasts refuses the feed",
        "use a category from Apple's list, e.g. `category = \"Technology\"` or `\"Arts > Books\"`",
    ),
    rule(
        Code::PodcastOwner,
        Error,
        "a podcast without its owner's e-mail (`itunes:owner`), where Apple Podcasts sends ownership checks",
        "add `[podcast] owner = { name = \"…\", email = \"…\" }`",
    ),
];

/// One thing the linter found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The post that caused it, for documents feedd built; else the document itself.
    pub file: String,
    /// 1-based, in `file`, when there is a place.
    pub line: Option<usize>,
    pub fix: String,
    /// The document the finding is in (its path or the name it was given as).
    pub document: String,
    /// The entry it is about, for tracing it back to a post.
    #[serde(skip)]
    pub entry: Option<String>,
    /// The front matter key (or text) that locates it in the post's file.
    #[serde(skip)]
    pub anchor: Option<Anchor>,
}

/// Where in a post's file a finding about its entry points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A front matter key (`date`, `updated`, `summary`, `id`); its line when present.
    Key(&'static str),
    /// Text from the post's body, found as written (a URL, `<script`).
    Text(String),
}

impl Finding {
    /// A finding at `line` of `document`, with the rule's severity and fix.
    pub fn new(code: Code, document: &str, line: Option<usize>, message: String) -> Finding {
        let rule = code.rule();
        Finding {
            code,
            severity: rule.severity,
            message,
            file: document.to_string(),
            line,
            fix: rule.fix.to_string(),
            document: document.to_string(),
            entry: None,
            anchor: None,
        }
    }

    /// About the entry `id`, located in its post by `anchor`.
    pub fn about(mut self, id: Option<&str>, anchor: Option<Anchor>) -> Finding {
        self.entry = id.map(str::to_string);
        self.anchor = anchor;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's row for `rule`, `|` escaped.
    fn readme_row(rule: &Rule) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        format!(
            "| {} | {} | {} | {} |",
            rule.code.as_str(),
            rule.severity.name(),
            cell(rule.what),
            cell(rule.fix)
        )
    }

    #[test]
    fn the_readme_lists_every_rule_as_defined() {
        let readme = include_str!("../../README.md");
        let rows: Vec<String> = RULES.iter().map(readme_row).collect();
        let table = rows.join("\n");
        assert!(
            readme.contains(&table),
            "README's \"Linting feeds\" table should read:\n{table}"
        );
    }

    #[test]
    fn every_code_has_one_rule_and_a_distinct_number() {
        let mut seen = std::collections::HashSet::new();
        for rule in &RULES {
            assert_eq!(rule.code.rule(), rule, "{:?}", rule.code);
            assert!(seen.insert(rule.code.as_str()), "{}", rule.code.as_str());
            assert!(rule.code.as_str().starts_with("FD"));
            assert!(!rule.fix.contains('\n'), "one-line fix");
        }
    }
}
