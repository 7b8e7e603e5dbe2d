//! Entries without a summary, which readers show with an empty preview.

use super::Context;
use super::finding::{Anchor, Code, Finding};
use super::model::RawFeed;

pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    feed.entries
        .iter()
        .filter(|entry| !entry.has_summary)
        .map(|entry| {
            let id = entry.id.as_ref().map(|id| id.value.as_str());
            Finding::new(
                Code::MissingSummary,
                cx.document,
                Some(entry.line),
                "entry has no summary".into(),
            )
            .about(id, Some(Anchor::Key("summary")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::model::RawEntry;
    use crate::lint::tests::context;

    #[test]
    fn entries_without_a_summary() {
        for (summaries, wanted) in [(vec![true, true], vec![]), (vec![true, false], vec![2])] {
            let feed = RawFeed {
                entries: summaries
                    .iter()
                    .enumerate()
                    .map(|(i, &has_summary)| RawEntry {
                        line: i + 1,
                        has_summary,
                        ..RawEntry::default()
                    })
                    .collect(),
                ..RawFeed::default()
            };
            let lines: Vec<usize> = check(&feed, &context())
                .iter()
                .filter_map(|f| f.line)
                .collect();
            assert_eq!(lines, wanted);
        }
    }
}
