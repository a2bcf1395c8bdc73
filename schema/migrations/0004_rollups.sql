-- ccbench schema, version 4: rollups, so that KPI queries read an amount of
-- data that depends on the window, not on the length of the history.
--
-- contact_rollup and feedback_rollup hold, per institution, 15-minute UTC
-- bucket (of arrived_at, submitted_at) and group, the counts the KPIs are
-- computed from, over the newest non-deleted version of every record whose
-- newest version falls in the bucket. They are not summed by ClickHouse:
-- whenever a batch of records touches a bucket, the store recomputes the
-- bucket's rows from the newest versions and writes them with a greater
-- version, which replaces the previous rows (a group that vanished gets a
-- row of zeros). Reads take the newest row of each key (FINAL). This stays
-- exact under new versions, tombstones and republished files, and for the
-- largest wait, which a signed sum could not take back. Every whole-hour
-- (and quarter-hour) UTC offset divides 15 minutes, so local days and
-- months are sums of buckets.
--
-- The contact counts depend on each group's T, S and L, which come from the
-- configuration: a row records the thresholds it was counted with (t_ms,
-- s_ms, l_ms), readers use only rows counted with their own, and the
-- collector recounts an institution's buckets when they change.
CREATE TABLE IF NOT EXISTS contact_rollup (
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
ORDER BY (institution, bucket, unit, channel);

CREATE TABLE IF NOT EXISTS feedback_rollup (
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
ORDER BY (institution, bucket, unit, channel, instrument);

-- written_cases keeps the versions of the contacts that deadline_met_rate
-- and correction_rate read (written channels and complex inquiries), so that
-- the deadline query reads the few per cent of contacts that are written
-- instead of all of them. The store writes it next to contacts: every
-- version of such a case, and a later version that is no longer one (a
-- channel corrected, a complex flag withdrawn) as deleted, so that the
-- newest version decides here as it does in contacts.
CREATE TABLE IF NOT EXISTS written_cases (
    institution String,
    source String,
    id String,
    version UInt64,
    unit String,
    channel String,
    arrived_at DateTime('UTC'),
    answered_at Nullable(DateTime('UTC')),
    complex UInt8,
    resolved_at Nullable(DateTime('UTC')),
    corrected Nullable(UInt8),
    deleted UInt8,
    ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(arrived_at)
ORDER BY (institution, source, id);

-- rollup_builds records that an institution's rollups were built over all
-- its data (by `ccbench schema migrate`, `register load` or `collect`, which
-- know the thresholds); until then, reads use the raw versions. Later
-- batches keep the rollups current as they are written.
CREATE TABLE IF NOT EXISTS rollup_builds (
    institution String,
    version UInt64,
    built_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY institution;

-- The written cases stored before this migration, every version of them
-- (those that are not written cases marked deleted). Running it again
-- copies nothing twice.
INSERT INTO written_cases
SELECT institution, source, id, version, unit, channel, arrived_at, answered_at, complex, resolved_at, corrected,
    if(channel IN ('email', 'web_form', 'post') OR complex = 1, deleted, 1) AS deleted, ingested_at
FROM contacts
WHERE (institution, source, id) IN (SELECT institution, source, id FROM contacts WHERE channel IN ('email', 'web_form', 'post') OR complex = 1)
  AND (institution, source, id, version) NOT IN (SELECT institution, source, id, version FROM written_cases);
