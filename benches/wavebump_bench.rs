//! `cargo bench --bench wavebump-bench`: prints every performance figure
//! wavebump tracks, then one Markdown table of them all (the README's
//! benchmark table is that table, pasted). Figures, not pass/fail. A filter
//! argument selects groups: `manifests`, `github`, `plan`, `rollout`,
//! `quiet-people`, `webhooks`, `scale`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use wavebump::demo::{GenerateOptions, fleet};
use wavebump::ecosystem::{self, Ecosystem, LibraryNames, SourceTree, apply_splices};

#[path = "figures/rollout.rs"]
mod rollout_figures;
#[path = "figures/scale.rs"]
mod scale_figures;

/// Every figure of the run, for the final Markdown table.
#[derive(Default)]
pub struct Figures(Vec<(String, String, String)>);

impl Figures {
    pub fn row(
        &mut self,
        figure: impl Into<String>,
        goal: impl Into<String>,
        measured: impl Into<String>,
    ) {
        self.0.push((figure.into(), goal.into(), measured.into()));
    }

    fn markdown(&self) -> String {
        let mut out = String::from("| figure | goal | measured |\n|---|---|---|\n");
        for (f, g, m) in &self.0 {
            out.push_str(&format!("| {f} | {g} | {m} |\n"));
        }
        out
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects figures.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    println!("wavebump-bench (release build, one core unless stated)");
    let started = Instant::now();
    let mut figures = Figures::default();
    support::org::isolate_git();
    if wanted("manifests") {
        manifests_per_second(&mut figures);
        largest_manifests(&mut figures);
    }
    if wanted("plan") {
        for repos in [1_000, 5_000] {
            plan_figures(repos, &mut figures);
        }
    }
    if wanted("github") {
        github_figures(&mut figures);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if wanted("rollout") {
        rollout_figures::github_rollout(&rt, 40, &mut figures);
        for n in [1_000, 5_000] {
            rollout_figures::tick_and_page(&rt, n, &mut figures);
        }
    }
    if wanted("quiet-people") {
        rollout_figures::quiet_people_tick(&rt, 40, &mut figures);
    }
    if wanted("webhooks") {
        rollout_figures::webhooks(&rt, &mut figures);
    }
    if wanted("scale") {
        scale_figures::scale(&rt, 5_000, &mut figures);
    }
    println!(
        "\nAll figures ({:.0} s; 2-core machine shared with other work):\n\n{}",
        started.elapsed().as_secs_f64(),
        figures.markdown()
    );
}

/// The in-process fake GitHub of the test suite, reused here to count API
/// requests (test code, compiled into the bench only).
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../tests/support/fake_github/mod.rs"]
pub mod fake_github;
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../tests/support/memforge.rs"]
pub mod memforge;
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../tests/support/org.rs"]
pub mod org;
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../tests/support/scratch.rs"]
pub mod scratch;

pub mod support {
    pub use super::{fake_github, memforge, org, scratch};

    pub fn crate_root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }
}

/// API requests per repository for discovery (cold and warm), per PR, and
/// the wall time of opening 40 PRs with real pushes, against the fake.
fn github_figures(figures: &mut Figures) {
    use std::sync::Arc;
    use support::fake_github::{self, FakeGitHub};
    use wavebump::config::secret::Secret;
    use wavebump::forge::github::{GitHubAuth, GitHubForge, GitHubOptions, MemoryEtagCache};
    use wavebump::forge::{BranchPush, ForgeWrite, NewPullRequest};

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let org = support::org::generate(40, 1);
        let fake = FakeGitHub::start().await;
        fake.install("acme");
        let repos = fake.load_dir("acme", org.path());
        let cache = tempfile::tempdir().expect("tempdir");
        let mut options = GitHubOptions::new(
            fake.url(),
            "acme",
            GitHubAuth::App {
                app_id: fake_github::APP_ID,
                private_key_pem: Secret::new(fake_github::app_private_key()),
                installation_id: None,
            },
        );
        options.cache = Arc::new(MemoryEtagCache::new());
        options.git_cache_dir = cache.path().to_path_buf();
        // The org-wide write budget (20/min by default) is what paces real
        // rollouts; it is lifted here to measure the work itself.
        options.writes_per_minute = 100_000;
        let forge = GitHubForge::connect(options).await.expect("connect");
        let config = wavebump::config::Config::parse(
            wavebump::cli_plan::DEMO_CONFIG,
            "demo.yaml",
        )
        .expect("config");

        fake.clear_requests();
        let outcome = wavebump::planning::run(&forge, &config, None, &|_, _| {})
            .await
            .expect("plan");
        let api = fake.count(|r| !r.is_auth());
        let blobs = fake.count(|r| r.path.contains("/git/blobs/"));
        let n = repos.len() as f64;
        println!(
            "github discovery cold: {api} requests for {} repos ({blobs} manifest blobs): {:.2}/repo (goal <= 2 + 1 per manifest = {:.2}/repo)",
            repos.len(),
            api as f64 / n,
            2.0 + blobs as f64 / n
        );
        figures.row(
            format!("GitHub discovery, cold (demo organisation, {} repositories, {blobs} manifests)", repos.len()),
            format!("<= 2 + 1 per manifest per repo ({:.2})", 2.0 + blobs as f64 / n),
            format!("{api} requests: {:.2} per repository", api as f64 / n),
        );
        fake.clear_requests();
        wavebump::planning::run(&forge, &config, None, &|_, _| {})
            .await
            .expect("plan");
        let counted = fake.count(|r| !r.is_auth() && r.is_counted());
        let all = fake.count(|r| !r.is_auth());
        println!(
            "github discovery warm: {all} requests, {counted} counted (the rest 304): {:.2} counted/repo (goal <= 0.1)",
            counted as f64 / n
        );
        figures.row(
            "GitHub discovery, warm re-scan",
            "<= 0.1 counted per repo",
            format!("{all} requests, {counted} counted (the rest 304)"),
        );

        // 40 PRs with real pushes.
        let to = semver::Version::new(2, 0, 0);
        let library = wavebump::planning::library_names(&config);
        let mut work = Vec::new();
        for scan in &outcome.discovery.repos {
            if scan.targets.iter().all(|t| t.splices.is_empty()) {
                continue;
            }
            work.push(scan.repo.clone());
        }
        fake.clear_requests();
        let start = Instant::now();
        let mut opened = 0;
        for full in &work {
            let tree = wavebump::forge::Forge::read_tree(&forge, full).await.expect("tree");
            let report = wavebump::ecosystem::scan(&tree, &library, &to);
            let splices: Vec<_> = report.targets.iter().flat_map(|t| t.splices.clone()).collect();
            let files = wavebump::ecosystem::apply_splices(&tree, &splices).expect("splices");
            let push = BranchPush {
                branch: "wavebump/core-utils-2.0.0".into(),
                base_branch: "main".into(),
                files: files.into_iter().collect(),
                message: "Bump core-utils to 2.0.0".into(),
                expected_head: None,
                lock_refresh: vec![],
            };
            forge.push_branch(full, &push).await.expect("push");
            forge
                .create_pr(
                    full,
                    &NewPullRequest {
                        head_branch: push.branch.clone(),
                        base_branch: "main".into(),
                        title: "Bump core-utils to 2.0.0".into(),
                        body: "wavebump".into(),
                        draft: false,
                        labels: vec!["dependencies".into()],
                        reviewers: vec![],
                        team_reviewers: vec![],
                    },
                )
                .await
                .expect("pr");
            opened += 1;
        }
        let wall = start.elapsed();
        let api = fake.count(|r| !r.is_auth());
        println!(
            "github PRs: {opened} PRs opened with real pushes in {:.2} s (goal 40 in < 5 s); {:.1} API requests per PR incl. reading the tree (goal <= 6 for opening)",
            wall.as_secs_f64(),
            api as f64 / opened.max(1) as f64
        );
        figures.row(
            "opening one PR (read tree, push, find, create, labels)",
            "<= 6 requests",
            format!("{:.1} requests per PR", api as f64 / opened.max(1) as f64),
        );
        figures.row(
            format!("opening the demo organisation's {opened} PRs with real git pushes (write budget lifted)"),
            "40 in < 5 s",
            format!("{opened} in {:.2} s", wall.as_secs_f64()),
        );
    });
}

