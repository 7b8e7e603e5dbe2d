//! Deciding what each generated post is: its format, file path, title, slug, date and how the
//! date is written, authors, tags, summary and paragraphs.
//!
//! Everything the manifest states is fixed here, so `render` (file text) and `manifest`
//! (expected feed values) read the same plan and cannot drift apart. Titles and slugs are unique
//! across the corpus; dates fall in 2015–2024, so nothing is in the future.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::prose;

/// The source forms feedd reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Markdown with `+++` TOML front matter.
    Toml,
    /// Markdown with `---` YAML front matter.
    Yaml,
    /// Title line, `Posted on DATE by AUTHOR` byline, paragraphs.
    Text,
}

/// How a post states when it was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    /// Only the file name's `YYYY-MM-DD-` prefix: midnight in the site zone (UTC).
    PrefixOnly,
    /// Front matter `2019-07-05T10:30:00Z`.
    Utc,
    /// Front matter RFC 3339 with this offset in seconds east of UTC.
    Offset(i32),
    /// Front matter `2019-07-05 10:30`, a wall time in the site zone.
    Local,
    /// Front matter `2019-07-05`: midnight in the site zone.
    DateOnly,
    /// A plain-text byline date in this chrono format; midnight in the site zone.
    Byline(&'static str),
}

/// Byline date styles, all of them forms feedd reads.
const BYLINE_FORMATS: &[&str] = &["%B %-d, %Y", "%-d %B %Y", "%Y-%m-%d", "%b %-d, %Y"];
const OFFSETS_HOURS: &[i32] = &[-8, -5, 1, 2, 5, 9];
pub const AUTHORS: &[&str] = &[
    "Jane Doe",
    "Amara Okafor",
    "José Álvarez",
    "Mei Lin",
    "Søren Berg",
    "Priya Natarajan",
    "Tomás O'Neill",
    "Yuki Tanaka",
];
pub const TAGS: &[&str] = &[
    "travel",
    "food",
    "rust",
    "linux",
    "music",
    "books",
    "photography",
    "science",
    "climate",
    "open-source",
    "history",
    "cycling",
];
/// 2015-01-01 .. 2024-12-31.
const FIRST_DAY: (i32, u32, u32) = (2015, 1, 1);
const DAYS: i64 = 3653;

/// Everything decided about one post.
#[derive(Debug, Clone, PartialEq)]
pub struct PostPlan {
    pub kind: Kind,
    /// Relative to `feed-src/`, with `/` separators.
    pub path: String,
    pub title: String,
    pub slug: String,
    /// The slug is set in front matter (the file name says something else).
    pub slug_in_front_matter: bool,
    pub published: DateTime<Utc>,
    pub date_form: DateForm,
    pub authors: Vec<&'static str>,
    pub tags: Vec<&'static str>,
    pub summary: Option<String>,
    /// Plain prose; the first one is the excerpt when there is no summary.
    pub paragraphs: Vec<String>,
}

/// Plans `count` posts with unique titles and slugs.
pub fn plan_posts<R: Rng>(rng: &mut R, count: usize) -> Vec<PostPlan> {
    let mut titles = HashSet::with_capacity(count);
    let mut slugs = HashSet::with_capacity(count);
    (0..count)
        .map(|index| plan_one(rng, index, &mut titles, &mut slugs))
        .collect()
}

fn plan_one<R: Rng>(
    rng: &mut R,
    index: usize,
    titles: &mut HashSet<String>,
    slugs: &mut HashSet<String>,
) -> PostPlan {
    let kind = match rng.random_range(0..100) {
        0..60 => Kind::Toml,
        60..85 => Kind::Yaml,
        _ => Kind::Text,
    };
    let title = unique_title(rng, titles);
    let slug = unique_slug(&prose::slug_of(&title), slugs);
    let (published, date_form) = published(rng, kind);
    let markdown = kind != Kind::Text;
    let slug_in_front_matter = markdown && rng.random_ratio(1, 20);
    let has_prefix = date_form == DateForm::PrefixOnly || !markdown || rng.random_ratio(7, 10);
    let path = file_path(
        rng,
        &slug,
        index,
        slug_in_front_matter,
        has_prefix,
        published,
        kind,
    );
    let authors = authors(rng, kind);
    // The byline form has nowhere to put tags.
    let tag_count = if markdown { rng.random_range(0..=4) } else { 0 };
    let tags = TAGS.choose_multiple(rng, tag_count).copied().collect();
    let summary = (markdown && rng.random_ratio(1, 4)).then(|| prose::sentence(rng));
    PostPlan {
        kind,
        path,
        title,
        slug,
        slug_in_front_matter,
        published,
        date_form,
        authors,
        tags,
        summary,
        paragraphs: paragraphs(rng),
    }
}

fn unique_title<R: Rng>(rng: &mut R, taken: &mut HashSet<String>) -> String {
    let mut title = prose::title(rng);
    let mut tries = 0;
    while taken.contains(&title) {
        tries += 1;
        title = if tries < 20 {
            prose::title(rng)
        } else {
            format!("{}, part {}", prose::title(rng), tries)
        };
    }
    taken.insert(title.clone());
    title
}

