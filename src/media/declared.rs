//! What front matter declares about media, read and checked without touching the disk.
//!
//! `media` is one item or a list; an item is a path or URL, or a table
//! `{ src, type, length, duration, title }`. `image` is a path or URL. Both syntaxes of front
//! matter (TOML, YAML) hand the value over as a `serde_json::Value`, so one reader gives one set
//! of messages. Every message is paired with the file line it is about. Whether a local file
//! exists and agrees with what is declared is `probe`'s question.

use serde_json::Value;

/// Where a declared piece of media is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Src {
    /// A path relative to the post's own folder, `/`-separated as written.
    Local(String),
    /// An absolute http(s) URL.
    Url(String),
}

/// One `media` item as written, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub src: Src,
    pub mime: Option<String>,
    pub length: Option<u64>,
    pub duration_secs: Option<u64>,
    pub title: Option<String>,
    /// The file line of the item (its `src`), for messages.
    pub line: usize,
}

impl Declared {
    /// An item with only its source known, as a bare path or URL declares it.
    pub fn new(src: Src, line: usize) -> Declared {
        Declared {
            src,
            mime: None,
            length: None,
            duration_secs: None,
            title: None,
            line,
        }
    }
}

/// A message about the front matter, at a file line.
pub type LineError = (usize, String);

const POST_FOLDER: &str = "the post's folder";

const TABLE_KEYS: &str = "src, type, length, duration, title";

/// Reads `media`. `line_of` finds the file line where a text (an item's `src`) is written,
/// falling back to the `media` key's line.
pub fn read_media(
    value: &Value,
    line_of: impl Fn(&str) -> usize,
) -> Result<Vec<Declared>, LineError> {
    let items = match value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    items
        .into_iter()
        .map(|item| read_item(item, &line_of))
        .collect()
}

fn read_item(item: &Value, line_of: &impl Fn(&str) -> usize) -> Result<Declared, LineError> {
    let table = match item {
        Value::String(src) => {
            let line = line_of(src);
            let declared = Declared::new(
                read_src("media", src, POST_FOLDER).map_err(|m| (line, m))?,
                line,
            );
            return check_url_item(declared);
        }
        Value::Object(table) => table,
        other => {
            return Err((
                line_of(""),
                format!(
                    "`media` item {other} is neither a path nor a table: write a path such as \"episode-1.mp3\" or a table {{ {TABLE_KEYS} }}"
                ),
            ));
        }
    };
    let Some(Value::String(src)) = table.get("src") else {
        return Err((
            line_of(""),
            "a `media` table has no `src`: add src = \"episode-1.mp3\" (a path beside the post or an http(s) URL)".into(),
        ));
    };
    let line = line_of(src);
    let at = |m: String| (line, m);
    let mut declared = Declared::new(read_src("media", src, POST_FOLDER).map_err(at)?, line);
    for (key, value) in table {
        match key.as_str() {
            "src" => {}
            "type" => declared.mime = Some(read_mime(value).map_err(at)?),
            "length" => declared.length = Some(read_length(value).map_err(at)?),
            "duration" => declared.duration_secs = Some(read_duration(value).map_err(at)?),
            "title" => match value {
                Value::String(title) if !title.trim().is_empty() => {
                    declared.title = Some(title.trim().to_string());
                }
                _ => return Err(at("`media` `title` must be a non-empty string".into())),
            },
            unknown => {
                return Err(at(format!(
                    "`media` has no key `{unknown}`: the keys of a media table are {TABLE_KEYS}"
                )));
            }
        }
    }
    check_url_item(declared)
}

