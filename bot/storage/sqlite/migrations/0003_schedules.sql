-- Daily stories: one schedule per server, and one claimed post per server and local date.

-- next_due (unix seconds, UTC) is NULL whenever nothing will be posted (off or paused), so
-- the scheduler finds the earliest post with one index lookup instead of a scan.
CREATE TABLE daily_schedules (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    local_minute    INTEGER NOT NULL,
    timezone        TEXT    NOT NULL,
    theme_id        INTEGER,
    active          INTEGER NOT NULL DEFAULT 1,
    paused_reason   TEXT,
    paused_at       INTEGER,
    next_due        INTEGER,
    next_local_date TEXT,
    updated_by      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX daily_schedules_by_due ON daily_schedules (next_due);

-- The primary key is the promise: one post per server and local date, whoever claims it.
-- status: pending (claimed, to send; retry_at is when), sent, skipped (found too late),
-- missed (passing errors outlasted the grace period), paused, failed, cancelled, empty.
CREATE TABLE daily_posts (
    guild_id    INTEGER NOT NULL,
    local_date  TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    retry_at    INTEGER,
    story_id    INTEGER,
    channel_id  INTEGER,
    message_id  INTEGER,
    claimed_at  INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (guild_id, local_date)
);
CREATE INDEX daily_posts_by_retry ON daily_posts (retry_at);
CREATE INDEX daily_posts_by_due ON daily_posts (due_at);
