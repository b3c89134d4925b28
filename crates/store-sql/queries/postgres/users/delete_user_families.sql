DELETE FROM refresh_families WHERE user_id = $1::text RETURNING family_id