/// A URL is not probed, so what a feed needs of it must be declared.
fn check_url_item(mut declared: Declared) -> Result<Declared, LineError> {
    let Src::Url(url) = &declared.src else {
        return Ok(declared);
    };
    let line = declared.line;
    if declared.length.is_none() {
        return Err((
            line,
            format!(
                "`media` {url} is a URL, so feedd cannot measure it: declare its size in bytes, e.g. {{ src = \"{url}\", length = 12345678 }}"
            ),
        ));
    }
    if declared.mime.is_none() {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        match mime_guess::from_path(path).first() {
            Some(mime) => declared.mime = Some(mime.essence_str().to_string()),
            None => {
                return Err((
                    line,
                    format!(
                        "`media` {url}: its type cannot be told from the URL: declare it, e.g. type = \"audio/mpeg\""
                    ),
                ));
            }
        }
    }
    Ok(declared)
}

impl Src {
    /// The absolute URL of a source-folder path (published below `base_url`) or the URL itself.
    pub fn url(&self, base_url: &url::Url) -> String {
        match self {
            Src::Url(url) => url.clone(),
            Src::Local(path) => super::published_url(base_url, path),
        }
    }
}

/// Reads a site-wide `icon` or `logo`: an http(s) URL, or a path relative to the source folder,
/// returned `/`-separated without `.` segments; one that leaves the folder is refused.
pub fn read_site_src(key: &str, raw: &str) -> Result<Src, String> {
    let src = read_src(key, raw, "the source folder")?;
    let Src::Local(path) = &src else {
        return Ok(src);
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "`{key} = \"{raw}\"` leaves the source folder: put the file in it and give its path relative to it"
                ));
            }
            name => parts.push(name),
        }
    }
    Ok(Src::Local(parts.join("/")))
}

/// Reads `image`: a path or URL.
pub fn read_image(value: &str, line: usize) -> Result<Src, LineError> {
    read_src("image", value, POST_FOLDER).map_err(|m| (line, m))
}

/// A path beside the post or an absolute http(s) URL. Whether a path stays inside the source
/// folder needs the post's place in it, and is checked by `probe`.
fn read_src(key: &str, raw: &str, folder: &str) -> Result<Src, String> {
    let src = raw.trim();
    if src.is_empty() {
        return Err(format!(
            "`{key}` is empty: give a path beside the post (\"episode-1.mp3\") or an http(s) URL"
        ));
    }
    if let Some((scheme, _)) = src.split_once(':')
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && scheme.len() > 1
    {
        return match url::Url::parse(src) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                Ok(Src::Url(url.into()))
            }
            _ => Err(format!(
                "`{key}` \"{src}\" is not an http(s) URL: write a path beside the post or an absolute http(s) URL"
            )),
        };
    }
    if src.starts_with('/') || src.starts_with('\\') {
        return Err(format!(
            "`{key}` \"{src}\" is an absolute path: write it relative to {folder}, e.g. \"{}\"",
            src.trim_start_matches(['/', '\\'])
        ));
    }
    Ok(Src::Local(src.to_string()))
}

fn read_mime(value: &Value) -> Result<String, String> {
    match value {
        Value::String(mime)
            if mime.split_once('/').is_some_and(|(a, b)| {
                !a.trim().is_empty() && !b.trim().is_empty() && !mime.contains(char::is_whitespace)
            }) =>
        {
            Ok(mime.to_ascii_lowercase())
        }
        other => Err(format!(
            "`media` `type` {other} is not a MIME type: write one such as \"audio/mpeg\""
        )),
    }
}

fn read_length(value: &Value) -> Result<u64, String> {
    match value.as_u64() {
        Some(length) if length > 0 => Ok(length),
        _ => Err(format!(
            "`media` `length` {value} is not a size in bytes: write a whole number above 0"
        )),
    }
}

fn read_duration(value: &Value) -> Result<u64, String> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(text) => parse_duration(text),
        _ => None,
    };
    parsed.ok_or_else(|| {
        format!(
            "`media` `duration` {value} is not a duration: write seconds (1834) or \"HH:MM:SS\" / \"MM:SS\""
        )
    })
}

