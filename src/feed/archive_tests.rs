use std::cmp::Reverse;
use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::feed::test_config::config;

/// Posts on the given days (RFC 3339 dates), ranked as the index ranks them.
fn ranked(dates: &[&str]) -> BTreeMap<Rank, SharedPath> {
    dates
        .iter()
        .map(|date| {
            let at = DateTime::parse_from_rfc3339(date).unwrap();
            ((Reverse(at), Arc::from(*date)), Arc::from(Path::new(*date)))
        })
        .collect()
}

fn labels(layout: &Layout) -> Vec<String> {
    layout.periods().iter().map(Period::label).collect()
}

fn names(paths: &[SharedPath]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

const DATES: [&str; 7] = [
    "2024-03-02T00:00:00Z",
    "2024-03-01T00:00:00Z",
    "2024-02-20T00:00:00Z",
    "2024-02-10T00:00:00Z",
    "2023-12-24T00:00:00Z",
    "2023-12-01T00:00:00Z",
    "2023-10-05T00:00:00Z",
];

#[test]
fn the_subscription_document_holds_the_newest_and_the_rest_of_their_oldest_period() {
    let layout = layout(&config("max_entries = 3"), &ranked(&DATES));
    assert_eq!(
        names(&layout.current),
        &DATES[..4],
        "the third newest is in February, so all of February stays"
    );
    assert_eq!(labels(&layout), ["2023-12", "2023-10"], "November is empty");
    let ranked = ranked(&DATES);
    let december = layout.pages[0].0;
    assert_eq!(names(&layout.page_paths(&ranked, december)), &DATES[4..6]);
}

#[test]
fn everything_fits_when_the_newest_reach_the_oldest_period() {
    let most = layout(&config("max_entries = 6"), &ranked(&DATES));
    assert_eq!(most.current.len(), 6);
    assert_eq!(labels(&most), ["2023-10"]);
    let everything = layout(&config("max_entries = 7"), &ranked(&DATES));
    assert_eq!((everything.current.len(), everything.pages.len()), (7, 0));
    assert!(everything.paged);
    let empty = layout(&config(""), &BTreeMap::new());
    assert!(empty.current.is_empty() && empty.pages.is_empty());
}

#[test]
fn with_archives_off_the_feed_is_its_newest_max_entries() {
    let layout = layout(
        &config("max_entries = 3\n[archives]\nenabled = false"),
        &ranked(&DATES),
    );
    assert_eq!(names(&layout.current), &DATES[..3]);
    assert!(!layout.paged && layout.pages.is_empty());
}

#[test]
fn years_and_weeks_cut_the_same_posts_differently() {
    let by_year = layout(
        &config("max_entries = 2\n[archives]\nenabled = true\nperiod = \"year\""),
        &ranked(&DATES),
    );
    assert_eq!(by_year.current.len(), 4);
    assert_eq!(labels(&by_year), ["2023"]);
    let by_week = layout(
        &config("max_entries = 2\n[archives]\nenabled = true\nperiod = \"week\""),
        &ranked(&DATES),
    );
    assert_eq!(by_week.current.len(), 2);
    assert_eq!(
        labels(&by_week),
        ["2024-W08", "2024-W06", "2023-W51", "2023-W48", "2023-W40"]
    );
}

#[test]
fn periods_are_read_in_the_sites_time_zone() {
    let dates = [
        "2024-03-05T00:00:00Z",
        "2024-02-29T20:00:00Z",
        "2024-02-01T00:00:00Z",
    ];
    let utc = layout(&config("max_entries = 1"), &ranked(&dates));
    assert_eq!(labels(&utc), ["2024-02"]);
    let tokyo = layout(
        &config("max_entries = 1\ntimezone = \"Asia/Tokyo\""),
        &ranked(&dates),
    );
    assert_eq!(labels(&tokyo), ["2024-02"]);
    assert_eq!(
        tokyo.current.len(),
        2,
        "20:00 UTC on 29 February is March in Tokyo"
    );
}

#[test]
fn a_plan_remakes_touched_pages_and_pages_whose_neighbours_changed() {
    let config = config("max_entries = 3");
    let ranked = ranked(&DATES);
    let all = layout(&config, &ranked).periods();
    let at = |date: &str| DateTime::parse_from_rfc3339(date).unwrap();
    let first = Plan::new(&config, None, &ranked, &[], &[]);
    assert_eq!(first.remake.len(), 2, "no page made before: all are made");
    let nothing = Plan::new(&config, None, &ranked, &all, &[at(DATES[0])]);
    assert!(
        nothing.remake.is_empty(),
        "a new post touches no archive page"
    );
    let edit = Plan::new(&config, None, &ranked, &all, &[at(DATES[5])]);
    assert_eq!(edit.remake.len(), 1);
    assert_eq!(edit.remake[0].0.label(), "2023-12");
    assert_eq!(names(&edit.remake[0].1), &DATES[4..6]);
    // An older page appeared (say the posts were added oldest first): it is made, and the page
    // after it gains its link.
    let before = [all[0]];
    let grown = Plan::new(&config, None, &ranked, &before, &[]);
    let remade: Vec<String> = grown.remake.iter().map(|(p, _)| p.label()).collect();
    assert_eq!(remade, ["2023-12", "2023-10"]);
}
