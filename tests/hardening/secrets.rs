//! Secret hygiene (DESIGN invariant 4): a full rollout through the real
//! `wavebump serve` with recognisable secrets — the App's private key, the
//! installation tokens the fake mints (`ghs_fake…`), the webhook secret, an
//! operator token used at the login form — with every log level on; then
//! none of them (nor the base64 basic-auth form of a token) may appear in
//! the captured stdout/stderr, the database files, any file of the git
//! cache (configs, remotes, packs), any PR title, body or comment on the
//! fake, or any page and API answer. And `Debug` of the structs that hold
//! secrets prints them redacted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use wavebump::config::Config;
use wavebump::forge::github::GitHubForge;
use wavebump::git::Credentials;

use super::serve_bin::{ServeOrg, org, terminate};
use crate::serve::{check_run, fixture, release};
use crate::support::fake_github::PullState;

const WEBHOOK_SECRET: &str = "whsec_HYGIENE_4f1d9e2b7c_a83e5d07b16c942f";
const OPERATOR_TOKEN: &str = "optok_HYGIENE_8a3c5e0f61_d47b29e0c5a13f86";
const PLAIN_TOKEN: &str = "ghp_HYGIENE_plain_0b7e19d4";
const REPOS: usize = 4;

/// Every needle that must not appear: the secrets, each line of the PEM
/// body, and the basic-auth form of each token.
fn needles(tokens: &[String]) -> Vec<String> {
    let pem = crate::support::fake_github::app_private_key();
    let mut out: Vec<String> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect();
    out.push("PRIVATE KEY".into());
    out.push(WEBHOOK_SECRET.into());
    out.push(OPERATOR_TOKEN.into());
    out.push(PLAIN_TOKEN.into());
    for t in tokens {
        out.push(t.clone());
        out.push(base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{t}")));
    }
    out
}

/// Panics naming the place and the needle if any needle is in `hay`.
fn clean(place: &str, hay: &[u8], needles: &[String]) {
    let text = String::from_utf8_lossy(hay);
    for n in needles {
        assert!(
            !text.contains(n.as_str()),
            "{place} contains a secret ({}…)",
            &n[..n.len().min(12)]
        );
    }
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_below(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The login form's cookie + CSRF token, then the session cookie.
fn login(org: &ServeOrg) -> String {
    let (status, headers, body) = org.get("/login").unwrap();
    assert_eq!(status, 200, "{body}");
    let bound = headers["set-cookie"]
        .iter()
        .find_map(|c| c.strip_prefix("wavebump_login="))
        .and_then(|c| c.split(';').next())
        .expect("login cookie")
        .to_owned();
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf field")
        .to_owned();
    let form = format!("token={OPERATOR_TOKEN}&csrf={csrf}&next=%2F");
    let cookie = format!("wavebump_login={bound}");
    let (status, headers, body) = org
        .request(
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            form.as_bytes(),
        )
        .unwrap();
    assert_eq!(status, 303, "login refused: {body}");
    headers["set-cookie"]
        .iter()
        .find(|c| !c.starts_with("wavebump_login="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned()
}

async fn deliver(org: &std::sync::Arc<ServeOrg>, event: &'static str, id: String, body: Value) {
    let org = org.clone();
    let code = tokio::task::spawn_blocking(move || org.deliver(WEBHOOK_SECRET, event, &id, &body))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code, 202, "{event} delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_database_git_cache_prs_or_pages() {
    tokio::time::timeout(Duration::from_secs(120), run())
        .await
        .expect("the secret-hygiene test took over 120 s");
}

async fn run() {
    let mut o = org(
        REPOS,
        2,
        "  operators:\n    - name: alice\n      token_env: WB_HYGIENE_OPERATOR\n",
    )
    .await;
    o.env
        .push(("WAVEBUMP_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()));
    o.env
        .push(("WB_HYGIENE_OPERATOR".into(), OPERATOR_TOKEN.into()));
    // Set but unused in App mode: it must not leak either.
    o.env.push(("GITHUB_TOKEN".into(), PLAIN_TOKEN.into()));
    let org = std::sync::Arc::new(o);
    let log = org.dir.path().join("serve.log");
    let mut child = org.start(&log, "trace,hyper=debug,h2=debug").await;
    let session = login(&org);

    deliver(
        &org,
        "release",
        "rel-1".into(),
        release("acme/core-utils", "v2.0.0", "2020-01-01T00:00:00Z", false),
    )
    .await;
    // CI goes green on every PR head, announced by a check_run.
    let mut announced = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        for full in &org.repos {
            for p in org.fake.pulls(full) {
                if p.state != PullState::Open || !announced.insert((full.clone(), p.number)) {
                    continue;
                }
                let sha = org.fake.branch_sha(full, &p.head).unwrap();
                org.fake.set_status(full, &sha, "ci", "success");
                deliver(
                    &org,
                    "check_run",
                    format!("ci-{full}-{}", p.number),
                    check_run(full, &sha),
                )
                .await;
            }
        }
        let done = org.repos.iter().all(|r| {
            org.fake
                .pulls(r)
                .iter()
                .any(|p| p.state == PullState::Merged)
        });
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rollout did not finish; log tail:\n{}",
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A maintainer asks for help on the canary's PR; the bot answers.
    let canary = org.repos[0].clone();
    let number = org.fake.pulls(&canary)[0].number;
    let mut c = fixture("issue_comment.unknown_command.json");
    c["repository"]["full_name"] = json!(canary);
    c["issue"]["number"] = json!(number);
    c["issue"]["pull_request"] = json!({ "url": "https://api.github.com/x" });
    c["comment"]["body"] = json!("/wavebump help");
    c["comment"]["author_association"] = json!("MEMBER");
    deliver(&org, "issue_comment", "comment-1".into(), c).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while org.fake.pulls(&canary)[0].comments.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the bot did not answer /wavebump help"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Every page and API answer, as an operator sees them.
    let cookie = session.clone();
    let mut pages = Vec::new();
    for path in [
        "/",
        "/rollouts/1",
        "/rollouts/1?state=merged",
        "/api/rollouts",
        "/api/rollouts/1",
        "/metrics",
        "/healthz",
        "/readyz",
        "/login",
    ] {
        let (status, headers, body) = org
            .request("GET", path, &[("Cookie", &cookie)], b"")
            .unwrap();
        assert!(status < 400, "{path}: {status}");
        pages.push((path, format!("{headers:?}\n{body}")));
    }
    assert!(
        pages[1].1.contains("svc-00"),
        "the rollout page lists targets: {}",
        pages[1].1
    );
    let code = tokio::task::spawn_blocking(move || terminate(&mut child))
        .await
        .unwrap();
    assert_eq!(code, Some(0));

    let tokens: Vec<String> = org.fake.state(|s| {
        s.tokens
            .keys()
            .filter(|t| t.starts_with("ghs_"))
            .cloned()
            .collect()
    });
    assert!(!tokens.is_empty(), "installation tokens were minted");
    let needles = needles(&tokens);
    // The search finds what it looks for (a control, so it can fail).
    let pem = crate::support::fake_github::app_private_key();
    assert!(needles.iter().filter(|n| pem.contains(n.as_str())).count() >= 10);
    let auth = org
        .fake
        .state(|s| format!("{:?}", s.tokens.keys().collect::<Vec<_>>()));
    assert!(tokens.iter().all(|t| auth.contains(t.as_str())));

    let logs = std::fs::read(&log).unwrap();
    assert!(
        logs.len() > 10_000,
        "trace logs were captured ({} bytes)",
        logs.len()
    );
    clean("serve's stdout/stderr", &logs, &needles);
    for (path, text) in &pages {
        clean(&format!("GET {path}"), text.as_bytes(), &needles);
    }
    let mut db_files = 0;
    for e in std::fs::read_dir(org.dir.path()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("wavebump.db") {
            db_files += 1;
            clean(&name, &std::fs::read(e.path()).unwrap(), &needles);
        }
    }
    assert!(db_files >= 1, "the database was searched");
    let mut cache = Vec::new();
    files_below(&org.tmp(), &mut cache);
    let configs: Vec<&PathBuf> = cache
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "config"))
        .collect();
    assert!(
        configs.len() >= REPOS,
        "a git config per pushed repository in the cache: {cache:?}"
    );
    for p in &cache {
        let bytes = std::fs::read(p).unwrap();
        clean(&p.display().to_string(), &bytes, &needles);
        if p.file_name().is_some_and(|n| n == "config") {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains('@'),
                "{}: credentials in a URL:\n{text}",
                p.display()
            );
        }
    }
    let mut bodies = 0;
    let mut comments = 0;
    for full in &org.repos {
        for p in org.fake.pulls(full) {
            bodies += 1;
            clean(
                &format!("{full}#{} title", p.number),
                p.title.as_bytes(),
                &needles,
            );
            clean(
                &format!("{full}#{} body", p.number),
                p.body.as_bytes(),
                &needles,
            );
            for c in &p.comments {
                comments += 1;
                clean(
                    &format!("{full}#{} comment", p.number),
                    c.body.as_bytes(),
                    &needles,
                );
            }
        }
    }
    assert_eq!(bodies, REPOS);
    assert!(comments >= 1, "the bot answered the help command");
    println!(
        "secret hygiene: {} needles; searched {} KB of logs, {db_files} database files, {} cache files ({} git configs), {bodies} PRs, {comments} comments, {} pages",
        needles.len(),
        logs.len() / 1024,
        cache.len(),
        configs.len(),
        pages.len()
    );
}

/// `Debug` of everything that holds a secret.
#[test]
fn debug_output_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let key = crate::support::private_key_file(dir.path());
    let text = format!(
        "library:\n  repository: acme/core-utils\n  packages:\n    cargo: core-utils\n\
         github:\n  app_id: 1\n  private_key_path: {}\n  token_env: WB_T\n\
         server:\n  operators:\n    - name: alice\n      token_env: WB_O\n",
        key.display()
    );
    let config = Config::parse_in(&text, "debug.yaml", dir.path()).unwrap();
    let env = |k: &str| match k {
        "WB_T" => Some(PLAIN_TOKEN.to_owned()),
        "WB_O" => Some(OPERATOR_TOKEN.to_owned()),
        "WAVEBUMP_WEBHOOK_SECRET" => Some(WEBHOOK_SECRET.to_owned()),
        _ => None,
    };
    let secrets = config.github.load_webhook_secrets(env).unwrap();
    let operators = config.server.load_operator_tokens(env).unwrap();
    let app = GitHubForge::options_from_config(&config, env).unwrap();
    let key_secret = config.github.load_private_key().unwrap().unwrap();
    let token = config.github.load_token(env).unwrap();
    let serve = wavebump::server::serve::ServeOptions::default();
    let printed = [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{secrets:?}"),
        format!("{operators:?}"),
        format!("{app:?}"),
        format!("{app:#?}"),
        format!("{key_secret:?}"),
        format!("{token:?}"),
        format!("{serve:?}"),
        format!("{:?}", Credentials::token(PLAIN_TOKEN)),
        format!("{:?}", Credentials::token("ghs_fake00000000000000000001")),
    ];
    let needles = needles(&["ghs_fake00000000000000000001".to_owned()]);
    for p in &printed {
        clean(&format!("Debug output {p}"), p.as_bytes(), &needles);
    }
    assert!(printed[2].contains("redacted"), "{}", printed[2]);
    assert!(
        printed[4].contains("redacted") || printed[4].contains("<"),
        "{}",
        printed[4]
    );
}
