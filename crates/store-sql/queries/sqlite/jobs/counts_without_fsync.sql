-- Before a transaction of /metrics counters: commit without waiting for the disk (WAL keeps the
-- file consistent; a power cut may lose the last counts). Undone by writes_with_fsync.sql.
PRAGMA synchronous = NORMAL
