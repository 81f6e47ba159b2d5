-- wavebump schema version 4. SQLite.
-- Status-page operator sessions, shared by every replica: the SHA-256 of
-- the session id (never the id itself), the operator's name, the session's
-- CSRF token and when it expires (ms since the epoch).
CREATE TABLE operator_sessions (
    id_hash TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Rollout changes announced by any replica, in order: every replica polls
-- the rows after the last sequence number it saw and tells its open pages.
CREATE TABLE change_feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id BIGINT NOT NULL,
    origin TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
