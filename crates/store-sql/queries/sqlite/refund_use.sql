UPDATE api_keys SET remaining = remaining + 1 WHERE id = ?1 AND remaining IS NOT NULL RETURNING remaining
