-- The cross-campaign evidence cache: what tools returned, kept so a repeat account costs
-- nothing. Mirrors ../postgres/0004_evidence_cache.sql column for column.
--   scope: whose keys paid for it (a team); kind: what it is (company_pack, person_match …);
--   key: what identifies it in the world (a registrable domain, an e-mail, name + domain).
CREATE TABLE atl_evidence (
    scope        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL CHECK (json_valid(payload)),
    observed_at  TEXT NOT NULL,
    PRIMARY KEY (scope, kind, key)
);
