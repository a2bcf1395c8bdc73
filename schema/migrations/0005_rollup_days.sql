-- ccbench schema, version 5: daily rollups over the 15-minute ones, so that
-- a window of a year reads about 365 rows per group instead of 35,000.
--
-- contact_rollup_day and feedback_rollup_day hold the sums of the
-- 15-minute rollups over whole UTC days (bucket is the day's start). The
-- store recounts a day from the 15-minute rows whenever it recounts one of
-- the day's buckets, with a greater version, as it does for the buckets
-- themselves; a group whose contacts vanished keeps a row of zeros. A day
-- whose buckets were counted with different thresholds gets t_ms = -1, which
-- no configuration has, so readers fall back to the raw versions for it.
--
-- A window in an institution's local time reads the whole UTC days that lie
-- in one of its periods from here and the rest (the hours at the ends of a
-- local day or month, whose offset is whole hours) from the 15-minute
-- rollups.
CREATE TABLE IF NOT EXISTS contact_rollup_day (
    institution String,
    bucket DateTime('UTC'),
    unit String,
    channel String,
    version UInt64,
    t_ms Int64,
    s_ms Int64,
    l_ms Int64,
    offered UInt64,
    answered UInt64,
    abandoned UInt64,
    short_abandoned UInt64,
    answered_within_t UInt64,
    abandoned_within_t UInt64,
    abandoned_not_short UInt64,
    long_waits UInt64,
    answer_wait_sum_ms Int64,
    handled UInt64,
    handle_sum_s Int64,
    acw_counted UInt64,
    acw_sum_s Int64,
    max_wait_ms Int64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(bucket)
ORDER BY (institution, bucket, unit, channel);

CREATE TABLE IF NOT EXISTS feedback_rollup_day (
    institution String,
    bucket DateTime('UTC'),
    unit String,
    channel String,
    instrument String,
    version UInt64,
    responses UInt64,
    favourable UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(bucket)
ORDER BY (institution, bucket, unit, channel, instrument);

-- The days of the 15-minute rollups written before this migration. Their
-- version 1 loses to any recount, so running this again changes nothing
-- that matters.
INSERT INTO contact_rollup_day
SELECT institution, toStartOfDay(bucket) AS day, unit, channel, toUInt64(1) AS version,
    if(min(t_ms) = max(t_ms) AND min(s_ms) = max(s_ms) AND min(l_ms) = max(l_ms), any(t_ms), toInt64(-1)),
    any(s_ms), any(l_ms),
    sum(offered), sum(answered), sum(abandoned), sum(short_abandoned), sum(answered_within_t), sum(abandoned_within_t),
    sum(abandoned_not_short), sum(long_waits), sum(answer_wait_sum_ms), sum(handled), sum(handle_sum_s), sum(acw_counted),
    sum(acw_sum_s), max(max_wait_ms)
FROM contact_rollup FINAL
GROUP BY institution, day, unit, channel;

INSERT INTO feedback_rollup_day
SELECT institution, toStartOfDay(bucket) AS day, unit, channel, instrument, toUInt64(1) AS version,
    sum(responses), sum(favourable)
FROM feedback_rollup FINAL
GROUP BY institution, day, unit, channel, instrument;
