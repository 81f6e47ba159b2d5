//! Every default, from the smallest valid config.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wavebump::config::{
    Config, FailureBudget, GateRequire, GithubConfig, PullRequestsConfig, ReleaseSource,
    RepositoriesConfig, RolloutConfig, ServerConfig, StoreBackend, StoreConfig, WaveSize,
};

use super::MINIMAL;

#[test]
fn every_default() {
    let c = Config::parse(MINIMAL, "minimal.yaml").unwrap();
    let lib = &c.library;
    assert_eq!(lib.repository, "acme/core-utils");
    assert_eq!(lib.packages.cargo.as_deref(), Some("core-utils"));
    assert_eq!(
        (
            &lib.packages.npm,
            &lib.packages.go,
            &lib.packages.python,
            &lib.packages.ruby
        ),
        (&None, &None, &None, &None)
    );
    assert_eq!(lib.release_source, ReleaseSource::Releases);
    assert_eq!(lib.tag_pattern, "v{version}");
    assert!(!lib.prereleases);
    assert_eq!(lib.minimum_release_age, Duration::ZERO);

    assert_eq!(
        c.repositories,
        RepositoriesConfig {
            include: vec!["*".into()],
            exclude: vec![],
            archived: false,
            forks: false,
            max_manifest_bytes: 1 << 20,
            scan_budget_seconds: 30,
        }
    );

    let r: &RolloutConfig = &c.rollout;
    assert!(r.canaries.is_empty());
    assert_eq!(
        r.waves,
        [WaveSize::Count(1), WaveSize::Count(5), WaveSize::Count(10)]
    );
    assert!(!r.waves_are_percentages());
    assert_eq!(r.max_wave_size, 50);
    assert!(r.tiers.is_empty() && r.critical.is_empty() && r.lockstep.is_empty());
    assert!(r.order_by_graph);
    assert!(!r.transitive_prs);
    assert_eq!(r.gate.success_ratio, 0.9);
    assert_eq!(r.gate.soak, Duration::from_secs(1800));
    assert_eq!(r.gate.require, GateRequire::CiPassed);
    assert_eq!(r.gate.failure_budget, FailureBudget::Count(3));
    assert_eq!(r.eta.ci_duration, Duration::from_secs(900));
    assert_eq!(*r, RolloutConfig::default());

    assert_eq!(
        c.pull_requests,
        PullRequestsConfig {
            branch: "wavebump/{library}-{version}".into(),
            title: "Bump {library} to {version}".into(),
            commit_message: "Bump {library} from {from} to {version}".into(),
            labels: vec!["dependencies".into(), "wavebump".into()],
            reviewers: vec![],
            team_reviewers: vec![],
            draft: false,
            automerge: false,
            templates_dir: None,
            refresh_sandbox: wavebump::git::RefreshSandbox::Bwrap,
            npm_unions: wavebump::ecosystem::NpmUnions::Add,
        }
    );
    assert_eq!(
        c.github,
        GithubConfig {
            api_url: "https://api.github.com".into(),
            app_id: None,
            private_key_path: None,
            installation_id: None,
            token_env: "GITHUB_TOKEN".into(),
            webhook_secret_file: None,
            max_concurrency: 8,
            requests_per_hour: 4000,
            writes_per_minute: 20,
        }
    );
    assert_eq!(
        c.server,
        ServerConfig {
            listen: "127.0.0.1:8080".parse::<SocketAddr>().unwrap(),
            public_url: None,
            public_read: false,
            operators: vec![],
            operator_tokens_file: None,
        }
    );
    assert_eq!(c.store, StoreConfig::default());
    assert_eq!(c.store.url, "sqlite://wavebump.db");
    assert_eq!(c.base_dir, PathBuf::new());
}

#[test]
fn empty_sections_take_defaults() {
    let text = format!("{MINIMAL}repositories:\nrollout: {{}}\ngithub:\nserver: {{}}\nstore:\n");
    let c = Config::parse(&text, "x.yaml").unwrap();
    let d = Config::parse(MINIMAL, "x.yaml").unwrap();
    assert_eq!(c, d);
}

#[test]
fn store_sits_next_to_the_config_file() {
    let c = Config::parse_in(MINIMAL, "x.yaml", Path::new("/srv/wavebump")).unwrap();
    assert_eq!(
        c.store.backend,
        StoreBackend::Sqlite {
            path: PathBuf::from("/srv/wavebump/wavebump.db"),
            url: "sqlite:///srv/wavebump/wavebump.db".into(),
        }
    );
    let pg = format!("{MINIMAL}store:\n  url: postgres://w@db/wavebump\n");
    let c = Config::parse_in(&pg, "x.yaml", Path::new("/srv")).unwrap();
    assert_eq!(
        c.store.backend,
        StoreBackend::Postgres {
            url: "postgres://w@db/wavebump".into()
        }
    );
}

#[test]
fn load_resolves_relative_paths_and_reports_missing_files() {
    let dir = std::env::temp_dir().join(format!("wavebump-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wavebump.yaml");
    std::fs::write(
        &file,
        format!("{MINIMAL}github:\n  webhook_secret_file: secret\n  private_key_path: /abs/key.pem\n  app_id: 1\n"),
    )
    .unwrap();
    let c = Config::load(&file).unwrap();
    assert_eq!(c.github.webhook_secret_file, Some(dir.join("secret")));
    assert_eq!(
        c.github.private_key_path,
        Some(PathBuf::from("/abs/key.pem"))
    );
    assert_eq!(c.base_dir, dir);

    let missing = dir.join("nope.yaml");
    let e = Config::load(&missing).unwrap_err();
    assert_eq!(e.kind, wavebump::config::ConfigErrorKind::Io);
    assert!(e.to_string().starts_with(&format!(
        "{}: cannot read the config file:",
        missing.display()
    )));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn yaml_1_1_booleans_and_leading_zeros_stay_strings() {
    let text =
        format!("{MINIMAL}rollout:\n  canaries: [y, no, on, off, \"007\"]\n  critical: [007]\n");
    let c = Config::parse(&text, "x.yaml").unwrap();
    assert_eq!(c.rollout.canaries, ["y", "no", "on", "off", "007"]);
    assert_eq!(c.rollout.critical, ["007"]);
}
