-- Job ledger: budget reservations, money spent by failed attempts, unknown costs, and the
-- index the claim walks. Mirrors ../postgres/0002_job_ledger.sql column for column.

-- Money held by running jobs (their agents' high estimate), so that several workers
-- sharing one budget never hand out more than it allows (DESIGN.md invariant 6).
ALTER TABLE atl_campaigns ADD COLUMN reserved_nano_usd INTEGER NOT NULL DEFAULT 0
    CHECK (reserved_nano_usd >= 0);
-- Results whose provider reported no price: never silently counted as zero.
ALTER TABLE atl_campaigns ADD COLUMN unknown_cost_results INTEGER NOT NULL DEFAULT 0
    CHECK (unknown_cost_results >= 0);
-- Set when dispatching stopped because the next job would have crossed the budget.
ALTER TABLE atl_campaigns ADD COLUMN budget_exhausted INTEGER NOT NULL DEFAULT 0
    CHECK (budget_exhausted IN (0, 1));

-- What this job's current lease reserved from the campaign's budget.
ALTER TABLE sub_agent_executions ADD COLUMN reserved_nano_usd INTEGER NOT NULL DEFAULT 0
    CHECK (reserved_nano_usd >= 0);
-- Money spent by this job's failed attempts (its result, if any, carries the rest), so the
-- campaign's cost can be recomputed from rows.
ALTER TABLE sub_agent_executions ADD COLUMN spent_nano_usd INTEGER NOT NULL DEFAULT 0
    CHECK (spent_nano_usd >= 0);

-- The claim scans pending jobs in id order (target by target, research first), so a partial
-- index on id over pending rows lets it stop after LIMIT matches instead of sorting them.
CREATE INDEX sub_agent_executions_pending ON sub_agent_executions (id)
    WHERE status = 'pending';
