//! The `feedd` binary: parse arguments, set up logging, run the chosen mode, map the result to an
//! exit code (0 success, 1 problems in posts or lint errors, 2 unusable config, folders or
//! inputs, 3 a WebSub hub not told after `--once --ping`, 4 a failed `--once --deploy`, 64
//! usage error).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use feedd::cli::{self, Invocation, Mode};
use feedd::config::Config;
use feedd::deploy;
use feedd::lint;
use feedd::once::{self, Outcome};
use feedd::wording::count;

/// mimalloc gives freed memory back to the system; glibc's malloc kept the buffers of a burst
/// of hostile connections (hundreds of MB) long after they closed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same in v2 and v3); the bindings name no constant.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// By default mimalloc purges freed memory a second later, but only when it next allocates, so a
/// daemon that goes quiet after a burst keeps the burst's memory. Purging at once costs a few
/// `madvise` calls and halves the idle footprint (28 → 12 MB on the sample site).
fn return_freed_memory_at_once() {
    // SAFETY: sets one integer option; mimalloc allows options to change at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

fn main() -> ExitCode {
    return_freed_memory_at_once();
    let cli = match cli::parse() {
        Invocation::Run(cli) => cli,
        Invocation::Man => return generated(cli::write_man(&mut std::io::stdout().lock())),
        Invocation::Completions(shell) => {
            return generated(cli::write_completions(shell, &mut std::io::stdout().lock()));
        }
    };
    feedd::logging::init(cli.log.as_deref());
    match run(&cli.config, cli.mode()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("feedd: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(config_path: &Path, mode: Mode) -> anyhow::Result<ExitCode> {
    match mode {
        Mode::Check { locked } => check(config_path, locked),
        Mode::Lint {
            format,
            strict,
            inputs,
        } => lint(config_path, format, strict, &inputs),
        Mode::Once {
            out,
            locked,
            ping,
            deploy,
        } => run_once(config_path, out, locked, ping, deploy),
        Mode::Daemon { listen } => {
            // SAFETY: no other thread exists yet (the runtime starts below), and nothing has
            // claimed the descriptors systemd passes from 3 on.
            let inherited = unsafe { feedd::systemd::take_listener() }?;
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let result = runtime.block_on(feedd::daemon::run(config_path, listen, inherited));
            // A rebuild abandoned by the stop may still hold a blocking thread; do not wait
            // for it (dropping the runtime would).
            runtime.shutdown_timeout(std::time::Duration::from_millis(100));
            result?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `feedd check`: the posts' problems, then the error-severity lint rules on the documents.
fn check(config_path: &Path, locked: bool) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let now = chrono::Utc::now();
    let judged = once::build_in_memory(&config, locked, now)?;
    if !judged.build.diagnostics.is_empty() {
        return Ok(report(Outcome::Rejected(judged.build), None));
    }
    let errors = lint::site::errors(&config, &judged, now);
    if !errors.is_empty() {
        for finding in &errors {
            eprintln!("{}", lint::report::text(finding));
        }
        eprintln!(
            "feedd: {} (`feedd lint` shows warnings too)",
            count(errors.len(), "lint error")
        );
        return Ok(ExitCode::from(1));
    }
    let outcome = Outcome::Built {
        build: judged.build,
        written: None,
        recorded: None,
    };
    Ok(report(outcome, None))
}

/// `feedd lint`: the site's documents built in memory, or the files given; findings on stdout,
/// a count on stderr.
fn lint(
    config_path: &Path,
    format: cli::LintFormat,
    strict: bool,
    inputs: &[String],
) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now();
    let findings = if inputs.is_empty() {
        let config = Config::load(config_path)?;
        let judged = once::build_in_memory(&config, false, now)?;
        lint::site::lint(&config, &judged, now)
    } else {
        let inputs = (inputs.iter())
            .map(|arg| lint::input::Input::parse(arg))
            .collect::<Result<Vec<_>, _>>()?;
        lint::input::lint_all(&inputs, now)?
    };
    lint::report::write(&findings, format, &mut std::io::stdout().lock())
        .context("cannot write to standard output")?;
    eprintln!("feedd lint: {}", lint::report::summary(&findings));
    Ok(ExitCode::from(lint::exit_code(&findings, strict)))
}

/// `--once`: build and write; then, as asked, deploy and tell the hubs, in that order.
fn run_once(
    config_path: &Path,
    out: Option<std::path::PathBuf>,
    locked: bool,
    ping: bool,
    deploy: bool,
) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let out = out.unwrap_or_else(|| config.output_dir.clone());
    let options = once::Options {
        out: Some(&out),
        locked,
    };
    let outcome = once::run(&config, options, chrono::Utc::now())?;
    let (topics, job) = match &outcome {
        Outcome::Built {
            build,
            written: Some(written),
            ..
        } => (
            ping.then(|| once::written_topics(&config, build, written)),
            deploy.then(|| {
                let (documents, media) = (build.documents.clone(), build.media.clone());
                deploy::Job::new(&config, documents, media, &out)
            }),
        ),
        _ => (None, None),
    };
    let code = report(outcome, Some(&out));
    if let Some(job) = job {
        let deployed = deploy_documents(job.as_ref());
        if deployed != ExitCode::SUCCESS {
            return Ok(deployed);
        }
    }
    match topics {
        Some(topics) => ping_hubs(&config, &topics),
        None => Ok(code),
    }
}

fn generated(result: std::io::Result<()>) -> ExitCode {
    match result {
        // `feedd man | head`: the reader had what it wanted; that is a normal end.
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("feedd: cannot write to standard output: {err}");
            ExitCode::from(2)
        }
    }
}

/// `--deploy`: publishes the changed documents to the `[deploy]` target, before any `--ping`
/// (hubs fetch what they are told of); exit 4 when it fails after every attempt.
fn deploy_documents(job: Option<&deploy::Job>) -> ExitCode {
    let Some(job) = job else {
        eprintln!(
            "feedd: --deploy: no target to deploy to; add `[deploy]` with `bucket = \"…\"` or `command = […]`"
        );
        return ExitCode::SUCCESS;
    };
    let target = job.deploy.describe();
    match deploy::deploy_once(job) {
        Ok(report) => {
            println!("feedd: deployed to {target}: {report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("feedd: deploy to {target} failed: {err}");
            ExitCode::from(4)
        }
    }
}

/// `--ping`: tells the outside hubs of `topics`; exit 3 when a hub could not be told.
fn ping_hubs(config: &Config, topics: &[url::Url]) -> anyhow::Result<ExitCode> {
    let hubs = &config.websub.hubs;
    if hubs.is_empty() {
        eprintln!("feedd: --ping: no hub to tell; name one in `[websub] hubs = [\"https://…\"]`");
        return Ok(ExitCode::SUCCESS);
    }
    if topics.is_empty() {
        println!("feedd: no feed changed; no hub told");
        return Ok(ExitCode::SUCCESS);
    }
    let undelivered = once::ping(hubs, topics).context("cannot start the async runtime")?;
    for failed in &undelivered {
        eprintln!("feedd: WebSub hub {failed}");
    }
    let told = hubs.len() - undelivered.len();
    println!(
        "feedd: told {} of {} written",
        count(told, "hub"),
        count(topics.len(), "feed document")
    );
    Ok(if undelivered.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// Prints the outcome of a one-shot run: a summary on stdout, problems on stderr.
fn report(outcome: Outcome, out: Option<&Path>) -> ExitCode {
    match outcome {
        Outcome::Built {
            build,
            written,
            recorded,
        } => {
            let documents = build.documents.len();
            match (written, out) {
                (Some(w), Some(out)) => println!(
                    "feedd: {}, {} in {}: {} written, {} unchanged, {} removed",
                    count(build.published, "post"),
                    count(documents, "document"),
                    out.display(),
                    w.written.len(),
                    w.unchanged,
                    w.removed.len()
                ),
                _ => println!(
                    "feedd: ok: {}, {}",
                    count(build.published, "post"),
                    count(documents, "document")
                ),
            }
            if let Some((changes, lock)) = recorded {
                println!("feedd: {changes} in {} — commit it", lock.display());
            }
            ExitCode::SUCCESS
        }
        Outcome::Rejected(build) => {
            for diagnostic in &build.diagnostics {
                eprintln!("{diagnostic}");
            }
            let problems = count(build.diagnostics.len(), "problem");
            let tail = if out.is_some() {
                "; nothing was written"
            } else {
                ""
            };
            eprintln!("feedd: {problems}{tail}");
            ExitCode::from(1)
        }
    }
}
