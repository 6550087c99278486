-- Library stories are now found by the smallest hash of each sixth of their word trigrams
-- (bot.submissions.anchors) rather than by their smallest four, so a text copying part of
-- a story finds it. Forgetting what was sketched makes the next pass sketch every story
-- again; submissions keep their sketches, which have not changed.
DELETE FROM sketched_stories;
DELETE FROM sketch_marks;
