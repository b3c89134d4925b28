-- Back to families without an end or an epoch (tokens keep working as before).
DROP TABLE refresh_families;
ALTER TABLE users DROP COLUMN session_epoch;
