-- Rate limits shared by every worker process on one database. Mirrors
-- ../postgres/0005_shared_rate_limits.sql column for column; there the table is the
-- sliding log every process admits its calls through (with its functions). A SQLite
-- database has one process, which keeps its windows in memory: this table stays empty.
CREATE TABLE atl_rate_slots (
    id        INTEGER PRIMARY KEY,
    bucket    TEXT NOT NULL,
    taken_at  TEXT NOT NULL,
    units     INTEGER NOT NULL CHECK (units >= 0)
);
CREATE INDEX atl_rate_slots_bucket_time ON atl_rate_slots (bucket, taken_at);
