//! Linting the documents feedd would publish for a config, built in memory through the same
//! pipeline as `--once` (nothing is written, not even the lock file), with each finding about an
//! entry traced back to its post: the file (through the ids the build gave each post) and the
//! line (the front matter key, or the text, the finding is about).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::finding::{Anchor, Code, Finding};
use super::{Context, Severity, ids, lint_document};
use crate::config::Config;
use crate::format::DocumentKind;
use crate::once::Judged;
use crate::render::Lifetime;

/// Every finding in the site's documents, its posts' problems and its lock file, each once.
pub fn lint(config: &Config, judged: &Judged, now: DateTime<Utc>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = judged
        .build
        .diagnostics
        .iter()
        .map(|d| {
            // About a source file, in no document.
            let mut f = Finding::new(Code::PostProblem, "", d.line, d.message.clone());
            f.file = d.path.display().to_string();
            f
        })
        .collect();
    let posts = Posts::new(config, judged);
    for document in &judged.build.documents {
        if document.kind == DocumentKind::Page {
            continue;
        }
        // A JSON Feed has no `current` link: an archive page's `feed_url` names the feed it
        // belongs to, not the page, so only subscription documents must name themselves.
        let archived_json = document.lifetime == Lifetime::Archived
            && document.format() == Some(crate::format::Format::Json);
        let address = (!archived_json)
            .then(|| config.base_url.join(&document.path).ok())
            .flatten();
        let cx = Context {
            document: &document.path,
            address: address.as_ref(),
            base_url: Some(&config.base_url),
            now,
        };
        findings.extend(
            lint_document(&document.body, &cx)
                .into_iter()
                .map(|f| posts.trace(f)),
        );
    }
    findings.extend(changed_ids(config, judged, &posts));
    findings.extend(super::podcast::artwork(config));
    merge(findings)
}

/// Only the errors, for `feedd check`.
pub fn errors(config: &Config, judged: &Judged, now: DateTime<Utc>) -> Vec<Finding> {
    let mut found = lint(config, judged, now);
    found.retain(|f| f.severity == Severity::Error && f.code != Code::PostProblem);
    found
}

/// Posts by entry id, and their files' text, read once when a finding needs it.
struct Posts<'a> {
    source_dir: &'a Path,
    by_id: HashMap<&'a str, &'a str>,
}

impl<'a> Posts<'a> {
    fn new(config: &'a Config, judged: &'a Judged) -> Posts<'a> {
        let by_id = judged
            .resolved
            .posts
            .iter()
            .map(|(key, record)| (record.id.as_str(), key.as_str()))
            .collect();
        Posts {
            source_dir: &config.source_dir,
            by_id,
        }
    }

    /// `finding` pointed at its post's file and line, when it is about a post's entry.
    fn trace(&self, mut finding: Finding) -> Finding {
        let Some(key) = finding.entry.as_deref().and_then(|id| self.by_id.get(id)) else {
            return finding;
        };
        (finding.file, finding.line) = self.locate(key, finding.anchor.as_ref());
        finding
    }

    /// The post file of lock file key `key`, and the line `anchor` points at in it.
    fn locate(&self, key: &str, anchor: Option<&Anchor>) -> (String, Option<usize>) {
        let path = self.source_dir.join(key);
        let line = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| anchor.and_then(|a| line_of(&text, a)));
        (path.display().to_string(), line)
    }
}

/// The lock file's ids that the build changed (a post whose front matter `id` was edited, or
/// whose file now ties to another entry).
fn changed_ids(config: &Config, judged: &Judged, posts: &Posts<'_>) -> Vec<Finding> {
    let lock = config.lock_file.display().to_string();
    ids::changed_since_lock(&judged.recorded, &judged.resolved)
        .into_iter()
        .map(|(key, before, now)| {
            let message = format!("id changed since {lock}: was {before}, now {now}");
            let mut f = Finding::new(Code::ChangedId, &lock, None, message);
            (f.file, f.line) = posts.locate(key, Some(&Anchor::Key("id")));
            f
        })
        .collect()
}

