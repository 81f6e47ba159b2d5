-- wavebump schema version 3. PostgreSQL.
-- The plan's consumer graph, frozen with the rollout when it is created:
-- provider -> consumer edges between planned repositories and the lockstep
-- groups (JSON arrays), for the status page's graph.
CREATE TABLE rollout_graph (
    rollout_id BIGINT PRIMARY KEY REFERENCES rollouts (id),
    edges TEXT NOT NULL,
    lockstep TEXT NOT NULL
);
