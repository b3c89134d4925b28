-- $1 family_id, $2 now (ms): the family's live tokens are marked revoked too. The family row is
-- what this version checks; the mark is what versions before the 0002_sessions migration read,
-- so a rollback across it does not bring the session back.
UPDATE refresh_tokens SET revoked_at_ms = $2::bigint
WHERE family_id = $1::text AND used_at_ms IS NULL AND revoked_at_ms IS NULL
RETURNING token_hash
