-- wavebump schema version 5. PostgreSQL.
-- What people did on a target's pull request, as observed (JSON): who
-- merged or closed it, the standing reviews, and the back-off of a merge
-- the forge refused. A target may now be 'declined' (closed unmerged).
ALTER TABLE targets ADD COLUMN pr_activity TEXT NOT NULL DEFAULT '{}';
