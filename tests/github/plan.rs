//! `planning::run` over the GitHub forge gives the same plan as over the
//! local forge on the same generated organisation, and writes nothing.

use serde_json::Value;
use wavebump::config::Config;
use wavebump::forge::local::LocalForge;

use super::{ORG, setup, timed};

/// `acme/x` → `x` for every known repository name anywhere in the report.
fn strip(v: Value, names: &[String]) -> Value {
    match v {
        Value::String(s) => match s.strip_prefix("acme/") {
            Some(short) if names.iter().any(|n| n == short) => Value::String(short.to_string()),
            _ => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(|x| strip(x, names)).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, x)| (k, strip(x, names))).collect()),
        other => other,
    }
}

#[tokio::test]
async fn github_plan_equals_local_plan_and_writes_nothing() {
    timed(async {
        let org = crate::support::org::generate(60, 11);
        let (fake, forge, _clock) = setup().await;
        let loaded = fake.load_dir(ORG, org.path());
        let names: Vec<String> = loaded.iter().map(|n| n.trim_start_matches("acme/").to_string()).collect();
        let config = Config::parse_in(wavebump::cli_plan::DEMO_CONFIG, "demo.yaml", org.path()).unwrap();
        let local = LocalForge::new(org.path());
        let quiet = |_: usize, _: usize| {};
        let want = wavebump::planning::run(&local, &config, None, &quiet).await.unwrap();
        fake.clear_requests();
        let got = wavebump::planning::run(&forge, &config, None, &quiet).await.unwrap();
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
