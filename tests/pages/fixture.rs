//! A running rollout in the in-memory forge on SQLite, the status router
//! over it (fixed clock), payloads planted in user-controlled fields, and
//! HTTP helpers through the real router.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use tokio::sync::broadcast;
use tower::ServiceExt;
use wavebump::config::Config;
use wavebump::config::secret::{OperatorToken, Secret};
use wavebump::config::store::StoreBackend;
use wavebump::ecosystem::MemTree;
use wavebump::forge::CiState;
use wavebump::rollout::service::{RolloutService, ServiceOptions};
use wavebump::rollout::{Engine, EngineOptions, Timestamp, new_rollout};
use wavebump::status::{StatusState, Topology, status_router};
use wavebump::store::{Audit, FailingCheck, Store};

use crate::support::memforge::MemForge;

pub const TOKEN: &str = "alice-secret-token-5f3a9c";
pub const START: Timestamp = Timestamp(1_800_000_000_000);
/// Planted in a repository name, a check name, a reason, an audit actor.
pub const IMG: &str = "<img src=x onerror=window.__xss=1>";
pub const SCRIPT: &str = "</script><script>window.__xss=2</script>";
pub const XSS_REPO: &str = "svc-<img src=x onerror=window.__xss=1>";

const CONFIG: &str = r#"
library:
  repository: acme/core-utils
  packages:
    cargo: core-utils
rollout:
  canaries: [svc-a]
  waves: [3, 10]
  gate:
    success_ratio: 1.0
    soak: 10m
    failure_budget: 5
"#;

fn cargo(name: &str, deps: &[(&str, &str)]) -> MemTree {
    let mut text = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
    for (d, v) in deps {
        text.push_str(&format!("{d} = \"{v}\"\n"));
    }
    MemTree::new().with("Cargo.toml", text)
}

pub struct Fixture {
    pub engine: Arc<Engine<MemForge>>,
    pub store: Store,
    pub id: i64,
    pub changes: broadcast::Sender<i64>,
    pub clock: Arc<AtomicI64>,
    pub state: StatusState,
}

impl Fixture {
    /// A rollout started at `START`, wave 0 (`svc-a`) opened by one tick,
    /// payloads planted; pages public or not.
    pub async fn new(public_read: bool) -> Fixture {
        let forge = MemForge::new();
        forge.add_repo(
            "core-utils",
            cargo("core-utils", &[]),
            &["v1.4.0", "v2.0.0"],
        );
        forge.add_repo("lib-a", cargo("lib-a", &[("core-utils", "1.4")]), &[]);
        for name in ["svc-a", "svc-b", "svc-c", "svc-d", XSS_REPO] {
            let deps: &[(&str, &str)] = if name == "svc-c" {
                &[("core-utils", "1.4"), ("lib-a", "0.3")]
            } else {
                &[("core-utils", "~1.4.2")]
            };
            forge.add_repo(name, cargo("x", deps), &[]);
        }
        let store = Store::open(&StoreBackend::Memory).await.unwrap();
        let engine = Arc::new(Engine::new(store.clone(), forge, EngineOptions::default()));
        let config = Config::parse_in(CONFIG, "test.yaml", std::path::Path::new("/tmp")).unwrap();
        let noop = |_: usize, _: usize| {};
        let outcome = wavebump::planning::run(engine.forge(), &config, Some("2.0.0"), &noop)
            .await
            .unwrap();
        let id = engine
            .create(&new_rollout(&outcome, &config, "release webhook"), START)
            .await
            .unwrap();
        engine.start(id, "release webhook", START).await.unwrap();
        let now = START.plus(Duration::from_secs(60));
        engine.tick(now).await.unwrap();

        // Payloads in user-controlled fields.
        let mut targets = store.targets(id).await.unwrap();
        let t = targets
            .iter_mut()
            .find(|t| t.repo == XSS_REPO)
            .expect("xss target");
        let expected = t.state;
        t.failing_checks = vec![
            FailingCheck {
                name: format!("lint {IMG}"),
                url: Some("javascript:alert(1)".into()),
                first_error: None,
            },
            FailingCheck {
                name: format!("test {SCRIPT}"),
                url: Some("https://ci.test/run/1?a=\"b\"".into()),
                first_error: None,
            },
        ];
        t.last_reason = Some(format!("reason {IMG} {SCRIPT}"));
        store.update_target(t, expected, None).await.unwrap();
        store
            .append_audit(&Audit {
                rollout_id: Some(id),
                repo: Some(XSS_REPO.into()),
                actor: format!("mallory {SCRIPT}"),
                action: format!("noted {IMG}"),
                reason: SCRIPT.into(),
                at: now,
            })
            .await
            .unwrap();

        let clock = Arc::new(AtomicI64::new(START.0 + 5 * 60_000));
        let c = clock.clone();
        let clock_fn = wavebump::clock::from_fn(move || Timestamp(c.load(Ordering::SeqCst)));
        let (changes, _) = broadcast::channel(64);
        // The adapter production uses: the rollout service (engine lock,
        // settle after each action, announcements on `changes`).
        let commands = Arc::new(RolloutService::new(
            engine.clone(),
            ServiceOptions { settle: true },
            clock_fn.clone(),
            changes.clone(),
        ));
        let state = StatusState::new(
            store.clone(),
            commands,
            changes.clone(),
            vec![OperatorToken {
                name: "alice".into(),
                token: Secret::new(TOKEN),
            }],
            public_read,
            None,
        )
        .with_clock(clock_fn)
        .with_topology(Arc::new(|_| Topology {
            edges: vec![("lib-a".into(), "svc-c".into())],
            lockstep: vec![vec!["svc-c".into(), "svc-d".into()]],
        }));
        Fixture {
            engine,
            store,
            id,
            changes,
            clock,
            state,
        }
    }

