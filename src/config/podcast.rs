//! `[podcast]`: the section whose presence makes the site a podcast, and the show's details
//! that directories require (owner e-mail, category from Apple's list, artwork).
//!
//! Only the keys and their checks live here; the tags are `render`'s, the artwork's pixels are
//! checked by `lint` (they are a file, which config validation does not read).

use serde::Deserialize;

use super::defaults;
use crate::podcast::{Owner, ShowType, categories};

/// The validated `[podcast]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Podcast {
    /// `itunes:author`; the site's `author` when not given, else the owner's name.
    pub author: String,
    pub owner: Owner,
    pub image: Option<Artwork>,
    pub categories: Vec<categories::Category>,
    pub explicit: bool,
    pub show_type: ShowType,
    pub locked: bool,
}

/// Where the cover art is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artwork {
    /// A file below the source folder, `/`-separated; published at the same path.
    Local(String),
    /// An absolute http(s) URL, used as given and not checked.
    Url(url::Url),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPodcast {
    author: Option<String>,
    owner: Option<RawOwner>,
    image: Option<String>,
    category: Option<OneOrMany>,
    explicit: Option<bool>,
    #[serde(rename = "type")]
    show_type: Option<String>,
    locked: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwner {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

const OWNER_EXAMPLE: &str = "owner = { name = \"Jane Doe\", email = \"jane@example.org\" }";

impl RawPodcast {
    /// `site_author` is the top-level `author`.
    pub(super) fn validate(self, site_author: Option<&str>) -> Result<Podcast, String> {
        let owner = owner(self.owner, site_author)?;
        let author = non_empty(self.author.as_deref())
            .or_else(|| non_empty(site_author))
            .unwrap_or(&owner.name)
            .to_owned();
        let categories = match self.category {
            None => Vec::new(),
            Some(OneOrMany::One(one)) => vec![one],
            Some(OneOrMany::Many(many)) => many,
        }
        .iter()
        .map(|text| categories::parse(text).map_err(|e| format!("`podcast.category`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
        if categories.is_empty() {
            return Err(
                "`[podcast]` has no `category`: Apple Podcasts lists a show under one from its \
                 list, e.g. `category = \"Technology\"` or `category = \"Arts > Books\"`"
                    .into(),
            );
        }
        Ok(Podcast {
            author,
            owner,
            image: self.image.as_deref().map(artwork).transpose()?,
            categories,
            explicit: self.explicit.unwrap_or(defaults::podcast::EXPLICIT),
            show_type: show_type(self.show_type.as_deref())?,
            locked: self.locked.unwrap_or(defaults::podcast::LOCKED),
        })
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

fn owner(raw: Option<RawOwner>, site_author: Option<&str>) -> Result<Owner, String> {
    let missing = format!(
        "`[podcast]` needs the owner's e-mail address, which Apple Podcasts and Podcast Index \
         send ownership checks to: add `{OWNER_EXAMPLE}`"
    );
    let Some(raw) = raw else {
        return Err(missing);
    };
    let Some(email) = non_empty(raw.email.as_deref()) else {
        return Err(missing);
    };
    let plausible = email
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.ends_with('.'));
    if !plausible || email.contains(char::is_whitespace) {
        return Err(format!(
            "`podcast.owner.email = \"{email}\"` is not an e-mail address; write e.g. \
             `{OWNER_EXAMPLE}`"
        ));
    }
    let name = non_empty(raw.name.as_deref())
        .or_else(|| non_empty(site_author))
        .ok_or_else(|| {
            format!("`podcast.owner` has no `name`, and there is no top-level `author` to use: write `{OWNER_EXAMPLE}`")
        })?;
    Ok(Owner {
        name: name.to_owned(),
        email: email.to_owned(),
    })
}

fn artwork(raw: &str) -> Result<Artwork, String> {
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return url::Url::parse(raw)
            .map(Artwork::Url)
            .map_err(|e| format!("`podcast.image = \"{raw}\"` is not a URL ({e})"));
    }
    let path = raw.trim_start_matches("./");
    let escapes = path.starts_with('/') || path.split('/').any(|s| matches!(s, "" | "." | ".."));
    if escapes || path.contains('\\') {
        return Err(format!(
            "`podcast.image = \"{raw}\"` must be a path below the source folder \
             (e.g. \"cover.png\") or an absolute https URL"
        ));
    }
    Ok(Artwork::Local(path.to_owned()))
}

fn show_type(raw: Option<&str>) -> Result<ShowType, String> {
    match raw {
        None => Ok(defaults::podcast::TYPE),
        Some("episodic") => Ok(ShowType::Episodic),
        Some("serial") => Ok(ShowType::Serial),
        Some(other) => Err(format!(
            "`podcast.type = \"{other}\"` must be \"episodic\" (newest first) or \"serial\" \
             (listened in order, every episode numbered)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    const SITE: &str =
        "title = \"T\"\nbase_url = \"https://example.org\"\nid_authority = \"example.org\"\n";

    fn parse(podcast: &str) -> Result<Config, String> {
        Config::from_str(&format!("{SITE}{podcast}"), Path::new("config.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_section_is_read_and_spelled_as_apple_does() {
        let config = parse(
            "author = \"Site Author\"\n[podcast]\nowner = { name = \"Jane\", email = \"jane@example.org\" }\n\
             image = \"cover.png\"\ncategory = [\"technology\", \"Society & Culture > Documentary\"]\n\
             explicit = true\ntype = \"serial\"\nlocked = true\n",
        )
        .unwrap();
        let podcast = config.podcast.unwrap();
        assert_eq!(podcast.author, "Site Author");
        assert_eq!(podcast.owner.email, "jane@example.org");
        assert_eq!(podcast.image, Some(Artwork::Local("cover.png".into())));
        let names: Vec<String> = podcast.categories.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["Technology", "Society & Culture > Documentary"]);
        assert!(podcast.explicit && podcast.locked);
        assert_eq!(podcast.show_type, ShowType::Serial);
    }

    #[test]
    fn defaults_apply_and_no_section_means_no_podcast() {
        assert_eq!(parse("").unwrap().podcast, None);
        let podcast = parse(
            "[podcast]\nowner = { name = \"J\", email = \"j@e.org\" }\ncategory = \"News\"\n",
        )
        .unwrap()
        .podcast
        .unwrap();
        assert_eq!(podcast.author, "J");
        assert!(!podcast.explicit && !podcast.locked);
        assert_eq!(podcast.show_type, ShowType::Episodic);
        assert_eq!(podcast.image, None);
    }

    #[test]
    fn each_mistake_names_config_toml_and_the_fix() {
        let owner = "owner = { name = \"J\", email = \"j@e.org\" }\n";
        for (section, wanted) in [
            (
                "category = \"News\"\n".to_owned(),
                "owner = { name = \"Jane Doe\", email = \"jane@example.org\" }",
            ),
            (
                format!("{owner}category = \"News\"\nowner.email = \"x\""),
                "",
            ),
            (
                "owner = { name = \"J\" }\ncategory = \"News\"\n".into(),
                "needs the owner's e-mail",
            ),
            (
                "owner = { name = \"J\", email = \"nobody\" }\ncategory = \"News\"\n".into(),
                "is not an e-mail address",
            ),
            (owner.to_owned(), "has no `category`"),
            (
                format!("{owner}category = \"Tecnology\"\n"),
                "did you mean \"Technology\"?",
            ),
            (
                format!("{owner}category = \"News\"\ntype = \"daily\"\n"),
                "\"episodic\"",
            ),
            (
                format!("{owner}category = \"News\"\nimage = \"../cover.png\"\n"),
                "below the source folder",
            ),
            (
                format!("{owner}category = \"News\"\ncolour = 1\n"),
                "colour",
            ),
        ] {
            let err = parse(&format!("[podcast]\n{section}")).unwrap_err();
            assert!(err.starts_with("config.toml"), "{err}");
            assert!(err.contains(wanted), "{section}: {err}");
        }
        let err = parse(&format!(
            "formats = [\"atom\"]\n[podcast]\n{owner}category = \"News\"\n"
        ))
        .unwrap_err();
        assert!(err.contains("add \"rss\" to `formats`"), "{err}");
    }

    #[test]
    fn an_image_url_is_taken_as_given() {
        let podcast = parse("[podcast]\nowner = { name = \"J\", email = \"j@e.org\" }\ncategory = \"News\"\nimage = \"https://cdn.example/c.jpg\"\n")
            .unwrap()
            .podcast
            .unwrap();
        assert!(
            matches!(podcast.image, Some(Artwork::Url(u)) if u.as_str() == "https://cdn.example/c.jpg")
        );
    }
}
