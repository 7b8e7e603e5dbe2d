//! The config the feed model's tests build from: a minimal site with archives on.

use std::path::Path;

use crate::config::Config;

/// A config with archives on (they are off by default) and `extra`; an `extra` with an
/// `[archives]` table of its own says there whether they are on.
pub(super) fn config(extra: &str) -> Config {
    let archives = if extra.contains("[archives]") {
        ""
    } else {
        "\n[archives]\nenabled = true\n"
    };
    let text = format!(
        "title = \"Site\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n{extra}{archives}"
    );
    Config::from_str(&text, Path::new("config.toml")).expect("the test config is valid")
}
