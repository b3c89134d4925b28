DELETE FROM refresh_tokens WHERE user_id = $1::text RETURNING token_hash
