//! `feedd-gen`: writes a realistic, deterministic site for tests and benchmarks.
//!
//! [`generate`] writes `DIR/config.toml`, `DIR/feed-src/` with N posts (Markdown with TOML or
//! YAML front matter, and plain-text byline posts) and `DIR/manifest.json` with the entry values
//! feedd should produce for each post. The same seed and options always give the same bytes. The
//! pieces: `plan` decides each post, `render` writes its file text, `manifest` states the
//! expectations; this file only writes. A package of its own, so that `cargo install` of feedd
//! installs feedd alone and the generator's random numbers stay out of feedd's dependencies;
//! feedd's tests call it as a library, `bench/compare` runs its binary.

mod manifest;
mod plan;
mod prose;
mod render;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many posts to write.
    pub posts: usize,
    /// The folder to write config.toml, feed-src/ and manifest.json into; created if missing.
    pub out: PathBuf,
    /// Seed of the random generator: the same seed and options give the same bytes.
    pub seed: u64,
    /// `max_entries` written into config.toml and manifest.json.
    pub max_entries: usize,
    /// Replace an existing `out/feed-src/` instead of refusing to touch it.
    pub force: bool,
}

impl Options {
    /// `posts` posts into `out`, seed 1, 50 entries per document.
    pub fn new(posts: usize, out: &Path) -> Options {
        Options {
            posts,
            out: out.to_path_buf(),
            seed: 1,
            max_entries: 50,
            force: false,
        }
    }
}

/// Writes the site `args` describe.
pub fn generate(args: &Options) -> anyhow::Result<()> {
    if args.max_entries == 0 {
        bail!("--max-entries must be at least 1");
    }
    let source = args.out.join("feed-src");
    prepare_source_dir(&source, args.force)?;

    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let plans = plan::plan_posts(&mut rng, args.posts);
    let slugs: Vec<&str> = plans.iter().map(|p| p.slug.as_str()).collect();
    create_folders(&source, &plans)?;
    for plan in &plans {
        let text = render::render(&mut rng, plan, &slugs);
        write(&source.join(&plan.path), text.as_bytes())?;
    }

    let site = manifest::Site::bench(args.max_entries);
    write(
        &args.out.join("config.toml"),
        manifest::config_toml(&site).as_bytes(),
    )?;
    let manifest = manifest::Manifest {
        site: &site,
        posts: plans.iter().map(|p| manifest::expected(&site, p)).collect(),
    };
    let mut json = serde_json::to_vec_pretty(&manifest).context("cannot serialise the manifest")?;
    json.push(b'\n');
    write(&args.out.join("manifest.json"), &json)?;
    Ok(())
}

/// Refuses to mix new posts into an old corpus, whose stale files would contradict the manifest.
fn prepare_source_dir(source: &Path, force: bool) -> anyhow::Result<()> {
    let occupied = fs::read_dir(source).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        if !force {
            bail!(
                "{} already has files; remove it, pick another --out, or pass --force to replace it",
                source.display()
            );
        }
        fs::remove_dir_all(source)
            .with_context(|| format!("cannot remove {}", source.display()))?;
    }
    fs::create_dir_all(source).with_context(|| format!("cannot create {}", source.display()))
}

fn create_folders(source: &Path, plans: &[plan::PostPlan]) -> anyhow::Result<()> {
    let folders: BTreeSet<&str> = plans
        .iter()
        .filter_map(|p| p.path.rsplit_once('/'))
        .map(|(dir, _)| dir)
        .collect();
    for folder in folders {
        let path = source.join(folder);
        fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate_into(dir: &Path, seed: u64) {
        let options = Options {
            seed,
            force: true,
            ..Options::new(40, dir)
        };
        generate(&options).unwrap();
    }

    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn same_seed_writes_the_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate_into(a.path(), 3);
        generate_into(b.path(), 3);
        assert_eq!(snapshot(a.path()), snapshot(b.path()));
        generate_into(b.path(), 4);
        assert_ne!(snapshot(a.path()), snapshot(b.path()));
    }

    #[test]
    fn manifest_lists_every_written_post() {
        let dir = tempfile::tempdir().unwrap();
        generate_into(dir.path(), 1);
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
        let posts = manifest["posts"].as_array().unwrap();
        assert_eq!(posts.len(), 40);
        for post in posts {
            let path = dir
                .path()
                .join("feed-src")
                .join(post["path"].as_str().unwrap());
            assert!(path.is_file(), "{}", path.display());
            assert!(!feedd::source::is_ignored(Path::new(
                post["path"].as_str().unwrap()
            )));
        }
        let config = feedd::config::Config::load(&dir.path().join("config.toml")).unwrap();
        assert_eq!(config.source_dir, dir.path().join("feed-src"));
    }

    #[test]
    fn refuses_to_mix_into_an_existing_corpus() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("feed-src")).unwrap();
        fs::write(dir.path().join("feed-src/old.md"), "+++\n+++\n").unwrap();
        let err = generate(&Options::new(1, dir.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
    }
}
