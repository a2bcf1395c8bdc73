-- ccbench schema, version 1. Every timestamp is DateTime('UTC'). Versioned
-- records live in ReplacingMergeTree tables, but reads never rely on merges:
-- the store picks the newest version of each record itself
-- (ORDER BY version DESC LIMIT 1 BY key), and a newest version with
-- deleted = 1 removes the record.

-- One row per version of a contact (records.Contact). Times are whole
-- seconds (18.16 has no DateTime64), so the wait is computed from the
-- source's full-precision times at insert and kept in wait_ms: answered_at
-- minus arrived_at of an answered contact, ended_at minus arrived_at of an
-- abandoned one, in milliseconds (truncated); NULL when neither applies.
CREATE TABLE IF NOT EXISTS contacts (
    institution String,
    source String,
    id String,
    version UInt64,
    updated_at DateTime('UTC'),
    unit String,
    channel String,
    queue String,
    arrived_at DateTime('UTC'),
    answered_at Nullable(DateTime('UTC')),
    ended_at Nullable(DateTime('UTC')),
    outcome String,
    talk_s UInt32,
    hold_s UInt32,
    acw_s UInt32,
    wait_ms Nullable(Int64),
    complex UInt8,
    resolved_at Nullable(DateTime('UTC')),
    corrected Nullable(UInt8),
    origin String,
    deleted UInt8,
    ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(arrived_at)
ORDER BY (institution, source, id);

-- One row per version of a feedback response (records.Feedback).
CREATE TABLE IF NOT EXISTS feedback (
    institution String,
    source String,
    id String,
    version UInt64,
    updated_at DateTime('UTC'),
    instrument String,
    subject String,
    unit String,
    channel String,
    submitted_at DateTime('UTC'),
    scale String,
    score Int32,
    origin String,
    deleted UInt8,
    ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(submitted_at)
ORDER BY (institution, source, id);

-- Figures of aggregate-only sources (records.Aggregate). Only the rows of
-- the highest revision of each (institution, source, batch) count.
CREATE TABLE IF NOT EXISTS aggregates (
    institution String,
    source String,
    batch String,
    revision Int64,
    period_start Date,
    period_end Date,
    unit String,
    channel String,
    instrument String,
    item String,
    metric String,
    value Float64,
    ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (institution, source, batch, revision, unit, channel, instrument, item, metric);

-- Where each source stream's next pull starts; the greatest version wins.
CREATE TABLE IF NOT EXISTS checkpoints (
    source String,
    stream String,
    position String,
    updated_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, stream);

-- Records that broke their source's contract (records.Quarantined).
CREATE TABLE IF NOT EXISTS quarantine (
    institution String,
    source String,
    stream String,
    record_id String,
    field String,
    reason String,
    raw String,
    origin String,
    received_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (source, received_at);

-- The practices register: one row per institution and load.
CREATE TABLE IF NOT EXISTS practices (
    generation UInt64,
    institution String,
    country String,
    websites Array(String),
    languages Array(String),
    channels Array(String),
    feedback_mechanisms Array(String),
    practices Array(String),
    notes String,
    loaded_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (generation, institution);

-- Figures institutions published themselves, with the method they used;
-- one row per figure and load.
CREATE TABLE IF NOT EXISTS reported_figures (
    generation UInt64,
    position UInt32,
    institution String,
    unit String,
    channel String,
    instrument String,
    kpi String,
    metric String,
    period String,
    label String,
    value Float64,
    method String,
    source String,
    note String,
    loaded_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (generation, institution, position);

-- Working-day calendars: seq is the number of working days from the first
-- day of the load up to and including day, so the n-th working day after a
-- day is the working day whose seq is greater by n. seq restarts with every
-- load, so only rows of one generation (the calendar's current one) may be
-- compared; a merge must never mix generations, hence a plain MergeTree.
CREATE TABLE IF NOT EXISTS calendar_days (
    calendar String,
    generation UInt64,
    day Date,
    working UInt8,
    seq UInt32
) ENGINE = MergeTree()
ORDER BY (calendar, generation, day);

-- Hand-maintained registers (practices, reported figures, working-day
-- calendars) are replaced as a whole by each load. Every row of one load
-- carries the load's generation (Unix nanoseconds), and a load ends by
-- recording its generation here; reads take only the rows of the greatest
-- generation recorded for the register. So an entry dropped from the
-- configuration disappears, an empty load empties the register, and a load
-- that failed half-way leaves the previous one in force. register is
-- 'practices', 'reported_figures' or 'calendar/<name>'.
CREATE TABLE IF NOT EXISTS register_loads (
    register String,
    generation UInt64,
    rows UInt64,
    loaded_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (register, generation);
