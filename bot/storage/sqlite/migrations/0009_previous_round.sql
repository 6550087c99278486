-- The round a channel finished, kept when the next begins (bot.storage.rounds): the new
-- round must not open with the story that ended the last one. NULL until a round ends.
ALTER TABLE rounds ADD COLUMN prev_seed INTEGER;
ALTER TABLE rounds ADD COLUMN prev_size INTEGER;
ALTER TABLE rounds ADD COLUMN prev_bundled_size INTEGER;
