-- $1 token_hash: a token stored by a version before the 0002_sessions migration (a pod of the
-- previous release during a rollout, or after a rollback) has no family row; it joins one opened
-- at its account's current epoch (a token from before an epoch move was marked revoked then, so
-- it stays refused), ending 30 days after the token was issued.
INSERT INTO refresh_families (family_id, user_id, session_epoch, created_at_ms, ends_at_ms)
SELECT t.family_id, t.user_id, u.session_epoch, t.issued_at_ms, t.issued_at_ms + 2592000000
FROM refresh_tokens AS t
JOIN users AS u ON u.id = t.user_id
WHERE t.token_hash = $1::text
  AND NOT EXISTS (SELECT 1 FROM refresh_families AS f WHERE f.family_id = t.family_id)
ON CONFLICT (family_id) DO NOTHING
RETURNING family_id
