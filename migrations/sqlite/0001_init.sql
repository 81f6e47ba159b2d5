-- wavebump schema version 1. SQLite.
CREATE TABLE rollouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library TEXT NOT NULL,
    from_version TEXT,
    to_version TEXT NOT NULL,
    state TEXT NOT NULL,
    current_wave BIGINT NOT NULL,
    wave_count BIGINT NOT NULL,
    reason TEXT,
    branch TEXT NOT NULL,
    policy TEXT NOT NULL,
    started_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE waves (
    rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
    idx BIGINT NOT NULL,
    opened_at BIGINT,
    met_at BIGINT,
    done_at BIGINT,
    PRIMARY KEY (rollout_id, idx)
);
CREATE TABLE targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
    repo TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    from_requirement TEXT NOT NULL,
    to_requirement TEXT,
    classification TEXT NOT NULL,
    is_library BIGINT NOT NULL,
    wave BIGINT NOT NULL,
    state TEXT NOT NULL,
    retries BIGINT NOT NULL,
    pr_number BIGINT,
    pr_url TEXT,
    head_sha TEXT,
    ci_state TEXT,
    failing_checks TEXT NOT NULL,
    merge_blocked TEXT,
    last_reason TEXT,
    state_since BIGINT NOT NULL,
    ci_started_at BIGINT,
    ci_finished_at BIGINT,
    UNIQUE (rollout_id, repo, manifest_path)
);
CREATE INDEX targets_by_wave ON targets (rollout_id, wave);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id BIGINT,
    repo TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_by_rollout ON audit_log (rollout_id, id);
CREATE TABLE webhook_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX inbox_due ON webhook_inbox (state, next_attempt_at, id);
CREATE TABLE etag_cache (
    key TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id BIGINT NOT NULL,
    repo TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    outcome TEXT
);
CREATE INDEX intents_unconfirmed ON intents (confirmed_at, id);
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
