-- ccbench schema, version 7: a third rollup level, per second, so that no
-- window reads raw versions, and smaller index granules, so that a read of
-- many institutions' windows skips what it does not need.
--
-- Each rollup now has three tables of the same counts: per second of
-- arrival (submission) in the _1s tables, per 15-minute UTC bucket in the
-- _15m tables (they replace contact_rollup and feedback_rollup of migration
-- 0004) and per whole UTC day in the _1d tables (they replace the _day
-- tables of migration 0005). bucket is the start of the row's second,
-- bucket or day. The store writes all three in one recount: the seconds
-- from one read of the newest versions, the buckets as their sums, the days
-- as the sums of those; every row of a recount has its version, and a key
-- whose records vanished gets a row of zeros. A window [from, to) reads its
-- whole days from _1d, its other whole buckets from _15m and the seconds at
-- its two ends from _1s.
--
-- A trailing window of an institution needs a few hundred rows at each of
-- its ends; index granules of 8,192 rows made a read of a hundred
-- institutions' windows read nearly every row of the 15-minute table. These
-- tables have granules of 1,024 rows (256 for the seconds, which hold about
-- one row per contact).
CREATE TABLE IF NOT EXISTS contact_rollup_1s (
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
PARTITION BY toYYYYMM(bucket)
ORDER BY (institution, bucket, unit, channel)
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS contact_rollup_15m (
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
PARTITION BY toYYYYMM(bucket)
ORDER BY (institution, bucket, unit, channel)
SETTINGS index_granularity = 1024;

-- A day whose buckets were counted with different thresholds gets
-- t_ms = -1, which no configuration has, so readers fall back to the raw
-- versions for it.
CREATE TABLE IF NOT EXISTS contact_rollup_1d (
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
ORDER BY (institution, bucket, unit, channel)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS feedback_rollup_1s (
    institution String,
    bucket DateTime('UTC'),
    unit String,
    channel String,
    instrument String,
    version UInt64,
    responses UInt64,
    favourable UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(bucket)
ORDER BY (institution, bucket, unit, channel, instrument)
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS feedback_rollup_15m (
    institution String,
    bucket DateTime('UTC'),
    unit String,
    channel String,
    instrument String,
    version UInt64,
    responses UInt64,
    favourable UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(bucket)
ORDER BY (institution, bucket, unit, channel, instrument)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS feedback_rollup_1d (
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
ORDER BY (institution, bucket, unit, channel, instrument)
SETTINGS index_granularity = 1024;

-- rollup_builds_v2 records that an institution's rollups were built in
-- these tables; it replaces rollup_builds. The first `ccbench schema
-- migrate`, `register load` or `collect` after this migration rebuilds each
-- institution's rollups once, from its raw versions (they know the
-- thresholds); until then reads use the raw versions.
CREATE TABLE IF NOT EXISTS rollup_builds_v2 (
    institution String,
    version UInt64,
    built_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY institution;

DROP TABLE IF EXISTS contact_rollup;

DROP TABLE IF EXISTS feedback_rollup;

DROP TABLE IF EXISTS contact_rollup_day;

DROP TABLE IF EXISTS feedback_rollup_day;

DROP TABLE IF EXISTS rollup_builds;
