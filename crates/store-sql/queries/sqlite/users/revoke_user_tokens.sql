-- ?1 user_id, ?2 now (ms): every live token of the user is marked revoked, after the account's
-- session epoch moved on (which is what this version checks); versions before the 0002_sessions
-- migration read the mark, so a rollback across it does not bring the sessions back.
UPDATE refresh_tokens SET revoked_at_ms = ?2
WHERE user_id = ?1 AND used_at_ms IS NULL AND revoked_at_ms IS NULL
RETURNING token_hash
