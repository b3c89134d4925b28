-- $1 user_id, $2 now (ms): the user's tokens past their expiry, whatever their state.
DELETE FROM refresh_tokens WHERE user_id = $1::text AND expires_at_ms <= $2::bigint RETURNING token_hash
