//! Reading the dates authors write: ISO and RFC forms plus a few spelled-out ones.
//!
//! Pure: text and the site's time zone in, an instant with its offset out. A time written without
//! an offset is read in the site's zone (never the host's), so a build gives the same instants on
//! every machine. Which field or line the text came from is the caller's business.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// The forms accepted, as shown to authors whose date could not be read.
pub const ACCEPTED_FORMS: &str = "2019-07-05, 2019-07-05 10:00, 2019-07-05T10:00:00+09:00 \
     (RFC 3339), Fri, 05 Jul 2019 10:00:00 +0900 (RFC 2822), July 5, 2019 or 5 July 2019";

/// A date in none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a date feedd can read; write it as one of: {ACCEPTED_FORMS}")]
pub struct BadDate {
    pub text: String,
}

/// Local date-time forms, tried in order; `%.f` also matches no fraction at all.
const NAIVE_DATE_TIMES: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
];

/// Date-only forms; chrono's `%B` reads full and abbreviated month names in any case.
const NAIVE_DATES: &[&str] = &["%Y-%m-%d", "%B %d, %Y", "%B %d %Y", "%d %B %Y", "%d %B, %Y"];

/// Reads `text` as an instant; times without an offset are in `zone`, a bare date is midnight.
pub fn parse(text: &str, zone: Tz) -> Result<DateTime<FixedOffset>, BadDate> {
    let text = text.trim();
    let bad = || BadDate {
        text: text.to_string(),
    };
    // RFC 2822 allows surrounding whitespace and comments only; anything longer is not a date.
    if text.is_empty() || text.len() > 64 {
        return Err(bad());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt);
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(text) {
        return Ok(dt);
    }
    for format in NAIVE_DATE_TIMES {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(in_zone(naive, zone));
        }
    }
    for format in NAIVE_DATES {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Ok(in_zone(date.and_time(chrono::NaiveTime::MIN), zone));
        }
    }
    Err(bad())
}

/// Places a wall-clock time in `zone`. An ambiguous time (clocks set back) takes the earlier
/// instant; a time skipped by a transition moves forward to the first wall-clock time that
/// exists, as a clock on the wall would read it.
pub fn in_zone(naive: NaiveDateTime, zone: Tz) -> DateTime<FixedOffset> {
    let mut probe = naive;
    // Transitions skip at most a day (Samoa, 2011); probe a little beyond that in 15-minute steps.
    for _ in 0..(26 * 4) {
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(dt) => return dt.fixed_offset(),
            LocalResult::Ambiguous(earliest, _) => return earliest.fixed_offset(),
            LocalResult::None => {}
        }
        match probe.checked_add_signed(TimeDelta::minutes(15)) {
            Some(next) => probe = next,
            None => break,
        }
    }
    // Not reachable with real zone data; reading the time as UTC keeps the result deterministic.
    naive.and_utc().fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, zone: Tz) -> String {
        parse(text, zone)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_rfc3339()
    }

    #[test]
    fn accepts_each_documented_form() {
        let utc = Tz::UTC;
        let table = [
            ("2019-07-05T10:00:00+09:00", "2019-07-05T10:00:00+09:00"),
            ("2019-07-05T10:00:00Z", "2019-07-05T10:00:00+00:00"),
            ("2019-07-05t10:00:00.250z", "2019-07-05T10:00:00.250+00:00"),
            ("2019-07-05", "2019-07-05T00:00:00+00:00"),
            ("2019-07-05 10:00", "2019-07-05T10:00:00+00:00"),
            ("2019-07-05 10:00:30", "2019-07-05T10:00:30+00:00"),
            ("2019-07-05T10:00", "2019-07-05T10:00:00+00:00"),
            ("2019-07-05T10:00:30", "2019-07-05T10:00:30+00:00"),
            (
                "Fri, 05 Jul 2019 10:00:00 +0900",
                "2019-07-05T10:00:00+09:00",
            ),
            ("5 Jul 2019 10:00:00 GMT", "2019-07-05T10:00:00+00:00"),
            ("July 5, 2019", "2019-07-05T00:00:00+00:00"),
            ("Jul 5, 2019", "2019-07-05T00:00:00+00:00"),
            ("JULY 05, 2019", "2019-07-05T00:00:00+00:00"),
            ("july 5 2019", "2019-07-05T00:00:00+00:00"),
            ("5 July 2019", "2019-07-05T00:00:00+00:00"),
            ("5 jul 2019", "2019-07-05T00:00:00+00:00"),
            ("  2019-07-05  ", "2019-07-05T00:00:00+00:00"),
        ];
        for (text, want) in table {
            assert_eq!(at(text, utc), want, "{text}");
        }
    }

    #[test]
    fn times_without_offset_use_the_site_zone_not_the_hosts() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(at("2019-07-05 10:00", tokyo), "2019-07-05T10:00:00+09:00");
        assert_eq!(at("2019-07-05", tokyo), "2019-07-05T00:00:00+09:00");
        assert_eq!(at("July 5, 2019", tokyo), "2019-07-05T00:00:00+09:00");
        // An explicit offset wins over the zone.
        assert_eq!(
            at("2019-07-05T10:00:00Z", tokyo),
            "2019-07-05T10:00:00+00:00"
        );
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(at("2019-01-05", berlin), "2019-01-05T00:00:00+01:00");
        assert_eq!(at("2019-07-05", berlin), "2019-07-05T00:00:00+02:00");
    }

    #[test]
    fn dst_gap_moves_forward_and_overlap_takes_the_earlier_instant() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 2019-03-31 in Berlin.
        assert_eq!(at("2019-03-31 02:30", berlin), "2019-03-31T03:00:00+02:00");
        // 02:30 happens twice on 2019-10-27; the first is still in summer time.
        assert_eq!(at("2019-10-27 02:30", berlin), "2019-10-27T02:30:00+02:00");
        // Midnight does not exist in Sao Paulo on 2018-11-04 (clocks went 00:00 → 01:00).
        let sao_paulo: Tz = "America/Sao_Paulo".parse().unwrap();
        assert_eq!(at("2018-11-04", sao_paulo), "2018-11-04T01:00:00-02:00");
        // Samoa skipped 2011-12-30 entirely.
        let apia: Tz = "Pacific/Apia".parse().unwrap();
        assert_eq!(at("2011-12-30", apia), "2011-12-31T00:00:00+14:00");
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for text in [
            "",
            "   ",
            "yesterday",
            "2019-13-05",
            "2019-02-30",
            "05/07/2019",
            "10:00:00",
            "2019-07-05 25:00",
            "Smarch 5, 2019",
            &"2019-07-05".repeat(20),
        ] {
            let err = parse(text, Tz::UTC).unwrap_err();
            assert!(
                err.to_string().contains("2019-07-05T10:00:00+09:00"),
                "{err}"
            );
        }
    }
}
