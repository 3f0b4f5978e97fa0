-- Rate limits shared by every worker process on this database: one row per admitted
-- call (or token reservation) still inside its window, a sliding log per counter.
-- Mirrors ../sqlite/0005_shared_rate_limits.sql column for column (a SQLite database has
-- one process, which keeps its windows in memory and leaves this table empty).
--   bucket: the counter, `provider/key fingerprint/bucket/measure/window` (never a key).
-- UNLOGGED: a crash forgets at most one window of history, which is not worth a WAL
-- write and a flush on every provider call.
CREATE UNLOGGED TABLE atl_rate_slots (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket    TEXT NOT NULL,
    taken_at  TIMESTAMPTZ NOT NULL,
    units     BIGINT NOT NULL CHECK (units >= 0)
);
CREATE INDEX atl_rate_slots_bucket_time ON atl_rate_slots (bucket, taken_at);

-- Take `units` from `bucket` (at most `cap` in any `window_us` microseconds), or take
-- nothing and answer how many microseconds until they would fit; 0 means taken. One
-- call is one round trip and one transaction; callers of one bucket queue on an
-- advisory lock, so two processes can never both see room for the last slot. The time
-- is the database's (read after the lock is held), never a worker's.
CREATE FUNCTION atl_rate_take(p_bucket TEXT, p_units BIGINT, p_cap BIGINT, p_window_us BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    v_cap    BIGINT := GREATEST(p_cap, 1);
    v_units  BIGINT := LEAST(p_units, GREATEST(p_cap, 1));
    v_window INTERVAL := p_window_us * INTERVAL '1 microsecond';
    v_now    TIMESTAMPTZ;
    v_total  BIGINT;
    v_at     TIMESTAMPTZ;
BEGIN
    IF p_units <= 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_bucket, 0));
    v_now := clock_timestamp();
    DELETE FROM atl_rate_slots WHERE bucket = p_bucket AND taken_at <= v_now - v_window;
    SELECT COALESCE(SUM(units), 0) INTO v_total FROM atl_rate_slots WHERE bucket = p_bucket;
    IF v_total + v_units <= v_cap THEN
        INSERT INTO atl_rate_slots (bucket, taken_at, units) VALUES (p_bucket, v_now, v_units);
        RETURN 0;
    END IF;
    -- The oldest entries leave first: wait until enough of them have.
    SELECT s.taken_at INTO v_at FROM (
        SELECT taken_at, SUM(units) OVER (ORDER BY taken_at, id) AS freed
        FROM atl_rate_slots WHERE bucket = p_bucket
    ) s
    WHERE s.freed >= v_total + v_units - v_cap
    ORDER BY s.taken_at LIMIT 1;
    IF v_at IS NULL THEN
        RETURN p_window_us;
    END IF;
    RETURN GREATEST(1, CEIL(EXTRACT(EPOCH FROM (v_at + v_window - v_now)) * 1000000)::BIGINT);
END
$$;

-- Correct a reservation once the real figure is known: count what was used beyond it as
-- of now, or give back what was not used from the newest entries (so a refund frees
-- capacity no sooner than the call's own entry would have).
CREATE FUNCTION atl_rate_settle(p_bucket TEXT, p_taken BIGINT, p_used BIGINT)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    v_refund BIGINT := p_taken - p_used;
    v_row    RECORD;
BEGIN
    IF p_taken = p_used THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_bucket, 0));
    IF p_used > p_taken THEN
        INSERT INTO atl_rate_slots (bucket, taken_at, units)
        VALUES (p_bucket, clock_timestamp(), p_used - p_taken);
        RETURN;
    END IF;
    FOR v_row IN
        SELECT id, units FROM atl_rate_slots WHERE bucket = p_bucket
        ORDER BY taken_at DESC, id DESC
    LOOP
        EXIT WHEN v_refund <= 0;
        IF v_row.units <= v_refund THEN
            DELETE FROM atl_rate_slots WHERE id = v_row.id;
            v_refund := v_refund - v_row.units;
        ELSE
            UPDATE atl_rate_slots SET units = units - v_refund WHERE id = v_row.id;
            v_refund := 0;
        END IF;
    END LOOP;
END
$$;
