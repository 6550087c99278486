-- Each data file's size and modification time at the last import, beside its checksum:
-- a start hashes only a file whose size or time moved. -1 (a row from before this) is
-- never a file's size, so such a file is hashed once more and then recorded.
ALTER TABLE data_files
    ADD COLUMN size BIGINT NOT NULL DEFAULT -1,
    ADD COLUMN mtime_ns BIGINT NOT NULL DEFAULT -1;
