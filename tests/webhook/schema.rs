//! Field requirements follow GitHub's webhook schemas (issue 15):
//! `tests/data/github/webhook-schemas.json` (from `@octokit/openapi-webhooks`,
//! written by `scripts/github-data`). Every official example of a handled
//! event still parses when every field its schema does not require is
//! removed, and again when every required field the schema lets be `null`
//! is `null`: wavebump needs nothing GitHub does not guarantee. The
//! permissions the fake's table says each event needs are the ones the
//! schemas' own text names.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use serde_json::{Map, Value};
use wavebump::server::events::{self, EventKind};

use crate::support::fake_github::permissions;

static DOC: LazyLock<Value> = LazyLock::new(|| {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/github/webhook-schemas.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
});

fn resolve(mut v: &Value) -> &Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        v = &DOC["components"]["schemas"][name];
    }
    v
}

/// Every alternative a schema stands for, `allOf` folded into one.
fn alternatives(s: &Value) -> Vec<(Map<String, Value>, BTreeSet<String>)> {
    let s = resolve(s);
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s[key].as_array() {
            return alts.iter().flat_map(alternatives).collect();
        }
    }
    let mut props = Map::new();
    let mut required = BTreeSet::new();
    let mut fold = |s: &Value| {
        for (k, v) in s["properties"].as_object().into_iter().flatten() {
            props.entry(k.clone()).or_insert(v.clone());
        }
        for r in s["required"].as_array().into_iter().flatten() {
            required.insert(r.as_str().unwrap().to_owned());
        }
    };
    fold(s);
    for member in s["allOf"].as_array().into_iter().flatten() {
        for (p, r) in alternatives(member) {
            fold(
                &serde_json::json!({ "properties": p, "required": r.into_iter().collect::<Vec<_>>() }),
            );
        }
    }
    vec![(props, required)]
}

fn admits_null(s: &Value) -> bool {
    let s = resolve(s);
    s["type"] == "null"
        || s["type"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("null")))
        || s["nullable"] == Value::Bool(true)
        || ["anyOf", "oneOf"]
            .iter()
            .any(|k| s[*k].as_array().is_some_and(|a| a.iter().any(admits_null)))
}

fn items(s: &Value) -> Option<Value> {
    let s = resolve(s);
    if !s["items"].is_null() {
        return Some(s["items"].clone());
    }
    ["anyOf", "oneOf", "allOf"]
        .iter()
        .find_map(|k| s[*k].as_array().and_then(|a| a.iter().find_map(items)))
}

/// `v` with only what `schema` requires (an object keeps a field required
/// by any alternative); with `null_out`, every kept field the schema lets
/// be null is null.
fn minimal(schema: &Value, v: &Value, null_out: bool) -> Value {
    match v {
        Value::Object(obj) => {
            let alts = alternatives(schema);
            let required: BTreeSet<&String> = alts.iter().flat_map(|(_, r)| r).collect();
            let mut out = Map::new();
            for (k, x) in obj {
                if !required.contains(k) {
                    continue;
                }
                let field = alts
                    .iter()
                    .find_map(|(p, _)| p.get(k))
                    .cloned()
                    .unwrap_or(Value::Null);
                let kept = if null_out && !x.is_null() && admits_null(&field) {
                    Value::Null
                } else {
                    minimal(&field, x, null_out)
                };
                out.insert(k.clone(), kept);
            }
            Value::Object(out)
        }
        Value::Array(list) => match items(schema) {
            Some(item) => Value::Array(list.iter().map(|x| minimal(&item, x, null_out)).collect()),
            None => v.clone(),
        },
        other => other.clone(),
    }
}

fn examples() -> Vec<(String, String, String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/github/webhooks");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let parts: Vec<&str> = file.split('.').collect();
        if parts.len() != 4 || parts[3] != "json" {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        out.push((
            file.clone(),
            parts[0].to_owned(),
            parts[1].replace('_', "-"),
            v,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn what_github_does_not_require_wavebump_does_not_need() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, event, action, value) in examples() {
        if EventKind::from_name(&event).is_none() {
            continue;
        }
        let schema = &DOC["events"][&event]["payloads"][&action];
        assert!(!schema.is_null(), "{file}: no schema for {event} {action}");
        for null_out in [false, true] {
            let payload = minimal(schema, &value, null_out);
            let body = serde_json::to_vec(&payload).unwrap();
            if let Err(e) = events::parse(&event, &body) {
                let how = if null_out {
                    "nullable fields null"
                } else {
                    "required fields only"
                };
                failures.push(format!("{file} ({how}): {e}"));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 90, "{checked}");
}

#[test]
fn the_minimal_payloads_are_minimal() {
    let all = examples();
    let find = |name: &str| all.iter().find(|e| e.0 == name).unwrap();
    let (_, event, action, v) = find("check_run.completed.1.json");
    let schema = &DOC["events"][event]["payloads"][action];
    let min = minimal(schema, v, false);
    assert!(v.pointer("/check_run/app/slug").is_some());
    assert!(min.pointer("/check_run/app/slug").is_none(), "{min}");
    assert!(min.pointer("/check_run/head_sha").is_some(), "{min}");
    assert!(min.pointer("/check_run/html_url").is_some(), "{min}");
    let (_, event, action, v) = find("pull_request.labeled.1.json");
    let schema = &DOC["events"][event]["payloads"][action];
    let nulled = minimal(schema, v, true);
    assert_eq!(
        nulled.pointer("/pull_request/user"),
        Some(&Value::Null),
        "{nulled}"
    );
    assert!(
        nulled
            .pointer("/pull_request/head/sha")
            .is_some_and(Value::is_string)
    );
}

#[test]
fn event_permissions_are_the_ones_githubs_schemas_name() {
    let names = [
        ("Checks", "checks"),
        ("Contents", "contents"),
        ("Issues", "issues"),
        ("Pull requests", "pull_requests"),
        ("Commit statuses", "statuses"),
    ];
    for (event, name, level) in permissions::EVENTS {
        let p = &DOC["events"][*event]["permission"];
        let doc_name = p["name"].as_str().unwrap_or_else(|| panic!("{event}: {p}"));
        let (_, ours) = names
            .iter()
            .find(|(d, _)| *d == doc_name)
            .unwrap_or_else(|| panic!("{event}: {doc_name}"));
        assert_eq!(ours, name, "{event}");
        assert_eq!(p["level"], level.as_str(), "{event}");
    }
    for event in ["installation", "installation_repositories", "ping"] {
        assert!(DOC["events"][event]["permission"].is_null(), "{event}");
    }
}
