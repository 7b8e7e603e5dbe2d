//! The bundled sample site's documents, byte for byte: a change in what feedd writes shows in
//! review as a diff of `tests/golden/`, not only as a test that still passes.
//!
//! After a deliberate change, refresh them with `FEEDD_UPDATE_GOLDEN=1 cargo test --test it golden`
//! and commit the new files with the change that made them.

use std::path::Path;

use crate::support::*;

const DOCUMENTS: [&str; 4] = ["rss.xml", "atom.xml", "feed.json", "index.html"];

#[test]
fn the_sample_sites_documents_are_the_golden_ones() {
    let site = Site::sample();
    assert_success(&site.once());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("FEEDD_UPDATE_GOLDEN").is_some();
    for name in DOCUMENTS {
        let built = std::fs::read_to_string(site.out().join(name)).expect("built document");
        let path = golden.join(name);
        if update {
            std::fs::write(&path, &built).expect("write the golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; create it with FEEDD_UPDATE_GOLDEN=1",
                path.display()
            )
        });
        if built != expected {
            let at = built
                .bytes()
                .zip(expected.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(built.len().min(expected.len()));
            let around = |text: &str| {
                let from = text.floor_char_boundary(at.saturating_sub(60));
                let to = text.ceil_char_boundary((at + 60).min(text.len()));
                text[from..to].to_string()
            };
            panic!(
                "{name} differs from tests/golden/{name} at byte {at}:\n  built:  …{}…\n  golden: …{}…\n\
                 if the change is meant, run FEEDD_UPDATE_GOLDEN=1 cargo test --test it golden",
                around(&built),
                around(&expected),
            );
        }
    }
}