/// Peak resident set size of the largest waited-for child, in MiB.
fn children_peak_rss_mib() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    usage.ru_maxrss as f64 / 1024.0
}

/// `wavebump plan` over a generated organisation: wall time and peak RSS of
/// the real binary, and the pure planning step alone.
fn plan_figures(repos: usize, figures: &mut Figures) {
    let scratch = support::scratch::tempdir();
    let gitconfig = scratch.path().join("gitconfig");
    std::fs::create_dir_all(&gitconfig).expect("mkdir");
    wavebump::git::isolate_global_config(&gitconfig).expect("isolate git config");
    let org = scratch.path().join("org");
    let start = Instant::now();
    wavebump::demo::generate(&org, &GenerateOptions { repos, seed: 42 }).expect("generate");
    let generated = start.elapsed();

    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wavebump"))
        .args([
            "plan",
            "--config",
            "config.example.yaml",
            "--format",
            "json",
            "--local",
        ])
        .arg(&org)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run wavebump plan");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = children_peak_rss_mib();

    // The pure planning step on the same organisation.
    let config = wavebump::config::Config::embedded_example().expect("config");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let forge = wavebump::forge::local::LocalForge::new(&org);
    let outcome = rt
        .block_on(wavebump::planning::run(&forge, &config, None, &|_, _| {}))
        .expect("plan");
    let input = wavebump::plan::PlanInput {
        repos: outcome
            .discovery
            .repos
            .iter()
            .map(|s| wavebump::plan::RepoInput {
                name: s.repo.clone(),
                needs_pr: s.targets.iter().any(wavebump::report::needs_pr),
            })
            .collect(),
        edges: outcome
            .discovery
            .edges
            .iter()
            .map(|e| wavebump::plan::Edge::new(e.from.clone(), e.to.clone()))
            .collect(),
    };
    let known: Vec<String> = outcome
        .discovery
        .repos
        .iter()
        .map(|s| s.repo.clone())
        .collect();
    let policy = wavebump::planning::policy(&config, &known);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let plan = wavebump::plan::plan(&input, &policy).expect("plan");
        best = best.min(start.elapsed());
        std::hint::black_box(plan);
    }
    println!(
        "plan {repos} repos: wall {:.2} s, peak RSS {rss:.0} MiB (max over runs so far) (goal 5,000 < 2 s, < 200 MB); planning step alone {:.1} ms for {} units (goal < 50 ms at 5,000); generating the org took {:.1} s",
        wall.as_secs_f64(),
        best.as_secs_f64() * 1e3,
        input.repos.iter().filter(|r| r.needs_pr).count(),
        generated.as_secs_f64()
    );
    figures.row(
        format!("`wavebump plan` over {repos} generated repositories: wall, peak RSS"),
        if repos >= 5_000 {
            "< 2 s, < 200 MB"
        } else {
            "—"
        },
        format!("{:.2} s, {rss:.0} MiB", wall.as_secs_f64()),
    );
    if repos >= 5_000 {
        figures.row(
            format!(
                "planning step alone (pure function), {} units",
                input.repos.iter().filter(|r| r.needs_pr).count()
            ),
            "< 50 ms",
            format!("{:.1} ms", best.as_secs_f64() * 1e3),
        );
    }
}

