-- ?1 token_hash, ?2 family_id, ?3 user_id, ?4 issued_at_ms, ?5 expires_at_ms
INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at_ms, expires_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5)
RETURNING token_hash
