-- ccbench schema, version 2: the targets register, so that everything that
-- reads ClickHouse (dashboards, reports) can judge a KPI against its target
-- without the configuration file. Replaced as a whole by every load, like
-- the other registers (see register_loads): reads take only the rows of
-- the greatest generation recorded for 'targets'. Durations in seconds;
-- 0 means the catalogue's default.
CREATE TABLE IF NOT EXISTS targets (
    generation UInt64,
    position UInt32,
    institution String,
    unit String,
    channel String,
    instrument String,
    kpi String,
    value Float64,
    direction String,
    threshold_s Float64,
    short_abandon_s Float64,
    long_wait_s Float64,
    deadline_days UInt16,
    complex_deadline_days UInt16,
    method String,
    note String,
    loaded_at DateTime('UTC')
) ENGINE = MergeTree()
ORDER BY (generation, institution, kpi, unit, channel, instrument);