fn unique_slug(base: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = base.to_string();
    let mut n = 2;
    while taken.contains(&slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(slug.clone());
    slug
}

/// A day in the ten years, a time of day when the form carries one, and the form.
fn published<R: Rng>(rng: &mut R, kind: Kind) -> (DateTime<Utc>, DateForm) {
    let (y, m, d) = FIRST_DAY;
    let first = NaiveDate::from_ymd_opt(y, m, d).expect("2015-01-01 is a valid date");
    let day = first + Duration::days(rng.random_range(0..DAYS));
    let midnight = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let form = match kind {
        Kind::Text => DateForm::Byline(prose::pick(rng, BYLINE_FORMATS)),
        _ => match rng.random_range(0..100) {
            0..30 => DateForm::PrefixOnly,
            30..55 => DateForm::Utc,
            55..75 => DateForm::Offset(prose::pick(rng, OFFSETS_HOURS) * 3600),
            75..90 => DateForm::Local,
            _ => DateForm::DateOnly,
        },
    };
    let timed = matches!(form, DateForm::Utc | DateForm::Offset(_) | DateForm::Local);
    let published = if timed {
        // Minutes only: every form writes hours and minutes, some no seconds.
        midnight + Duration::minutes(rng.random_range(0..24 * 60))
    } else {
        midnight
    };
    (published, form)
}

fn file_path<R: Rng>(
    rng: &mut R,
    slug: &str,
    index: usize,
    slug_in_front_matter: bool,
    has_prefix: bool,
    published: DateTime<Utc>,
    kind: Kind,
) -> String {
    let stem = if slug_in_front_matter {
        format!("post-{index}")
    } else {
        slug.to_string()
    };
    let extension = match kind {
        Kind::Text => "txt",
        _ if rng.random_ratio(1, 20) => "markdown",
        _ => "md",
    };
    let folder = if rng.random_ratio(1, 10) {
        format!("{}/", published.year())
    } else {
        String::new()
    };
    if has_prefix {
        format!(
            "{folder}{}-{stem}.{extension}",
            published.format("%Y-%m-%d")
        )
    } else {
        format!("{folder}{stem}.{extension}")
    }
}

fn authors<R: Rng>(rng: &mut R, kind: Kind) -> Vec<&'static str> {
    let count = match (kind, rng.random_range(0..10)) {
        (Kind::Text, _) => 1,
        (_, 0) => 0,
        (_, 1..3) => 2,
        _ => 1,
    };
    AUTHORS.choose_multiple(rng, count).copied().collect()
}

/// 300–1,500 words in paragraphs of 40–140 words.
fn paragraphs<R: Rng>(rng: &mut R) -> Vec<String> {
    let target = rng.random_range(300..=1500);
    let mut total = 0;
    let mut out = Vec::new();
    while total < target {
        let want = rng.random_range(40..=140).min(target - total).max(12);
        let (text, n) = prose::paragraph(rng, want);
        total += n;
        out.push(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn plans(n: usize) -> Vec<PostPlan> {
        plan_posts(&mut ChaCha8Rng::seed_from_u64(42), n)
    }

    #[test]
    fn titles_slugs_and_paths_are_unique() {
        let plans = plans(3000);
        let unique = |f: fn(&PostPlan) -> &str| plans.iter().map(f).collect::<HashSet<_>>().len();
        assert_eq!(unique(|p| &p.title), plans.len());
        assert_eq!(unique(|p| &p.slug), plans.len());
        assert_eq!(unique(|p| &p.path), plans.len());
    }

    #[test]
    fn formats_follow_the_intended_mix() {
        let plans = plans(2000);
        let share = |k: Kind| plans.iter().filter(|p| p.kind == k).count() * 100 / plans.len();
        assert!(
            (55..=65).contains(&share(Kind::Toml)),
            "{}",
            share(Kind::Toml)
        );
        assert!(
            (20..=30).contains(&share(Kind::Yaml)),
            "{}",
            share(Kind::Yaml)
        );
        assert!(
            (10..=20).contains(&share(Kind::Text)),
            "{}",
            share(Kind::Text)
        );
    }

    #[test]
    fn dates_stay_within_the_ten_years_and_some_share_a_day() {
        let plans = plans(2000);
        let low = "2015-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let high = "2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(
            plans
                .iter()
                .all(|p| low <= p.published && p.published < high)
        );
        let days: HashSet<_> = plans.iter().map(|p| p.published.date_naive()).collect();
        assert!(days.len() < plans.len());
        assert!(days.len() > plans.len() / 2);
    }

    #[test]
    fn bodies_have_the_intended_length_and_shape() {
        for plan in plans(200) {
            let words: usize = plan
                .paragraphs
                .iter()
                .map(|p| p.split_whitespace().count())
                .sum();
            assert!((300..1700).contains(&words), "{}: {words}", plan.path);
            assert!(plan.paragraphs.len() >= 3, "{}", plan.path);
            assert!(plan.tags.len() <= 4);
            if plan.kind == Kind::Text {
                assert_eq!(plan.authors.len(), 1);
                assert!(plan.path.ends_with(".txt") && plan.summary.is_none());
                assert!(
                    plan.tags.is_empty(),
                    "{}: plain text cannot carry tags",
                    plan.path
                );
            }
        }
    }

    #[test]
    fn file_names_carry_the_slug_unless_front_matter_does() {
        for plan in plans(1000) {
            let stem = plan
                .path
                .rsplit('/')
                .next()
                .unwrap()
                .split('.')
                .next()
                .unwrap();
            let stem = stem
                .strip_prefix(&plan.published.format("%Y-%m-%d-").to_string())
                .unwrap_or(stem);
            assert_eq!(
                stem == plan.slug,
                !plan.slug_in_front_matter,
                "{}",
                plan.path
            );
        }
    }

    #[test]
    fn same_seed_same_plans() {
        assert_eq!(plans(50), plans(50));
        assert_ne!(
            plans(50),
            plan_posts(&mut ChaCha8Rng::seed_from_u64(43), 50)
        );
    }
}
