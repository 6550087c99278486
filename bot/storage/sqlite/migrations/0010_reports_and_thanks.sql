-- Reports on stories, the stories a report hides in one server, and readers' thanks.

-- A story hidden in one server (a report, or a moderator's Remove of a bundled story): the
-- draw passes over it there and nowhere else. Keyed as the draw asks, server first.
CREATE TABLE hidden_stories (
    guild_id  INTEGER NOT NULL,
    story_id  INTEGER NOT NULL,
    hidden_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, story_id)
) WITHOUT ROWID;

-- status: open, restored or removed; only open changes. The open reports on one story in
-- one server are one case: the first holds the moderator card, a decision closes them all.
-- reason: in-story, identifies, harmful or other (with detail).
-- AUTOINCREMENT: an old card's buttons must never decide a newer report that reused its id.
CREATE TABLE story_reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        INTEGER NOT NULL,
    story_id        INTEGER NOT NULL,
    reporter_id     INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'open',
    created_at      TEXT    NOT NULL,
    decided_by      INTEGER,
    decided_by_name TEXT,
    decided_at      TEXT,
    card_channel_id INTEGER,
    card_message_id INTEGER
);
CREATE INDEX story_reports_by_reporter ON story_reports (guild_id, reporter_id, created_at);
CREATE INDEX story_reports_by_story ON story_reports (guild_id, story_id, status);
CREATE INDEX story_reports_by_status ON story_reports (guild_id, status, id);

-- One thank-you per reader and story, wherever it was pressed.
CREATE TABLE story_thanks (
    story_id   INTEGER NOT NULL,
    member_id  INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (story_id, member_id)
) WITHOUT ROWID;

-- The weekly letter to a member whose shared stories helped someone: thanks waiting since
-- the last one, when the next may go (unix seconds), and whether they want it at all.
-- last_count is the number the last letter carried (what a claim hands out).
CREATE TABLE thanks_letters (
    member_id  INTEGER PRIMARY KEY,
    waiting    INTEGER NOT NULL DEFAULT 0,
    last_count INTEGER NOT NULL DEFAULT 0,
    due_at     INTEGER NOT NULL DEFAULT 0,
    opted_out  INTEGER NOT NULL DEFAULT 0,
    dm_status  TEXT
);
CREATE INDEX thanks_letters_due ON thanks_letters (due_at) WHERE waiting > 0 AND opted_out = 0;

-- Who shared a story: one index lookup when a reader thanks it.
CREATE INDEX submissions_by_story ON submissions (story_id);
