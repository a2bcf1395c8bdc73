-- ccbench schema, version 9: the per-second rollup level is kept for recent
-- weeks only.
--
-- The _1s tables hold about one row per contact, a narrow copy of the whole
-- history, and every recount writes them; yet only the ends of trailing
-- windows read them (the exporter's, which end now and reach back at most
-- its longest window). A store told a horizon (the longest exporter window
-- and a day) writes the seconds of the buckets from the start of the UTC day
-- that lies that far before now, and counts older buckets straight into the
-- 15-minute level.
--
-- rollup_seconds_from records, per institution, where the seconds start:
-- a recount records a later start before it leaves older seconds stale, and
-- an earlier start (the horizon grew) only after it wrote the seconds from
-- there on. A read takes the newest row's start (the greatest version): every
-- recount of a bucket at or after it wrote its seconds, so a read takes the
-- seconds of such a bucket; a read that needs the seconds of an earlier
-- bucket counts its window from the raw versions. An institution with no row
-- has the seconds of every bucket.
CREATE TABLE IF NOT EXISTS rollup_seconds_from (
    institution String,
    seconds_from DateTime('UTC'),
    version UInt64,
    recorded_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY institution;
