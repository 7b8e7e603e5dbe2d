use super::*;
use crate::render::fixtures::{self, entry, hostile_feed};
use crate::render::render;

/// Every document of `feeds` spliced by `renderer` must be what rendering it whole gives.
fn assert_spliced_as_whole(renderer: &mut Renderer, feeds: &[&Feed]) {
    for (feed, documents) in feeds.iter().zip(renderer.render(feeds)) {
        assert_eq!(documents.len(), feed.documents.len());
        for document in documents {
            let whole = render(feed, document.format().expect("a feed document"))
                .expect("the feed builds this format");
            assert_eq!(
                String::from_utf8_lossy(&document.body),
                String::from_utf8_lossy(&whole.body),
                "{:?} of {}",
                document.kind,
                feed.title
            );
            assert_eq!(document, whole);
        }
    }
}

fn varied_entries() -> Vec<Entry> {
    let mut anonymous = entry(3);
    anonymous.authors.clear();
    let mut french = entry(4);
    french.lang = Some("fr".to_owned());
    let mut bare = entry(5);
    bare.summary.clear();
    bare.tags.clear();
    bare.id_is_link = true;
    bare.id = bare.link.clone();
    vec![entry(1), entry(2), anonymous, french, bare]
}

#[test]
fn spliced_documents_equal_whole_ones_for_every_fixture() {
    let mut no_author = fixtures::feed(varied_entries());
    no_author.author = None;
    let mut no_language = fixtures::feed(varied_entries());
    no_language.language = None;
    let one = fixtures::feed(vec![entry(7)]);
    let empty = fixtures::feed(vec![]);
    let feeds = [
        &hostile_feed(),
        &fixtures::feed(varied_entries()),
        &no_author,
        &no_language,
        &one,
        &empty,
    ];
    for feed in feeds {
        assert_spliced_as_whole(&mut Renderer::default(), &[feed]);
    }
    // And all at once through one renderer, which shares the fragments of equal entries.
    assert_spliced_as_whole(&mut Renderer::default(), &feeds);
}

#[test]
fn cdata_and_closing_tags_inside_content_do_not_confuse_the_cut() {
    let mut e = entry(1);
    e.content_html = "<item></item><entry></entry>]]><![CDATA[ \"items\": [".to_owned();
    e.title = "</item> </entry>".to_owned();
    assert_spliced_as_whole(
        &mut Renderer::default(),
        &[&fixtures::feed(vec![e, entry(2)])],
    );
}

#[test]
fn an_entry_is_rendered_once_and_kept_as_a_slice_of_its_document() {
    let mut renderer = Renderer::default();
    let feed = fixtures::feed(vec![entry(1), entry(2)]);
    let first = renderer.render(&[&feed]);
    assert_eq!(renderer.len(), 6, "two entries in three formats");
    for (key, fragment) in &renderer.fragments {
        let document = first[0]
            .iter()
            .find(|d| d.format() == Some(key.format))
            .expect("a document of the fragment's format");
        assert!(
            document
                .body
                .as_ptr_range()
                .contains(&fragment.bytes.as_ptr()),
            "{:?} fragment is a slice of its document",
            key.format
        );
    }
    // The next run with one entry replaced renders only that entry.
    let mut next = feed.clone();
    next.entries[0] = Arc::new(Entry {
        title: "Edited".to_owned(),
        ..entry(1)
    });
    let second = renderer.render(&[&next]);
    assert_eq!(renderer.len(), 6, "the old version of the entry is dropped");
    let kept = &renderer.fragments[&key(Format::Atom, &next.entries[1], &next)];
    assert!(Arc::ptr_eq(&kept.entry, &feed.entries[1]));
    assert!(
        second[0][1]
            .body
            .as_ptr_range()
            .contains(&kept.bytes.as_ptr()),
        "moved into the new document, so the old one can be freed"
    );
    assert_spliced_as_whole(&mut renderer, &[&next]);
}

#[test]
fn an_entry_in_two_feeds_is_rendered_once_and_lives_while_either_shows_it() {
    let shared = Arc::new(entry(1));
    let mut main = fixtures::feed(vec![]);
    main.entries = vec![Arc::clone(&shared), Arc::new(entry(2))];
    let mut tag = fixtures::feed(vec![]);
    tag.entries = vec![Arc::clone(&shared)];
    for d in &mut tag.documents {
        d.path = format!("tags/rust/{}", d.path);
    }
    let mut renderer = Renderer::default();
    renderer.render(&[&main, &tag]);
    assert_eq!(renderer.len(), 6, "entry 1 once per format, not twice");
    // The main feed drops entry 1: the tag feed still holds it.
    let mut main_next = main.clone();
    main_next.entries.remove(0);
    renderer.render(&[&main_next]);
    assert_eq!(renderer.len(), 6);
    let main_documents = renderer.documents["atom.xml"].body.as_ptr_range();
    let kept = &renderer.fragments[&key(Format::Atom, &shared, &tag)];
    assert!(
        !main_documents.contains(&kept.bytes.as_ptr()),
        "copied out of nothing stale"
    );
    // The tag feed goes away: entry 1 goes with it.
    renderer.forget(tag.documents.iter().map(|d| d.path.as_str()));
    assert_eq!(renderer.len(), 3);
    assert_spliced_as_whole(&mut renderer, &[&main_next]);
}

#[test]
fn a_different_site_author_or_language_renders_the_entry_again() {
    let mut renderer = Renderer::default();
    let feed = fixtures::feed(vec![entry(1)]);
    renderer.render(&[&feed]);
    let mut other = feed.clone();
    other.author = Some("Someone Else".to_owned());
    other.language = Some("de".to_owned());
    for d in &mut other.documents {
        d.path = format!("other/{}", d.path);
    }
    assert_spliced_as_whole(&mut renderer, &[&other]);
    assert_eq!(
        renderer.len(),
        5,
        "JSON's fragment does not depend on either"
    );
}
