-- The story library: themes, stories, the pools a selection draws from, and the
-- per-channel no-repeat rounds.

CREATE TABLE themes (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    emoji       TEXT    NOT NULL,
    colour      INTEGER NOT NULL,
    description TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE theme_aliases (
    alias    TEXT    PRIMARY KEY,
    theme_id INTEGER NOT NULL REFERENCES themes (id)
);

-- guild_id 0 marks a bundled story; any other value is the one server that owns it.
CREATE TABLE stories (
    id         INTEGER PRIMARY KEY,
    bundle_key TEXT    UNIQUE,
    guild_id   INTEGER NOT NULL DEFAULT 0,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    notes      TEXT    NOT NULL DEFAULT '',
    credit     TEXT    NOT NULL,
    source_date TEXT   NOT NULL DEFAULT '',
    teller     TEXT    NOT NULL DEFAULT '',
    digest     TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL
);

CREATE TABLE story_themes (
    story_id INTEGER NOT NULL REFERENCES stories (id),
    theme_id INTEGER NOT NULL REFERENCES themes (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, theme_id)
);

-- A pool is the stories of one theme (theme_id 0: every story) owned by one guild (0:
-- bundled). Ordinals only grow, so a round can address "the k-th story" with one index
-- lookup; a story that leaves a pool leaves a hole that selection steps over.
CREATE TABLE pool_members (
    theme_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    ordinal  INTEGER NOT NULL,
    story_id INTEGER NOT NULL,
    PRIMARY KEY (theme_id, guild_id, ordinal)
);
CREATE INDEX pool_members_by_story ON pool_members (story_id);

CREATE TABLE pool_sizes (
    theme_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    next_ordinal INTEGER NOT NULL,
    live     INTEGER NOT NULL,
    -- guild first: /themes and autocomplete read every pool of one guild.
    PRIMARY KEY (guild_id, theme_id)
);

-- One shuffled round per channel and theme: the k-th draw is permute(k, size, seed).
CREATE TABLE rounds (
    channel_id INTEGER NOT NULL,
    theme_id   INTEGER NOT NULL,
    seed       INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    bundled_size INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, theme_id)
);

CREATE TABLE data_files (
    path   TEXT PRIMARY KEY,
    digest TEXT NOT NULL
);

CREATE TABLE command_sync (
    scope  TEXT PRIMARY KEY,
    digest TEXT NOT NULL
);
