DELETE FROM refresh_tokens WHERE user_id = ?1 RETURNING token_hash
