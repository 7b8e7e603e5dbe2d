//! Entry identity: the one rule that decides whether a reader sees a post as new.
//!
//! An id is a `tag:` URI (RFC 4151) minted from three things that do not change when a post is
//! edited or the site moves: the pinned `id_authority` from the config, the post's publication
//! date (in the site's time zone) and its slug. So the id survives edits to the title and body,
//! a move between subfolders, and a change of `base_url` (scheme or domain). A front matter `id`
//! overrides it, which is how a post keeps its id when its slug must change.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

/// `tag:{authority},{YYYY-MM-DD}:{slug}`.
pub fn minted_id(authority: &str, date: &DateTime<FixedOffset>, tz: Tz, slug: &str) -> String {
    let day = date.with_timezone(&tz).format("%Y-%m-%d");
    format!("tag:{authority},{day}:{slug}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_uses_the_date_in_the_site_time_zone() {
        // 23:30 UTC on the 4th is already the 5th in Seoul.
        let date = DateTime::parse_from_rfc3339("2019-07-04T23:30:00Z").unwrap();
        assert_eq!(
            minted_id("example.org", &date, chrono_tz::Asia::Seoul, "point-man"),
            "tag:example.org,2019-07-05:point-man"
        );
        assert_eq!(
            minted_id("example.org", &date, Tz::UTC, "point-man"),
            "tag:example.org,2019-07-04:point-man"
        );
    }
}
