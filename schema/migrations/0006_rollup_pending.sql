-- ccbench schema, version 6: rollup recounts deferred to the end of a
-- collection pass, and never lost.
--
-- A collector's pass (store.Pass) writes its batches of records at once
-- and recounts the rollup buckets they touched once, at the end of the
-- pass. Before a batch's records are written, the pass notes here the span
-- of buckets (first_bucket to last_bucket, inclusive) that the batch's
-- records are counted in now and will be counted in: one row per
-- institution and kind ('contacts' or 'feedback') of the batch. After the
-- recount, it writes a row to rollup_pending_done saying that every note of
-- the session with a version up to `through` is recounted. A note without
-- such a row is pending: a pass that died between writing and recounting
-- (a crash, a kill, a lost connection) leaves one, and the next collector
-- to start a pass recounts every bucket in its span and marks it done
-- (store.RecoverPending), so the rollups are exact again.
CREATE TABLE IF NOT EXISTS rollup_pending (
    institution String,
    session String,
    kind String,
    first_bucket DateTime('UTC'),
    last_bucket DateTime('UTC'),
    version UInt64,
    noted_at DateTime('UTC')
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(noted_at)
ORDER BY (institution, session, version);

CREATE TABLE IF NOT EXISTS rollup_pending_done (
    institution String,
    session String,
    through UInt64,
    done_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (institution, session);
