//! The `Range` request header (RFC 9110 §14.1–14.2) against a representation of known length:
//! which bytes to send, if not all of them. Pure; `media` builds the response.
//!
//! The rules chosen where the RFC leaves a choice:
//! - A header that is not `bytes=` with a well-formed range set is ignored (the whole file, 200),
//!   as is one with more than [`MAX_RANGES`] ranges (§14.2 allows both).
//! - Several ranges are sorted and coalesced where they overlap or touch (§15.3.7.2); when they
//!   make one range that is sent as a 206, else the whole file is sent with a 200. feedd never
//!   sends `multipart/byteranges`: podcast apps and download managers ask for one range, and a
//!   client asking for several gets every byte it asked for.
//! - A set none of whose ranges overlaps the file is unsatisfiable (416).

use std::ops::RangeInclusive;

/// More ranges than this in one header are ignored: no client resuming a download sends many,
/// and each costs the server work.
pub const MAX_RANGES: usize = 32;

/// What a `Range` header asks of a representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ranged {
    /// Send it whole: no range asked for, or a header feedd ignores.
    Full,
    /// Send these bytes (inclusive, within the file).
    Partial(RangeInclusive<u64>),
    /// No asked-for byte exists: 416.
    Unsatisfiable,
}

/// What `header` (a `Range` field value) selects of a representation `length` bytes long.
pub fn select(header: &str, length: u64) -> Ranged {
    let Some(specs) = parse(header) else {
        return Ranged::Full;
    };
    let mut ranges: Vec<RangeInclusive<u64>> = specs
        .into_iter()
        .filter_map(|spec| spec.within(length))
        .collect();
    ranges.sort_by_key(|r| *r.start());
    let mut merged: Vec<RangeInclusive<u64>> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if *range.start() <= last.end().saturating_add(1) => {
                *last = *last.start()..=(*last.end()).max(*range.end());
            }
            _ => merged.push(range),
        }
    }
    match merged.len() {
        0 => Ranged::Unsatisfiable,
        1 => merged.pop().map_or(Ranged::Full, Ranged::Partial),
        _ => Ranged::Full,
    }
}

/// One `byte-range-spec` or `suffix-byte-range-spec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-last` or `first-` (`last` is `None`).
    From { first: u64, last: Option<u64> },
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

impl Spec {
    /// The bytes of a `length`-byte representation this spec names, if any.
    fn within(self, length: u64) -> Option<RangeInclusive<u64>> {
        let end = length.checked_sub(1)?;
        match self {
            Spec::From { first, last } if first <= end => {
                Some(first..=last.map_or(end, |last| last.min(end)))
            }
            Spec::From { .. } | Spec::Suffix(0) => None,
            Spec::Suffix(n) => Some(length - n.min(length)..=end),
        }
    }
}

/// The specs of a well-formed `bytes=` range set; `None` for anything else.
fn parse(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    // RFC 9110 §5.6.1: empty list elements are allowed and ignored.
    for element in set.split(',').map(|e| e.trim_matches([' ', '\t'])) {
        if element.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        specs.push(spec(element)?);
    }
    (!specs.is_empty()).then_some(specs)
}

fn spec(text: &str) -> Option<Spec> {
    let (first, last) = text.split_once('-')?;
    if first.is_empty() {
        return number(last).map(Spec::Suffix);
    }
    let first = number(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(number(last)?)
    };
    // §14.1.1: a last position before the first makes the spec, and so the header, invalid.
    if last.is_some_and(|last| last < first) {
        return None;
    }
    Some(Spec::From { first, last })
}

/// A run of ASCII digits; one too large for `u64` is past any file's end anyway.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_of_a_thousand_bytes() {
        let table: &[(&str, Ranged)] = &[
            ("bytes=0-499", Ranged::Partial(0..=499)),
            ("bytes=500-999", Ranged::Partial(500..=999)),
            ("bytes=500-", Ranged::Partial(500..=999)),
            ("bytes=-500", Ranged::Partial(500..=999)),
            ("bytes=-1", Ranged::Partial(999..=999)),
            ("bytes=0-0", Ranged::Partial(0..=0)),
            ("bytes=999-999", Ranged::Partial(999..=999)),
            // Past the end is cut to the end; a suffix longer than the file is all of it.
            ("bytes=900-5000", Ranged::Partial(900..=999)),
            ("bytes=-5000", Ranged::Partial(0..=999)),
            ("bytes=0-18446744073709551616", Ranged::Partial(0..=999)),
            // Case and spaces around the unit and list elements.
            ("Bytes = 10-19", Ranged::Partial(10..=19)),
            ("bytes=\t10-19 ,", Ranged::Partial(10..=19)),
            ("bytes=,,10-19", Ranged::Partial(10..=19)),
        ];
        for (header, want) in table {
            assert_eq!(select(header, 1000), *want, "Range: {header}");
        }
    }

    #[test]
    fn unsatisfiable_ranges() {
        for header in [
            "bytes=1000-",
            "bytes=1000-2000",
            "bytes=-0",
            "bytes=5000-, -0",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(
                select(header, 1000),
                Ranged::Unsatisfiable,
                "Range: {header}"
            );
        }
        // Nothing of an empty file can be asked for.
        for header in ["bytes=0-", "bytes=-1", "bytes=0-0"] {
            assert_eq!(select(header, 0), Ranged::Unsatisfiable, "Range: {header}");
        }
    }

    #[test]
    fn malformed_headers_and_other_units_are_ignored() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=abc",
            "bytes=1-a",
            "bytes=a-1",
            "bytes=5-4",
            "bytes=--1",
            "bytes=1--2",
            "bytes=+1-2",
            "bytes=1 - 2",
            "bytes=0x10-20",
            "bytes=0-1;q=1",
            "items=0-10",
            "0-10",
            "bytes=0-10, 5-4",
        ] {
            assert_eq!(select(header, 1000), Ranged::Full, "Range: {header:?}");
        }
    }

    #[test]
    fn several_ranges_are_coalesced_or_the_file_is_sent_whole() {
        let table: &[(&str, Ranged)] = &[
            // Touching and overlapping ranges, in any order, make one.
            ("bytes=0-99,100-199", Ranged::Partial(0..=199)),
            ("bytes=100-199, 0-99", Ranged::Partial(0..=199)),
            ("bytes=0-150,100-199,150-160", Ranged::Partial(0..=199)),
            ("bytes=500-,-100", Ranged::Partial(500..=999)),
            // An unsatisfiable range beside a satisfiable one is dropped.
            ("bytes=0-9, 5000-", Ranged::Partial(0..=9)),
            // Two parts: every byte asked for, as a 200.
            ("bytes=0-9,20-29", Ranged::Full),
            ("bytes=0-0,-1", Ranged::Full),
        ];
        for (header, want) in table {
            assert_eq!(select(header, 1000), *want, "Range: {header}");
        }
    }

    #[test]
    fn too_many_ranges_are_ignored() {
        let list = |n: usize| {
            let specs: Vec<String> = (0..n).map(|i| format!("{i}-{i}")).collect();
            format!("bytes={}", specs.join(","))
        };
        assert_eq!(
            select(&list(MAX_RANGES), 1000),
            Ranged::Partial(0..=(MAX_RANGES as u64 - 1))
        );
        assert_eq!(select(&list(MAX_RANGES + 1), 1000), Ranged::Full);
    }
}
