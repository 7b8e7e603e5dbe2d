//! The `itunes:` and `podcast:` tags of a podcast's RSS feed: Apple's iTunes namespace through
//! the `rss` crate's extension, and the Podcasting 2.0 basics (`guid`, `locked`, `transcript`,
//! `chapters`) as plain extension elements, which the crate has no types for.
//!
//! Written only for a feed with a [`Channel`] and entries with an [`Episode`], so a site that is
//! not a podcast declares neither namespace and its bytes stay as they were.

use std::collections::BTreeMap;

use rss::extension::itunes::{
    self, ITunesCategory, ITunesChannelExtension, ITunesItemExtension, ITunesOwner,
};
use rss::extension::{Extension, ExtensionMap};

use crate::feed::Entry;
use crate::podcast::companions::CHAPTERS_TYPE;
use crate::podcast::{Channel, Episode};

/// The Podcasting 2.0 namespace.
pub(super) const NAMESPACE: &str = "https://podcastindex.org/namespace/1.0";
const PREFIX: &str = "podcast";

/// The channel's iTunes tags; `podcast:guid` and `podcast:locked` go into `extensions`, and both
/// namespaces into `namespaces`.
pub(super) fn channel(
    show: &Channel,
    namespaces: &mut BTreeMap<String, String>,
    extensions: &mut ExtensionMap,
) -> ITunesChannelExtension {
    namespaces.insert("itunes".to_owned(), itunes::NAMESPACE.to_owned());
    namespaces.insert(PREFIX.to_owned(), NAMESPACE.to_owned());
    let locked = Extension {
        name: format!("{PREFIX}:locked"),
        value: Some(if show.locked { "yes" } else { "no" }.to_owned()),
        attrs: BTreeMap::from([("owner".to_owned(), show.owner.email.clone())]),
        ..Extension::default()
    };
    let guid = element("guid", Some(show.guid.clone()), BTreeMap::new());
    extensions.insert(
        PREFIX.to_owned(),
        BTreeMap::from([
            ("guid".to_owned(), vec![guid]),
            ("locked".to_owned(), vec![locked]),
        ]),
    );
    ITunesChannelExtension {
        author: Some(show.author.clone()),
        categories: show
            .categories
            .iter()
            .map(|c| ITunesCategory {
                text: c.name.to_owned(),
                subcategory: c.subcategory.map(|sub| {
                    Box::new(ITunesCategory {
                        text: sub.to_owned(),
                        subcategory: None,
                    })
                }),
            })
            .collect(),
        image: show.image.clone(),
        explicit: Some(yes_no(show.explicit)),
        owner: Some(ITunesOwner {
            name: Some(show.owner.name.clone()),
            email: Some(show.owner.email.clone()),
        }),
        r#type: Some(show.show_type.name().to_owned()),
        ..ITunesChannelExtension::default()
    }
}

/// An episode's iTunes tags: its playing time from its first enclosure, and what its front
/// matter says.
pub(super) fn item_itunes(entry: &Entry) -> Option<ITunesItemExtension> {
    let episode = entry.episode.as_ref()?;
    let keys = episode.keys;
    Some(ITunesItemExtension {
        duration: entry
            .enclosures
            .first()
            .and_then(|e| e.duration_secs)
            .map(|secs| secs.to_string()),
        explicit: keys.explicit.map(yes_no),
        episode: keys.number.map(|n| n.to_string()),
        season: keys.season.map(|n| n.to_string()),
        episode_type: keys.kind.map(|k| k.name().to_owned()),
        ..ITunesItemExtension::default()
    })
}

/// `others` with an episode's `podcast:transcript` and `podcast:chapters` elements added.
pub(super) fn item_extensions(entry: &Entry, mut others: ExtensionMap) -> ExtensionMap {
    let Some(Episode {
        transcripts,
        chapters,
        ..
    }) = entry.episode.as_ref()
    else {
        return others;
    };
    let link = |url: &str, mime: &str| {
        BTreeMap::from([
            ("url".to_owned(), url.to_owned()),
            ("type".to_owned(), mime.to_owned()),
        ])
    };
    let mut elements = BTreeMap::new();
    if !transcripts.is_empty() {
        let transcripts = transcripts
            .iter()
            .map(|t| element("transcript", None, link(&t.url, &t.mime)))
            .collect();
        elements.insert("transcript".to_owned(), transcripts);
    }
    if let Some(url) = chapters {
        let chapters = element("chapters", None, link(url, CHAPTERS_TYPE));
        elements.insert("chapters".to_owned(), vec![chapters]);
    }
    if !elements.is_empty() {
        others.insert(PREFIX.to_owned(), elements);
    }
    others
}

fn element(name: &str, value: Option<String>, attrs: BTreeMap<String, String>) -> Extension {
    Extension {
        name: format!("{PREFIX}:{name}"),
        value,
        attrs,
        ..Extension::default()
    }
}

