//! Which posts each of a feed's pages holds: the subscription document and its RFC 5005
//! archive pages.
//!
//! Two promises shape the pages. A new post must not rewrite an old page, so boundaries cannot
//! move when posts are added at the new end; and editing or deleting an old post must rewrite
//! only the page holding it, so boundaries cannot be post counts from the oldest either (a
//! deletion would shift every later page). Both hold when a page is a stretch of calendar: every
//! post published in one period (a week, month or year of the `published` date, in the site's
//! time zone) is on that period's page, at `<feed folder>archive/2024-05/atom.xml`, and nowhere
//! else. A post's page then depends on its own date alone.
//!
//! A period becomes an archive page once every post in it is older than the feed's newest
//! `max_entries`. The subscription document holds everything not archived: the newest
//! `max_entries`, plus the rest of the period the oldest of them falls in. So the union of the
//! subscription document and the archive pages is exactly the published posts, each once; a
//! period is archived whole, and only after its last post left the newest `max_entries`, so an
//! archive page never gains a post because a newer one was written. When nothing is archived
//! the subscription document holds the whole history and says so (`fh:complete`).
//!
//! Empty periods have no page; each page links its neighbouring pages that exist, and the newest
//! page gains its `next-archive` link when the next period is archived (RFC 5005 asks for the
//! link only when that page exists). That is the one change a new post can make to an existing
//! page, and only when it pushes a period into the archive. Deleting the last post of a period
//! removes its page and relinks its neighbours.
//!
//! Pure: the layout is computed from the feed's ranked posts; [`Plan`] says which pages must be
//! made again, from the layout before and the dates of the posts that changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use super::index::{FeedKey, Rank, SharedPath};
use super::period::Period;
use crate::config::Config;

/// One of a feed's documents: its subscription document or one archive page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Page {
    Current,
    Archive(Period),
}

/// A page of a feed: which feed, and which of its pages.
pub type PageKey = (FeedKey, Page);

/// How a feed's ranked posts fall into pages.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Layout {
    /// The subscription document's posts, newest first.
    pub current: Vec<SharedPath>,
    /// Whether older posts may go to archive pages at all (`[archives] enabled`).
    pub paged: bool,
    /// Archive pages, newest first: each period with its newest post's rank and its post count.
    pub pages: Vec<(Period, Rank, usize)>,
}

impl Layout {
    /// The periods of the archive pages, newest first.
    pub fn periods(&self) -> Vec<Period> {
        self.pages.iter().map(|(period, _, _)| *period).collect()
    }

    /// The posts on the archive page of `period`, newest first.
    pub fn page_paths(
        &self,
        ranked: &BTreeMap<Rank, SharedPath>,
        period: Period,
    ) -> Vec<SharedPath> {
        let Some((_, first, count)) = self.pages.iter().find(|(p, _, _)| *p == period) else {
            return Vec::new();
        };
        ranked
            .range(first..)
            .take(*count)
            .map(|(_, path)| path.clone())
            .collect()
    }
}

/// Cuts a feed's ranked posts (newest first) into its pages.
pub(super) fn layout(config: &Config, ranked: &BTreeMap<Rank, SharedPath>) -> Layout {
    let max = config.max_entries;
    if !config.archives.enabled {
        return Layout {
            current: ranked.values().take(max).cloned().collect(),
            paged: false,
            pages: Vec::new(),
        };
    }
    let mut posts = ranked.iter().peekable();
    let mut current: Vec<SharedPath> = Vec::with_capacity(max);
    let mut newest_period = None;
    while current.len() < max {
        let Some((rank, path)) = posts.next() else {
            break;
        };
        newest_period = Some(Bounds::of(config, &rank.0.0));
        current.push(path.clone());
    }
    // The rest of the period the oldest of the newest `max_entries` is in.
    if let Some(bounds) = newest_period {
        while let Some((_, path)) = posts.next_if(|(rank, _)| bounds.contains(&rank.0.0)) {
            current.push(path.clone());
        }
    }
    let mut pages = Vec::new();
    while let Some((first, _)) = posts.next() {
        let bounds = Bounds::of(config, &first.0.0);
        let mut count = 1;
        while posts
            .next_if(|(rank, _)| bounds.contains(&rank.0.0))
            .is_some()
        {
            count += 1;
        }
        pages.push((bounds.period, first.clone(), count));
    }
    Layout {
        current,
        paged: true,
        pages,
    }
}

/// A period and its first instant, so that telling whether an older post is still in it is one
/// comparison rather than a time-zone conversion.
struct Bounds {
    period: Period,
    start: Option<DateTime<FixedOffset>>,
    tz: Tz,
}

impl Bounds {
    fn of(config: &Config, date: &DateTime<FixedOffset>) -> Bounds {
        let period = Period::of(config.archives.period, date, config.timezone);
        Bounds {
            period,
            start: period.start(config.timezone).map(|s| s.fixed_offset()),
            tz: config.timezone,
        }
    }

    /// Whether `date`, no later than this period's posts so far, is still in the period.
    fn contains(&self, date: &DateTime<FixedOffset>) -> bool {
        match self.start {
            Some(start) => *date >= start,
            None => Period::of(self.period.length(), date, self.tz) == self.period,
        }
    }
}

/// What to make again for one feed after a change.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    pub key: FeedKey,
    pub layout: Layout,
    /// Archive pages whose posts or links may differ from the ones made before, newest first,
    /// each with its posts.
    pub remake: Vec<(Period, Vec<SharedPath>)>,
}

impl Plan {
    /// The pages of `layout` to make again, given the periods of the pages made before
    /// (`before`, newest first) and the dates of the posts that joined or left the feed.
    pub fn new(
        config: &Config,
        key: FeedKey,
        ranked: &BTreeMap<Rank, SharedPath>,
        before: &[Period],
        changed: &[DateTime<FixedOffset>],
    ) -> Plan {
        let layout = layout(config, ranked);
        let touched: BTreeSet<Period> = changed
            .iter()
            .map(|date| Period::of(config.archives.period, date, config.timezone))
            .collect();
        let neighbours = |periods: &[Period], i: usize| {
            (
                periods.get(i + 1).copied(),
                i.checked_sub(1).map(|j| periods[j]),
            )
        };
        let old: BTreeMap<Period, (Option<Period>, Option<Period>)> = before
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, neighbours(before, i)))
            .collect();
        let periods = layout.periods();
        let remake = periods
            .iter()
            .enumerate()
            .filter(|(i, period)| {
                touched.contains(period) || old.get(period) != Some(&neighbours(&periods, *i))
            })
            .map(|(_, period)| (*period, layout.page_paths(ranked, *period)))
            .collect();
        Plan {
            key,
            layout,
            remake,
        }
    }
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
