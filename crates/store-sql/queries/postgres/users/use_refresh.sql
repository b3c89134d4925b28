-- Retires a live token in one statement: of two concurrent uses, one updates the row and the
-- other (re-checking the row after the first commits) finds it used. $1 token_hash, $2 now (ms).
UPDATE refresh_tokens SET used_at_ms = $2::bigint
WHERE token_hash = $1::text AND used_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > $2::bigint
RETURNING token_hash, family_id, user_id, issued_at_ms, expires_at_ms
