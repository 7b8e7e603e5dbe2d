//! What a post's file name says: an optional `YYYY-MM-DD-` date prefix and the slug.
//!
//! Only the file name counts, never the folders above it, so moving a post between subfolders
//! keeps its slug (and with it its permalink). Whether the prefix date is used at all is decided
//! by the caller, which knows whether the post gave a date of its own.

use std::path::Path;

/// A file name split into its `YYYY-MM-DD-` prefix (if it has one) and the rest of its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName<'a> {
    /// The `YYYY-MM-DD` part, unchecked: `2019-13-45-x.md` has the prefix `2019-13-45`.
    pub date_prefix: Option<&'a str>,
    /// The stem without the prefix: the slug when the post sets none.
    pub stem: &'a str,
}

impl<'a> FileName<'a> {
    pub fn of(path: &'a Path) -> FileName<'a> {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        match split_date_prefix(stem) {
            Some((date, rest)) => FileName {
                date_prefix: Some(date),
                stem: rest,
            },
            None => FileName {
                date_prefix: None,
                stem,
            },
        }
    }
}

/// `2019-07-05-hello` → (`2019-07-05`, `hello`), by shape alone.
fn split_date_prefix(stem: &str) -> Option<(&str, &str)> {
    let bytes = stem.as_bytes();
    let shaped = bytes.len() >= 11
        && bytes[..10].iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
        && bytes[10] == b'-';
    // The first 11 bytes are ASCII, so both slices fall on character boundaries.
    shaped.then(|| (&stem[..10], &stem[11..]))
}

/// Lowercase ASCII words joined by `-`, other scripts transliterated; empty when nothing is left.
pub fn normalise(raw: &str) -> String {
    slug::slugify(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_date_prefix_from_the_file_name_only() {
        let table = [
            (
                "2019-07-05-hello-world.md",
                Some("2019-07-05"),
                "hello-world",
            ),
            ("posts/2019/2019-07-05-a.txt", Some("2019-07-05"), "a"),
            ("2019-07-05/hello.md", None, "hello"),
            ("2019-07-05.md", None, "2019-07-05"),
            ("2019-07-05-.md", Some("2019-07-05"), ""),
            ("2019-7-5-x.md", None, "2019-7-5-x"),
            ("2019-13-45-x.md", Some("2019-13-45"), "x"),
            ("héllo.md", None, "héllo"),
            ("a.b.md", None, "a.b"),
        ];
        for (path, date, stem) in table {
            let name = FileName::of(Path::new(path));
            assert_eq!(name.date_prefix, date, "{path}");
            assert_eq!(name.stem, stem, "{path}");
        }
    }

    #[test]
    fn normalises_to_lowercase_ascii_words() {
        let table = [
            ("Hello, World!", "hello-world"),
            ("  many   spaces ", "many-spaces"),
            ("Crème brûlée", "creme-brulee"),
            ("Straße", "strasse"),
            ("already-a-slug", "already-a-slug"),
            ("a.b", "a-b"),
            ("日本語", "ri-ben-yu"),
            ("!!!", ""),
            ("", ""),
        ];
        for (raw, want) in table {
            assert_eq!(normalise(raw), want, "{raw}");
        }
    }
}
