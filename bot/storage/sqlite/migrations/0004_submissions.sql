-- Member submissions, the drafts that keep what a member typed, and the text sketches that
-- find near-duplicates without reading the library.

-- A form as the member filled it, kept until it becomes a submission (or is abandoned), so
-- a refusal or a findings step never loses what was typed.
-- AUTOINCREMENT: an old Edit button must never open a newer draft that reused its id.
CREATE TABLE submission_drafts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    member_id   INTEGER NOT NULL,
    member_name TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    theme_id    INTEGER,
    notes       TEXT    NOT NULL DEFAULT '',
    anonymous   INTEGER NOT NULL,
    consent     INTEGER NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE INDEX submission_drafts_by_age ON submission_drafts (created_at);

-- status: pending, approved, rejected or withdrawn; only pending ever changes.
-- card_message_id NULL: the card is not on the moderator channel yet (it waits to be posted).
CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    member_id       INTEGER NOT NULL,
    member_name     TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    theme_id        INTEGER,
    notes           TEXT    NOT NULL DEFAULT '',
    anonymous       INTEGER NOT NULL,
    findings        TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending',
    created_at      TEXT    NOT NULL,
    edited_by       INTEGER,
    edited_by_name  TEXT,
    edited_at       TEXT,
    decided_by      INTEGER,
    decided_by_name TEXT,
    decided_at      TEXT,
    reason          TEXT    NOT NULL DEFAULT '',
    story_id        INTEGER,
    card_channel_id INTEGER,
    card_message_id INTEGER,
    dm_status       TEXT
);
CREATE INDEX submissions_by_member ON submissions (guild_id, member_id, created_at);
CREATE INDEX submissions_by_status ON submissions (guild_id, status, id);

-- Bottom-k sketches of word trigrams: a near-duplicate shares many of the smallest hashes,
-- so one indexed lookup per hash finds candidates without reading any story.
-- source: 'story' (ref_id = stories.id) or 'submission' (ref_id = submissions.id).
CREATE TABLE text_sketches (
    hash     INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    source   TEXT    NOT NULL,
    ref_id   INTEGER NOT NULL,
    PRIMARY KEY (hash, source, ref_id)
);
CREATE INDEX text_sketches_by_ref ON text_sketches (source, ref_id);

-- Which version (digest) of each library story has a sketch.
CREATE TABLE sketched_stories (
    story_id INTEGER PRIMARY KEY,
    digest   TEXT NOT NULL
);

-- What the last sketching pass over the library saw, so an unchanged library is not re-read
-- at start-up (name 'library', value: the data files' digests and the highest story id).
CREATE TABLE sketch_marks (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
