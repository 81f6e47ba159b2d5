//! Refused requests change nothing in the store: forged or missing
//! signature, wrong secret, replayed delivery id, oversized body, malformed
//! JSON, wrong content type, missing headers. Asserted on the inbox and
//! rollout tables, with the worker running.

use axum::http::StatusCode;
use wavebump::config::secret::Secret;
use wavebump::server::webhook::sign;
use wavebump::store::Store;

use super::{Hook, LIBRARY, World, options, release, send, timed, wait_for};

async fn counts(store: &Store) -> (i64, i64, i64) {
    (
        store.count("webhook_inbox").await.unwrap(),
        store.count("rollouts").await.unwrap(),
        store.count("audit_log").await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_leave_the_store_unchanged() {
    timed(async {
        let world = World::new("").await;
        let (app, store) = world.app(options()).await;
        let router = app.router.clone();
        let running = app.background.start();
        let body = release("acme/elsewhere", "v2.0.0", "2020-01-01T00:00:00Z", false);

        let good = Hook::new("release", "d-1", &body);
        let mut forged = Hook::new("release", "d-2", &body);
        forged.signature = Some(sign(&Secret::new("a-guess"), &forged.body));
        let mut unsigned = Hook::new("release", "d-3", &body);
        unsigned.signature = None;
        let mut tampered = Hook::new("release", "d-4", &body);
        tampered.body.push(b' ');
        let mut malformed_sig = Hook::new("release", "d-5", &body);
        malformed_sig.signature = Some("sha256=nothex".into());
        let oversized = Hook::raw("release", "d-6", {
            let mut b = serde_json::to_vec(&body).unwrap();
            b.resize(300 * 1024, b' ');
            b
        });
        let malformed_json = Hook::raw("release", "d-7", b"{\"action\": ".to_vec());
        let mut form = Hook::new("release", "d-8", &body);
        form.content_type = "application/x-www-form-urlencoded";
        let bad_id = Hook::new("release", "has space", &body);

        // The one accepted delivery (another repository: ignored by the worker).
        assert_eq!(send(&router, &good).await.0, StatusCode::ACCEPTED);
        wait_for("the delivery to be processed", || async {
            let pending = store
                .inbox_count(wavebump::store::InboxState::Pending)
                .await
                .unwrap();
            (pending == 0).then_some(())
        })
        .await;
        let before = counts(&store).await;
        assert_eq!(before, (1, 0, 0));
        let inbox_before = store
            .inbox_in(wavebump::store::InboxState::Processed, 100)
            .await
            .unwrap();

        let replay = Hook::new("release", "d-1", &body);
        let cases: Vec<(&str, &Hook, StatusCode, &str)> = vec![
            (
                "replayed delivery id",
                &replay,
                StatusCode::ACCEPTED,
                "already received",
            ),
            (
                "forged signature",
                &forged,
                StatusCode::UNAUTHORIZED,
                "does not match",
            ),
            (
                "missing signature",
                &unsigned,
                StatusCode::UNAUTHORIZED,
                "missing",
            ),
            (
                "body changed after signing",
                &tampered,
                StatusCode::UNAUTHORIZED,
                "does not match",
            ),
            (
                "malformed signature",
                &malformed_sig,
                StatusCode::UNAUTHORIZED,
                "malformed",
            ),
            (
                "oversized",
                &oversized,
                StatusCode::PAYLOAD_TOO_LARGE,
                "larger than",
            ),
            (
                "malformed JSON",
                &malformed_json,
                StatusCode::BAD_REQUEST,
                "malformed JSON",
            ),
            (
                "wrong content type",
                &form,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "application/json",
            ),
            (
                "malformed delivery id",
                &bad_id,
                StatusCode::BAD_REQUEST,
                "x-github-delivery",
            ),
        ];
        for (what, hook, status, text) in cases {
            let (got, body) = send(&router, hook).await;
            assert_eq!(got, status, "{what}: {body}");
            assert!(body.contains(text), "{what}: {body}");
            assert_eq!(counts(&store).await, before, "{what} changed the store");
        }
        assert_eq!(
            store
                .inbox_in(wavebump::store::InboxState::Processed, 100)
                .await
                .unwrap(),
            inbox_before,
            "the stored delivery is untouched"
        );
        assert!(store.rollouts().await.unwrap().is_empty());
        // A delivery from the library with a bad signature starts nothing either.
        let mut lib = Hook::new(
            "release",
            "d-9",
            &release(LIBRARY, "v2.0.0", "2020-01-01T00:00:00Z", false),
        );
        lib.signature = Some(sign(&Secret::new("nope"), &lib.body));
        assert_eq!(send(&router, &lib).await.0, StatusCode::UNAUTHORIZED);
        running.stop().await;
        assert_eq!(counts(&store).await, before);
        assert!(world.fake.pulls("acme/svc-a").is_empty());
    })
    .await;
}
