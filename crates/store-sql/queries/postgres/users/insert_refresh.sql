-- Stores a token only while its family is open at its issue time: not revoked, not past its
-- end, its account active and still at the family's epoch. $1 token_hash, $2 family_id,
-- $3 user_id, $4 issued_at_ms, $5 expires_at_ms.
INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at_ms, expires_at_ms)
SELECT $1::text, f.family_id, f.user_id, $4::bigint, $5::bigint
FROM refresh_families AS f
JOIN users AS u ON u.id = f.user_id
WHERE f.family_id = $2::text AND f.user_id = $3::text AND f.revoked_at_ms IS NULL
  AND f.ends_at_ms > $4::bigint AND u.session_epoch = f.session_epoch AND u.state = 'active'
RETURNING token_hash
