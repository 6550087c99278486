-- Per-server settings shared by the features: where moderators work, and who they are.
CREATE TABLE guild_settings (
    guild_id       INTEGER PRIMARY KEY,
    mod_channel_id INTEGER,
    mod_role_id    INTEGER,
    updated_at     TEXT NOT NULL
);
