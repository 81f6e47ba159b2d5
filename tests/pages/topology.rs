//! The plan's graph persisted with the rollout and drawn by the page: on
//! the demo organisation (a library layer `billing-lib → payments-lib →
//! billing-service` and the lockstep trio `user-service`, `auth-service`,
//! `billing-service`), edges between consumers and a box around the trio;
//! a schema-1 database upgrades and its old rollouts still render.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::StatusCode;
use tokio::sync::broadcast;
use wavebump::demo::{Demo, DemoOptions, GenerateOptions};
use wavebump::rollout::Timestamp;
use wavebump::status::{OperatorCommands, StatusState, status_router};
use wavebump::store::Store;

use super::fixture::get;
use crate::support::org;

struct Refuse;

impl OperatorCommands for Refuse {
    fn apply(
        &self,
        request: wavebump::rollout::OperatorRequest,
    ) -> futures::future::BoxFuture<
        '_,
        Result<wavebump::rollout::Outcome, wavebump::rollout::ServiceError>,
    > {
        // Read-only: every action is refused.
        let refused = wavebump::rollout::CommandError::NoSuchRollout(request.rollout);
        Box::pin(async move { Err(wavebump::rollout::ServiceError::Refused(refused)) })
    }
}

fn state(store: Store, now: Timestamp) -> StatusState {
    let (changes, _) = broadcast::channel(4);
    StatusState::new(store, Arc::new(Refuse), changes, vec![], true, None)
        .with_clock(wavebump::clock::from_fn(move || now))
}

async fn demo() -> (tempfile::TempDir, Demo) {
    org::isolate_git();
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        generate: GenerateOptions { repos: 1, seed: 1 },
        speed: None,
        ..DemoOptions::default()
    };
    let demo = Demo::setup(dir.path(), options, &mut Vec::new())
        .await
        .unwrap();
    (dir, demo)
}

/// The `<section data-region="graph">` of a page.
fn graph_section(html: &str) -> &str {
    let start = html
        .find("<section data-region=\"graph\"")
        .expect("graph section");
    let end = html[start..].find("</section>").expect("section end") + start;
    &html[start..end + "</section>".len()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_graph_has_library_layers_and_the_lockstep_trio() {
    tokio::time::timeout(std::time::Duration::from_secs(90), async {
        let (_dir, demo) = demo().await;
        let id = demo.rollout_id();
        let trio = ["auth-service", "billing-service", "user-service"];

        // Stored with the rollout, from the plan.
        let stored = demo.store().rollout_graph(id).await.unwrap().unwrap();
        assert!(
            stored.lockstep.contains(&trio.map(String::from).to_vec()),
            "{stored:?}"
        );
        for (from, to) in [
            ("billing-lib", "billing-service"),
            ("billing-lib", "payments-lib"),
            ("payments-lib", "billing-service"),
            ("auth-service", "user-service"),
            ("user-service", "auth-service"),
        ] {
            assert!(
                stored.edges.contains(&(from.into(), to.into())),
                "{from} → {to} in {stored:?}"
            );
        }

        let router = status_router(state(demo.store().clone(), demo.now()));
        let (status, _, api) = get(&router, &format!("/api/rollouts/{id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let api: serde_json::Value = serde_json::from_str(&api).unwrap();
        let g = &api["rollout"]["graph"];
        let node = |repo: &str| {
            g["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["repo"] == repo)
                .unwrap_or_else(|| panic!("node {repo}"))
                .clone()
        };
        let x = |repo: &str| node(repo)["x"].as_u64().unwrap();
        let y = |repo: &str| node(repo)["y"].as_u64().unwrap();
        // Layers: the library, then billing-lib, payments-lib, the trio.
        assert!(x("core-utils") < x("billing-lib"));
        assert!(x("billing-lib") < x("payments-lib"));
        assert!(x("payments-lib") < x("billing-service"));
        let edges: BTreeSet<(String, String, String)> = g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["from"].as_str().unwrap().to_owned(),
                    e["to"].as_str().unwrap().to_owned(),
                    e["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (from, to, kind) in [
            ("core-utils", "billing-lib", "library"),
            ("core-utils", "billing-service", "library"),
            ("billing-lib", "billing-service", "provider"),
            ("payments-lib", "billing-service", "provider"),
            ("user-service", "auth-service", "provider"),
        ] {
            assert!(
                edges.contains(&(from.into(), to.into(), kind.into())),
                "{from} → {to} ({kind})"
            );
        }
        // The trio sits in one column inside one box, nobody else inside.
        let (nw, nh) = (g["node_w"].as_u64().unwrap(), g["node_h"].as_u64().unwrap());
        let boxes = g["boxes"].as_array().unwrap();
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        let b = &boxes[0];
        let (bx, by) = (b["x"].as_u64().unwrap(), b["y"].as_u64().unwrap());
        let (bw, bh) = (b["w"].as_u64().unwrap(), b["h"].as_u64().unwrap());
        let inside: BTreeSet<String> = g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                let (nx, ny) = (n["x"].as_u64().unwrap(), n["y"].as_u64().unwrap());
                nx > bx && nx + nw < bx + bw && ny > by && ny + nh < by + bh
            })
            .map(|n| n["repo"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(inside, trio.iter().map(|s| s.to_string()).collect());
        assert_eq!(x("user-service"), x("auth-service"));
        assert!(y("user-service") != y("auth-service"));

        // The SVG as the page draws it.
        let (_, _, html) = get(&router, &format!("/rollouts/{id}"), None).await;
        insta::assert_snapshot!("demo_graph", graph_section(&html));
    })
    .await
    .expect("timed out");
}

/// A database of schema 1 (before graphs were kept) with a rollout: it
/// upgrades, the old rollout has no stored graph and its page still draws
/// library → consumer edges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_1_database_upgrades_and_old_rollouts_render() {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        sqlx::any::install_default_drivers();
        {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let v1 = std::fs::read_to_string(
                crate::support::crate_root().join("migrations/sqlite/0001_init.sql"),
            )
            .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE wavebump_schema (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL);
                 INSERT INTO wavebump_schema VALUES (1, 'initial schema', 0);
                 {v1}
                 INSERT INTO rollouts (library, to_version, state, current_wave, wave_count, branch, policy, started_by, created_at, state_since, updated_at)
                   VALUES ('acme/core-utils', '2.0.0', 'running', 0, 1, 'wavebump/core-utils-2', '{{}}', 'alice', 0, 0, 0);
                 INSERT INTO waves (rollout_id, idx) VALUES (1, 0);
                 INSERT INTO targets (rollout_id, repo, manifest_path, ecosystem, from_requirement, classification, is_library, wave, state, retries, failing_checks, state_since)
                   VALUES (1, 'svc-a', 'Cargo.toml', 'cargo', '1.4', 'major', 0, 0, 'pending', 0, '[]', 0);"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
        }
        let store = Store::open_url(&url).await.unwrap();
        assert_eq!(
            store.schema_version().await.unwrap(),
            wavebump::store::SCHEMA_VERSION
        );
        assert_eq!(store.rollout_graph(1).await.unwrap(), None);
        let router = status_router(state(store, Timestamp(60_000)));
        let (status, _, html) = get(&router, "/rollouts/1", None).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains("data-from=\"acme/core-utils\" data-to=\"svc-a\""),
            "{}",
            graph_section(&html)
        );
    })
    .await
    .expect("timed out");
}
