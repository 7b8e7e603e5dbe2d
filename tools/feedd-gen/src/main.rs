//! `feedd-gen --posts N --out DIR [--seed S]`: the generator's command line (see the library).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Writes a generated feedd site (config.toml, feed-src/, manifest.json) for tests and benchmarks.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// How many posts to write.
    #[arg(long, value_name = "N")]
    posts: usize,
    /// The folder to write config.toml, feed-src/ and manifest.json into; created if missing.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed of the random generator: the same seed and arguments give the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// `max_entries` written into config.toml and manifest.json.
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_entries: usize,
    /// Replace an existing DIR/feed-src/ instead of refusing to touch it.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = feedd_gen::Options {
        posts: args.posts,
        out: args.out,
        seed: args.seed,
        max_entries: args.max_entries,
        force: args.force,
    };
    match feedd_gen::generate(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("feedd-gen: {error:#}");
            ExitCode::FAILURE
        }
    }
}
