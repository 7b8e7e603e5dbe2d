//! Conditional GET (RFC 9110 §13.2.2): whether a client's cached copy is still current, so the
//! answer can be `304 Not Modified`. Knows only the validators of the selected representation;
//! building the response is left to `service`.
//!
//! `If-None-Match` wins when present (comma lists, `*`, weak comparison so `W/"x"` matches
//! `"x"`); only without it is `If-Modified-Since` consulted, and an invalid date is ignored.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use hyper::header::{HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH};

use crate::etag::ETag;

/// True when the client already holds the representation named by `etag`, last modified at
/// `last_modified`.
pub fn not_modified(headers: &HeaderMap, etag: &ETag, last_modified: DateTime<Utc>) -> bool {
    let mut if_none_match = headers.get_all(IF_NONE_MATCH).iter().peekable();
    if if_none_match.peek().is_some() {
        let current = etag.opaque();
        return if_none_match
            .filter_map(|v| v.to_str().ok())
            .any(|list| list_matches(list, current));
    }
    let mut dates = headers.get_all(IF_MODIFIED_SINCE).iter();
    match (dates.next(), dates.next()) {
        (Some(date), None) => date
            .to_str()
            .ok()
            .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
            .and_then(epoch_seconds)
            // HTTP dates have one-second resolution, so compare whole seconds.
            .is_some_and(|since| last_modified.timestamp() <= since),
        // RFC 9110 §13.1.3: a field with more than one member is ignored.
        _ => false,
    }
}

fn epoch_seconds(t: SystemTime) -> Option<i64> {
    i64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()
}

/// Weak comparison of `current` (the opaque tag, without quotes) against one `If-None-Match`
/// field value. A malformed list matches nothing from the point where it stops making sense.
fn list_matches(list: &str, current: &str) -> bool {
    let mut rest = list.trim();
    if rest == "*" {
        return true;
    }
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return false;
        }
        rest = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(quoted) = rest.strip_prefix('"') else {
            return false;
        };
        let Some((opaque, after)) = quoted.split_once('"') else {
            return false;
        };
        if opaque == current {
            return true;
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hyper::header::HeaderValue;

    use super::*;

    /// Sun, 06 Nov 1994 08:49:37 GMT
    const LAST_MODIFIED: i64 = 784_111_777;

    /// Whether `headers` match the representation whose tag, as sent, is `etag` (quoted).
    fn check(headers: &[(&'static str, &str)], etag: &str) -> bool {
        let opaque = etag.strip_prefix('"').and_then(|e| e.strip_suffix('"'));
        let etag = ETag::from_opaque(opaque.expect("the test's tags are quoted"));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        let last_modified = Utc.timestamp_opt(LAST_MODIFIED, 500_000_000).unwrap();
        not_modified(&map, &etag, last_modified)
    }

    #[test]
    fn if_none_match_forms() {
        let table: &[(&str, bool)] = &[
            ("\"abc\"", true),
            ("\"xyz\"", false),
            ("\"xyz\", \"abc\"", true),
            ("\"xyz\",\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"xyz\", W/\"abc\"", true),
            ("*", true),
            (" * ", true),
            ("\"abc-gz\"", false),
            ("\"ab\"", false),
            ("abc", false),
            ("\"xyz\", garbage, \"abc\"", false),
            ("\"a,b\", \"abc\"", true),
            ("\"unterminated", false),
            ("", false),
        ];
        for (header, want) in table {
            assert_eq!(
                check(&[("if-none-match", header)], "\"abc\""),
                *want,
                "If-None-Match: {header}"
            );
        }
    }

    #[test]
    fn encoded_representation_matches_only_its_own_tag() {
        assert!(check(&[("if-none-match", "\"abc-gz\"")], "\"abc-gz\""));
        assert!(check(&[("if-none-match", "W/\"abc-gz\"")], "\"abc-gz\""));
        assert!(!check(&[("if-none-match", "\"abc\"")], "\"abc-gz\""));
        assert!(!check(&[("if-none-match", "\"abc-br\"")], "\"abc-gz\""));
    }

    #[test]
    fn several_if_none_match_lines_are_one_list() {
        assert!(check(
            &[("if-none-match", "\"x\""), ("if-none-match", "\"abc\"")],
            "\"abc\""
        ));
    }

    #[test]
    fn if_modified_since_before_equal_after() {
        let table: &[(&str, bool)] = &[
            ("Sun, 06 Nov 1994 08:49:36 GMT", false),
            ("Sun, 06 Nov 1994 08:49:37 GMT", true),
            ("Sun, 06 Nov 1994 08:49:38 GMT", true),
            ("Sunday, 06-Nov-94 08:49:37 GMT", true),
            ("Sun Nov  6 08:49:37 1994", true),
            ("yesterday", false),
            ("", false),
        ];
        for (header, want) in table {
            assert_eq!(
                check(&[("if-modified-since", header)], "\"abc\""),
                *want,
                "If-Modified-Since: {header}"
            );
        }
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let fresh_date = ("if-modified-since", "Sun, 06 Nov 1994 08:49:38 GMT");
        assert!(!check(
            &[("if-none-match", "\"other\""), fresh_date],
            "\"abc\""
        ));
        let stale_date = ("if-modified-since", "Sun, 06 Nov 1994 08:49:36 GMT");
        assert!(check(
            &[("if-none-match", "\"abc\""), stale_date],
            "\"abc\""
        ));
    }

    #[test]
    fn repeated_if_modified_since_is_ignored() {
        let date = ("if-modified-since", "Sun, 06 Nov 1994 08:49:38 GMT");
        assert!(!check(&[date, date], "\"abc\""));
    }
}
