//! What Apple Podcasts and the apps reading podcast directories refuse or skip: an RSS document
//! with iTunes tags is judged as a podcast (its owner, categories, cover art and each episode's
//! audio), and for a site feedd builds, the cover art file itself is measured.
//!
//! The document rules work on any podcast feed (`feedd lint URL`); the file rule needs the
//! config. Findings about an episode are traced to its post like every other entry finding.

use std::path::Path;

use rss::Channel;
use rss::extension::itunes::{ITunesCategory, ITunesItemExtension};

use super::Context;
use super::finding::{Anchor, Code, Finding};
use crate::config::{Artwork, Config};
use crate::podcast::categories;

/// Apple's limits on cover art, in pixels.
const MIN_SIDE: usize = 1400;
const MAX_SIDE: usize = 3000;

/// Whether `text` is an RSS document that uses the iTunes namespace.
pub fn is_podcast(text: &str) -> bool {
    text.contains(rss::extension::itunes::NAMESPACE)
}

/// The findings in a podcast document; none when it cannot be read as RSS (another rule says
/// so).
pub fn check(text: &str, cx: &Context<'_>) -> Vec<Finding> {
    let Ok(channel) = Channel::read_from(text.as_bytes()) else {
        return Vec::new();
    };
    if channel.itunes_ext.is_none() {
        // The namespace named, but no show described: not a podcast.
        return Vec::new();
    }
    let mut findings = show(&channel, cx);
    let serial = channel
        .itunes_ext
        .as_ref()
        .and_then(|i| i.r#type.as_deref())
        .is_some_and(|t| t.eq_ignore_ascii_case("serial"));
    for item in &channel.items {
        findings.extend(episode(item, serial, cx));
    }
    findings
}

/// The channel's owner, categories and cover art.
fn show(channel: &Channel, cx: &Context<'_>) -> Vec<Finding> {
    let itunes = channel.itunes_ext.clone().unwrap_or_default();
    let at = |code, message: String| Finding::new(code, cx.document, None, message);
    let mut findings = Vec::new();
    let email = itunes.owner.as_ref().and_then(|o| o.email.as_deref());
    if email.is_none_or(|e| e.trim().is_empty()) {
        findings.push(at(
            Code::PodcastOwner,
            "no `itunes:owner` with an `itunes:email`".into(),
        ));
    }
    if itunes.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
        findings.push(at(Code::PodcastNoImage, "no `itunes:image`".into()));
    }
    if itunes.categories.is_empty() {
        findings.push(at(Code::PodcastCategory, "no `itunes:category`".into()));
    }
    for category in &itunes.categories {
        if let Err(e) = categories::parse(&category_text(category)) {
            findings.push(at(Code::PodcastCategory, e));
        }
    }
    findings
}

/// "Category > Subcategory", as `[podcast] category` is written.
fn category_text(category: &ITunesCategory) -> String {
    match &category.subcategory {
        Some(sub) => format!("{} > {}", category.text, sub.text),
        None => category.text.clone(),
    }
}

/// One item: its audio, and its number when the show is serial.
fn episode(item: &rss::Item, serial: bool, cx: &Context<'_>) -> Vec<Finding> {
    let id = item.guid.as_ref().map(|g| g.value.as_str());
    let name = item.title.as_deref().unwrap_or("an item without a title");
    let itunes = item.itunes_ext.clone().unwrap_or_default();
    let mut findings = Vec::new();
    let playable = item.enclosure.as_ref().is_some_and(|e| {
        let mime = e.mime_type.to_ascii_lowercase();
        mime.starts_with("audio/") || mime.starts_with("video/")
    });
    if !playable {
        let (code, anchor) = if declares_episode(&itunes) {
            (Code::EpisodeWithoutAudio, "episode")
        } else {
            (Code::PostWithoutAudio, "title")
        };
        let message = match &item.enclosure {
            Some(e) => format!(
                "\"{name}\" has an enclosure of type {}, not audio or video",
                e.mime_type
            ),
            None => format!("\"{name}\" has no audio enclosure"),
        };
        let finding = Finding::new(code, cx.document, None, message);
        findings.push(finding.about(id, Some(anchor_key(&itunes, anchor))));
    }
    let full = itunes.episode_type.as_deref().is_none_or(|t| t == "full");
    if serial && full && itunes.episode.is_none() {
        let message = format!("\"{name}\" has no `itunes:episode` number in a serial show");
        let finding = Finding::new(Code::SerialWithoutNumber, cx.document, None, message);
        findings.push(finding.about(id, Some(Anchor::Key("title"))));
    }
    findings
}

