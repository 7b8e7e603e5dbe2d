use super::*;

const MINIMAL: &str =
    "title = \"T\"\nbase_url = \"https://example.org\"\nid_authority = \"example.org\"\n";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Path::new("config.toml"))
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.base_url.as_str(), "https://example.org/");
    assert_eq!(c.timezone, Tz::UTC);
    assert_eq!(c.max_entries, 50);
    assert_eq!(c.formats, Format::ALL.to_vec());
    assert_eq!(c.paths.atom, "atom.xml");
    assert_eq!(c.paths.tags.as_deref(), Some("tags/{tag}/"));
    assert_eq!(c.server.debounce_ms, 25);
    assert_eq!(c.max_post_bytes, 4 * 1024 * 1024);
    assert!(!c.follow_symlinks_outside);
}

#[test]
fn source_limits_are_read_and_checked() {
    let c = parse(&format!(
        "{MINIMAL}max_post_bytes = 1000\nfollow_symlinks_outside = true\n"
    ))
    .unwrap();
    assert_eq!((c.max_post_bytes, c.follow_symlinks_outside), (1000, true));
    let err = parse(&format!("{MINIMAL}max_post_bytes = 0\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_post_bytes"), "{err}");
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = parse(&format!("{MINIMAL}colour = \"red\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config.toml:4: "), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn unknown_nested_key_is_named() {
    let err = parse(&format!("{MINIMAL}[server]\nport = 1\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("port"), "{err}");
}

#[test]
fn bad_base_url_is_named() {
    for bad in [
        "not a url",
        "ftp://example.org/",
        "https://example.org/?q=1",
        "/relative/",
    ] {
        let text = MINIMAL.replace("https://example.org", bad);
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("base_url"), "{bad}: {err}");
    }
}

#[test]
fn base_url_gains_a_trailing_slash() {
    let c = parse(&MINIMAL.replace("https://example.org", "https://example.org/blog")).unwrap();
    assert_eq!(c.base_url.as_str(), "https://example.org/blog/");
}

#[test]
fn missing_required_key_is_named() {
    let err = parse("title = \"T\"\nbase_url = \"https://example.org/\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("id_authority"), "{err}");
}

#[test]
fn bad_timezone_and_authority_are_named() {
    let err = parse(&format!("{MINIMAL}timezone = \"Mars/Olympus\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("timezone"), "{err}");
    let err = parse(&MINIMAL.replace("id_authority = \"example.org\"", "id_authority = \"a b\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("id_authority"), "{err}");
}

#[test]
fn post_path_needs_slug_and_paths_must_differ() {
    let err = parse(&format!("{MINIMAL}post_path = \"p/\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("post_path"), "{err}");
    let err = parse(&format!(
        "{MINIMAL}[paths]\nrss = \"a.xml\"\natom = \"a.xml\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("must differ"), "{err}");
}

#[test]
fn limits_have_safe_defaults_and_can_be_set() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.server.limits, Limits::DEFAULT);
    let c = parse(&format!(
        "{MINIMAL}[server]\nsend_timeout_secs = 3\nmax_connections_per_address = 8\n\
         max_header_bytes = 16384\nlisten_backlog = 512\n"
    ))
    .unwrap();
    assert_eq!(c.server.limits.send_timeout_secs, 3);
    assert_eq!(c.server.limits.max_connections_per_address, 8);
    assert_eq!(c.server.limits.max_header_bytes, 16384);
    assert_eq!(c.server.limits.listen_backlog, 512);
}

#[test]
fn bad_limits_are_named() {
    for (key, value) in [
        ("send_timeout_secs", "0"),
        ("max_requests_per_connection", "0"),
        ("max_connections_per_address", "0"),
        ("max_header_bytes", "100"),
        ("max_header_bytes", "99999999"),
    ] {
        let err = parse(&format!("{MINIMAL}[server]\n{key} = {value}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn tag_feeds_can_be_turned_off() {
    let c = parse(&format!("{MINIMAL}[paths]\ntag_feeds = false\n")).unwrap();
    assert_eq!(c.paths.tags, None);
}

#[test]
fn html_pages_are_on_by_default_and_the_index_keeps_its_path() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(
        c.html,
        Html {
            index: true,
            feed_pages: true
        }
    );
    let off = parse(&format!(
        "{MINIMAL}[html]\nindex = false\nfeed_pages = false\n"
    ))
    .unwrap();
    assert_eq!((off.html.index, off.html.feed_pages), (false, false));
    let clash = format!("{MINIMAL}[paths]\natom = \"index.html\"\n");
    let err = parse(&clash).unwrap_err().to_string();
    assert!(
        err.contains("`index.html`") && err.contains("[html] index = false"),
        "{err}"
    );
    let moved = format!("{clash}[html]\nindex = false\n");
    assert_eq!(parse(&moved).unwrap().paths.atom, "index.html");
    let unknown = parse(&format!("{MINIMAL}[html]\nstylesheet = \"x.css\"\n"));
    assert!(unknown.is_err(), "unknown keys are errors here too");
}

#[test]
fn archives_default_to_monthly_pages_and_are_checked() {
    let c = parse(MINIMAL).unwrap();
    assert!(!c.archives.enabled, "off unless asked for");
    assert_eq!(c.archives.period, PeriodLength::Month);
    assert_eq!(c.archives.folder, "archive/");
    assert_eq!(c.server.archive_max_age, 2_592_000);
    let c = parse(&format!(
        "{MINIMAL}[archives]\nperiod = \"week\"\nfolder = \"/old\"\nenabled = true\n[server]\narchive_max_age = 60\n"
    ))
    .unwrap();
    assert_eq!(
        (
            c.archives.enabled,
            c.archives.period,
            c.archives.folder.as_str()
        ),
        (true, PeriodLength::Week, "old/")
    );
    assert_eq!(c.server.archive_max_age, 60);
    for (bad, named) in [
        ("period = \"day\"", "`day`"),
        ("folder = \"../x\"", "`archives.folder"),
        ("folder = \"/\"", "`archives.folder"),
    ] {
        let err = parse(&format!("{MINIMAL}[archives]\n{bad}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(named), "{err}");
    }
}

#[test]
fn tls_needs_both_files_and_they_are_taken_from_the_config_folder() {
    assert_eq!(parse(MINIMAL).unwrap().server.tls, None);
    for half in ["tls_cert = \"cert.pem\"", "tls_key = \"key.pem\""] {
        let err = parse(&format!("{MINIMAL}[server]\n{half}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`server.tls_cert` and `server.tls_key` go together"),
            "{err}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let tls = "[server]\ntls_cert = \"tls/cert.pem\"\ntls_key = \"/etc/feedd/key.pem\"\n";
    std::fs::write(&path, format!("{MINIMAL}{tls}")).unwrap();
    let files = Config::load(&path).unwrap().server.tls.unwrap();
    assert_eq!(
        files.cert,
        std::path::absolute(dir.path())
            .unwrap()
            .join("tls/cert.pem")
    );
    assert_eq!(files.key, std::path::Path::new("/etc/feedd/key.pem"));
}

#[test]
fn icon_and_logo_are_paths_in_the_source_folder_or_urls() {
    let base = "title = \"T\"\nbase_url = \"https://e.org/blog/\"\nid_authority = \"e.org\"\n";
    let config = parse(&format!(
        "{base}icon = \"./img//icon.png\"\nlogo = \"https://cdn.e.org/logo.png\"\n"
    ))
    .unwrap();
    assert_eq!(config.icon, Some(Src::Local("img/icon.png".into())));
    assert_eq!(
        config.icon.unwrap().url(&config.base_url),
        "https://e.org/blog/img/icon.png"
    );
    assert_eq!(
        config.logo,
        Some(Src::Url("https://cdn.e.org/logo.png".into()))
    );
    assert!(parse(base).unwrap().icon.is_none());
    for (line, wanted) in [
        ("icon = \"../icon.png\"", "leaves the source folder"),
        ("logo = \"/srv/logo.png\"", "relative to the source folder"),
        ("logo = \"ftp://e.org/l.png\"", "not an http(s) URL"),
    ] {
        let err = parse(&format!("{base}{line}\n")).unwrap_err().to_string();
        assert!(err.contains(wanted), "{line}: {err}");
    }
}
