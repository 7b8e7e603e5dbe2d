//! The polling policy: how long a reader or a cache may keep each kind of document before asking
//! again, decided here once and said the same way everywhere — `Cache-Control` on HTTP
//! responses (`http::service`), and RSS `<ttl>` and `sy:updatePeriod`/`sy:updateFrequency` in the
//! channel (`render::rss`), for readers that never look at headers.
//!
//! - A subscription document changes whenever a post does: `[server] max_age`, then revalidate
//!   (a conditional request costs a 304 and no body).
//! - An archive page is fixed once written: `[server] archive_max_age`, and `immutable` (RFC 8246)
//!   so a reload does not revalidate it either.
//! - A media file (an episode) may be replaced at its address: `[server] max_age`, as a
//!   subscription document; revalidating it costs a 304.
//! - `/healthz` and `/metrics` describe this instant: [`NO_STORE`].
//!
//! Clients that poll faster than this anyway are what `[server] rate_limit` is for (`http`).

use crate::config;

/// `Cache-Control` of responses that are only true the moment they are sent.
pub const NO_STORE: &str = "no-store";

/// How long each kind of document may be kept, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Subscription documents and pages.
    pub max_age: u32,
    /// Archive pages.
    pub archive_max_age: u32,
}

impl Policy {
    pub fn from_server(server: &config::Server) -> Policy {
        Policy {
            max_age: server.max_age,
            archive_max_age: server.archive_max_age,
        }
    }

    /// Seconds a document may be kept: an archive page's (`archived`) or any other's.
    pub fn max_age(&self, archived: bool) -> u32 {
        if archived {
            self.archive_max_age
        } else {
            self.max_age
        }
    }

    /// The `Cache-Control` value of a document.
    pub fn cache_control(&self, archived: bool) -> String {
        let max_age = self.max_age(archived);
        if archived {
            format!("public, max-age={max_age}, immutable")
        } else {
            format!("public, max-age={max_age}")
        }
    }

    /// The `Cache-Control` of a media file: a subscription document's. An episode may be
    /// replaced at the same address, and asking again costs a 304; `immutable` would keep a
    /// corrected file from listeners for as long as an archive page is kept.
    pub fn media_cache_control(&self) -> String {
        self.cache_control(false)
    }
}

/// The unit of `sy:updatePeriod` (RSS 1.0 syndication module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    const ALL: [Period; 5] = [
        Period::Hourly,
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Yearly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Period::Hourly => "hourly",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }

    /// Its length in seconds; a month is 30 days, a year 365.
    pub fn seconds(self) -> u32 {
        match self {
            Period::Hourly => 3600,
            Period::Daily => 86_400,
            Period::Weekly => 7 * 86_400,
            Period::Monthly => 30 * 86_400,
            Period::Yearly => 365 * 86_400,
        }
    }
}

/// What a feed document tells readers about polling, derived from its `max_age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    /// RSS `<ttl>`: minutes, rounded up so a reader never comes back before `max_age`.
    pub ttl_minutes: u32,
    /// `sy:updatePeriod`: the shortest period not shorter than `max_age`.
    pub period: Period,
    /// `sy:updateFrequency`: updates per period, rounded down for the same reason as `ttl`.
    pub frequency: u32,
}

impl Refresh {
    /// Never less than a minute: a `max_age` of 0 (always revalidate) still asks readers, who
    /// cannot revalidate cheaply without HTTP, to wait a minute.
    pub fn of(max_age: u32) -> Refresh {
        let seconds = max_age.max(60);
        let period = Period::ALL
            .into_iter()
            .find(|p| p.seconds() >= seconds)
            .unwrap_or(Period::Yearly);
        Refresh {
            ttl_minutes: seconds.div_ceil(60),
            period,
            frequency: (period.seconds() / seconds).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_immutable_and_kept_longer() {
        let policy = Policy {
            max_age: 300,
            archive_max_age: 86_400,
        };
        assert_eq!(policy.cache_control(false), "public, max-age=300");
        assert_eq!(policy.media_cache_control(), "public, max-age=300");
        assert_eq!(
            policy.cache_control(true),
            "public, max-age=86400, immutable"
        );
    }

    #[test]
    fn refresh_never_asks_for_a_poll_sooner_than_max_age() {
        let cases = [
            (0, 1, Period::Hourly, 60),
            (300, 5, Period::Hourly, 12),
            (301, 6, Period::Hourly, 11),
            (3600, 60, Period::Hourly, 1),
            (5400, 90, Period::Daily, 16),
            (86_400, 1440, Period::Daily, 1),
            (30 * 86_400, 43_200, Period::Monthly, 1),
            (u32::MAX, u32::MAX.div_ceil(60), Period::Yearly, 1),
        ];
        for (max_age, ttl, period, frequency) in cases {
            let refresh = Refresh::of(max_age);
            assert_eq!(
                refresh,
                Refresh {
                    ttl_minutes: ttl,
                    period,
                    frequency
                },
                "max_age {max_age}"
            );
            let interval = u64::from(period.seconds()) / u64::from(frequency);
            assert!(interval >= u64::from(max_age.max(60)) || period == Period::Yearly);
            assert!(u64::from(ttl) * 60 >= u64::from(max_age));
        }
    }
}
