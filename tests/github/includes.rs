//! Files a manifest includes under names no manifest has (`-r
//! ci/pins.in`, `-c deps/constraints.cfg`, `eval_gemfile
//! "gems/shared.rb"`) are fetched by both forges, a few rounds deep, and
//! the plan over either forge finds the library's requirements in them.

use wavebump::config::Config;
use wavebump::forge::Forge;
use wavebump::forge::local::LocalForge;

use super::{ORG, setup, timed, tree};

const FILES: &[(&str, &str)] = &[
    (
        "requirements.txt",
        "-r ci/pins.in\n-c deps/constraints.cfg\nflask==3.0.0\n",
    ),
    ("ci/pins.in", "core-utils==1.4.2\n-r ../more/extra.list\n"),
    ("more/extra.list", "requests==2.31.0\n"),
    ("deps/constraints.cfg", "core-utils<2\n"),
    (
        "Gemfile",
        "source \"https://rubygems.org\"\n\neval_gemfile \"gems/shared.rb\"\ngem \"rack\", \"~> 3.0\"\n",
    ),
    ("gems/shared.rb", "gem \"core-utils\", \"~> 1.4\"\n"),
    ("docs/notes.txt", "-r not/a/manifest.txt\n"),
];

/// Fetched: every manifest and every file included from one, however
/// named; not fetched: files nothing includes.
fn check_tree(got: &wavebump::ecosystem::MemTree, forge: &str) {
    for (path, _) in FILES.iter().filter(|(p, _)| *p != "docs/notes.txt") {
        assert!(got.get(path).is_some(), "{forge}: {path} not fetched");
    }
    assert!(
        got.get("docs/notes.txt").is_none(),
        "{forge}: fetched what nothing includes"
    );
}

const CONFIG: &str = "library:\n  repository: acme/core-utils\n  packages:\n    python: core-utils\n    ruby: core-utils\n";

fn target_paths(outcome: &wavebump::planning::Outcome) -> Vec<String> {
    let v = serde_json::to_value(&outcome.report).unwrap();
    let mut paths: Vec<String> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["path"]
                .as_str()
                .or(t["manifest"].as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn both_forges_follow_includes_with_any_name() {
    timed(async {
        let files = tree(FILES);
        // The fake GitHub.
        let (fake, forge, _clock) = setup().await;
        let full = fake.add_repo(ORG, "svc", &files);
        fake.add_repo(ORG, "core-utils", &tree(&[("README.md", "lib\n")]));
        check_tree(&forge.read_tree(&full).await.unwrap(), "github");
        // The local forge over a bare repository.
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("svc.git");
        wavebump::git::create_bare_repository(
            &bare,
            &files,
            "init",
            &wavebump::git::Author {
                name: "t",
                email: "t@example.invalid",
                time: 1_700_000_000,
            },
        )
        .unwrap();
        let local = LocalForge::new(dir.path());
        check_tree(&local.read_tree("svc").await.unwrap(), "local");

        // The plan finds core-utils in the included files over both.
        let config = Config::parse_in(CONFIG, "w.yaml", dir.path()).unwrap();
        let quiet = |_: usize, _: usize| {};
        let over_github = wavebump::planning::run(&forge, &config, Some("2.0.0"), &quiet)
            .await
            .unwrap();
        let over_local = wavebump::planning::run(&local, &config, Some("2.0.0"), &quiet)
            .await
            .unwrap();
        let (g, l) = (target_paths(&over_github), target_paths(&over_local));
        assert_eq!(g, l, "the same targets over both forges");
        let text = serde_json::to_string(&over_local.report).unwrap();
        assert!(
            g.contains(&"ci/pins.in".to_owned()) && g.contains(&"deps/constraints.cfg".to_owned()),
            "{text}"
        );
        // The Gemfile's target comes from the file it evaluates (the
        // Gemfile itself names only rack).
        let v = serde_json::to_value(&over_github.report).unwrap();
        assert!(
            v["targets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["path"] == "Gemfile"
                    && t["ecosystem"] == "ruby"
                    && t["requirement"] == "~> 1.4"),
            "{text}"
        );
    })
    .await
}
