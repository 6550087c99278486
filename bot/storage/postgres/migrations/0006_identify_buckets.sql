-- When the next IDENTIFY of each of Discord's rate-limit buckets (shard id % max_concurrency)
-- may go, in unix milliseconds: shared by every process of the bot, so a fleet started at once
-- keeps to one identify per bucket every 5 seconds between them.
CREATE TABLE identify_buckets (
    bucket  INTEGER PRIMARY KEY,
    next_at BIGINT  NOT NULL
);
