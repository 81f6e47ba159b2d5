-- wavebump schema version 2: supersede and the library cascade. PostgreSQL.
-- The library version each repository's PR carries (or merged at), and
-- whether a human edited the PR's branch (wavebump then never pushes to it).
CREATE TABLE pr_versions (
    rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
    repo TEXT NOT NULL,
    version TEXT,
    human_edited BIGINT NOT NULL,
    note TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, repo)
);
-- A library target whose PR merged: the highest version it had tagged by
-- then (NULL: it had never tagged one) and the first later release, which
-- contains the bump and is what its consumers' PRs require.
CREATE TABLE cascade_releases (
    rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
    repo TEXT NOT NULL,
    floor TEXT,
    merged_seen_at BIGINT NOT NULL,
    release_tag TEXT,
    release_version TEXT,
    released_at BIGINT,
    PRIMARY KEY (rollout_id, repo)
);