/// Apple's values for `itunes:explicit` since 2019 (the older "yes"/"clean" are deprecated).
fn yes_no(explicit: bool) -> String {
    if explicit { "true" } else { "false" }.to_owned()
}

#[cfg(test)]
mod tests {
    use rss::Channel as RssChannel;
    use rss::validation::Validate;

    use crate::format::Format;
    use crate::render::fixtures::{self, entry};
    use crate::render::{Renderer, render};

    fn text(feed: &crate::feed::Feed) -> String {
        let document = render(feed, Format::Rss).expect("fixture feeds build RSS");
        String::from_utf8(document.body.to_vec()).expect("RSS is UTF-8")
    }

    fn read(feed: &crate::feed::Feed) -> RssChannel {
        let channel =
            RssChannel::read_from(text(feed).as_bytes()).expect("rendered RSS reads back");
        channel.validate().expect("rendered RSS is valid");
        channel
    }

    #[test]
    fn the_channel_says_what_apple_and_podcast_index_ask_for() {
        let body = text(&fixtures::podcast_feed());
        let channel = read(&fixtures::podcast_feed());
        let itunes = channel.itunes_ext.as_ref().expect("itunes tags");
        assert_eq!(itunes.author.as_deref(), Some("Pod Caster"));
        let owner = itunes.owner.as_ref().expect("itunes:owner");
        assert_eq!(
            (owner.name.as_deref(), owner.email.as_deref()),
            (Some("Owner Name"), Some("owner@example.com"))
        );
        assert_eq!(
            itunes.image.as_deref(),
            Some("https://example.com/cover.png")
        );
        assert_eq!(itunes.explicit.as_deref(), Some("false"));
        assert_eq!(itunes.r#type.as_deref(), Some("serial"));
        assert_eq!(itunes.categories[0].text, "Technology");
        assert_eq!(itunes.categories[1].text, "Society & Culture");
        let sub = itunes.categories[1].subcategory.as_ref().expect("nested");
        assert_eq!(sub.text, "Documentary");
        assert!(
            body.contains(r#"<itunes:category text="Society &amp; Culture"><itunes:category text="Documentary">"#),
            "{body}"
        );
        assert!(body.contains(r#"xmlns:podcast="https://podcastindex.org/namespace/1.0""#));
        assert!(body.contains(r#"xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd""#));
        assert!(body.contains(r#"<podcast:locked owner="owner@example.com">yes</podcast:locked>"#));
        let guid = crate::podcast::guid::of_feed_url("https://example.com/rss.xml");
        assert!(
            body.contains(&format!("<podcast:guid>{guid}</podcast:guid>")),
            "{body}"
        );
    }

    #[test]
    fn each_episode_carries_its_keys_duration_transcripts_and_chapters() {
        let channel = read(&fixtures::podcast_feed());
        let first = &channel.items[2];
        assert_eq!(first.title.as_deref(), Some("Post 1"));
        let itunes = first.itunes_ext.as_ref().expect("itunes item tags");
        assert_eq!(itunes.duration.as_deref(), Some("3723"));
        assert_eq!(itunes.episode.as_deref(), Some("1"));
        assert_eq!(itunes.season.as_deref(), Some("2"));
        assert_eq!(itunes.episode_type.as_deref(), Some("trailer"));
        assert_eq!(itunes.explicit.as_deref(), Some("true"));
        let podcast = &first.extensions["podcast"];
        let transcript = &podcast["transcript"][0];
        assert_eq!(
            transcript.attrs["url"],
            "https://example.com/episodes/ep1.vtt"
        );
        assert_eq!(transcript.attrs["type"], "text/vtt");
        let chapters = &podcast["chapters"][0];
        assert_eq!(
            chapters.attrs["url"],
            "https://example.com/episodes/ep1.chapters.json"
        );
        assert_eq!(chapters.attrs["type"], "application/json+chapters");
        let second = channel.items[1]
            .itunes_ext
            .as_ref()
            .expect("itunes item tags");
        assert_eq!(second.duration.as_deref(), Some("61"));
        assert_eq!(
            (second.episode.as_ref(), second.explicit.as_ref()),
            (None, None)
        );
        assert!(channel.items[1].extensions.is_empty());
        assert_eq!(
            channel.items[0]
                .itunes_ext
                .as_ref()
                .and_then(|i| i.duration.as_ref()),
            None
        );
    }

    #[test]
    fn a_site_that_is_no_podcast_declares_neither_namespace() {
        let body = text(&fixtures::feed(vec![entry(1), entry(2)]));
        assert!(!body.contains("itunes"), "{body}");
        assert!(!body.contains("podcast"), "{body}");
    }

    #[test]
    fn spliced_podcast_documents_equal_whole_ones() {
        let feed = fixtures::podcast_feed();
        let documents = Renderer::default().render(&[&feed]).remove(0);
        for document in documents {
            let whole = render(&feed, document.format().expect("a feed")).expect("built");
            assert_eq!(document, whole);
        }
    }
}
