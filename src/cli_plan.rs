//! `wavebump plan`: argument handling and output around `planning::run`.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Format, PlanArgs};
use crate::config::Config;
use crate::demo::{self, GenerateOptions};
use crate::ecosystem::{SourceTree, apply_splices};
use crate::forge::Forge;
use crate::forge::github::{GitHubForge, JsonFileEtagCache};
use crate::forge::local::LocalForge;
use crate::inspect::{DiffError, unified_diff};
use crate::planning::{self, Outcome};
use crate::render;

/// The config the demo organisation is planned with: canaries, the lockstep
/// trio and a critical tier that exist in it.
pub const DEMO_CONFIG: &str = include_str!("demo/demo.yaml");

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(1, format!("cannot start the runtime: {e}")))
}

pub fn run(args: &PlanArgs) -> ExitCode {
    let config = match &args.config {
        Some(path) => Config::load(path),
        None if args.local.is_none() => Config::parse(DEMO_CONFIG, "<embedded demo config>"),
        None => Config::embedded_example(),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    if let Some(Err(e)) = args.to.as_deref().map(planning::parse_version) {
        return fail(2, e);
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if args.github {
        return rt.block_on(plan_github(&config, args));
    }
    match &args.local {
        Some(dir) => {
            if !dir.is_dir() {
                return fail(2, format!("--local {}: not a directory", dir.display()));
            }
            rt.block_on(plan_local(dir, &config, args))
        }
        None if args.config.is_some() => {
            fail(2, "say where the repositories are: --local DIR or --github")
        }
        None => {
            let dir = match tempfile::tempdir() {
                Ok(d) => d,
                Err(e) => return fail(1, format!("cannot create a temporary directory: {e}")),
            };
            if let Err(e) = generate(dir.path(), &GenerateOptions::default()) {
                return fail(1, e);
            }
            eprintln!(
                "planning the generated example organisation ({} repositories; `wavebump demo --generate DIR` writes it to keep)",
                GenerateOptions::default().repos
            );
            rt.block_on(plan_local(dir.path(), &config, args))
        }
    }
}

/// Why the example organisation could not be generated.
#[derive(Debug, thiserror::Error)]
enum GenerateError {
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
}

fn generate(dir: &Path, opts: &GenerateOptions) -> Result<(), GenerateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    let gitconfig = dir.join(".gitconfig-isolated");
    std::fs::create_dir_all(&gitconfig).map_err(io(&gitconfig))?;
    crate::git::isolate_global_config(&gitconfig)?;
    let org = dir.join("org");
    demo::generate(&org, opts)?;
    // Plan over `org` only: move the repositories up one level.
    for entry in std::fs::read_dir(&org).map_err(io(&org))? {
        let entry = entry.map_err(io(&org))?;
        std::fs::rename(entry.path(), dir.join(entry.file_name())).map_err(io(&entry.path()))?;
    }
    std::fs::remove_dir(&org).map_err(io(&org))?;
    std::fs::remove_dir_all(&gitconfig).map_err(io(&gitconfig))?;
    Ok(())
}

fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} repositories") {
        bar.set_style(style);
    }
    Some(bar)
}

async fn plan_github(config: &Config, args: &PlanArgs) -> ExitCode {
    let mut options = match GitHubForge::options_from_config(config, |k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(e) => return fail(2, e),
    };
    let cache_path = config.base_dir.join("wavebump-etags.json");
    options.cache = std::sync::Arc::new(JsonFileEtagCache::open(&cache_path));
    let forge = match GitHubForge::connect(options).await {
        Ok(f) => f,
        Err(e) => return fail(1, e),
    };
    let code = plan_with(&forge, config, args).await;
    if let Err(e) = forge.flush_cache() {
        eprintln!(
            "warning: cannot save the ETag cache {}: {e}",
            cache_path.display()
        );
    }
    code
}

async fn plan_local(dir: &Path, config: &Config, args: &PlanArgs) -> ExitCode {
    plan_with(&LocalForge::new(dir), config, args).await
}

async fn plan_with<F: Forge>(forge: &F, config: &Config, args: &PlanArgs) -> ExitCode {
    let bar = progress_bar();
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let outcome = planning::run(forge, config, args.to.as_deref(), &progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return fail(if e.is_usage() { 2 } else { 1 }, e),
    };
    let rendered = match args.format {
        Format::Text => Ok(render::plan::text(&outcome.report)),
        Format::Json => Ok(render::plan::json(&outcome.report)),
        Format::Markdown => render::plan::markdown(&outcome.report),
        Format::Dot => Ok(render::plan::dot(&outcome.report)),
        Format::Mermaid => Ok(render::plan::mermaid(&outcome.report)),
    };
    let mut text = match rendered {
        Ok(text) => text,
        Err(e) => return fail(1, e),
    };
    if args.diff {
        let diffs = match file_diffs(forge, &outcome).await {
            Ok(diffs) => diffs,
            Err(e) => return fail(1, e),
        };
        if matches!(args.format, Format::Json) {
            // One JSON document, each diff in a field.
            text = match crate::inspect::json_with_diffs(&text, &diffs) {
                Ok(text) => text,
                Err(e) => return fail(1, e),
            };
        } else {
            text.extend(diffs.into_iter().map(|(_, diff)| diff));
        }
    }
    // A closed pipe (`| head`) ends the output quietly.
    crate::inspect::write_stdout(&text);
    let errors = outcome.report.errors.len();
    if errors > 0 && !args.allow_errors {
        eprintln!(
            "error: {errors} error(s) in {} repositories (listed above); exit code {ERRORS_REPORTED} (--allow-errors: exit 0)",
            outcome.report.summary.repos_with_errors
        );
        return ExitCode::from(ERRORS_REPORTED);
    }
    ExitCode::SUCCESS
}

/// The exit code of a plan that was printed but reported errors.
pub const ERRORS_REPORTED: u8 = 3;

/// The unified diff of every rewrite, repository by repository.
// `Err` stays a message: the splice and tree-read errors it carries are the
// ecosystem layer's `String`s (outside this module's reach).
pub async fn diffs<F: Forge>(forge: &F, outcome: &Outcome) -> Result<String, PlanDiffError> {
    Ok(file_diffs(forge, outcome)
        .await?
        .into_iter()
        .map(|(_, diff)| diff)
        .collect())
}

/// Why the plan's diffs cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PlanDiffError {
    /// The forge could not give a repository's tree.
    #[error(transparent)]
    Tree(#[from] crate::forge::ForgeError),
    #[error(transparent)]
    Diff(#[from] DiffError),
}

/// The unified diff of every rewritten file: (`repo/path`, diff).
pub async fn file_diffs<F: Forge>(
    forge: &F,
    outcome: &Outcome,
) -> Result<Vec<(String, String)>, PlanDiffError> {
    let mut out = Vec::new();
    for scan in &outcome.discovery.repos {
        let splices: Vec<_> = scan
            .targets
            .iter()
            .flat_map(|t| t.splices.iter().cloned())
            .collect();
        if splices.is_empty() {
            continue;
        }
        let tree = forge.read_tree(&scan.repo).await?;
        let new = apply_splices(&tree, &splices).map_err(DiffError::from)?;
        for (path, bytes) in &new {
            let old = tree.read(path).map_err(DiffError::from)?;
            let name = format!("{}/{path}", scan.repo);
            let diff = unified_diff(&name, &old, bytes);
            out.push((name, diff));
        }
    }
    Ok(out)
}
