-- The round shuffle (bot.shuffle.permute) became a faster Feistel network, so a round
-- begun under the old one would continue in a different order and could repeat or skip
-- stories. Every channel starts a fresh round instead; at worst a recent story comes back
-- once.
DELETE FROM rounds;