/// Seconds from `"1834"`, `"30:34"` or `"00:30:34"`; minutes and seconds after the first part
/// are below 60.
pub fn parse_duration(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let numbers: Vec<u64> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if numbers.iter().skip(1).any(|&n| n >= 60) {
        return None;
    }
    numbers
        .iter()
        .try_fold(0u64, |total, &n| total.checked_mul(60)?.checked_add(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Vec<Declared>, LineError> {
        read_media(&value, |text| if text.is_empty() { 4 } else { 5 })
    }

    #[test]
    fn one_path_a_list_and_tables() {
        let one = read(json!("ep1.mp3")).unwrap();
        assert_eq!(one, [Declared::new(Src::Local("ep1.mp3".into()), 5)]);
        let many = read(json!([
            "a.mp3",
            { "src": "https://cdn.example.org/b.ogg", "length": 42, "duration": "01:02:03", "title": " B " },
            { "src": "c.mp4", "type": "Video/MP4", "length": 7, "duration": 90 },
        ]))
        .unwrap();
        assert_eq!(many.len(), 3);
        assert_eq!(
            many[1].src,
            Src::Url("https://cdn.example.org/b.ogg".into())
        );
        assert_eq!(
            many[1].mime.as_deref(),
            Some("audio/ogg"),
            "guessed from the URL"
        );
        assert_eq!(many[1].duration_secs, Some(3723));
        assert_eq!(many[1].title.as_deref(), Some("B"));
        assert_eq!(many[2].mime.as_deref(), Some("video/mp4"));
        assert_eq!((many[2].length, many[2].duration_secs), (Some(7), Some(90)));
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("0", 0),
            ("1834", 1834),
            ("30:34", 1834),
            ("00:30:34", 1834),
            ("2:00:00", 7200),
        ] {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
        for text in ["", "1:60", "1:2:3:4", "a", "1::2", "-5", "1.5"] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
    }

    #[test]
    fn every_error_names_its_line_and_the_fix() {
        let cases = [
            (json!(3), 4, "neither a path nor a table"),
            (json!({ "type": "audio/mpeg" }), 4, "has no `src`"),
            (json!({ "src": "a.mp3", "lenght": 3 }), 5, "no key `lenght`"),
            (
                json!({ "src": "a.mp3", "type": "mpeg" }),
                5,
                "not a MIME type",
            ),
            (
                json!({ "src": "a.mp3", "length": 0 }),
                5,
                "not a size in bytes",
            ),
            (
                json!({ "src": "a.mp3", "length": "big" }),
                5,
                "not a size in bytes",
            ),
            (
                json!({ "src": "a.mp3", "duration": "1:75" }),
                5,
                "not a duration",
            ),
            (
                json!({ "src": "a.mp3", "title": "" }),
                5,
                "non-empty string",
            ),
            (json!("https://e.org/a.mp3"), 5, "declare its size in bytes"),
            (
                json!({ "src": "https://e.org/feed", "length": 3 }),
                5,
                "type = \"audio/mpeg\"",
            ),
            (json!("ftp://e.org/a.mp3"), 5, "not an http(s) URL"),
            (
                json!("/srv/a.mp3"),
                5,
                "relative to the post's folder, e.g. \"srv/a.mp3\"",
            ),
            (json!(" "), 5, "is empty"),
        ];
        for (value, line, message) in cases {
            let (at, text) = read(value.clone()).unwrap_err();
            assert_eq!(at, line, "{value}: {text}");
            assert!(text.contains(message), "{value}: {text}");
        }
    }

    #[test]
    fn image_is_a_path_or_url() {
        assert_eq!(
            read_image("cover.jpg", 3),
            Ok(Src::Local("cover.jpg".into()))
        );
        assert_eq!(
            read_image("https://e.org/c.png", 3),
            Ok(Src::Url("https://e.org/c.png".into()))
        );
        let (line, message) = read_image("data:image/png;base64,AA", 7).unwrap_err();
        assert_eq!(line, 7);
        assert!(message.contains("`image`"), "{message}");
    }
}