    pub fn router(&self) -> Router {
        status_router(self.state.clone())
    }

    pub fn now(&self) -> Timestamp {
        Timestamp(self.clock.load(Ordering::SeqCst))
    }

    /// Make every target of `repo` pass CI through the engine, and announce it.
    pub async fn pass(&self, repo: &str) {
        self.engine.forge().set_ci(repo, CiState::Passed);
        self.engine.tick(self.now()).await.unwrap();
        self.changes.send(self.id).ok();
    }

    /// What the store says, for "nothing changed" assertions.
    pub async fn fingerprint(&self) -> String {
        let r = self.store.rollout(self.id).await.unwrap().unwrap();
        let audit = self.store.audit(self.id, 10_000).await.unwrap();
        let targets = self.store.targets(self.id).await.unwrap();
        format!(
            "{:?} {} {} {:?}",
            r.state,
            r.current_wave,
            audit.len(),
            targets.iter().map(|t| t.state).collect::<Vec<_>>()
        )
    }
}

/// One request through the router: status, headers, body text.
pub async fn send(
    router: &Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp: Response<Body> = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

pub async fn get(
    router: &Router,
    path: &str,
    cookie: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(router, b.body(Body::empty()).unwrap()).await
}

pub async fn post(
    router: &Router,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(router, b.body(Body::from(body.join("&"))).unwrap()).await
}

/// The value of `name="NAME" value="..."` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// `name=value` of a Set-Cookie for `name`.
pub fn set_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

/// Log in through the form; the session cookie and the page's CSRF token.
pub async fn login(router: &Router, id: i64) -> (String, String) {
    let (_, h, page) = get(router, "/login", None).await;
    let login_cookie = set_cookie(&h, "wavebump_login").unwrap();
    let csrf = hidden(&page, "csrf").unwrap();
    let (status, h, _) = post(
        router,
        "/login",
        Some(&login_cookie),
        &[("token", TOKEN), ("csrf", &csrf), ("next", "/")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = set_cookie(&h, "wavebump_session").unwrap();
    let (_, _, page) = get(router, &format!("/rollouts/{id}"), Some(&session)).await;
    let csrf = hidden(&page, "csrf").expect("csrf on the page when logged in");
    (session, csrf)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
