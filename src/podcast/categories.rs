//! Apple Podcasts' categories, the list `itunes:category` must come from: a directory files a
//! show under a name it knows, and drops or rejects one it does not.
//!
//! As Apple publishes it (Podcasts Connect, "Apple Podcasts categories", the 2021 list also used
//! by Podcast Index and Spotify): each top-level category with its subcategories.

/// One category (with its subcategory, when one is given), as Apple spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub name: &'static str,
    pub subcategory: Option<&'static str>,
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.subcategory {
            Some(sub) => write!(f, "{} > {sub}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// Every category and its subcategories.
pub const APPLE: &[(&str, &[&str])] = &[
    (
        "Arts",
        &[
            "Books",
            "Design",
            "Fashion & Beauty",
            "Food",
            "Performing Arts",
            "Visual Arts",
        ],
    ),
    (
        "Business",
        &[
            "Careers",
            "Entrepreneurship",
            "Investing",
            "Management",
            "Marketing",
            "Non-Profit",
        ],
    ),
    ("Comedy", &["Comedy Interviews", "Improv", "Stand-Up"]),
    (
        "Education",
        &["Courses", "How To", "Language Learning", "Self-Improvement"],
    ),
    ("Fiction", &["Comedy Fiction", "Drama", "Science Fiction"]),
    ("Government", &[]),
    ("History", &[]),
    (
        "Health & Fitness",
        &[
            "Alternative Health",
            "Fitness",
            "Medicine",
            "Mental Health",
            "Nutrition",
            "Sexuality",
        ],
    ),
    (
        "Kids & Family",
        &[
            "Education for Kids",
            "Parenting",
            "Pets & Animals",
            "Stories for Kids",
        ],
    ),
    (
        "Leisure",
        &[
            "Animation & Manga",
            "Automotive",
            "Aviation",
            "Crafts",
            "Games",
            "Hobbies",
            "Home & Garden",
            "Video Games",
        ],
    ),
    (
        "Music",
        &["Music Commentary", "Music History", "Music Interviews"],
    ),
    (
        "News",
        &[
            "Business News",
            "Daily News",
            "Entertainment News",
            "News Commentary",
            "Politics",
            "Sports News",
            "Tech News",
        ],
    ),
    (
        "Religion & Spirituality",
        &[
            "Buddhism",
            "Christianity",
            "Hinduism",
            "Islam",
            "Judaism",
            "Religion",
            "Spirituality",
        ],
    ),
    (
        "Science",
        &[
            "Astronomy",
            "Chemistry",
            "Earth Sciences",
            "Life Sciences",
            "Mathematics",
            "Natural Sciences",
            "Nature",
            "Physics",
            "Social Sciences",
        ],
    ),
    (
        "Society & Culture",
        &[
            "Documentary",
            "Personal Journals",
            "Philosophy",
            "Places & Travel",
            "Relationships",
        ],
    ),
    (
        "Sports",
        &[
            "Baseball",
            "Basketball",
            "Cricket",
            "Fantasy Sports",
            "Football",
            "Golf",
            "Hockey",
            "Rugby",
            "Running",
            "Soccer",
            "Swimming",
            "Tennis",
            "Volleyball",
            "Wilderness",
            "Wrestling",
        ],
    ),
    ("Technology", &[]),
    ("True Crime", &[]),
    (
        "TV & Film",
        &[
            "After Shows",
            "Film History",
            "Film Interviews",
            "Film Reviews",
            "TV Reviews",
        ],
    ),
];

/// `text` ("Category" or "Category > Subcategory", any case and spacing) as Apple spells it, or
/// what is wrong with it, with the nearest name on the list when there is a close one.
pub fn parse(text: &str) -> Result<Category, String> {
    let (top, sub) = match text.split_once('>') {
        Some((top, sub)) => (top.trim(), Some(sub.trim())),
        None => (text.trim(), None),
    };
    let Some((name, subs)) = APPLE.iter().find(|(name, _)| same(name, top)) else {
        let names = APPLE.iter().map(|(name, _)| *name);
        return Err(unknown(top, "a category", names));
    };
    let subcategory = match sub {
        None => None,
        Some(sub) => match subs.iter().find(|s| same(s, sub)) {
            Some(found) => Some(*found),
            None if subs.is_empty() => {
                return Err(format!(
                    "\"{name}\" has no subcategories; write just \"{name}\""
                ));
            }
            None => {
                let known = subs.iter().copied();
                return Err(unknown(sub, &format!("a subcategory of \"{name}\""), known));
            }
        },
    };
    Ok(Category { name, subcategory })
}

fn same(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

fn unknown<'a>(text: &str, what: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    let nearest = names
        .clone()
        .map(|name| (distance(&name.to_lowercase(), &text.to_lowercase()), name))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, name)| *d <= 3.max(name.len() / 3));
    match nearest {
        Some((_, name)) => {
            format!("\"{text}\" is not {what} in Apple's list; did you mean \"{name}\"?")
        }
        None => {
            let all: Vec<&str> = names.collect();
            format!(
                "\"{text}\" is not {what} in Apple's list; use one of: {}",
                all.join(", ")
            )
        }
    }
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_whatever_their_case_and_spacing() {
        let found = parse("  society  & culture >documentary ").unwrap();
        assert_eq!(
            (found.name, found.subcategory),
            ("Society & Culture", Some("Documentary"))
        );
        assert_eq!(found.to_string(), "Society & Culture > Documentary");
        assert_eq!(parse("Technology").unwrap().subcategory, None);
    }

    #[test]
    fn a_typo_is_answered_with_the_nearest_name() {
        let err = parse("Tecnology").unwrap_err();
        assert!(err.contains("did you mean \"Technology\"?"), "{err}");
        let err = parse("Science > Astronmy").unwrap_err();
        assert!(err.contains("a subcategory of \"Science\""), "{err}");
        assert!(err.contains("did you mean \"Astronomy\"?"), "{err}");
        let err = parse("Technology > Podcasting").unwrap_err();
        assert!(err.contains("has no subcategories"), "{err}");
        let err = parse("Zzzzzzzzzzzzzzzzzz").unwrap_err();
        assert!(err.contains("use one of: Arts, Business"), "{err}");
    }

    #[test]
    fn the_list_has_apples_nineteen_categories_and_no_repeats() {
        assert_eq!(APPLE.len(), 19);
        let mut all: Vec<&str> = APPLE
            .iter()
            .flat_map(|(n, subs)| std::iter::once(*n).chain(subs.iter().copied()))
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
