//! The shape of the source tree, checked from the sources themselves: the top-level modules form
//! layers (no import cycle), shared vocabulary is written once, and functions stay short.
//!
//! These read `src/` as text rather than running feedd: what they guard is how the code is
//! arranged, which no run of the binary shows. Test code (`tests.rs`, `fixtures.rs`,
//! `*_tests.rs` and `#[cfg(test)] mod … { … }` blocks) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest function allowed outside tests, from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 60;

/// Files whose long functions are accepted for now (none: list one here only with a reason).
const LONG_FUNCTIONS_ALLOWED_IN: &[&str] = &[];

/// Each `.rs` file below `src/` that is not test code, as (path relative to `src/`, text without
/// its `#[cfg(test)]` module).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !matches!(name, "tests.rs" | "fixtures.rs") && !name.ends_with("_tests.rs")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source files are readable UTF-8");
            let relative = path.strip_prefix(&root).expect("below src/");
            (
                relative.to_string_lossy().into_owned(),
                without_tests(&text),
            )
        })
        .collect()
}

fn collect(folder: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("src/ is readable") {
        let path = entry.expect("src/ is readable").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The text with each `#[cfg(test)]` module block (rustfmt style: `mod x {` to a `}` at the same
/// indent) and every line comment removed.
fn without_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let next = lines.get(i + 1).map_or("", |l| l.trim_start());
        if lines[i].trim() == "#[cfg(test)]" && next.contains("mod ") && next.ends_with('{') {
            let indent = &lines[i + 1][..lines[i + 1].len() - next.len()];
            let close = format!("{indent}}}");
            i += 2;
            while i < lines.len() && lines[i] != close {
                i += 1;
            }
        } else {
            kept.push(lines[i].split("//").next().unwrap_or(""));
        }
        i += 1;
    }
    kept.join("\n")
}

/// The top-level module a file below `src/` belongs to (`daemon/site.rs` → `daemon`).
fn top_module(relative: &str) -> &str {
    let first = relative.split('/').next().unwrap_or(relative);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// Which top-level modules each one names through `crate::…` paths (including `crate::{a, b}`).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    let modules: BTreeSet<&str> = files
        .iter()
        .map(|(path, _)| top_module(path))
        .filter(|m| !matches!(*m, "lib" | "main"))
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let from = top_module(path);
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let named: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![
                    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap_or(""),
                ],
            };
            for to in named {
                if to != from && modules.contains(to) {
                    graph
                        .entry(from.to_owned())
                        .or_default()
                        .insert(to.to_owned());
                }
            }
        }
    }
    graph
}

/// A cycle through `start`, as the modules along it, when there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().expect("paths are never empty");
        for next in graph.get(last).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = imports();
    assert!(
        graph.contains_key("daemon"),
        "the scan found no imports: {graph:?}"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_through(&graph, module))
        .map(|cycle| cycle.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_format_module_is_on_the_ground_floor() {
    let graph = imports();
    assert_eq!(
        graph.get("format"),
        None,
        "format imports {:?}",
        graph.get("format")
    );
    for module in ["config", "render", "snapshot"] {
        assert!(
            graph.get(module).is_some_and(|m| m.contains("format")),
            "{module} should learn what a format is from `format`: {:?}",
            graph.get(module)
        );
    }
    for module in ["render", "snapshot", "output"] {
        assert!(
            !graph.get(module).is_some_and(|m| m.contains("config")),
            "{module} imports config: {:?}",
            graph.get(module)
        );
    }
}

#[test]
fn each_media_type_is_written_once() {
    for media_type in [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    ] {
        let quoted = format!("\"{media_type}");
        let places: Vec<String> = sources()
            .into_iter()
            .flat_map(|(path, text)| std::iter::repeat_n(path, text.matches(&quoted).count()))
            .collect();
        assert_eq!(
            places,
            ["format.rs"],
            "{media_type} is written in {places:?}"
        );
    }
}

#[test]
fn etags_are_kept_in_one_form_and_never_unquoted_by_hand() {
    let unquoting: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.contains("trim_matches('\"')"))
        .map(|(path, _)| path)
        .collect();
    assert!(
        unquoting.is_empty(),
        "ETags unquoted by hand in {unquoting:?}"
    );
}

/// Each function longer than [`MAX_FN_LINES`], as `path:line name (n lines)`.
fn long_functions(path: &str, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = trimmed
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("const ")
            .trim_start_matches("async ");
        let Some(name) = signature.strip_prefix("fn ") else {
            continue;
        };
        if line.ends_with(';') || line.ends_with('}') {
            continue;
        }
        let close = format!("{indent}}}");
        let Some(end) = lines[i..].iter().position(|l| *l == close) else {
            continue;
        };
        if end + 1 > MAX_FN_LINES {
            let name = name.split(['(', '<']).next().unwrap_or(name);
            long.push(format!("{path}:{} {name} ({} lines)", i + 1, end + 1));
        }
    }
    long
}

#[test]
fn no_function_outside_tests_runs_over_sixty_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|(path, _)| !LONG_FUNCTIONS_ALLOWED_IN.contains(&path.as_str()))
        .flat_map(|(path, text)| long_functions(path, text))
        .collect();
    assert!(long.is_empty(), "split these: {long:#?}");
}
