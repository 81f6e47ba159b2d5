//! Every error kind prints `file:line:column`, the key path and what was
//! expected — checked as exact messages.

use wavebump::config::{Config, ConfigErrorKind as K};

use super::MINIMAL;

/// (config text, kind, exact message). `+` at the start means "after MINIMAL".
const CASES: &[(&str, K, &str)] = &[
    // --- unknown keys, with did-you-mean
    (
        "library:\n  repository: acme/core-utils\n  pakages:\n    cargo: x\n",
        K::UnknownKey,
        "c.yaml:3:3: library.pakages: unknown key `pakages`, expected `repository`, `packages`, `release_source`, `tag_pattern`, `prereleases` or `minimum_release_age`; did you mean `packages`?",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages:\n    pypi: core-utils\n",
        K::UnknownKey,
        "c.yaml:4:5: library.packages.pypi: unknown key `pypi`, expected `cargo`, `npm`, `go`, `python` or `ruby`; did you mean `python`?",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages:\n    maven: core-utils\n",
        K::UnknownKey,
        "c.yaml:4:5: library.packages.maven: unknown key `maven`, expected `cargo`, `npm`, `go`, `python` or `ruby`",
    ),
    (
        "+rollout:\n  gate:\n    sucess_ratio: 0.5\n",
        K::UnknownKey,
        "c.yaml:7:5: rollout.gate.sucess_ratio: unknown key `sucess_ratio`, expected `success_ratio`, `soak`, `require` or `failure_budget`; did you mean `success_ratio`?",
    ),
    (
        "+rollout:\n  tiers:\n    - name: a\n      repo: [x]\n",
        K::UnknownKey,
        "c.yaml:8:7: rollout.tiers[0].repo: unknown key `repo`, expected `name` or `repos`; did you mean `repos`?",
    ),
    (
        "+pull-requests:\n  draft: true\n",
        K::UnknownKey,
        "c.yaml:5:1: pull-requests: unknown key `pull-requests`, expected `library`, `repositories`, `rollout`, `pull_requests`, `github`, `server` or `store`; did you mean `pull_requests`?",
    ),
    // --- missing keys
    (
        "library:\n  packages: {cargo: x}\n",
        K::MissingKey,
        "c.yaml:2:3: library.repository: expected the required key `repository`, found none",
    ),
    (
        "repositories: {}\n",
        K::MissingKey,
        "c.yaml:1:1: library: expected the required key `library`, found none",
    ),
    (
        "+rollout:\n  tiers:\n    - name: a\n",
        K::MissingKey,
        "c.yaml:7:7: rollout.tiers[0].repos: expected the required key `repos`, found none",
    ),
    // --- wrong types
    (
        "library: [1, 2]\n",
        K::InvalidType,
        "c.yaml:1:10: library: expected a mapping with the keys `repository`, `packages`, `release_source`, `tag_pattern`, `prereleases` or `minimum_release_age`, found a list",
    ),
    (
        "+repositories:\n  archived: sometimes\n",
        K::InvalidType,
        "c.yaml:6:13: repositories.archived: expected `true` or `false`, found string `sometimes`",
    ),
    (
        "+repositories:\n  include: \"*\"\n",
        K::InvalidType,
        "c.yaml:6:12: repositories.include: expected a list, found string `*`",
    ),
    (
        "+pull_requests:\n  labels: [deps, 42]\n",
        K::InvalidType,
        "c.yaml:6:18: pull_requests.labels[1]: expected a string (quote it to make it a string), found integer `42`",
    ),
    (
        "+rollout:\n  max_wave_size: -1\n",
        K::InvalidValue,
        "c.yaml:6:18: rollout.max_wave_size: expected a whole number from 0 to 4294967295, found integer `-1`",
    ),
    (
        "+rollout:\n  gate:\n    success_ratio: high\n",
        K::InvalidType,
        "c.yaml:7:20: rollout.gate.success_ratio: expected a number, found string `high`",
    ),
    // --- bad values
    (
        "+rollout:\n  gate:\n    success_ratio: 1.5\n",
        K::InvalidValue,
        "c.yaml:7:20: rollout.gate.success_ratio: expected a number from 0 to 1 (e.g. 0.9), found `1.5`",
    ),
    (
        "+rollout:\n  gate:\n    success_ratio: -0.1\n",
        K::InvalidValue,
        "c.yaml:7:20: rollout.gate.success_ratio: expected a number from 0 to 1 (e.g. 0.9), found `-0.1`",
    ),
    (
        "+rollout:\n  gate:\n    soak: 2x\n",
        K::InvalidValue,
        "c.yaml:7:11: rollout.gate.soak: expected a duration such as `30s`, `15m`, `2h`, `1d` or `1h30m`, found string `2x`",
    ),
    (
        "+rollout:\n  gate:\n    soak: 30\n",
        K::InvalidValue,
        "c.yaml:7:11: rollout.gate.soak: expected a duration such as `30s`, `15m`, `2h`, `1d` or `1h30m`, found integer `30`",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\n  minimum_release_age: 1.5h\n",
        K::InvalidValue,
        "c.yaml:4:24: library.minimum_release_age: expected a duration such as `30s`, `15m`, `2h`, `1d` or `1h30m`, found string `1.5h`",
    ),
    (
        "+pull_requests:\n  refresh_sandbox: bubblewrap\n",
        K::InvalidValue,
        "c.yaml:6:20: pull_requests.refresh_sandbox: expected `bwrap`, `none` or `required`, found `bubblewrap`",
    ),
    (
        "+rollout:\n  gate:\n    require: merge\n",
        K::InvalidValue,
        "c.yaml:7:14: rollout.gate.require: expected `ci_passed` or `merged`, found `merge`; did you mean `merged`?",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\n  release_source: tag\n",
        K::InvalidValue,
        "c.yaml:4:19: library.release_source: expected `releases` or `tags`, found `tag`; did you mean `tags`?",
    ),
    (
        "+rollout:\n  waves: [1, \"5%\"]\n",
        K::InvalidValue,
        "c.yaml:6:14: rollout.waves[1]: expected a count like the first wave size (all counts or all percentages), found `5%`",
    ),
    (
        "+rollout:\n  waves: [\"5%\", 10]\n",
        K::InvalidValue,
        "c.yaml:6:17: rollout.waves[1]: expected a percentage like the first wave size (all counts or all percentages), found `10`",
    ),
    (
        "+rollout:\n  waves: [\"5%\", \"50%\"]\n",
        K::InvalidValue,
        "c.yaml:6:17: rollout.waves[1]: expected the last cumulative percentage to be `100%`, found `50%`",
    ),
    (
        "+rollout:\n  waves: [\"50%\", \"25%\", \"100%\"]\n",
        K::InvalidValue,
        "c.yaml:6:18: rollout.waves[1]: expected cumulative percentages that grow, found `25%` after `50%`",
    ),
    (
        "+rollout:\n  waves: [0, 5]\n",
        K::InvalidValue,
        "c.yaml:6:11: rollout.waves[0]: expected a count of at least 1, found `0`",
    ),
    (
        "+rollout:\n  waves: []\n",
        K::InvalidValue,
        "c.yaml:6:10: rollout.waves: expected at least one wave size, such as `[1, 5, 10]` or `[\"5%\", \"25%\", \"100%\"]`, found an empty list",
    ),
    (
        "+rollout:\n  waves: [five]\n",
        K::InvalidValue,
        "c.yaml:6:11: rollout.waves[0]: expected a count such as `5` or a cumulative percentage such as `\"25%\"`, found string `five`",
    ),
    (
        "+rollout:\n  gate:\n    failure_budget: \"150%\"\n",
        K::InvalidValue,
        "c.yaml:7:21: rollout.gate.failure_budget: expected a percentage from 0% to 100%, found `150%`",
    ),
    (
        "+rollout:\n  lockstep:\n    - [a, b]\n    - [b, c]\n",
        K::InvalidValue,
        "c.yaml:8:8: rollout.lockstep[1][0]: expected each repository in one lockstep group, found `b` in two",
    ),
    (
        "+rollout:\n  lockstep:\n    - [a]\n",
        K::InvalidValue,
        "c.yaml:7:7: rollout.lockstep[0]: expected a group of at least 2 repositories, found 1",
    ),
    (
        "+rollout:\n  canaries: [a, a]\n",
        K::InvalidValue,
        "c.yaml:6:17: rollout.canaries[1]: expected each repository once, found `a` again",
    ),
    (
        "+rollout:\n  canaries: [\"a b\"]\n",
        K::InvalidValue,
        "c.yaml:6:14: rollout.canaries[0]: expected a repository name such as `billing-lib` or `acme/billing-lib`, found `a b`",
    ),
    (
        "+rollout:\n  critical: [\"svc-[0-9\"]\n",
        K::InvalidValue,
        "c.yaml:6:14: rollout.critical[0]: expected a repository glob such as `billing-*`, `acme/*` or `*-service` (with balanced `[...]`), found `svc-[0-9`",
    ),
    (
        "+rollout:\n  tiers:\n    - {name: a, repos: [x]}\n    - {name: a, repos: [y]}\n",
        K::InvalidValue,
        "c.yaml:8:14: rollout.tiers[1].name: expected unique tier names, found `a` twice",
    ),
    (
        "library:\n  repository: core-utils\n  packages: {cargo: x}\n",
        K::InvalidValue,
        "c.yaml:2:15: library.repository: expected `owner/name` such as `acme/core-utils`, found `core-utils`",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages: {}\n",
        K::InvalidValue,
        "c.yaml:3:13: library.packages: expected the library's package name for at least one of `cargo`, `npm`, `go`, `python` or `ruby`, found none",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages: {go: github.com/acme/core-utils/v2}\n",
        K::InvalidValue,
        "c.yaml:3:18: library.packages.go: expected the module path without its `/vN` major suffix, found `github.com/acme/core-utils/v2`",
    ),
    (
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\n  tag_pattern: release\n",
        K::InvalidValue,
        "c.yaml:4:16: library.tag_pattern: expected a tag pattern with `{version}` once and no other placeholder, such as `v{version}`, found `release`",
    ),
    (
        "+pull_requests:\n  title: \"Bump {libary}\"\n",
        K::InvalidValue,
        "c.yaml:6:10: pull_requests.title: expected placeholders among `library`, `version`, `from`, `major`, `wave` or `repo`, found `{libary}`; did you mean `{library}`?",
    ),
    (
        "+pull_requests:\n  branch: \"wavebump/{library} {version}\"\n",
        K::InvalidValue,
        "c.yaml:6:11: pull_requests.branch: expected a valid git branch name (no spaces, `..`, `~^:?*[\\`), found `wavebump/{library} {version}`",
    ),
    (
        "+pull_requests:\n  reviewers: [\"@octocat\"]\n",
        K::InvalidValue,
        "c.yaml:6:15: pull_requests.reviewers[0]: expected a GitHub login such as `octocat` (no `@`), found `@octocat`",
    ),
    (
        "+github:\n  app_id: 12\n",
        K::InvalidValue,
        "c.yaml:6:11: github.app_id: expected `github.private_key_path` as well: App mode needs the App id and its private key",
    ),
    (
        "+github:\n  api_url: api.github.com\n",
        K::InvalidValue,
        "c.yaml:6:12: github.api_url: expected an http(s) URL such as `https://api.github.com`, found `api.github.com`",
    ),
    (
        "+github:\n  writes_per_minute: 100\n",
        K::InvalidValue,
        "c.yaml:6:22: github.writes_per_minute: expected a whole number from 1 to 80 (GitHub's content-creation limit), found `100`",
    ),
    (
        "+github:\n  token_env: \"my token\"\n",
        K::InvalidValue,
        "c.yaml:6:14: github.token_env: expected an environment variable name such as `GITHUB_TOKEN`, found `my token`",
    ),
    (
        "+rollout:\n  order_by_graph: yes\n",
        K::InvalidType,
        "c.yaml:6:19: rollout.order_by_graph: expected `true` or `false`, found string `yes`",
    ),
    (
        "+server:\n  listen: localhost\n",
        K::InvalidValue,
        "c.yaml:6:11: server.listen: expected an address such as `127.0.0.1:8080` or `[::1]:8080`, found string `localhost`",
    ),
    (
        "+server:\n  operators:\n    - {name: alice, token_env: A}\n    - {name: alice, token_env: B}\n",
        K::InvalidValue,
        "c.yaml:8:14: server.operators[1].name: expected a unique, non-empty operator name, found `alice`",
    ),
    (
        "+store:\n  url: mysql://db\n",
        K::InvalidValue,
        "c.yaml:6:8: store.url: expected a URL such as `sqlite://wavebump.db`, `sqlite::memory:` or `postgres://host/db`, found `mysql://db`",
    ),
    (
        "+store:\n  url: \"mysql://root:hunter2@db\"\n",
        K::InvalidValue,
        "c.yaml:6:8: store.url: expected a URL such as `sqlite://wavebump.db`, `sqlite::memory:` or `postgres://host/db`, found `mysql://root:<redacted>@db`",
    ),
    // --- syntax
    (
        "",
        K::Syntax,
        "c.yaml:1:1: (top level): expected a mapping with at least the key `library`, found an empty document",
    ),
    (
        "# nothing but a comment\n",
        K::Syntax,
        "c.yaml:1:1: (top level): expected a mapping with at least the key `library`, found an empty document",
    ),
    (
        "library: [\n",
        K::Syntax,
        "c.yaml:1:10: library: expected valid YAML: unclosed bracket '['",
    ),
    (
        "+rollout:\n  gate:\n    soak: 1h\n    soak: 2h\n",
        K::Syntax,
        "c.yaml:8:5: rollout.gate.soak: expected valid YAML: expected each key once, found `soak` again",
    ),
    (
        "- a\n- b\n",
        K::InvalidType,
        "c.yaml:1:1: (top level): expected a mapping with the keys `library`, `repositories`, `rollout`, `pull_requests`, `github`, `server` or `store`, found a list",
    ),
];

