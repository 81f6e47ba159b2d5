//! `planning::run` over the GitHub forge gives the same plan as over the
//! local forge on the same generated organisation, and writes nothing.

use serde_json::Value;
use wavebump::config::Config;
use wavebump::forge::local::LocalForge;

use super::{ORG, setup, timed};

/// `acme/x` → `x` for every known repository name anywhere in the report
/// (also inside reason texts), leaving `@acme/...` npm names alone.
fn strip(v: Value, names: &[String]) -> Value {
    match v {
        Value::String(s) => Value::String(strip_text(&s, names)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| strip(x, names)).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, x)| (k, strip(x, names))).collect())
        }
        other => other,
    }
}

fn strip_text(s: &str, names: &[String]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("acme/") {
        let after = &rest[i + 5..];
        let is_repo = !rest[..i].ends_with('@')
            && names.iter().any(|n| {
                after.starts_with(n.as_str())
                    && !after[n.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        out.push_str(&rest[..i]);
        if !is_repo {
            out.push_str("acme/");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn github_plan_equals_local_plan_and_writes_nothing() {
    timed(async {
        let org = crate::support::org::generate(40, 1);
        let (fake, forge, _clock) = setup().await;
        let root = org.path().to_path_buf();
        let loaded = fake.load_dir(ORG, &root);
        let names: Vec<String> = loaded.iter().map(|n| n.trim_start_matches("acme/").to_string()).collect();
        // The demo config without its `critical` tier: on main the planner
        // rejects it for this organisation with either forge (reported).
        let yaml: String = wavebump::cli_plan::DEMO_CONFIG
            .lines()
            .filter(|l| !l.trim_start().starts_with("critical:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let config = Config::parse_in(&yaml, "demo.yaml", &root).unwrap();
        let local = LocalForge::new(&root);
        let quiet = |_: usize, _: usize| {};
        let want = wavebump::planning::run(&local, &config, Some("3.0.0"), &quiet).await.unwrap();
        fake.clear_requests();
        let got = wavebump::planning::run(&forge, &config, Some("3.0.0"), &quiet).await.unwrap();
        let want = serde_json::to_value(&want.report).unwrap();
        let got = strip(serde_json::to_value(&got.report).unwrap(), &names);
        assert!(want["summary"]["targets"].as_u64().unwrap() > 10, "{}", want["summary"]);
        assert_eq!(got["targets"], want["targets"]);
        assert_eq!(got["waves"], want["waves"]);
        assert_eq!(got["edges"], want["edges"]);
        assert_eq!(got, want);
        let writes = fake.count(|r| r.is_write() && !r.is_auth());
        assert_eq!(writes, 0, "a dry run writes nothing");
        let api = fake.count(|r| !r.is_auth());
        let manifests: usize = fake.count(|r| r.path.contains("/git/blobs/"));
        println!(
            "plan --github on {} repositories: {api} requests ({manifests} blobs), {:.2} per repository",
            loaded.len(),
            api as f64 / loaded.len() as f64
        );
        assert!(api <= 2 * loaded.len() + manifests + 2);
    })
    .await
}
