-- Which content notes hide a story in a server. No row: the default list (bot.notes);
-- an empty string: the server hides nothing, which is a choice of its own.
CREATE TABLE guild_hidden_notes (
    guild_id   INTEGER PRIMARY KEY,
    notes      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A member's own choices, by member id alone so that they follow the member to every
-- server. No row: the defaults, which change nothing.
CREATE TABLE member_preferences (
    member_id     INTEGER PRIMARY KEY,
    skipped_notes TEXT NOT NULL,
    show_unhidden INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);
