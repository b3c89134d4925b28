-- Retires a live token of an open family in one statement: of two concurrent uses, one updates
-- the row and the other finds it used; a token whose family ended (revoked, past its end, or its
-- account's sessions ended since) is not retired. ?1 token_hash, ?2 now (ms).
UPDATE refresh_tokens SET used_at_ms = ?2
WHERE token_hash = ?1 AND used_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ?2
  AND EXISTS (
    SELECT 1 FROM refresh_families AS f JOIN users AS u ON u.id = f.user_id
    WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at_ms IS NULL AND f.ends_at_ms > ?2
      AND u.session_epoch = f.session_epoch AND u.state = 'active'
  )
RETURNING token_hash, family_id, user_id, issued_at_ms, expires_at_ms,
  (SELECT ends_at_ms FROM refresh_families WHERE family_id = refresh_tokens.family_id),
  (SELECT session_epoch FROM refresh_families WHERE family_id = refresh_tokens.family_id)
