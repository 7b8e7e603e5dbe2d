//! What feedd should make of a generated site: `config.toml`, and `manifest.json` with each
//! post's expected entry values.
//!
//! The expected values follow feedd's rules, computed from the plan rather than from the written
//! files: id `tag:{authority},{date}:{slug}` (date of `published` in the site zone, UTC here),
//! link `{base_url}posts/{slug}/`, summary = the front matter summary or else the first paragraph
//! with whitespace collapsed. Checkers compare feeds against this file instead of re-deriving it.

use chrono::SecondsFormat;
use serde::Serialize;

use crate::plan::PostPlan;

/// The site-level settings shared by `config.toml` and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub base_url: String,
    pub id_authority: String,
    pub max_entries: usize,
}

impl Site {
    pub fn bench(max_entries: usize) -> Site {
        Site {
            base_url: "https://bench.example.org/".into(),
            id_authority: "bench.example.org".into(),
            max_entries,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    #[serde(flatten)]
    pub site: &'a Site,
    pub posts: Vec<Expected>,
}

/// One post's expected entry; `path` is relative to `feed-src/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub path: String,
    pub title: String,
    pub id: String,
    pub link: String,
    /// RFC 3339 in UTC.
    pub published: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub summary: String,
}

pub fn expected(site: &Site, plan: &PostPlan) -> Expected {
    let summary = match &plan.summary {
        Some(summary) => collapse(summary),
        None => plan
            .paragraphs
            .first()
            .map(|p| collapse(p))
            .unwrap_or_default(),
    };
    Expected {
        path: plan.path.clone(),
        title: plan.title.clone(),
        id: format!(
            "tag:{},{}:{}",
            site.id_authority,
            plan.published.format("%Y-%m-%d"),
            plan.slug
        ),
        link: format!("{}posts/{}/", site.base_url, plan.slug),
        published: plan.published.to_rfc3339_opts(SecondsFormat::Secs, true),
        authors: plan.authors.iter().map(|a| a.to_string()).collect(),
        tags: plan.tags.iter().map(|t| t.to_string()).collect(),
        summary,
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The generated site's `config.toml`.
pub fn config_toml(site: &Site) -> String {
    format!(
        "# A generated site for tests and benchmarks (feedd-gen); manifest.json says what to expect.\n\
         title = \"feedd bench site\"\n\
         description = \"Generated posts in Markdown and plain text, ten years of them.\"\n\
         base_url = \"{}\"\n\
         id_authority = \"{}\"\n\
         language = \"en\"\n\
         timezone = \"UTC\"\n\
         max_entries = {}\n\
         source_dir = \"feed-src\"\n\
         output_dir = \"public\"\n",
        site.base_url, site.id_authority, site.max_entries
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan_posts;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::path::Path;

    #[test]
    fn generated_config_is_accepted_by_feedd() {
        let config = feedd::config::Config::from_str(
            &config_toml(&Site::bench(7)),
            Path::new("config.toml"),
        )
        .unwrap();
        assert_eq!(config.base_url.as_str(), "https://bench.example.org/");
        assert_eq!(config.id_authority, "bench.example.org");
        assert_eq!(config.max_entries, 7);
        assert_eq!(config.timezone, chrono_tz::Tz::UTC);
    }

    #[test]
    fn expected_values_follow_feedd_rules() {
        let site = Site::bench(50);
        let plans = plan_posts(&mut ChaCha8Rng::seed_from_u64(9), 200);
        for plan in &plans {
            let e = expected(&site, plan);
            let day = &e.published[..10];
            assert_eq!(e.id, format!("tag:bench.example.org,{day}:{}", plan.slug));
            assert_eq!(
                e.link,
                format!("https://bench.example.org/posts/{}/", plan.slug)
            );
            assert!(e.published.ends_with('Z'), "{}", e.published);
            match &plan.summary {
                Some(s) => assert_eq!(&e.summary, s),
                None => assert_eq!(e.summary, plan.paragraphs[0]),
            }
        }
    }

    #[test]
    fn manifest_serialises_site_fields_at_the_top() {
        let site = Site::bench(3);
        let json = serde_json::to_value(Manifest {
            site: &site,
            posts: vec![],
        })
        .unwrap();
        assert_eq!(json["base_url"], "https://bench.example.org/");
        assert_eq!(json["max_entries"], 3);
        assert!(json["posts"].as_array().unwrap().is_empty());
    }
}