/// The 1-based line of `text` that `anchor` points at: a front matter key (`updated` falls
/// back to `date`, and `date` to a plain-text post's byline), or the first line holding a text.
pub fn line_of(text: &str, anchor: &Anchor) -> Option<usize> {
    match anchor {
        Anchor::Key(key) => front_matter_line(text, key)
            .or_else(|| {
                (*key == "updated")
                    .then(|| front_matter_line(text, "date"))
                    .flatten()
            })
            .or_else(|| {
                matches!(*key, "date" | "updated")
                    .then(|| {
                        text.lines()
                            .position(|l| l.trim_start().starts_with("Posted on"))
                    })
                    .flatten()
                    .map(|i| i + 1)
            }),
        Anchor::Text(needle) => {
            let needle = needle.to_ascii_lowercase();
            text.lines()
                .position(|l| l.to_ascii_lowercase().contains(&needle))
                .map(|i| i + 1)
        }
    }
}

/// The line of `key = …` (TOML) or `key: …` (YAML) inside the front matter.
fn front_matter_line(text: &str, key: &str) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    let (_, fence) = lines.next()?;
    let fence = fence.trim_end();
    if fence != "+++" && fence != "---" {
        return None;
    }
    for (i, line) in lines {
        if line.trim_end() == fence {
            return None;
        }
        if let Some(rest) = line.trim_start().strip_prefix(key)
            && (rest.trim_start().starts_with('=') || rest.trim_start().starts_with(':'))
        {
            return Some(i + 1);
        }
    }
    None
}

/// One finding per post and problem: the same entry in RSS, Atom and JSON Feed (and in tag
/// feeds and archive pages) is reported once, naming every document it is in.
fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::new();
    let mut index: HashMap<(Code, String, Option<usize>, String), usize> = HashMap::new();
    for finding in findings {
        let key = (
            finding.code,
            finding.file.clone(),
            finding.line,
            finding.message.clone(),
        );
        match index.get(&key) {
            Some(&i) if finding.entry.is_some() => {
                let documents = &mut merged[i].document;
                if !documents.split(", ").any(|d| d == finding.document) {
                    documents.push_str(", ");
                    documents.push_str(&finding.document);
                }
            }
            _ => {
                index.insert(key, merged.len());
                merged.push(finding);
            }
        }
    }
    merged.sort_by(|a, b| (&a.file, a.line, a.code).cmp(&(&b.file, b.line, b.code)));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_anchors_in_posts() {
        let toml = "+++\ntitle = \"A\"\ndate = 2019-07-05\nsummary = \"s\"\n+++\n\nBody <SCRIPT>x</script>\n";
        let yaml = "---\ntitle: A\nupdated: 2019-07-06\n---\nsummary = not front matter\n";
        let txt = "Title\nPosted on July 5, 2019 by Kim\n\nBody\n";
        let cases: &[(&str, Anchor, Option<usize>)] = &[
            (toml, Anchor::Key("date"), Some(3)),
            (toml, Anchor::Key("summary"), Some(4)),
            (toml, Anchor::Key("updated"), Some(3)),
            (toml, Anchor::Key("id"), None),
            (toml, Anchor::Text("<script".into()), Some(7)),
            (yaml, Anchor::Key("updated"), Some(3)),
            (yaml, Anchor::Key("summary"), None),
            (txt, Anchor::Key("date"), Some(2)),
            (txt, Anchor::Key("summary"), None),
        ];
        for (text, anchor, wanted) in cases {
            assert_eq!(line_of(text, anchor), *wanted, "{anchor:?} in {text:?}");
        }
    }

    #[test]
    fn the_same_entry_in_several_documents_is_one_finding() {
        let finding = |document: &str| {
            let mut f = Finding::new(Code::Script, document, Some(3), "script".into())
                .about(Some("id"), None);
            f.file = "feed-src/a.md".into();
            f
        };
        let merged = merge(vec![
            finding("rss.xml"),
            finding("atom.xml"),
            finding("rss.xml"),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].document, "rss.xml, atom.xml");
    }
}
