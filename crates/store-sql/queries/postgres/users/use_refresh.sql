-- Retires a live token of an open family in one statement: of two concurrent uses, one updates
-- the row and the other (re-checking the row after the first commits) finds it used; a token
-- whose family ended (revoked, past its end, or its account's sessions ended since) is not
-- retired. $1 token_hash, $2 now (ms).
UPDATE refresh_tokens AS t SET used_at_ms = $2::bigint
FROM refresh_families AS f, users AS u
WHERE t.token_hash = $1::text AND t.used_at_ms IS NULL AND t.revoked_at_ms IS NULL
  AND t.expires_at_ms > $2::bigint
  AND f.family_id = t.family_id AND f.revoked_at_ms IS NULL AND f.ends_at_ms > $2::bigint
  AND u.id = f.user_id AND u.session_epoch = f.session_epoch AND u.state = 'active'
RETURNING t.token_hash, t.family_id, t.user_id, t.issued_at_ms, t.expires_at_ms, f.ends_at_ms,
  f.session_epoch
