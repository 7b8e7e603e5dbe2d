//! Entry ids never change by accident: not on rename, move, edit, or a new base_url.

use crate::support::*;

fn atom_ids(site: &Site) -> Vec<String> {
    assert_success(&site.once());
    entry_ids(&parse_feed(site.read_out("atom.xml").as_bytes()))
}

fn all_ids(site: &Site) -> Vec<Vec<String>> {
    assert_success(&site.once());
    ["rss.xml", "atom.xml", "feed.json"]
        .iter()
        .map(|d| entry_ids(&parse_feed(site.read_out(d).as_bytes())))
        .collect()
}

#[test]
fn ids_survive_a_move_into_a_subfolder() {
    let site = Site::sample();
    let before = all_ids(&site);
    std::fs::create_dir(site.src().join("2019")).unwrap();
    let name = "2019-07-03-former-special-envoy-defends-trump-visit.txt";
    std::fs::rename(site.src().join(name), site.src().join("2019").join(name)).unwrap();
    assert_eq!(before, all_ids(&site));
}

#[test]
fn ids_survive_a_rename() {
    let site = Site::sample();
    let before = all_ids(&site);
    std::fs::rename(
        site.src().join("2019-07-05-kim-myong-gil-point-man.txt"),
        site.src().join("2019-07-05-new-point-man.txt"),
    )
    .unwrap();
    assert_eq!(before, all_ids(&site));
}

#[test]
fn ids_survive_title_and_body_edits() {
    let site = Site::sample();
    let before = atom_ids(&site);
    let path = site
        .src()
        .join("2019-06-29-trump-tweets-dmz-invitation.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text
        .replacen("Trump tweets", "Trump tweets an", 1)
        .replace("Saturday", "on Saturday");
    std::fs::write(&path, edited).unwrap();
    assert_eq!(before, atom_ids(&site));
}

#[test]
fn ids_survive_a_base_url_change_of_scheme_and_domain() {
    let site = Site::sample();
    let before = all_ids(&site);
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        config.replace(
            "https://feeds.example.org/",
            "http://news.example.net/feeds/",
        ),
    )
    .unwrap();
    std::fs::remove_dir_all(site.out()).unwrap();
    assert_eq!(before, all_ids(&site));
    let atom = site.read_out("atom.xml");
    assert!(
        atom.contains("http://news.example.net/feeds/posts/"),
        "links follow base_url"
    );
}

#[test]
fn front_matter_id_overrides_and_rss_guid_is_not_a_permalink() {
    let site = Site::new();
    site.write(
        "a.md",
        &md(
            "A",
            "2020-01-01",
            "id = \"urn:uuid:5e1f3f0e-0000-4000-8000-000000000001\"\n",
            "x",
        ),
    )
    .write("b.md", &md("B", "2020-01-02", "", "x"));
    assert_eq!(
        atom_ids(&site),
        [
            "tag:example.org,2020-01-02:b",
            "urn:uuid:5e1f3f0e-0000-4000-8000-000000000001"
        ]
    );
    let rss = site.read_out("rss.xml");
    assert!(rss.contains("isPermaLink=\"false\""), "{rss}");
}
