//! Secrets: never in Debug output, loaded from environment or files only.

use std::collections::HashMap;
use std::path::Path;

use wavebump::config::secret::parse_tokens_file;
use wavebump::config::{Config, Secret, StoreBackend};

use super::MINIMAL;

const SECRET: &str = "s3cr3t-ghp_0123456789";

#[test]
fn secret_debug_is_redacted() {
    let s = Secret::new(SECRET);
    assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    assert_eq!(
        format!("{:#?}", vec![s.clone()]),
        "[\n    Secret(<redacted>),\n]"
    );
    assert_eq!(s.expose(), SECRET);
}

#[test]
fn postgres_password_is_redacted_in_config_debug() {
    let text = format!("{MINIMAL}store:\n  url: \"postgres://wavebump:{SECRET}@db/wavebump\"\n");
    let c = Config::parse(&text, "c.yaml").unwrap();
    let debug = format!("{c:?} {c:#?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("postgres://wavebump:<redacted>@db/wavebump"));
    assert_eq!(
        c.store.backend,
        StoreBackend::Postgres {
            url: format!("postgres://wavebump:{SECRET}@db/wavebump")
        }
    );
}

#[test]
fn operator_tokens_come_from_env_and_file() {
    let dir = std::env::temp_dir().join(format!("wavebump-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    crate::support::write_secret(
        &dir.join("operators"),
        format!("# ops\nbob: {SECRET}-bob\n\n"),
    );
    let text = format!(
        "{MINIMAL}server:\n  operators:\n    - {{name: alice, token_env: TOKEN_ALICE}}\n  operator_tokens_file: operators\n"
    );
    let c = Config::parse_in(&text, "c.yaml", &dir).unwrap();
    let env: HashMap<&str, String> = [("TOKEN_ALICE", format!("{SECRET}-alice"))].into();
    let tokens = c
        .server
        .load_operator_tokens(|k| env.get(k).cloned())
        .unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        (tokens[0].name.as_str(), tokens[0].token.expose()),
        ("alice", &*format!("{SECRET}-alice"))
    );
    assert_eq!(
        (tokens[1].name.as_str(), tokens[1].token.expose()),
        ("bob", &*format!("{SECRET}-bob"))
    );
    assert!(!format!("{tokens:?}").contains(SECRET));

    let err = c.server.load_operator_tokens(|_| None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "operator `alice`: the environment variable TOKEN_ALICE is not set"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tokens_file_errors_name_the_line_not_the_content() {
    let e = parse_tokens_file(&format!("ok:tok\n{SECRET}\n"), Path::new("ops")).unwrap_err();
    assert_eq!(e.to_string(), "ops:2: expected `name:token`");
}

#[test]
fn webhook_secrets_from_env_then_file() {
    let dir = std::env::temp_dir().join(format!("wavebump-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    crate::support::write_secret(&dir.join("hook"), "new-secret\nold-secret\n");
    let text = format!("{MINIMAL}github:\n  webhook_secret_file: hook\n");
    let c = Config::parse_in(&text, "c.yaml", &dir).unwrap();
    let got = c
        .github
        .load_webhook_secrets(|k| (k == "WAVEBUMP_WEBHOOK_SECRET").then(|| "env-secret".to_owned()))
        .unwrap();
    let exposed: Vec<&str> = got.iter().map(Secret::expose).collect();
    assert_eq!(exposed, ["env-secret", "new-secret", "old-secret"]);
    assert!(!format!("{got:?}").contains("secret\""));

    let none = Config::parse(MINIMAL, "c.yaml").unwrap();
    let e = none.github.load_webhook_secrets(|_| None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no webhook secret: set WAVEBUMP_WEBHOOK_SECRET or `github.webhook_secret_file`"
    );
    assert_eq!(
        none.github
            .load_token(|k| (k == "GITHUB_TOKEN").then(|| SECRET.to_owned()))
            .map(|s| s.expose().to_owned()),
        Some(SECRET.to_owned())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn example_holds_no_inline_secret() {
    let c = Config::embedded_example().unwrap();
    let debug = format!("{c:#?}");
    for needle in ["ghp_", "BEGIN", "password", "hunter2"] {
        assert!(!debug.contains(needle), "{needle}");
    }
}

/// Like ssh with a private key: a secret file group or others may read or
/// write is refused, naming the file, its mode and the `chmod` to run.
#[test]
fn secret_files_open_to_group_or_others_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    crate::support::write_secret(&d.join("hook"), "a-webhook-secret\n");
    crate::support::write_secret(&d.join("operators"), format!("bob: {SECRET}-bob\n"));
    let key = crate::support::private_key_file(d);
    let text = format!(
        "{MINIMAL}github:\n  webhook_secret_file: hook\n  app_id: 1\n  private_key_path: {}\nserver:\n  operator_tokens_file: operators\n",
        key.display()
    );
    let c = Config::parse_in(&text, "c.yaml", d).unwrap();
    // 0600: accepted.
    assert_eq!(c.github.load_webhook_secrets(|_| None).unwrap().len(), 1);
    assert_eq!(c.server.load_operator_tokens(|_| None).unwrap().len(), 1);
    assert!(c.github.load_private_key().unwrap().is_some());

    let chmod = |name: &str, mode: u32| {
        std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for (mode, shown) in [(0o644, "0644"), (0o640, "0640"), (0o602, "0602")] {
        chmod("hook", mode);
        let e = c
            .github
            .load_webhook_secrets(|_| None)
            .unwrap_err()
            .to_string();
        let path = d.join("hook");
        assert!(
            e.starts_with(&format!("{}: the webhook secret file", path.display())),
            "{e}"
        );
        assert!(e.contains(&format!("(mode {shown})")), "{e}");
        assert!(
            e.contains(&format!("run `chmod 600 {}`", path.display())),
            "{e}"
        );
        assert!(!e.contains("a-webhook-secret"), "{e}");
    }
    chmod("hook", 0o600);

    chmod("operators", 0o666);
    let e = c
        .server
        .load_operator_tokens(|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("operator tokens file") && e.contains("(mode 0666)"),
        "{e}"
    );
    assert!(e.contains("chmod 600"), "{e}");
    assert!(!e.contains(SECRET), "{e}");
    chmod("operators", 0o400); // read-only for the owner is fine
    assert_eq!(c.server.load_operator_tokens(|_| None).unwrap().len(), 1);

    chmod("app-private-key.pem", 0o644);
    let e = c.github.load_private_key().unwrap_err().to_string();
    assert!(
        e.contains("GitHub App private key") && e.contains("(mode 0644)"),
        "{e}"
    );
    assert!(!e.contains("BEGIN"), "{e}");
}
