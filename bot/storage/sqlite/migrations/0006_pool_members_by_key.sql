-- A draw finds the k-th story of a pool by (theme, guild, ordinal). A rowid table took
-- two page reads for that, the key's index and then the row; kept in the key's own
-- B-tree (WITHOUT ROWID) it takes one. At a million stories those pages are spread
-- over a file larger than a small host keeps cached, and each one missed is a disk read
-- while members wait.

CREATE TABLE pool_members_by_key (
    theme_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    ordinal  INTEGER NOT NULL,
    story_id INTEGER NOT NULL,
    PRIMARY KEY (theme_id, guild_id, ordinal)
) WITHOUT ROWID;
INSERT INTO pool_members_by_key (theme_id, guild_id, ordinal, story_id)
    SELECT theme_id, guild_id, ordinal, story_id FROM pool_members
    ORDER BY theme_id, guild_id, ordinal;
DROP TABLE pool_members;
ALTER TABLE pool_members_by_key RENAME TO pool_members;
CREATE INDEX pool_members_by_story ON pool_members (story_id);
