//! `podcast:guid`: the show's identity that survives moving the feed to another address.
//!
//! The Podcasting 2.0 namespace defines it as the UUIDv5 of the feed's URL with its scheme
//! (`https://`) and trailing slashes removed, in the namespace
//! `ead4c236-bf58-58c6-a2c6-a6b28d128cb6`, so anyone holding the URL computes the same value.

use uuid::Uuid;

/// The namespace the podcast namespace's `guid` tag is defined in.
pub const NAMESPACE: Uuid = Uuid::from_u128(0xead4c236_bf58_58c6_a2c6_a6b28d128cb6);

/// The `podcast:guid` of the feed at `url`.
pub fn of_feed_url(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let name = without_scheme.trim_end_matches('/');
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_namespace_specifications_example() {
        // The example in podcastindex-org/podcast-namespace, docs/tags/guid.md.
        let want = "917393e3-1b1e-5cef-ace4-edaa54e1f810";
        assert_eq!(
            of_feed_url("https://mp3s.nashownotes.com/pc20rss.xml"),
            want
        );
        assert_eq!(
            of_feed_url("http://mp3s.nashownotes.com/pc20rss.xml/"),
            want
        );
        assert_eq!(of_feed_url("mp3s.nashownotes.com/pc20rss.xml"), want);
    }
}