fn declares_episode(itunes: &ITunesItemExtension) -> bool {
    itunes.episode.is_some() || itunes.season.is_some() || itunes.episode_type.is_some()
}

/// The front matter key that says the post is an episode, else `fallback`.
fn anchor_key(itunes: &ITunesItemExtension, fallback: &'static str) -> Anchor {
    let key = if itunes.episode.is_some() {
        "episode"
    } else if itunes.season.is_some() {
        "season"
    } else if itunes.episode_type.is_some() {
        "episode_type"
    } else {
        fallback
    };
    Anchor::Key(key)
}

/// The site's cover art file, measured: what Apple Podcasts checks when the show is submitted.
pub fn artwork(config: &Config) -> Option<Finding> {
    let podcast = config.podcast.as_ref()?;
    let Some(Artwork::Local(path)) = &podcast.image else {
        return None;
    };
    let file = config.source_dir.join(path);
    let problem = measure(&file).err()?;
    let name = file.display().to_string();
    let mut finding = Finding::new(
        Code::PodcastImage,
        "",
        None,
        format!("`[podcast] image = \"{path}\"`: {problem}"),
    );
    finding.file = name;
    Some(finding)
}

/// Why the image at `file` will not do, if it will not.
fn measure(file: &Path) -> Result<(), String> {
    let mut header = [0u8; 64];
    let read = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut header))
        .map_err(|e| format!("cannot read it ({e})"))?;
    match imagesize::image_type(&header[..read]) {
        Ok(imagesize::ImageType::Jpeg | imagesize::ImageType::Png) => {}
        _ => return Err("it is not a JPEG or PNG file".into()),
    }
    let size = imagesize::size(file).map_err(|e| format!("cannot read its size ({e})"))?;
    let (w, h) = (size.width, size.height);
    if w != h {
        return Err(format!("it is {w} × {h} px, and must be square"));
    }
    if !(MIN_SIDE..=MAX_SIDE).contains(&w) {
        return Err(format!(
            "it is {w} × {h} px; Apple Podcasts takes {MIN_SIDE} to {MAX_SIDE} px"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::lint::tests::context;
    use crate::render::fixtures::{self, entry};

    fn rendered(feed: &crate::feed::Feed) -> String {
        let document = crate::render::render(feed, Format::Rss).expect("RSS is built");
        String::from_utf8(document.body.to_vec()).expect("UTF-8")
    }

    fn found(text: &str) -> Vec<(&'static str, Option<String>, String)> {
        crate::lint::lint_document(text.as_bytes(), &context())
            .into_iter()
            .filter(|f| f.code >= Code::PodcastImage)
            .map(|f| (f.code.as_str(), f.entry, f.message))
            .collect()
    }

    /// A podcast of type `show_type` with `items`, its channel otherwise complete.
    fn podcast(show_type: &str, items: &str) -> String {
        format!(
            "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>\
             <title>t</title><link>https://x.org/</link><description>d</description>\
             <itunes:owner><itunes:name>o</itunes:name><itunes:email>o@x.org</itunes:email></itunes:owner>\
             <itunes:image href=\"https://x.org/c.png\"/><itunes:category text=\"News\"/>\
             <itunes:type>{show_type}</itunes:type>{items}</channel></rss>"
        )
    }

    fn item(n: u32, enclosure: &str, itunes: &str) -> String {
        format!(
            "<item><title>E{n}</title><guid isPermaLink=\"false\">urn:e{n}</guid>{enclosure}{itunes}</item>"
        )
    }

    const AUDIO: &str =
        "<enclosure url=\"https://x.org/a.mp3\" length=\"10\" type=\"audio/mpeg\"/>";

    #[test]
    fn a_post_without_audio_is_a_warning_and_an_episode_without_audio_an_error() {
        let items = [
            item(1, AUDIO, "<itunes:episode>1</itunes:episode>"),
            item(2, "", ""),
            item(3, "", "<itunes:season>1</itunes:season>"),
            item(
                4,
                "<enclosure url=\"https://x.org/a.pdf\" length=\"1\" type=\"application/pdf\"/>",
                "",
            ),
            item(
                5,
                "<enclosure url=\"https://x.org/v.mp4\" length=\"1\" type=\"video/mp4\"/>",
                "",
            ),
        ]
        .concat();
        let found = found(&podcast("episodic", &items));
        let short: Vec<_> = found
            .iter()
            .map(|f| (f.0, f.1.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            short,
            [
                ("FD082", "urn:e3"),
                ("FD083", "urn:e2"),
                ("FD083", "urn:e4")
            ]
        );
        assert_eq!(found[1].2, "\"E2\" has no audio enclosure");
        assert_eq!(
            found[2].2,
            "\"E4\" has an enclosure of type application/pdf, not audio or video"
        );
    }

    #[test]
    fn a_serial_show_numbers_its_full_episodes() {
        let items = [
            item(1, AUDIO, "<itunes:episode>1</itunes:episode>"),
            item(2, AUDIO, ""),
            item(3, AUDIO, "<itunes:episodeType>full</itunes:episodeType>"),
            item(4, AUDIO, "<itunes:episodeType>trailer</itunes:episodeType>"),
        ]
        .concat();
        let codes: Vec<_> = found(&podcast("serial", &items))
            .into_iter()
            .map(|f| (f.0, f.1))
            .collect();
        let wanted = |n: u32| ("FD084", Some(format!("urn:e{n}")));
        assert_eq!(codes, [wanted(2), wanted(3)]);
        assert!(found(&podcast("episodic", &items)).is_empty());
    }

    #[test]
    fn the_fixture_podcast_has_only_the_problems_it_is_made_with() {
        // Post 3 has no audio; posts 2 and 3 are unnumbered in a serial show. Which items have
        // audio is up to the enclosures the renderer writes, so only post 3's codes are fixed.
        let text = rendered(&fixtures::podcast_feed());
        let post_3: Vec<_> = found(&text)
            .into_iter()
            .filter(|f| f.1.as_deref() == Some("tag:example.com,2024:post-3"))
            .map(|f| f.0)
            .collect();
        assert_eq!(post_3, ["FD083", "FD084"]);
    }

    #[test]
    fn any_podcast_feed_is_held_to_apples_categories_owner_and_image() {
        let text = "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>\
            <title>t</title><link>https://x.org/</link><description>d</description>\
            <itunes:category text=\"Tecnology\"/><itunes:author>a</itunes:author></channel></rss>";
        let codes: Vec<_> = found(text).into_iter().map(|f| (f.0, f.2)).collect();
        assert_eq!(codes.len(), 3, "{codes:?}");
        assert!(
            codes
                .iter()
                .any(|(c, m)| *c == "FD085" && m.contains("did you mean \"Technology\"?"))
        );
        assert!(codes.iter().any(|(c, _)| *c == "FD086"));
        assert!(codes.iter().any(|(c, _)| *c == "FD081"));
    }

    #[test]
    fn a_blog_that_is_no_podcast_is_not_judged_as_one() {
        let mut e = entry(1);
        e.content_html = format!("<p>{}</p>", rss::extension::itunes::NAMESPACE);
        assert!(found(&rendered(&fixtures::feed(vec![e]))).is_empty());
    }

    /// The start of a PNG file of `w` × `h` px: as much as the size is read from.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(w.to_be_bytes());
        bytes.extend(h.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn cover_art_is_measured_against_apples_limits() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        assert_eq!(measure(&write("ok.png", &png(1400, 1400))), Ok(()));
        assert_eq!(measure(&write("big.png", &png(3000, 3000))), Ok(()));
        let err = measure(&write("wide.png", &png(2000, 1400))).unwrap_err();
        assert_eq!(err, "it is 2000 × 1400 px, and must be square");
        let err = measure(&write("small.png", &png(600, 600))).unwrap_err();
        assert!(err.contains("1400 to 3000 px"), "{err}");
        let err = measure(&write("huge.png", &png(4000, 4000))).unwrap_err();
        assert!(err.contains("it is 4000 × 4000 px"), "{err}");
        let err = measure(&write("cover.gif", b"GIF89a\x10\0\x10\0")).unwrap_err();
        assert_eq!(err, "it is not a JPEG or PNG file");
        assert!(
            measure(&dir.path().join("missing.png"))
                .unwrap_err()
                .starts_with("cannot read it")
        );
    }
}
