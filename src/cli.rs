//! Command-line entry points: thin wrappers over the library's operations.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::ecosystem::{self, DirTree, LibraryNames};
use crate::inspect;

#[derive(Debug, Parser)]
#[command(
    name = "wavebump",
    version,
    about = "Roll a shared library's new release out across a fleet of repositories, in CI-gated waves."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dry run: who consumes the library, at what version, in which wave,
    /// and the exact diffs. Writes nothing. With no --config and no --local
    /// it plans the generated example organisation.
    #[command(
        after_help = "Exit codes:\n  0  the plan was made and no repository reported an error (or --allow-errors)\n  1  the plan could not be made (forge unreachable, I/O failure)\n  2  usage or configuration error (nothing was planned)\n  3  the plan was printed, but at least one repository or manifest reported an error\n\nExamples:\n  wavebump plan\n  wavebump plan --config config.example.yaml --local ./org --format markdown\n  wavebump plan --local ./org --to 2.1.0 --diff"
    )]
    Plan(PlanArgs),
    /// The whole product on local disk, no GitHub account needed: generates
    /// the example organisation, plans it, and rolls the new major out in
    /// CI-gated waves through the local forge with simulated CI (a flaky
    /// repository, a real break, an operator who retries and skips, an owner
    /// who fixes a red PR, one who merges by hand), then prints a summary.
    /// `--generate DIR` only writes the organisation.
    #[command(
        after_help = "Examples:\n  wavebump demo\n  wavebump demo --repos 80 --seed 7 --speed 5000\n  wavebump demo --dir ./demo-org   # keep repositories, PR records and wavebump.db\n  wavebump demo --generate ./org --repos 40 --seed 1"
    )]
    Demo(DemoArgs),
    /// Print every requirement of the library in a checkout: ecosystem, path,
    /// line, requirement, locked version, classification and the rewrite.
    #[command(after_help = "Example:\n  wavebump inspect examples/monorepo --to 2.0.0 --diff")]
    Inspect(InspectArgs),
    /// Run as a GitHub App: verified webhooks into a durable inbox, one
    /// worker applying them through the rollout engine, a reconcile loop,
    /// /healthz, /readyz and /metrics. The webhook secret comes from
    /// WAVEBUMP_WEBHOOK_SECRET (comma-separated during a rotation) or
    /// github.webhook_secret_file; without one it refuses to start (exit 2).
    /// SIGTERM or Ctrl-C: graceful shutdown, exit 0.
    #[command(
        after_help = "Example:\n  WAVEBUMP_WEBHOOK_SECRET=... wavebump serve --config /etc/wavebump/config.yaml --listen 0.0.0.0:8080"
    )]
    Serve(crate::cli_serve::ServeArgs),
    /// Drive a rollout: start, status, tick, run, and the operator commands
    /// (pause, resume, advance, abort, retry, skip).
    #[command(
        after_help = "Examples:\n  wavebump rollout start --config wavebump.yaml --to 2.0.0\n  wavebump rollout run --config wavebump.yaml --interval 60\n  wavebump rollout status --config wavebump.yaml"
    )]
    Rollout(crate::cli_rollout::RolloutArgs),
    /// One repository's version-bump PR (`pr open`).
    #[command(
        after_help = "Example:\n  wavebump pr open --config wavebump.yaml --repo acme/billing --to 2.0.0"
    )]
    Pr(crate::cli_rollout::PrArgs),
    /// Print a new random secret (64 hex digits, 256 bits from the OS
    /// generator) for a webhook secret or an operator token. `serve`
    /// refuses secrets and tokens under 128 bits of estimated entropy.
    #[command(
        after_help = "Example:\n  wavebump secret > webhook-secret && chmod 600 webhook-secret"
    )]
    Secret,
    /// Report a CI result on a commit of the local forge (`--local DIR`),
    /// the way external CI posts a commit status to GitHub: `rollout ...
    /// --local DIR` then reads it as that commit's CI.
    #[command(
        after_help = "Example:\n  wavebump commit-status --local ./org --repo billing --sha 3f2a9c1 --context ci/test --state success"
    )]
    CommitStatus(crate::cli_status::CommitStatusArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  wavebump completions bash > /etc/bash_completion.d/wavebump"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A checkout (any directory) to inspect.
    pub path: PathBuf,
    /// The library's short name (crate, PyPI project and gem name).
    #[arg(long, default_value = "core-utils")]
    pub library: String,
    /// The organisation: npm scope `@ORG/NAME`, Go module `github.com/ORG/NAME`.
    #[arg(long, default_value = "acme")]
    pub org: String,
    /// Override the npm package name.
    #[arg(long)]
    pub npm_name: Option<String>,
    /// Override the Go module path.
    #[arg(long)]
    pub go_module: Option<String>,
    /// The new release to judge and rewrite against.
    #[arg(long, value_name = "VERSION")]
    pub to: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also print the unified diff of every rewrite.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The configuration file (default: the embedded config.example.yaml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A directory of git repositories to plan over (the local forge).
    #[arg(long, value_name = "DIR", conflicts_with = "github")]
    pub local: Option<PathBuf>,
    /// Plan over the organisation on GitHub (the config's `github` section;
    /// read-only).
    #[arg(long)]
    pub github: bool,
    /// The version to roll out (default: the library's latest tag). A version
    /// that is not tagged yet gives a what-if plan.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also print the unified diff of every manifest rewrite.
    #[arg(long)]
    pub diff: bool,
    /// Exit 0 even when some repositories or manifests reported errors
    /// (they are still printed and counted).
    #[arg(long)]
    pub allow_errors: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Only write the example organisation's repositories into DIR
    /// (created; must be empty), as bare `NAME.git` repositories that
    /// `plan`/`rollout ... --local DIR` accept as they are, and stop.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "speed"])]
    pub generate: Option<PathBuf>,
    /// How many repositories (the hand-written core is always included).
    #[arg(long, default_value_t = 40)]
    pub repos: usize,
    /// Seed of the generated filler and of the simulated CI's durations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per real second (the rollout takes hours of
    /// simulated time: CI runs, soaks, an operator's reaction).
    #[arg(long, default_value_t = crate::demo::DEFAULT_SPEED, value_name = "X")]
    pub speed: f64,
    /// Run in DIR (created; must be empty) and keep it: the bare
    /// repositories, the PR records (.wavebump/pulls.json) and wavebump.db.
    /// Default: a temporary directory, removed at the end.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Serve the status page on ADDR (e.g. 127.0.0.1:8080) while the demo
    /// runs, and keep serving it after the rollout completes until Ctrl-C.
    #[arg(long, value_name = "ADDR", conflicts_with = "generate")]
    pub serve: Option<std::net::SocketAddr>,
}

impl InspectArgs {
    fn library_names(&self) -> LibraryNames {
        LibraryNames {
            cargo: Some(self.library.clone()),
            npm: Some(
                self.npm_name
                    .clone()
                    .unwrap_or_else(|| format!("@{}/{}", self.org, self.library)),
            ),
            go: Some(
                self.go_module
                    .clone()
                    .unwrap_or_else(|| format!("github.com/{}/{}", self.org, self.library)),
            ),
            python: Some(self.library.clone()),
            ruby: Some(self.library.clone()),
        }
    }
}

/// Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Inspect(args) => run_inspect(&args),
        Command::Plan(args) => crate::cli_plan::run(&args),
        Command::Demo(args) => crate::cli_demo::run(&args),
        Command::Serve(args) => crate::cli_serve::run(&args),
        Command::Rollout(args) => crate::cli_rollout::run(&args),
        Command::Pr(args) => crate::cli_rollout::run_pr(&args),
        Command::Secret => match crate::config::secret::generate() {
            Ok(secret) => {
                println!("{}", secret.expose());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Command::CommitStatus(args) => crate::cli_status::run(&args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "wavebump",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

fn run_inspect(args: &InspectArgs) -> ExitCode {
    let to = match semver::Version::parse(args.to.trim_start_matches('v')) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: --to {:?} is not a version: {e}", args.to);
            return ExitCode::from(2);
        }
    };
    let tree = match DirTree::open(&args.path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.path.display());
            return ExitCode::from(1);
        }
    };
    let report = ecosystem::scan(&tree, &args.library_names(), &to);
    let diffs = if args.diff {
        match inspect::file_diffs(&tree, &report) {
            Ok(diffs) => diffs,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        Vec::new()
    };
    // `--json --diff`: one JSON document, each diff in a field.
    let out = match (args.json, args.diff) {
        (true, true) => inspect::json_with_diffs(&inspect::render_json(&report, &to), &diffs),
        (true, false) => Ok(inspect::render_json(&report, &to)),
        (false, _) => Ok(inspect::render_text(&report, &to)
            + &diffs.iter().map(|(_, d)| d.as_str()).collect::<String>()),
    };
    match out {
        // A closed pipe ends the output quietly.
        Ok(out) => {
            inspect::write_stdout(&out);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