fn text(case: &str) -> String {
    match case.strip_prefix('+') {
        Some(rest) => format!("{MINIMAL}{rest}"),
        None => case.to_owned(),
    }
}

#[test]
fn error_table() {
    let mut failures = Vec::new();
    for (input, kind, want) in CASES {
        let got = match Config::parse(&text(input), "c.yaml") {
            Ok(_) => "(accepted)".to_owned(),
            Err(e) => {
                assert!(e.line > 0 && e.column > 0, "{e}");
                if e.kind != *kind {
                    failures.push(format!("{input:?}: kind {:?}, want {kind:?}", e.kind));
                }
                e.to_string()
            }
        };
        if got != *want {
            failures.push(format!("{input:?}\n   got: {got}\n  want: {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn non_utf8_is_located() {
    let mut bytes = b"library:\n  repository: ac".to_vec();
    bytes.push(0xff);
    let e = Config::parse_bytes(&bytes, "c.yaml").unwrap_err();
    assert_eq!(e.kind, K::Encoding);
    assert_eq!(
        e.to_string(),
        "c.yaml:2:17: (top level): expected UTF-8 text, found an invalid byte"
    );
}

#[test]
fn error_fields_are_structured() {
    let e = Config::parse(
        &format!("{MINIMAL}rollout:\n  gate:\n    success_ratio: 2\n"),
        "c.yaml",
    )
    .unwrap_err();
    assert_eq!(
        (e.origin.as_str(), e.line, e.column, e.path.as_str(), e.kind),
        (
            "c.yaml",
            7,
            20,
            "rollout.gate.success_ratio",
            K::InvalidValue
        )
    );
}

/// A `templates_dir` that is missing, or holds none of the PR templates, is
/// a config error at its key: PRs would otherwise go out with the built-in
/// texts.
#[test]
fn a_missing_templates_dir_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wavebump.yaml");
    let yaml = format!(
        "{}pull_requests:\n  templates_dir: pr-texts\n",
        super::MINIMAL
    );
    std::fs::write(&file, &yaml).unwrap();
    let line = yaml.lines().count() as u32;
    let origin = file.display().to_string();

    let e = Config::load(&file).unwrap_err();
    assert_eq!(e.path, "pull_requests.templates_dir", "{e}");
    // At the value, like every other invalid value.
    assert_eq!((e.line, e.column), (line, 18), "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!(
            "{origin}:{line}:18: pull_requests.templates_dir: "
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&dir.path().join("pr-texts").display().to_string()),
        "{shown}"
    );

    // A directory with no template in it overrides nothing: an error too.
    std::fs::create_dir(dir.path().join("pr-texts")).unwrap();
    std::fs::write(dir.path().join("pr-texts/pr_title.txt"), "x").unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    assert!(
        e.contains("holds none of the PR templates") && e.contains("pr_title.hbs"),
        "{e}"
    );

    // A template that is a directory, not a file.
    std::fs::create_dir(dir.path().join("pr-texts/pr_body.md.hbs")).unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    assert!(e.contains("pr_body.md.hbs is not a file"), "{e}");
    std::fs::remove_dir(dir.path().join("pr-texts/pr_body.md.hbs")).unwrap();

    // One template present: accepted, resolved against the file's directory.
    std::fs::write(dir.path().join("pr-texts/pr_title.hbs"), "{{title}}").unwrap();
    let c = Config::load(&file).unwrap();
    assert_eq!(
        c.pull_requests.templates_dir,
        Some(dir.path().join("pr-texts"))
    );
}

/// The config file is read with a cap: `--config /dev/zero` fails at once.
#[test]
fn the_config_file_is_read_with_a_size_cap() {
    let start = std::time::Instant::now();
    let e = Config::load(std::path::Path::new("/dev/zero")).unwrap_err();
    assert_eq!(e.kind, wavebump::config::ConfigErrorKind::Io);
    assert_eq!(
        e.to_string(),
        "/dev/zero: the config file is larger than the cap of 1048576 bytes (1 MiB); is it the right file?"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));

    // Just under the cap is read (and then judged as YAML); just over is not.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    let cap = wavebump::config::files::MAX_CONFIG_BYTES as usize;
    let mut text = super::MINIMAL.to_string();
    text.push_str(&"#".repeat(cap - text.len() - 1));
    text.push('\n');
    std::fs::write(&file, &text).unwrap();
    Config::load(&file).unwrap();
    text.push('#');
    std::fs::write(&file, &text).unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    assert!(e.contains("larger than the cap"), "{e}");
}
