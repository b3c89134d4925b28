SELECT remaining IS NOT NULL FROM api_keys WHERE id = ?1
