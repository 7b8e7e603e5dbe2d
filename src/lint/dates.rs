//! Dates: ones readers cannot parse, Atom's required `updated` missing, dates in the future,
//! and entries that share one updated instant (the W3C validator's `DuplicateUpdated`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset};

use super::Context;
use super::finding::{Anchor, Code, Finding};
use super::model::{Located, RawEntry, RawFeed};
use crate::format::Format;

/// How far ahead of the linter's clock a date may be before it counts as in the future: clocks
/// of publishing hosts drift, and a post published "now" may carry a rounded-up time.
pub const FUTURE_SKEW: Duration = Duration::minutes(5);

/// Parses a date as `format` requires: RFC 822 (as RFC 2822 updates it) in RSS, RFC 3339 else.
pub fn parse(format: Format, text: &str) -> Option<DateTime<FixedOffset>> {
    match format {
        Format::Rss => DateTime::parse_from_rfc2822(text).ok(),
        Format::Atom | Format::Json => DateTime::parse_from_rfc3339(text).ok(),
    }
}

pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    let Some(format) = feed.format else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if format == Format::Atom && feed.updated.is_none() {
        findings.push(Finding::new(
            Code::MissingUpdated,
            cx.document,
            Some(1),
            "the feed has no <updated>".into(),
        ));
    }
    let mut instants: HashMap<DateTime<FixedOffset>, &str> = HashMap::new();
    for entry in &feed.entries {
        findings.extend(entry_dates(format, entry, cx));
        let id = entry.id.as_ref().map(|id| id.value.as_str());
        let Some(updated) = &entry.updated else {
            continue;
        };
        let Some(instant) = parse(format, &updated.value) else {
            continue;
        };
        match instants.get(&instant) {
            Some(other) => findings.push(
                Finding::new(
                    Code::SameUpdated,
                    cx.document,
                    Some(updated.line),
                    format!(
                        "entry has the same updated instant ({}) as {other}",
                        instant.to_rfc3339()
                    ),
                )
                .about(id, Some(Anchor::Key(updated_key(format)))),
            ),
            None => {
                instants.insert(instant, id.unwrap_or("an earlier entry"));
            }
        }
    }
    findings
}

/// The front matter key a format's ordering date comes from: RSS has only the publication date;
/// Atom's `updated` and JSON Feed's `date_modified` come from `updated`, else from `date` (which
/// locating the key falls back to).
fn updated_key(format: Format) -> &'static str {
    match format {
        Format::Rss => "date",
        Format::Atom | Format::Json => "updated",
    }
}

/// An entry's own date findings: Atom's `updated` missing, dates unreadable or in the future.
fn entry_dates(format: Format, entry: &RawEntry, cx: &Context<'_>) -> Vec<Finding> {
    let id = entry.id.as_ref().map(|id| id.value.as_str());
    let mut findings = Vec::new();
    if format == Format::Atom && entry.updated.is_none() {
        findings.push(
            Finding::new(
                Code::MissingUpdated,
                cx.document,
                Some(entry.line),
                "entry has no <updated>".into(),
            )
            .about(id, Some(Anchor::Key("updated"))),
        );
    }
    let dates = (entry.updated.iter().map(|d| (d, updated_key(format))))
        .chain(entry.dates.iter().map(|d| (d, "date")));
    for (date, key) in dates {
        findings.extend(one_date(format, date, cx).map(|f| f.about(id, Some(Anchor::Key(key)))));
    }
    findings
}

fn one_date(format: Format, date: &Located<String>, cx: &Context<'_>) -> Option<Finding> {
    let Some(parsed) = parse(format, &date.value) else {
        let wanted = match format {
            Format::Rss => "RFC 822, e.g. Fri, 05 Jul 2019 09:30:00 +0900",
            Format::Atom | Format::Json => "RFC 3339, e.g. 2019-07-05T09:30:00+09:00",
        };
        return Some(Finding::new(
            Code::BadDate,
            cx.document,
            Some(date.line),
            format!("date {:?} is not {wanted}", date.value),
        ));
    };
    (parsed > cx.now + FUTURE_SKEW).then(|| {
        Finding::new(
            Code::FutureDate,
            cx.document,
            Some(date.line),
            format!("date {} is in the future", date.value),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::tests::context;

    fn feed(format: Format, dates: &[Option<&str>]) -> RawFeed {
        RawFeed {
            format: Some(format),
            updated: Some(Located::new("2019-07-05T00:00:00Z".into(), 1)),
            entries: dates
                .iter()
                .enumerate()
                .map(|(i, date)| RawEntry {
                    line: i + 1,
                    id: Some(Located::new(format!("e{i}"), i + 1)),
                    updated: date.map(|d| Located::new(d.to_string(), i + 1)),
                    ..RawEntry::default()
                })
                .collect(),
            ..RawFeed::default()
        }
    }

    type Case = (
        Format,
        &'static [Option<&'static str>],
        &'static [(Code, usize)],
    );

    #[test]
    fn date_rules_per_format() {
        // The test context's clock is 2026-01-01T00:00:00Z.
        let cases: &[Case] = &[
            (
                Format::Atom,
                &[
                    Some("2019-07-05T00:00:00+09:00"),
                    Some("2019-07-04T00:00:00Z"),
                ],
                &[],
            ),
            (
                Format::Atom,
                &[
                    Some("2019-07-05T00:00:00+09:00"),
                    Some("2019-07-04T15:00:00Z"),
                ],
                &[(Code::SameUpdated, 2)],
            ),
            (Format::Atom, &[None], &[(Code::MissingUpdated, 1)]),
            (
                Format::Atom,
                &[Some("Fri, 5 Jul 2019 00:00:00 +0900")],
                &[(Code::BadDate, 1)],
            ),
            (Format::Rss, &[Some("Fri, 5 Jul 2019 00:00:00 +0900")], &[]),
            (Format::Rss, &[Some("2019-07-05")], &[(Code::BadDate, 1)]),
            (Format::Rss, &[None], &[]),
            (Format::Json, &[Some("2026-01-01T00:04:00Z")], &[]),
            (
                Format::Json,
                &[Some("2026-01-01T00:06:00Z")],
                &[(Code::FutureDate, 1)],
            ),
        ];
        for (format, dates, wanted) in cases {
            let got: Vec<(Code, usize)> = check(&feed(*format, dates), &context())
                .iter()
                .map(|f| (f.code, f.line.unwrap()))
                .collect();
            assert_eq!(&got, wanted, "{format:?} {dates:?}");
        }
    }
}