/// Find, judge and rewrite the manifests of a generated mixed fleet.
fn manifests_per_second(figures: &mut Figures) {
    let opts = GenerateOptions {
        repos: 10_000,
        seed: 42,
    };
    let repos = fleet(&opts);
    let library = LibraryNames::acme_core_utils();
    let to = semver::Version::new(2, 0, 3);
    let manifests: usize = repos
        .iter()
        .map(|r| {
            let tree = r.history.last().map(|(_, t)| t).unwrap_or(&r.files);
            tree.files()
                .iter()
                .filter(|p| Ecosystem::ALL.iter().any(|e| e.handler().is_manifest(p)))
                .count()
        })
        .sum();
    let mut best = Duration::MAX;
    let mut targets = 0;
    for _ in 0..3 {
        let start = Instant::now();
        targets = 0;
        for r in &repos {
            let report = ecosystem::scan(&r.files, &library, &to);
            let splices: Vec<_> = report
                .targets
                .iter()
                .flat_map(|t| t.splices.iter().cloned())
                .collect();
            if let Ok(files) = apply_splices(&r.files, &splices) {
                std::hint::black_box(files);
            }
            targets += report.targets.len();
        }
        best = best.min(start.elapsed());
    }
    let per_second = manifests as f64 / best.as_secs_f64();
    println!(
        "manifests: {manifests} manifests ({targets} targets) found+judged+rewritten in {:.1} ms: {per_second:.0} manifests/s (goal >= 20000)",
        best.as_secs_f64() * 1e3
    );
    figures.row(
        "manifests found + judged + rewritten per second, mixed ecosystems, one core",
        ">= 20,000/s",
        format!(
            "{per_second:.0}/s ({manifests} manifests in {:.0} ms)",
            best.as_secs_f64() * 1e3
        ),
    );
}

