-- Where a submission's card and its decision stand, so a crash between any two steps is
-- finished at the next start with only the missing step:
-- card_attempt_at: when a try to post the card began; with no card recorded, that try's
--   outcome is unknown, and the next one first looks for the card in the channel from then on.
-- card_decided (0 or 1, as the other flags): the card shows the decision and has lost its
--   buttons (or there is no card).
-- dm_status gains 'sending' (set before the DM goes out); see cogs/submissions/moderation.py.
ALTER TABLE submissions ADD COLUMN card_attempt_at TEXT;
ALTER TABLE submissions ADD COLUMN card_decided INTEGER NOT NULL DEFAULT 0;
-- Decisions made before this: their cards were drawn when they were made.
UPDATE submissions SET card_decided = 1 WHERE status <> 'pending';
