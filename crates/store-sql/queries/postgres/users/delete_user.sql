DELETE FROM users WHERE id = $1::text RETURNING id
