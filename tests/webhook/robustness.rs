//! The parsers never panic: arbitrary bytes and arbitrary JSON for every
//! event name, and fixtures with one subtree deleted, nulled or replaced by
//! an arbitrary value. Every error names the event and a JSON path.

use proptest::prelude::*;
use serde_json::{Map, Value};
use wavebump::server::commands::parse_commands;
use wavebump::server::events::{self, EventKind};

use super::harness::{event_of, fixture, fixture_names};

fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = EventKind::ALL.iter().map(|k| k.name()).collect();
    v.push("star");
    v
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "completed",
            "synchronize",
            "tag",
            "refs/tags/v1",
            "/wavebump retry"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "action",
            "repository",
            "sender",
            "installation",
            "id",
            "full_name",
            "login",
            "type",
            "release",
            "tag_name",
            "check_run",
            "check_suite",
            "head_sha",
            "pull_request",
            "head",
            "base",
            "ref",
            "sha",
            "issue",
            "comment",
            "body",
            "number",
            "zen",
            "hook_id",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

/// Every path (as a list of steps) in `v`.
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Step::Key(k.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Applies `f` to the parent container of the last step.
fn mutate(v: &mut Value, path: &[Step], f: impl FnOnce(&mut Value, &Step)) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for step in parents {
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k).unwrap(),
            (Step::Index(i), Value::Array(a)) => &mut a[*i],
            _ => unreachable!(),
        };
    }
    f(cur, last);
}

fn check(event: &str, body: &[u8]) {
    if let Err(e) = events::parse(event, body) {
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{event}: .")), "{msg}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(name in prop::sample::select(names()), body in prop::collection::vec(any::<u8>(), 0..256)) {
        check(name, &body);
    }

    #[test]
    fn arbitrary_json(name in prop::sample::select(names()), value in arb_json()) {
        check(name, &serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn fixtures_with_one_subtree_changed(
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        how in 0u8..3,
        replacement in arb_json(),
    ) {
        let all = fixture_names();
        let name = pick.get(&all);
        let mut value: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let mut found = Vec::new();
        paths(&value, &mut Vec::new(), &mut found);
        let path = at.get(&found).clone();
        mutate(&mut value, &path, |parent, last| match (parent, last) {
            (Value::Object(m), Step::Key(k)) => match how {
                0 => { m.remove(k); }
                1 => { m.insert(k.clone(), Value::Null); }
                _ => { m.insert(k.clone(), replacement); }
            },
            (Value::Array(a), Step::Index(i)) => match how {
                0 => { a.remove(*i); }
                1 => a[*i] = Value::Null,
                _ => a[*i] = replacement,
            },
            _ => unreachable!(),
        });
        check(event_of(name), &serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn comment_commands_never_panic(body in "(/wavebump|/WAVEBUMP|```|>|~~~| |\t|\r?\n|retry|skip|help|[a-zé`]{1,8}){0,24}") {
        for r in parse_commands(&body) {
            if let Err(e) = r {
                prop_assert!(e.line >= 1);
                prop_assert!(!e.problem.to_string().is_empty());
            }
        }
    }
}

#[test]
fn deleting_each_required_field_is_a_named_error() {
    // Deterministic: remove each key the check_run parser needs and read the
    // exact message.
    let cases = [
        (
            "check_run",
            "/check_run/head_sha",
            "check_run: .check_run.head_sha: missing",
        ),
        (
            "check_run",
            "/check_run/id",
            "check_run: .check_run.id: missing",
        ),
        (
            "check_run",
            "/repository/full_name",
            "check_run: .repository.full_name: missing",
        ),
        (
            "check_run",
            "/sender/login",
            "check_run: .sender.login: missing",
        ),
        (
            "pull_request",
            "/pull_request/head/sha",
            "pull_request: .pull_request.head.sha: missing",
        ),
        ("pull_request", "/number", "pull_request: .number: missing"),
        (
            "release",
            "/release/tag_name",
            "release: .release.tag_name: missing",
        ),
        ("status", "/sha", "status: .sha: missing"),
        (
            "issue_comment",
            "/comment/author_association",
            "issue_comment: .comment.author_association: missing",
        ),
        (
            "installation_repositories",
            "/repositories_added",
            "installation_repositories: .repositories_added: missing",
        ),
        ("create", "/ref", "create: .ref: missing"),
    ];
    for (event, pointer, want) in cases {
        let name = fixture_names()
            .into_iter()
            .find(|n| event_of(n) == event)
            .unwrap();
        let mut v: Value = serde_json::from_slice(&fixture(&name)).unwrap();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut v
        } else {
            v.pointer_mut(parent).unwrap()
        };
        parent.as_object_mut().unwrap().remove(key).unwrap();
        let err = events::parse(event, &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.to_string(), want);
    }
}

mod verifier {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, HeaderValue};
    use proptest::prelude::*;
    use wavebump::config::secret::Secret;
    use wavebump::server::webhook::{WebhookRejection, WebhookVerifier, sign};

    use super::super::harness::SECRET;

    fn header(h: &mut HeaderMap, name: &'static str, raw: &[u8]) {
        if let Ok(v) = HeaderValue::from_bytes(raw) {
            h.insert(name, v);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        /// Arbitrary headers and bodies never panic, and nothing is accepted
        /// unless the signature is the body's HMAC under our secret.
        #[test]
        fn arbitrary_requests(
            body in prop::collection::vec(any::<u8>(), 0..128),
            sig in prop::option::of(prop::collection::vec(any::<u8>(), 0..80)),
            sign_it in any::<bool>(),
            event in prop::collection::vec(any::<u8>(), 0..20),
            id in prop::collection::vec(any::<u8>(), 0..20),
            ct in prop::sample::select(vec!["application/json", "text/plain", "application/json; charset=utf-8", ""]),
        ) {
            let secret = Secret::new(SECRET);
            let v = WebhookVerifier::new(vec![secret.clone()]);
            let mut h = HeaderMap::new();
            let good = sign(&secret, &body);
            match (&sig, sign_it) {
                (_, true) => header(&mut h, "x-hub-signature-256", good.as_bytes()),
                (Some(s), false) => header(&mut h, "x-hub-signature-256", s),
                (None, false) => {}
            }
            header(&mut h, "content-type", ct.as_bytes());
            header(&mut h, "x-github-event", &event);
            header(&mut h, "x-github-delivery", &id);
            let signed = h.get("x-hub-signature-256").is_some_and(|s| s.as_bytes().eq_ignore_ascii_case(good.as_bytes()));
            match v.check(&h, Bytes::from(body.clone())) {
                Ok(d) => {
                    prop_assert!(signed);
                    prop_assert_eq!(d.body.as_ref(), body.as_slice());
                    prop_assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok());
                }
                Err(WebhookRejection::Unauthorized(_)) => prop_assert!(!signed),
                Err(_) => prop_assert!(signed),
            }
        }
    }
}
