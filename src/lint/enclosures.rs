//! Enclosures without a byte length or a type, which podcast apps and directories refuse or show
//! wrongly (an episode of unknown size, a download of unknown kind).

use super::Context;
use super::finding::{Anchor, Code, Finding};
use super::model::RawFeed;

pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in &feed.entries {
        let id = entry.id.as_ref().map(|id| id.value.as_str());
        for enclosure in &entry.enclosures {
            let raw = &enclosure.value;
            let length_ok = (raw.length.as_deref())
                .and_then(|l| l.trim().parse::<u64>().ok())
                .is_some_and(|l| l > 0);
            let type_ok = raw.mime.as_deref().is_some_and(|m| m.contains('/'));
            let missing = match (length_ok, type_ok) {
                (true, true) => continue,
                (false, true) => "has no byte length",
                (true, false) => "has no type",
                (false, false) => "has neither a byte length nor a type",
            };
            let finding = Finding::new(
                Code::IncompleteEnclosure,
                cx.document,
                Some(enclosure.line),
                format!("enclosure {} {missing}", raw.url),
            );
            findings.push(finding.about(id, Some(Anchor::Key("enclosure"))));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::tests::context;

    fn lint(text: &str) -> Vec<(Option<usize>, String)> {
        crate::lint::lint_document(text.as_bytes(), &context())
            .into_iter()
            .filter(|f| f.code == Code::IncompleteEnclosure)
            .map(|f| (f.line, f.message))
            .collect()
    }

    #[test]
    fn enclosures_without_length_or_type_in_every_format() {
        let rss = "<rss version=\"2.0\"><channel>\n<item><guid>a</guid>\n\
                   <enclosure url=\"https://x.org/a.mp3\" length=\"12\" type=\"audio/mpeg\"/>\n\
                   <enclosure url=\"https://x.org/b.mp3\" length=\"0\" type=\"audio/mpeg\"/>\n\
                   <enclosure url=\"https://x.org/c.mp3\"/>\n</item></channel></rss>";
        assert_eq!(
            lint(rss),
            [
                (
                    Some(4),
                    "enclosure https://x.org/b.mp3 has no byte length".into()
                ),
                (
                    Some(5),
                    "enclosure https://x.org/c.mp3 has neither a byte length nor a type".into()
                ),
            ]
        );
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>x</id>\n\
                    <link rel=\"enclosure\" href=\"https://x.org/a.ogg\" length=\"5\"/>\n\
                    <link rel=\"alternate\" href=\"https://x.org/\"/></entry></feed>";
        assert_eq!(
            lint(atom),
            [(Some(2), "enclosure https://x.org/a.ogg has no type".into())]
        );
        let json = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [{\"id\": \"a\",\n\
                    \"attachments\": [{\"url\": \"https://x.org/a.mp3\", \"mime_type\": \"audio/mpeg\"},\n\
                    {\"url\": \"https://x.org/b.mp3\", \"mime_type\": \"audio/mpeg\", \"size_in_bytes\": 3}]}]}";
        assert_eq!(
            lint(json),
            [(
                Some(2),
                "enclosure https://x.org/a.mp3 has no byte length".into()
            )]
        );
    }
}
