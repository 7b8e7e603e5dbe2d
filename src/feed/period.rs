//! [`Period`]: the stretch of calendar (a week, month or year in the site's time zone) that one
//! archive page covers, and the instant each one starts.
//!
//! A post's period follows from its `published` date alone, and later instants never fall in
//! earlier periods, so the posts of one period are neighbours in feed order. The first instant
//! of a period is found by searching, not by building a local midnight, so days that start late
//! or not at all (a daylight-saving jump at midnight, a zone that skipped a date) need no special
//! case.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::PeriodLength;

/// One page's stretch of calendar: a year, a month (1–12) or an ISO week (1–53) of an ISO year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    /// Month or ISO week within `year`; 0 for a whole year.
    number: u32,
    length: PeriodLength,
}

impl Period {
    /// The period `date` falls in, read in `tz`.
    pub fn of(length: PeriodLength, date: &DateTime<FixedOffset>, tz: Tz) -> Period {
        let local = date.with_timezone(&tz);
        let (year, number) = match length {
            PeriodLength::Year => (local.year(), 0),
            PeriodLength::Month => (local.year(), local.month()),
            PeriodLength::Week => {
                let week = local.iso_week();
                (week.year(), week.week())
            }
        };
        Period {
            year,
            number,
            length,
        }
    }

    /// How much of the calendar it covers.
    pub fn length(&self) -> PeriodLength {
        self.length
    }

    /// The folder name of its page: `2024`, `2024-05` or `2024-W19`.
    pub fn label(&self) -> String {
        match self.length {
            PeriodLength::Year => format!("{:04}", self.year),
            PeriodLength::Month => format!("{:04}-{:02}", self.year, self.number),
            PeriodLength::Week => format!("{:04}-W{:02}", self.year, self.number),
        }
    }

    /// The first instant (to the second) that falls in this period in `tz`; `None` for dates
    /// chrono cannot represent.
    pub fn start(&self, tz: Tz) -> Option<DateTime<Utc>> {
        let first_day = match self.length {
            PeriodLength::Year => NaiveDate::from_ymd_opt(self.year, 1, 1),
            PeriodLength::Month => NaiveDate::from_ymd_opt(self.year, self.number, 1),
            PeriodLength::Week => {
                NaiveDate::from_isoywd_opt(self.year, self.number, chrono::Weekday::Mon)
            }
        }?;
        // Local midnight read as UTC is within a day of the true start: no zone is a day away
        // from UTC, and no zone skips more than a day. Two days each side leave room for both.
        let guess = first_day.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
        let (mut low, mut high) = (guess - 2 * 86_400, guess + 2 * 86_400);
        let at = |secs: i64| Utc.timestamp_opt(secs, 0).single();
        let in_or_after =
            |secs: i64| at(secs).map(|t| Period::of(self.length, &t.fixed_offset(), tz) >= *self);
        if in_or_after(low)? || !in_or_after(high)? {
            return None;
        }
        // Invariant: `low` is before the period, `high` in or after it.
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if in_or_after(middle)? {
                high = middle;
            } else {
                low = middle;
            }
        }
        at(high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn labels_name_the_period_in_the_sites_zone() {
        let late = date("2024-05-31T23:30:00Z");
        let month = |tz| Period::of(PeriodLength::Month, &late, tz).label();
        assert_eq!(month(Tz::UTC), "2024-05");
        assert_eq!(month(chrono_tz::Asia::Tokyo), "2024-06");
        assert_eq!(
            Period::of(PeriodLength::Year, &late, Tz::UTC).label(),
            "2024"
        );
        let new_year = date("2024-12-30T12:00:00Z");
        assert_eq!(
            Period::of(PeriodLength::Week, &new_year, Tz::UTC).label(),
            "2025-W01",
            "ISO weeks belong to the ISO year"
        );
    }

    #[test]
    fn periods_order_by_time() {
        let at = |text| Period::of(PeriodLength::Week, &date(text), Tz::UTC);
        assert!(at("2023-12-31T00:00:00Z") < at("2024-01-01T00:00:00Z"));
        assert!(at("2024-01-08T00:00:00Z") > at("2024-01-07T23:59:59Z"));
    }

    #[test]
    fn start_is_the_first_second_of_the_period() {
        let cases = [
            (
                PeriodLength::Month,
                "2024-05-15T00:00:00Z",
                Tz::UTC,
                "2024-05-01T00:00:00+00:00",
            ),
            (
                PeriodLength::Year,
                "2024-05-15T00:00:00Z",
                chrono_tz::Asia::Tokyo,
                "2023-12-31T15:00:00+00:00",
            ),
            (
                PeriodLength::Week,
                "2024-05-15T00:00:00Z",
                Tz::UTC,
                "2024-05-13T00:00:00+00:00",
            ),
            // Samoa skipped 30 December 2011 and moved from UTC-10 to UTC+14.
            (
                PeriodLength::Month,
                "2012-01-15T12:00:00Z",
                chrono_tz::Pacific::Apia,
                "2011-12-31T10:00:00+00:00",
            ),
            (
                PeriodLength::Month,
                "2011-12-15T12:00:00Z",
                chrono_tz::Pacific::Apia,
                "2011-12-01T10:00:00+00:00",
            ),
        ];
        for (length, inside, tz, start) in cases {
            let period = Period::of(length, &date(inside), tz);
            let found = period.start(tz).expect("representable");
            assert_eq!(found.to_rfc3339(), start, "{period:?} in {tz}");
            let before = found - chrono::Duration::seconds(1);
            assert!(Period::of(length, &before.fixed_offset(), tz) < period);
        }
    }

    #[test]
    fn start_holds_across_daylight_saving_jumps_at_midnight() {
        // These zones have moved their clocks at midnight, so some days start at 01:00.
        let zones = [
            chrono_tz::America::Santiago,
            chrono_tz::America::Havana,
            chrono_tz::America::Asuncion,
            chrono_tz::Asia::Beirut,
            chrono_tz::Pacific::Apia,
        ];
        for tz in zones {
            for length in [PeriodLength::Week, PeriodLength::Month, PeriodLength::Year] {
                let mut at = date("2010-01-01T00:00:00Z");
                while at < date("2024-01-01T00:00:00Z") {
                    let period = Period::of(length, &at, tz);
                    let start = period.start(tz).expect("representable");
                    assert_eq!(Period::of(length, &start.fixed_offset(), tz), period);
                    let before = (start - chrono::Duration::seconds(1)).fixed_offset();
                    assert!(Period::of(length, &before, tz) < period, "{period:?} {tz}");
                    at += chrono::Duration::days(3);
                }
            }
        }
    }
}
