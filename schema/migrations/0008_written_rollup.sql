-- ccbench schema, version 8: rollups of the written cases, so that a
-- comparison over days reads a few thousand rows per institution-year
-- instead of every version of its cases.
--
-- written_rollup counts, per institution, local day of arrival, unit and
-- channel, the newest non-deleted versions of the cases that
-- deadline_met_rate and correction_rate read (written_cases), by what
-- decides them: whether the channel is written, the complex flag, whether
-- the case has an answer time (answered_at for written channels,
-- resolved_at for complex real-time inquiries) and the local day of it,
-- and the corrected flag (-1 when unknown). Days are those of zone, the
-- institution's time zone when they were counted. The deadline (N working
-- days, from the configuration and the calendar) is worked out when the
-- rollup is read, so neither a change of targets nor a new calendar load
-- needs a recount.
--
-- Like the contact rollups, the rows are recounted, not summed: whenever a
-- batch touches a contact bucket, the store recounts the local days that
-- hold it from the newest versions and writes them with a greater
-- version, which replaces the previous rows (a key whose cases vanished
-- gets a row of zeros). Reads take the newest row of each key (FINAL).
CREATE TABLE IF NOT EXISTS written_rollup (
    institution String,
    zone String,
    arrival_day Date,
    unit String,
    channel String,
    is_written UInt8,
    complex UInt8,
    has_answer UInt8,
    answer_day Date,
    corrected Int8,
    version UInt64,
    cases UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(arrival_day)
ORDER BY (institution, zone, arrival_day, unit, channel, is_written, complex, has_answer, answer_day, corrected);

-- written_answers holds the same cases' answers to the second: per local
-- day of arrival, group and flags, the cases answered in each second. The
-- rollup knows the local day of an answer, not its time, so a case
-- answered on the local day of a query's as-of time may have been answered
-- before or after it: a query reads those cases here, a day of answers,
-- and every other case from written_rollup. It is recounted with
-- written_rollup.
CREATE TABLE IF NOT EXISTS written_answers (
    institution String,
    zone String,
    arrival_day Date,
    unit String,
    channel String,
    is_written UInt8,
    complex UInt8,
    corrected Int8,
    answer_at DateTime('UTC'),
    version UInt64,
    cases UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(arrival_day)
ORDER BY (institution, zone, arrival_day, unit, channel, is_written, complex, corrected, answer_at);

-- written_rollup_builds records that an institution's written rollup was
-- built over all its cases in zone. The first `ccbench schema migrate`,
-- `register load` or `collect` after this migration builds it; until then,
-- and for a query in another zone, reads use the written cases themselves.
CREATE TABLE IF NOT EXISTS written_rollup_builds (
    institution String,
    zone String,
    version UInt64,
    built_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY institution;
