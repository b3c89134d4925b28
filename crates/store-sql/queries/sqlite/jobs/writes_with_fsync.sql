-- After the counters: every other write waits for the disk again (the default, FULL).
PRAGMA synchronous = FULL
