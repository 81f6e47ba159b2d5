//! `config.example.yaml`: loads, holds what it says, documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wavebump::config::{
    Config, EXAMPLE_YAML, FailureBudget, GateRequire, ReleaseSource, StoreBackend, Tier, WaveSize,
    key_report,
};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml")
}

#[test]
fn embedded_example_is_the_file() {
    let on_disk = std::fs::read_to_string(example_path()).unwrap();
    assert_eq!(on_disk, EXAMPLE_YAML);
}

#[test]
fn example_loads_with_its_values() {
    let c = Config::load(&example_path()).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(c.base_dir, dir);

    let lib = &c.library;
    assert_eq!(lib.repository, "acme/core-utils");
    assert_eq!(lib.packages.cargo.as_deref(), Some("core-utils"));
    assert_eq!(lib.packages.npm.as_deref(), Some("@acme/core-utils"));
    assert_eq!(
        lib.packages.go.as_deref(),
        Some("github.com/acme/core-utils")
    );
    assert_eq!(lib.packages.python.as_deref(), Some("core-utils"));
    assert_eq!(lib.packages.ruby.as_deref(), Some("core-utils"));
    assert_eq!(lib.release_source, ReleaseSource::Releases);
    assert_eq!(lib.tag_pattern, "v{version}");
    assert!(!lib.prereleases);
    assert_eq!(lib.minimum_release_age, Duration::from_secs(2 * 3600));

    let r = &c.repositories;
    assert_eq!(r.include, ["*"]);
    assert_eq!(r.exclude, ["*-archive", "sandbox-*"]);
    assert!(!r.archived && !r.forks);

    let ro = &c.rollout;
    assert!(
        ro.canaries.is_empty(),
        "the example must plan any directory"
    );
    assert_eq!(ro.waves, [5.0, 25.0, 50.0, 100.0].map(WaveSize::Percent));
    assert!(ro.waves_are_percentages());
    assert_eq!(ro.max_wave_size, 50);
    let tier = |name: &str, repos: &[&str]| Tier {
        name: name.to_owned(),
        repos: repos.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        ro.tiers,
        [
            tier("services", &["*-service"]),
            tier("edge", &["*-gateway", "*-frontend"]),
            tier("critical", &["payments-*"]),
        ]
    );
    assert_eq!(ro.critical, ["payments-*"]);
    assert!(
        ro.lockstep.is_empty(),
        "the example must plan any directory"
    );
    assert!(ro.order_by_graph);
    assert!(!ro.transitive_prs);
    assert_eq!(ro.gate.success_ratio, 0.9);
    assert_eq!(ro.gate.soak, Duration::from_secs(30 * 60));
    assert_eq!(ro.gate.require, GateRequire::CiPassed);
    assert_eq!(ro.gate.failure_budget, FailureBudget::Percent(10.0));
    assert_eq!(ro.eta.ci_duration, Duration::from_secs(20 * 60));

    let p = &c.pull_requests;
    assert_eq!(p.branch, "wavebump/{library}-{version}");
    assert_eq!(p.title, "Bump {library} to {version}");
    assert_eq!(p.commit_message, "Bump {library} from {from} to {version}");
    assert_eq!(p.labels, ["dependencies", "wavebump"]);
    assert_eq!(p.reviewers, ["octocat"]);
    assert_eq!(p.team_reviewers, ["platform"]);
    assert!(!p.draft && !p.automerge);
    assert_eq!(p.templates_dir, Some(dir.join("templates")));
    assert_eq!(p.refresh_sandbox, wavebump::git::RefreshSandbox::Bwrap);

    let g = &c.github;
    assert_eq!(g.api_url, "https://api.github.com");
    assert_eq!(g.app_id, Some(123_456));
    assert_eq!(
        g.private_key_path,
        Some(dir.join("secrets/wavebump-app.pem"))
    );
    assert_eq!(g.installation_id, Some(7_654_321));
    assert_eq!(g.token_env, "GITHUB_TOKEN");
    assert_eq!(
        g.webhook_secret_file,
        Some(dir.join("secrets/webhook-secret"))
    );
    assert_eq!(
        (g.max_concurrency, g.requests_per_hour, g.writes_per_minute),
        (8, 4000, 20)
    );

    let s = &c.server;
    assert_eq!(s.listen, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    assert_eq!(s.public_url.as_deref(), Some("https://wavebump.acme.dev"));
    assert!(!s.public_read);
    assert_eq!(s.operators.len(), 1);
    assert_eq!(
        (
            s.operators[0].name.as_str(),
            s.operators[0].token_env.as_str()
        ),
        ("alice", "WAVEBUMP_TOKEN_ALICE")
    );
    assert_eq!(s.operator_tokens_file, Some(dir.join("secrets/operators")));

    assert_eq!(c.store.url, "sqlite://wavebump.db");
    assert_eq!(
        c.store.backend,
        StoreBackend::Sqlite {
            path: dir.join("wavebump.db"),
            url: format!("sqlite://{}", dir.join("wavebump.db").display()),
        }
    );
}

#[test]
fn embedded_example_parses_like_the_file_except_paths() {
    let embedded = Config::embedded_example().unwrap();
    let mut loaded = Config::load(&example_path()).unwrap();
    assert_eq!(embedded.library, loaded.library);
    assert_eq!(embedded.rollout, loaded.rollout);
    // Only path resolution differs.
    loaded.base_dir = PathBuf::new();
    assert_eq!(
        embedded.store.backend,
        StoreBackend::Sqlite {
            path: PathBuf::from("wavebump.db"),
            url: "sqlite://wavebump.db".to_owned(),
        }
    );
}

/// Every key the schema accepts appears in the example, so it cannot rot.
#[test]
fn example_documents_every_key() {
    let report = key_report(EXAMPLE_YAML, "config.example.yaml").unwrap();
    assert!(report.accepted.len() > 60, "{:?}", report.accepted);
    assert_eq!(report.undocumented(), Vec::<&str>::new());
    // And the example uses no key the schema would refuse.
    let unknown: Vec<_> = report.present.difference(&report.accepted).collect();
    assert_eq!(unknown, Vec::<&String>::new());
}

/// Every key line of the example has a comment right above it; a key that
/// repeats in a later list item (`- name: edge`) was documented on the first.
#[test]
fn every_example_key_has_a_comment() {
    let lines: Vec<&str> = EXAMPLE_YAML.lines().collect();
    let mut documented = std::collections::BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start().trim_start_matches("- ");
        let Some((key, _)) = t.split_once(':') else {
            continue;
        };
        if line.trim_start().starts_with('#')
            || key.is_empty()
            || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            continue;
        }
        let above = if i == 0 {
            ""
        } else {
            lines[i - 1].trim_start()
        };
        if above.starts_with('#') {
            documented.insert(key.to_owned());
            continue;
        }
        assert!(
            documented.contains(key),
            "line {}: `{}` has no comment above",
            i + 1,
            line.trim()
        );
    }
}
