//! `app.yml`, the GitHub App manifest, asks for exactly the permissions
//! issue 6 lists and subscribes to every event wavebump handles (except
//! those GitHub delivers to every App unasked).

use std::collections::BTreeMap;

use serde_json::Value;
use wavebump::server::events::EventKind;

fn manifest() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("app.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn permissions() {
    let m = manifest();
    let got: BTreeMap<String, String> =
        serde_json::from_value(m["default_permissions"].clone()).unwrap();
    let want: BTreeMap<String, String> = [
        ("checks", "write"),
        ("contents", "write"),
        ("issues", "read"),
        ("metadata", "read"),
        ("pull_requests", "write"),
        ("statuses", "read"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(m["hook_attributes"]["active"], Value::Bool(true));
    assert!(
        m["hook_attributes"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/webhook")
    );
}

#[test]
fn events_match_the_handled_kinds() {
    let m = manifest();
    let mut got: Vec<String> = serde_json::from_value(m["default_events"].clone()).unwrap();
    got.sort();
    // Delivered to every App without a subscription, or on hook creation.
    let automatic = [
        EventKind::Installation,
        EventKind::InstallationRepositories,
        EventKind::Ping,
    ];
    let mut want: Vec<String> = EventKind::ALL
        .into_iter()
        .filter(|k| !automatic.contains(k))
        .map(|k| k.name().to_owned())
        .collect();
    want.sort();
    assert_eq!(got, want);
}
