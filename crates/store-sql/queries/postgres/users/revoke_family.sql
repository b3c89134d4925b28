-- $1 family_id, $2 now (ms): every live token of the family.
UPDATE refresh_tokens SET revoked_at_ms = $2::bigint
WHERE family_id = $1::text AND used_at_ms IS NULL AND revoked_at_ms IS NULL
RETURNING token_hash