/// How a big manifest is written: path, head, one filler line, the
/// library's line, tail.
type Shape = (
    &'static str,
    &'static str,
    fn(usize) -> String,
    &'static str,
    &'static str,
);

/// A manifest of `ecosystem` as large as the size cap allows: filler
/// dependencies (every tenth a duplicate key, for npm's duplicate check),
/// then the library's requirement.
fn largest_manifest(ecosystem: Ecosystem, cap: usize) -> (&'static str, String) {
    let (path, head, line, library, tail): Shape = match ecosystem {
        Ecosystem::Npm => (
            "package.json",
            "{\n  \"name\": \"big\",\n  \"dependencies\": {\n",
            |i| format!("    \"pkg-{:06}\": \"^1.{i}.0\",\n", i - i % 10),
            "    \"@acme/core-utils\": \"^1.4.0\"\n",
            "  }\n}\n",
        ),
        Ecosystem::Cargo => (
            "Cargo.toml",
            "[package]\nname = \"big\"\nversion = \"0.1.0\"\n\n[dependencies]\n",
            |i| format!("pkg-{i:06} = \"1.{i}\"\n"),
            "core-utils = \"1.4\"\n",
            "",
        ),
        Ecosystem::Go => (
            "go.mod",
            "module example.com/big\n\ngo 1.22\n\nrequire (\n",
            |i| format!("\texample.com/pkg{i:06} v1.{i}.0\n"),
            "\tgithub.com/acme/core-utils v1.4.2\n",
            ")\n",
        ),
        Ecosystem::Python => (
            "requirements.txt",
            "# generated\n",
            |i| format!("pkg-{i:06}>=1.{i},<2\n"),
            "core-utils>=1.4,<2\n",
            "",
        ),
        Ecosystem::Ruby => (
            "Gemfile",
            "source \"https://rubygems.org\"\n\n",
            |i| format!("gem \"pkg-{i:06}\", \"~> 1.{i}\"\n"),
            "gem \"core-utils\", \"~> 1.4\"\n",
            "",
        ),
    };
    let mut text = String::from(head);
    let budget = cap.saturating_sub(head.len() + library.len() + tail.len());
    let mut i = 0;
    loop {
        let next = line(i);
        if text.len() - head.len() + next.len() > budget {
            break;
        }
        text.push_str(&next);
        i += 1;
    }
    text.push_str(library);
    text.push_str(tail);
    (path, text)
}

/// The largest manifest the size cap allows, per ecosystem: found, judged
/// and rewritten (issue 17: under 100 ms; linear, not quadratic).
fn largest_manifests(figures: &mut Figures) {
    let cap = ecosystem::DEFAULT_MAX_MANIFEST_BYTES;
    let library = LibraryNames::acme_core_utils();
    let to = semver::Version::new(2, 0, 3);
    for eco in Ecosystem::ALL {
        let (path, text) = largest_manifest(eco, cap);
        let tree = ecosystem::MemTree::new().with(path, text.clone());
        let mut best = Duration::MAX;
        let mut targets = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let report = ecosystem::scan(&tree, &library, &to);
            targets = report.targets.len();
            assert!(report.errors.is_empty(), "{eco}: {:?}", report.errors);
            std::hint::black_box(report);
            best = best.min(start.elapsed());
        }
        assert_eq!(targets, 1, "{eco}: the library's requirement is found");
        println!(
            "manifests: largest {eco} manifest the cap allows ({} bytes) scanned in {:.1} ms (goal < 100 ms)",
            text.len(),
            best.as_secs_f64() * 1e3
        );
        figures.row(
            format!(
                "largest {eco} manifest the cap allows ({} KiB) found + judged + rewritten",
                cap / 1024
            ),
            "< 100 ms",
            format!("{:.1} ms", best.as_secs_f64() * 1e3),
        );
    }
}
